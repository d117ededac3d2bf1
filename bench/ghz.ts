// The ghz load run (https://ghz.sh) against StreamGenerateContent, when a ghz binary is installed:
//   go install github.com/bojand/ghz/cmd/ghz@v0.121.0

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cpuUs, repoRoot } from "./procs.ts";

export const ghzVersion = "v0.121.0";
const method = "geminiconnect.v1.GenerativeService.StreamGenerateContent";

export interface GhzOptions {
  /** host:port of the gateway. */
  readonly address: string;
  readonly concurrency: number;
  readonly total: number;
  readonly model: string;
  readonly prompt: string;
  /** Fail instead of skipping when ghz is not installed. */
  readonly required: boolean;
  readonly gatewayPid: number;
}

export interface GhzResult {
  readonly binary: string;
  /** The command line, with the address as run. */
  readonly command: string;
  readonly count: number;
  readonly rps: number;
  readonly averageMs: number;
  readonly fastestMs: number;
  readonly slowestMs: number;
  readonly latencyMs: Readonly<Record<string, number>>;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  /** Gateway CPU over the whole ghz run per call, µs. */
  readonly gatewayCpuUsPerCall: number;
}

/** The ghz binary: on PATH, in GOBIN, or in GOPATH/bin (default ~/go/bin). */
export function findGhz(): string | undefined {
  const dirs = [
    ...(process.env["PATH"] ?? "").split(":"),
    process.env["GOBIN"],
    join(process.env["GOPATH"] ?? join(process.env["HOME"] ?? "/root", "go"), "bin"),
  ];
  for (const dir of dirs) {
    if (dir === undefined || dir === "") continue;
    const candidate = join(dir, "ghz");
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** ghz's arguments: --proto until the gateway serves reflection, then the same without --proto/--import-paths. */
export function ghzArgs(options: Pick<GhzOptions, "address" | "concurrency" | "total" | "model" | "prompt">): string[] {
  const data = JSON.stringify({ model: options.model, contents: [{ role: "user", parts: [{ text: options.prompt }] }] });
  return [
    "--insecure",
    "--proto",
    "proto/geminiconnect/v1/generative_service.proto",
    "--import-paths",
    "proto",
    "--call",
    method,
    "-d",
    data,
    "-c",
    String(options.concurrency),
    "-n",
    String(options.total),
    options.address,
  ];
}

interface GhzReport {
  count: number;
  rps: number;
  average: number;
  fastest: number;
  slowest: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number> | null;
  errorDistribution: Record<string, number> | null;
}

export async function runGhz(options: GhzOptions): Promise<GhzResult | undefined> {
  const binary = findGhz();
  if (binary === undefined) {
    if (options.required) throw new Error(`ghz not found: go install github.com/bojand/ghz/cmd/ghz@${ghzVersion}`);
    return undefined;
  }
  const args = ghzArgs(options);
  const cpuBefore = cpuUs(options.gatewayPid);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      binary,
      [...args.slice(0, -1), "--format", "json", ...args.slice(-1)],
      { cwd: repoRoot, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, out, err) => (error ? reject(new Error(`ghz failed: ${error.message}\n${err}`)) : resolve(out)),
    );
  });
  const cpu = cpuUs(options.gatewayPid) - cpuBefore;
  const report = JSON.parse(stdout) as GhzReport;
  const ns = 1e6;
  const latencyMs: Record<string, number> = {};
  for (const { percentage, latency } of report.latencyDistribution ?? []) latencyMs[`p${percentage}`] = latency / ns;
  return {
    binary,
    command: ["ghz", ...args.map(shellQuote)].join(" "),
    count: report.count,
    rps: report.rps,
    averageMs: report.average / ns,
    fastestMs: report.fastest / ns,
    slowestMs: report.slowest / ns,
    latencyMs,
    statusCodes: report.statusCodeDistribution ?? {},
    errors: report.errorDistribution ?? {},
    gatewayCpuUsPerCall: cpu / Math.max(1, report.count),
  };
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
