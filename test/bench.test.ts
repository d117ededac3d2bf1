// Keeps `npm run bench` from rotting: the smallest run (--tiny: 1 and 2 streams, a few chunks,
// a handful of held streams) goes through every scenario with real processes, and must produce
// numbers. Timings are not asserted: this machine is shared and small.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchResult } from "../bench/run.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = mkdtempSync(join(os.tmpdir(), "bench-test-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function runBench(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, "bench/main.ts"), ...args],
      { cwd: root, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr })),
    );
  });
}

const finite = (value: unknown) => typeof value === "number" && Number.isFinite(value);

describe("npm run bench -- --tiny", () => {
  it("runs every scenario through real processes and reports numbers", { timeout: 60_000 }, async () => {
    const { stdout } = await runBench(["--tiny", "--out", outDir]);
    const file = /^results: (.+\.json)$/m.exec(stdout)?.[1];
    expect(file, stdout).toBeDefined();
    const result = JSON.parse(readFileSync(file ?? "", "utf8")) as BenchResult & { targets: unknown[] };

    expect(stdout).toContain("Latency:");
    expect(stdout).toContain("Targets (issue 13):");

    expect(result.latency.map((row) => row.streams)).toEqual([1, 2]);
    for (const row of result.latency) {
      for (const side of [row.baseline, row.gateway]) {
        expect(side.ttftMs.count).toBeGreaterThan(0);
        expect(finite(side.ttftMs.p50)).toBe(true);
        expect(side.gapMs.count).toBeGreaterThan(0);
        expect(side.errors).toBe(0);
      }
      expect(finite(row.added.ttftP50) && finite(row.added.gapP99)).toBe(true);
      expect(row.gateway.cpuUsPerChunk).toBeGreaterThan(0);
    }

    expect(result.saturation.map((row) => row.streams)).toEqual([1, 2]);
    for (const row of result.saturation) {
      expect(row.baseline.chunks).toBeGreaterThan(0);
      expect(row.gateway.chunks).toBe(row.baseline.chunks);
      expect(row.gateway.errors + row.gateway.shortStreams).toBe(0);
      expect(row.gateway.chunksPerSecond).toBeGreaterThan(0);
      expect(row.gateway.cpuUsPerChunk).toBeGreaterThan(0);
    }

    expect(result.memory?.levels.map((level) => level.streams)).toEqual([5, 10]);
    for (const level of result.memory?.levels ?? []) {
      expect(level.failed).toBe(0);
      expect(level.rssKb).toBeGreaterThan(0);
      expect(finite(level.perStreamKb)).toBe(true);
    }

    expect(result.stalled?.opened).toBe(2);
    expect(result.stalled?.samples.length).toBeGreaterThan(1);
    expect(finite(result.stalled?.driftPct)).toBe(true);

    expect(result.targets).toHaveLength(11);
  });

  it("refuses an unknown option", async () => {
    await expect(runBench(["--no-such-option"])).rejects.toThrow(/unknown option --no-such-option/);
  });
});
