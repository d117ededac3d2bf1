// The documentation holds together: every link lands on a file and a heading that exist, the README
// links every doc, and docs/settings.md lists exactly the settings the code reads.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { anchor, docFiles, headings, readDoc } from "./support/docs.ts";

const root = join(import.meta.dirname, "..");

/** Relative links of a doc (web links and pure anchors of other sites left out), outside code. */
function links(file: string): { target: string; fragment: string | undefined }[] {
  const text = readDoc(file).replace(/^```[\s\S]*?^```/gm, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? "")
    .filter((href) => !/^[a-z]+:/.test(href))
    .map((href) => {
      const [path = "", fragment] = href.split("#");
      return { target: path === "" ? file : normalize(join(dirname(file), path)), fragment };
    });
}

describe("the docs' links", () => {
  it.each(docFiles)("%s links only to files and headings that exist", (file) => {
    const broken = links(file).filter(({ target, fragment }) => {
      if (!existsSync(join(root, target))) return true;
      if (fragment === undefined || !target.endsWith(".md")) return false;
      return !headings(target).some((heading) => anchor(heading.text) === fragment);
    });
    expect(broken).toEqual([]);
  });

  it("the README links every doc in docs/", () => {
    const linked = new Set(links("README.md").map((link) => link.target));
    expect(docFiles.filter((file) => file !== "README.md" && !linked.has(file))).toEqual([]);
  });
});

/** Every `.ts` file under a folder. */
function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

describe("docs/settings.md", () => {
  it("lists every setting the code reads, and only those", () => {
    // Settings are read as `reader(env, "NAME", ...)` or `env["NAME"]`.
    const read = new Set(
      sources(join(root, "src")).flatMap((path) =>
        [...readFileSync(path, "utf8").matchAll(/\benv(?:, |\[)"([A-Z][A-Z0-9_]*)"/g)].map((match) => match[1] ?? ""),
      ),
    );
    // The first cell of each table row names the settings it describes.
    const documented = new Set(
      readDoc("docs/settings.md")
        .split("\n")
        .filter((line) => line.startsWith("| `"))
        .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1] ?? "")),
    );
    expect(read.size).toBeGreaterThanOrEqual(30);
    expect([...read].filter((name) => !documented.has(name)).sort()).toEqual([]);
    expect([...documented].filter((name) => !read.has(name)).sort()).toEqual([]);
  });
});
