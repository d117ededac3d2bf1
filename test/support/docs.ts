// The README and docs/*.md, for the tests that run or parse what they tell users, so they cannot drift.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");

/** README.md and every docs/*.md, as paths from the repository root. */
export const docFiles: readonly string[] = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];

export function readDoc(file: string): string {
  return readFileSync(join(root, file), "utf8");
}

interface Heading {
  readonly level: number;
  readonly text: string;
  readonly line: number;
}

/** The Markdown headings of a doc, in order; `#` lines inside code fences are not headings. */
export function headings(file: string): Heading[] {
  const found: Heading[] = [];
  let fenced = false;
  readDoc(file)
    .split("\n")
    .forEach((line, index) => {
      if (line.startsWith("```")) fenced = !fenced;
      const match = fenced ? null : /^(#{1,6}) (.+)$/.exec(line);
      if (match?.[1] !== undefined && match[2] !== undefined) found.push({ level: match[1].length, text: match[2], line: index });
    });
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replaceAll(" ", "-");
}

/** The text of the section `heading` (any level), up to the next heading of the same level or above. */
export function docSection(file: string, heading: string): string {
  const all = headings(file);
  const index = all.findIndex((h) => h.text === heading);
  const start = all[index];
  if (start === undefined) throw new Error(`${file} has no heading "${heading}"`);
  const end = all.slice(index + 1).find((h) => h.level <= start.level);
  return readDoc(file)
    .split("\n")
    .slice(start.line, end?.line)
    .join("\n");
}

export interface ShellCommand {
  readonly file: string;
  /** One command as a user types it (a line, with its `\` continuations joined). */
  readonly command: string;
  /** The commands before it in the same sh block, which a user has run in the same shell. */
  readonly before: readonly string[];
}

/** Every command of a doc's sh blocks; comment lines and blank lines left out. */
export function shellCommands(file: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const [, block = ""] of readDoc(file).matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    const lines = block.replace(/\\\n\s*/g, "").split("\n");
    const inBlock: string[] = [];
    for (const line of lines.map((l) => l.trim())) {
      if (line === "" || line.startsWith("#")) continue;
      commands.push({ file, command: line, before: [...inBlock] });
      inBlock.push(line);
    }
  }
  return commands;
}
