// `npm run bench [-- options]`: the gateway against the SDK alone, side by side, in one run.
// Prints the tables on stdout, progress on stderr, and writes bench/results/<timestamp>.json.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs, usage, UsageError } from "./config.ts";
import type { BenchConfig } from "./config.ts";
import { formatProfile } from "./profile.ts";
import { note, repoRoot } from "./procs.ts";
import { formatReport, targetChecks } from "./report.ts";
import { runBench, stamp } from "./run.ts";

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(usage);
  process.exit(0);
}
let config: BenchConfig;
try {
  config = parseArgs(argv);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`bench: ${error.message}\n\n${usage}`);
  process.exit(2);
}

const command = ["npm run bench", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" ");
// A bench that hangs is worse than one that fails: the full run takes about 4 minutes.
const limitMs = config.preset === "tiny" ? 60_000 : 15 * 60_000;
const watchdog = setTimeout(() => {
  note(`bench: still running after ${limitMs / 1000} s, giving up`);
  process.exit(1);
}, limitMs);
watchdog.unref();

const t0 = Date.now();
const result = await runBench(config, command, (line) => note(`bench [${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`));
const outDir = config.outDir ?? join(repoRoot, "bench/results");
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `${stamp(Date.parse(result.startedAt))}.json`);
writeFileSync(file, `${JSON.stringify({ ...result, targets: targetChecks(result) }, jsonReplacer, 2)}\n`);

process.stdout.write(`${formatReport(result)}\n`);
if (result.profile !== undefined) process.stdout.write(`\n${formatProfile(result.profile)}\n`);
process.stdout.write(`\nresults: ${file}\n`);
clearTimeout(watchdog);

/** NaN and Infinity as null; rounded floats keep the JSON readable. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    return Number.isInteger(value) ? value : Math.round(value * 1000) / 1000;
  }
  return value;
}
