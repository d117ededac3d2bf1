// The bench's stdout: tables and the figures against the targets of issue 13.

import type { BenchResult } from "./run.ts";

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

// The SDK and what it drives, in the profile's packages: undici (node:deps), its web streams and
// text decoding. The issue's "gateway's own CPU" is everything else.
const sdkPackages = new Set(["@google/genai", "node:deps", "node:webstreams", "node:encoding"]);

/** The share of the gateway's sampled CPU that is not the SDK's, when the run was profiled. */
function ownShare(result: BenchResult): number | undefined {
  if (result.profile === undefined) return undefined;
  const sdk = result.profile.selfByPackage.filter((entry) => sdkPackages.has(entry.name)).reduce((sum, entry) => sum + entry.percent, 0);
  return 1 - sdk / 100;
}

export function targetChecks(result: BenchResult): TargetCheck[] {
  const latencyAt = (streams: number) => result.latency.find((row) => row.streams === streams);
  const saturationAt = (streams: number) => result.saturation.find((row) => row.streams === streams);
  const l1 = latencyAt(1);
  const l100 = latencyAt(100);
  // Per chunk with per-stream work amortized: the longest streams of the saturation runs; per
  // stream: what the shortest streams cost per chunk beyond that, times their chunks.
  const bySize = [...result.saturation].sort((a, b) => b.chunksPerStream - a.chunksPerStream);
  const longest = bySize[0];
  const shortest = bySize.at(-1);
  const share = ownShare(result);
  const own = (us: number | undefined) => (us === undefined || share === undefined ? us : us * share);
  const perChunk = longest?.gateway.cpuUsPerChunk;
  const perStream =
    longest === undefined || shortest === undefined || shortest === longest
      ? undefined
      : (shortest.gateway.cpuUsPerChunk - longest.gateway.cpuUsPerChunk) * shortest.chunksPerStream;
  const ownNote = share === undefined ? "(all of the gateway's CPU: --profile to take the SDK's share out)" : `(own share ${fixed(share * 100, 0)}% of the profile)`;
  const mem10k = result.memory?.levels.find((level) => level.streams === 10_000);
  // VmRSS counts KiB; the target is in KB.
  const kb10k = mem10k === undefined ? undefined : mem10k.perStreamKb * 1.024;
  const atMost = (target: string, value: number | undefined, limit: number, unit: string, where = ""): TargetCheck => ({
    target,
    measured: value === undefined || !Number.isFinite(value) ? "not run" : `${fixed(value)} ${unit} ${where}`.trim(),
    met: value === undefined || !Number.isFinite(value) ? undefined : value <= limit,
  });
  const ratio = (streams: number): TargetCheck => {
    const value = saturationAt(streams)?.ratio;
    return {
      target: `saturation >= 0.8x the SDK alone @${streams} streams`,
      measured: value === undefined ? "not run" : `${fixed(value, 2)}x`,
      met: value === undefined ? undefined : value >= 0.8,
    };
  };
  return [
    ratio(1),
    ratio(100),
    ratio(1000),
    atMost("gateway's own CPU <= 10 us per chunk", own(perChunk), 10, "us", longest === undefined ? "" : `(${longest.streams} x ${longest.chunksPerStream}) ${ownNote}`),
    atMost("gateway's own CPU <= 150 us per stream", own(perStream), 150, "us", shortest === undefined ? "" : `(${shortest.streams} x ${shortest.chunksPerStream} over the longest) ${ownNote}`),
    atMost("added TTFT p50 <= 0.5 ms @1 stream", l1?.added.ttftP50, 0.5, "ms"),
    atMost("added TTFT p50 <= 1 ms @100 paced streams", l100?.added.ttftP50, 1, "ms"),
    atMost("added TTFT p99 <= 5 ms @100 paced streams", l100?.added.ttftP99, 5, "ms"),
    atMost("CPU <= 100 us per chunk nearly idle (1 paced stream)", l1?.gateway.cpuUsPerChunk, 100, "us"),
    atMost("<= 40 KB RSS per held stream @10,000 streams", kb10k, 40, "KB", "(SDK and undici included)"),
    {
      target: "WORKERS: saturation x1.7 from 1 to 2 workers",
      measured: `this run: WORKERS=${result.config.workers}; compare two runs, --workers 1 and --workers 2 --connections 4`,
      met: undefined,
    },
  ];
}

export function formatReport(result: BenchResult): string {
  const lines: string[] = [];
  const { machine, config } = result;
  lines.push(
    `gemini-connect bench (${config.preset}), ${result.startedAt}: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}`,
    `command: ${result.command}`,
    "",
  );

  if (result.latency.length > 0) {
    lines.push(
      `Latency: N concurrent streams of ${config.latency.chunks} chunks x ${config.latency.chunkChars} chars, paced by the emulator; ` +
        `${config.rounds} interleaved round(s) of ${config.windowMs} ms per side.`,
      "added = gateway (generated TS client -> gateway -> SDK -> emulator) minus baseline (SDK -> emulator), percentile by percentile, ms.",
    );
    lines.push(
      table(
        ["streams", "pacing", "base TTFT p50", "added TTFT p50", "added TTFT p99", "base gap p99", "added gap p50", "added gap p99", "gw CPU us/chunk", "gw CPU us/stream", "samples b/g", "errors b/g", "other load"],
        result.latency.map((row) => [
          String(row.streams),
          `${row.pacingMs} ms`,
          fixed(row.baseline.ttftMs.p50),
          signed(row.added.ttftP50),
          signed(row.added.ttftP99),
          fixed(row.baseline.gapMs.p99),
          signed(row.added.gapP50),
          signed(row.added.gapP99),
          fixed(row.gateway.cpuUsPerChunk, 1),
          fixed(row.gateway.cpuUsPerStream, 0),
          `${row.baseline.ttftMs.count}/${row.gateway.ttftMs.count}`,
          `${row.baseline.errors + row.baseline.shortStreams}/${row.gateway.errors + row.gateway.shortStreams}`,
          fixed(Math.max(row.baseline.otherCores, row.gateway.otherCores), 2),
        ]),
      ),
      "",
    );
  }

  if (result.saturation.length > 0) {
    lines.push(
      `Saturation: N concurrent streams of unpaced ${config.saturation.chunkChars}-char chunks, about ${config.saturation.chunksPerPhase} chunks per phase, run to completion.`,
    );
    lines.push(
      table(
        ["streams", "chunks/stream", "baseline chunks/s", "gateway chunks/s", "gw/base", "gw CPU us/chunk", "gw cores", "gw quiet after s", "errors b/g", "other load"],
        result.saturation.map((row) => [
          String(row.streams),
          `${row.chunksPerStream}${row.streamsPerWorker > 1 ? ` x${row.streamsPerWorker}` : ""}`,
          fixed(row.baseline.chunksPerSecond, 0),
          fixed(row.gateway.chunksPerSecond, 0),
          fixed(row.ratio, 2),
          fixed(row.gateway.cpuUsPerChunk, 1),
          fixed(row.gateway.cpuCores, 2),
          fixed(row.gateway.quietAfterMs / 1000, 1),
          `${row.baseline.errors + row.baseline.shortStreams}/${row.gateway.errors + row.gateway.shortStreams}${row.gateway.timedOut || row.baseline.timedOut ? " (timed out)" : ""}`,
          fixed(Math.max(row.baseline.otherCores, row.gateway.otherCores), 2),
        ]),
      ),
      "",
    );
  }

  if (result.memory !== undefined) {
    const memory = result.memory;
    lines.push(`Memory: slow streams held open through the gateway (idle RSS ${mib(memory.idleRssKb)} MiB after warm-up).`);
    lines.push(
      table(
        ["open streams", "gateway RSS MiB", "KB per stream", "failed", "open time s"],
        memory.levels.map((level) => [
          String(level.streams),
          mib(level.rssKb),
          fixed(level.perStreamKb * 1.024, 1),
          String(level.failed),
          fixed(level.openMs / 1000, 1),
        ]),
      ),
      "",
    );
    const failure = memory.levels.find((level) => level.firstError !== undefined)?.firstError;
    if (failure !== undefined) lines.push(`first failure: ${failure}`, "");
  }

  if (result.stalled !== undefined) {
    const s = result.stalled;
    lines.push(
      `Stalled readers: ${s.opened}/${s.readers} streams of ${s.streamBytes / 1e6} MB, reading nothing after the first chunk (all open after ${fixed(s.openMs / 1000, 1)} s, then held ${fixed(config.stalled.holdMs / 1000, 0)} s).`,
      `gateway RSS before ${mib(s.rssBeforeKb)} MiB, mid-hold ${mib(s.settledKb)} MiB, peak ${mib(s.peakKb)} MiB; ` +
        `growth over the hold's second half ${fixed(s.driftPct, 1)}%; ${fixed(s.perReaderKb, 0)} KiB held per stalled reader.`,
    );
    const step = Math.max(1, Math.round(1000 / Math.max(1, config.stalled.sampleMs)));
    const shown = s.samples.filter((_, i) => i % step === 0 || i === s.samples.length - 1);
    lines.push(
      table(
        ["t s", "gateway RSS MiB", "emulator RSS MiB", "loadgen RSS MiB"],
        shown.map((sample) => [fixed(sample.tMs / 1000, 1), mib(sample.gatewayKb), mib(sample.emulatorKb), mib(sample.loadgenKb)]),
      ),
      "",
    );
  }

  if (result.ghz !== undefined) {
    const g = result.ghz;
    lines.push(
      `ghz: ${g.command}`,
      `  ${g.count} calls, ${fixed(g.rps, 0)} calls/s, avg ${fixed(g.averageMs)} ms, ` +
        Object.entries(g.latencyMs)
          .filter(([p]) => ["p50", "p90", "p99"].includes(p))
          .map(([p, ms]) => `${p} ${fixed(ms)} ms`)
          .join(", ") +
        `; status ${JSON.stringify(g.statusCodes)}; gateway CPU ${fixed(g.gatewayCpuUsPerCall, 0)} us/call`,
      "",
    );
  }

  lines.push(
    "other load: cores used by processes outside the bench during the windows (other people's builds and tests); " +
      "gw quiet after: time the gateway kept working after the load generator aborted its streams.",
    "",
    "Targets (issue 13):",
  );
  lines.push(
    table(
      ["target", "measured", "met"],
      targetChecks(result).map((check) => [check.target, check.measured, check.met === undefined ? "-" : check.met ? "yes" : "NO"]),
    ),
  );
  lines.push("", `took ${fixed(result.durationMs / 1000, 1)} s`);
  return lines.join("\n");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? ` ${"-".repeat(w)} ` : ` ${"-".repeat(w - 1)}: `)).join("|")}|`, ...rows.map(line)].join("\n");
}

function fixed(value: number, decimals = 3): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : "-";
}

function signed(value: number): string {
  return Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(3)}` : "-";
}

function mib(kb: number): string {
  return (kb / 1024).toFixed(1);
}
