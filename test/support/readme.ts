// The README's sections, for tests that run or parse what it tells users, so it cannot drift.

import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The text of the README section `## <heading>`, up to the next `## ` heading. */
export function readmeSection(heading: string): string {
  const text = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${heading}"`);
  const end = text.indexOf("\n## ", start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}
