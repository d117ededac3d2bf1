// The bench's stdout: tables and the figures against the targets of issue 6.

import type { BenchResult } from "./run.ts";

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

export function targetChecks(result: BenchResult): TargetCheck[] {
  const at = (streams: number) => result.latency.find((row) => row.streams === streams);
  const l100 = at(100);
  const l1000 = at(1000);
  // Per chunk with per-stream work amortized: the longest streams of the saturation runs.
  const longest = [...result.saturation].sort((a, b) => b.chunksPerStream - a.chunksPerStream)[0];
  const cpuPerChunk = longest?.gateway.cpuUsPerChunk;
  const mem10k = result.memory?.levels.find((level) => level.streams === 10_000);
  // VmRSS counts KiB; the target is in KB.
  const kb10k = mem10k === undefined ? undefined : mem10k.perStreamKb * 1.024;
  const check = (target: string, value: number | undefined, limit: number, unit: string, where: string): TargetCheck => ({
    target,
    measured: value === undefined || !Number.isFinite(value) ? "not run" : `${fixed(value)} ${unit} ${where}`.trim(),
    met: value === undefined || !Number.isFinite(value) ? undefined : value <= limit,
  });
  return [
    check("added TTFT p50 <= 0.3 ms @100 streams", l100?.added.ttftP50, 0.3, "ms", ""),
    check("added TTFT p99 <= 1 ms @100 streams", l100?.added.ttftP99, 1, "ms", ""),
    check("added inter-chunk p99 <= 1 ms @1000 streams", l1000?.added.gapP99, 1, "ms", ""),
    check("gateway CPU <= 15 us per proxied chunk", cpuPerChunk, 15, "us", longest === undefined ? "" : `(saturation, ${longest.streams} x ${longest.chunksPerStream}-chunk streams)`),
    check("<= 20 KB RSS per stream @10,000 streams", kb10k, 20, "KB", ""),
    check("RSS flat within 10% under stalled readers", result.stalled?.driftPct, 10, "%", "growth, 2nd half of hold"),
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
    "Targets (issue 6):",
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
