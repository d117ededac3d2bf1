// The bench run: each scenario starts its own emulator and gateway processes, drives them from the
// load generator process, and reads the gateway's CPU time and RSS from /proc.

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { BenchConfig, LatencyLevel } from "./config.ts";
import { runGhz } from "./ghz.ts";
import type { GhzResult } from "./ghz.ts";
import { summarizeProfile } from "./profile.ts";
import type { ProfileSummary } from "./profile.ts";
import { cpuUs, repoRoot, rssKb, startEmulatorProcess, startGatewayProcess, startLoadGenerator } from "./procs.ts";
import type { Child, EmulatorSettings, LoadGenerator } from "./procs.ts";
import type { ClosedLoopResult, FixedRunResult, StreamRequest, Target } from "./protocol.ts";
import { concat, median, round, summarize } from "./stats.ts";
import type { Summary } from "./stats.ts";

const apiKey = "bench-upstream-key";
const model = "models/gemini-2.5-flash";
// About 1 KB, so that request conversion costs what a real prompt costs.
const prompt = Array.from(
  { length: 12 },
  (_, i) => `Paragraph ${i + 1}: the quick brown fox jumps over the lazy dog while the gateway forwards every chunk. `,
).join("");

export interface SideResult {
  readonly ttftMs: Summary;
  readonly gapMs: Summary;
  readonly chunksPerSecond: number;
  readonly streamsPerSecond: number;
  readonly streamsCompleted: number;
  readonly shortStreams: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** Foreign CPU load during the windows (processes outside the bench), in cores. */
  readonly otherCores: number;
  /** Longest wait after a phase until the gateway was quiet again, ms. */
  readonly quietAfterMs: number;
}

export interface GatewaySideResult extends SideResult {
  /** Gateway CPU (utime+stime) over the measured windows, per chunk and per stream started, µs. */
  readonly cpuUsPerChunk: number;
  readonly cpuUsPerStream: number;
  /** Gateway CPU as a share of one core over the windows. */
  readonly cpuCores: number;
}

export interface LatencyRow {
  readonly streams: number;
  readonly pacingMs: number;
  readonly chunks: number;
  readonly baseline: SideResult;
  readonly gateway: GatewaySideResult;
  /** Gateway minus baseline, percentile by percentile, ms. */
  readonly added: { ttftP50: number; ttftP99: number; gapP50: number; gapP99: number };
}

export interface SaturationSide {
  readonly chunksPerSecond: number;
  readonly elapsedMs: number;
  readonly chunks: number;
  readonly shortStreams: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly timedOut: boolean;
  readonly otherCores: number;
}

export interface SaturationRow {
  readonly streams: number;
  readonly chunksPerStream: number;
  readonly streamsPerWorker: number;
  readonly baseline: SaturationSide;
  readonly gateway: SaturationSide & {
    /** Gateway CPU over the whole runs per chunk delivered, µs (per-stream work included). */
    readonly cpuUsPerChunk: number;
    readonly cpuCores: number;
    readonly quietAfterMs: number;
  };
  /** Gateway chunks/s over baseline chunks/s. */
  readonly ratio: number;
}

export interface MemoryResult {
  readonly idleRssKb: number;
  readonly levels: readonly {
    readonly streams: number;
    readonly rssKb: number;
    readonly perStreamKb: number;
    readonly failed: number;
    readonly openMs: number;
    readonly firstError: string | undefined;
  }[];
}

export interface RssSample {
  readonly tMs: number;
  readonly gatewayKb: number;
  readonly emulatorKb: number;
  readonly loadgenKb: number;
}

export interface StalledResult {
  readonly readers: number;
  readonly streamBytes: number;
  readonly opened: number;
  /** Time until every reader had its first chunk, ms (RSS samples start at 0, before the first request). */
  readonly openMs: number;
  readonly rssBeforeKb: number;
  /** Gateway RSS at the middle of the hold, once every buffer on the way has filled. */
  readonly settledKb: number;
  readonly peakKb: number;
  /** (peak in the hold's second half - settled) / settled, %: the "flat within 10%" figure. */
  readonly driftPct: number;
  /** (peak - before) / readers: what one stalled reader holds in the gateway, KiB. */
  readonly perReaderKb: number;
  readonly samples: readonly RssSample[];
}

export interface BenchResult {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly command: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number; readonly node: string; readonly loadAvg: readonly number[] };
  readonly config: BenchConfig;
  readonly latency: readonly LatencyRow[];
  readonly saturation: readonly SaturationRow[];
  readonly memory: MemoryResult | undefined;
  readonly stalled: StalledResult | undefined;
  readonly ghz: GhzResult | undefined;
  readonly profile: ProfileSummary | undefined;
}

export async function runBench(config: BenchConfig, command: string, progress: (line: string) => void): Promise<BenchResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const outDir = config.outDir ?? join(repoRoot, "bench/results");
  mkdirSync(outDir, { recursive: true });
  const scratch = mkdtempSync(join(os.tmpdir(), "gemini-connect-bench-"));
  const loadgen = startLoadGenerator();
  const pairs: Pair[] = [];
  const startPair = async (name: string, emulator: EmulatorSettings, nodeFlags: readonly string[] = []): Promise<Pair> => {
    const pair = await Pair.start(name, emulator, config, scratch, nodeFlags, loadgen);
    pairs.push(pair);
    return pair;
  };
  const latency: LatencyRow[] = [];
  const saturation: SaturationRow[] = [];
  let memory: MemoryResult | undefined;
  let stalled: StalledResult | undefined;
  let ghz: GhzResult | undefined;
  let profile: ProfileSummary | undefined;
  try {
    if (config.scenarios.includes("latency")) {
      // One emulator/gateway pair per pacing (the emulator's pacing is a process setting).
      const pacings = [...new Set(config.latency.levels.map((level) => level.pacingMs))];
      for (const pacingMs of pacings) {
        const pair = await startPair("latency", {
          apiKey,
          chunks: config.latency.chunks,
          chunkChars: config.latency.chunkChars,
          chunkDelayMs: pacingMs,
        });
        for (const level of config.latency.levels.filter((l) => l.pacingMs === pacingMs)) {
          progress(`latency: ${level.streams} streams, ${config.latency.chunks} chunks every ${level.pacingMs} ms`);
          latency.push(await latencyLevel(loadgen, pair, config, level));
        }
        await pair.stop();
      }
      latency.sort((a, b) => a.streams - b.streams);
    }
    if (config.scenarios.includes("saturation")) {
      const profileDir = config.profile ? join(outDir, `profile-${stamp(started)}`) : undefined;
      // One emulator/gateway pair per stream length (a process setting of the emulator).
      let current: { pair: Pair; chunks: number } | undefined;
      for (const streams of config.saturation.levels) {
        const shape = saturationShape(config, streams);
        progress(`saturation: ${streams} streams x ${shape.streamsPerWorker} of ${shape.chunks} unpaced chunks, to completion`);
        if (current?.chunks !== shape.chunks) {
          // A profile is written when the gateway exits; give it time.
          await current?.pair.stop(30_000);
          const pair = await startPair(
            "saturation",
            { apiKey, chunks: shape.chunks, chunkChars: config.saturation.chunkChars, chunkDelayMs: 0 },
            profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
          );
          current = { pair, chunks: shape.chunks };
        }
        saturation.push(await saturationLevel(loadgen, current.pair, config, streams, shape));
      }
      await current?.pair.stop(30_000);
      if (profileDir !== undefined) {
        const files = readdirSync(profileDir)
          .filter((name) => name.endsWith(".cpuprofile"))
          .map((name) => join(profileDir, name));
        if (files.length > 0) profile = summarizeProfile(files, repoRoot);
      }
    }
    if (config.scenarios.includes("memory")) {
      progress(`memory: ${config.memory.levels.join(" / ")} slow streams held open`);
      const pair = await startPair("memory", { apiKey, chunks: 2, chunkChars: 64, chunkDelayMs: 3_600_000 });
      memory = await memoryScenario(loadgen, pair, config);
      await pair.stop();
    }
    if (config.scenarios.includes("stalled")) {
      progress(`stalled: ${config.stalled.readers} readers stop after the first chunk of ${config.stalled.streamBytes / 1e6} MB streams`);
      const chunkChars = config.stalled.chunkChars;
      const pair = await startPair("stalled", {
        apiKey,
        chunks: Math.max(1, Math.round(config.stalled.streamBytes / chunkChars)),
        chunkChars,
        chunkDelayMs: 0,
      });
      stalled = await stalledScenario(loadgen, pair, config);
      await pair.stop();
    }
    if (config.scenarios.includes("ghz") && config.ghz.mode !== "off") {
      const pair = await startPair("ghz", { apiKey, chunks: config.latency.chunks, chunkChars: config.latency.chunkChars, chunkDelayMs: 0 });
      progress(`ghz: ${config.ghz.total} StreamGenerateContent calls, ${config.ghz.concurrency} at a time`);
      ghz = await runGhz({
        address: pair.gateway.url.replace(/^http:\/\//, ""),
        concurrency: config.ghz.concurrency,
        total: config.ghz.total,
        model,
        prompt: "the quick brown fox jumps over the lazy dog",
        required: config.ghz.mode === "on",
        gatewayPid: pair.gateway.pid,
      });
      if (ghz === undefined) progress("ghz: not installed, skipped (see docs/performance.md)");
      await pair.stop();
    }
  } finally {
    for (const pair of pairs) await pair.stop();
    await loadgen.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    startedAt,
    durationMs: Date.now() - started,
    command,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAvg: os.loadavg().map((v) => round(v, 2) ?? 0),
    },
    config,
    latency,
    saturation,
    memory,
    stalled,
    ghz,
    profile,
  };
}

export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, "-");
}

/** One emulator process and one gateway process in front of it. */
class Pair {
  readonly emulator: Child;
  readonly gateway: Child;
  private readonly loadgen: LoadGenerator;
  private stopped: Promise<void> | undefined;

  private constructor(emulator: Child, gateway: Child, loadgen: LoadGenerator) {
    this.emulator = emulator;
    this.gateway = gateway;
    this.loadgen = loadgen;
  }

  static async start(
    name: string,
    settings: EmulatorSettings,
    config: BenchConfig,
    scratch: string,
    nodeFlags: readonly string[],
    loadgen: LoadGenerator,
  ): Promise<Pair> {
    const emulator = await startEmulatorProcess(settings);
    try {
      const gateway = await startGatewayProcess({
        emulatorUrl: emulator.url,
        apiKey: settings.apiKey,
        logLevel: config.logLevel,
        workers: config.workers,
        logFile: join(scratch, `gateway-${name}-${Date.now()}.log`),
        nodeFlags,
        entry: config.gatewayEntry,
      });
      return new Pair(emulator, gateway, loadgen);
    } catch (error) {
      await emulator.stop();
      throw error;
    }
  }

  get sdk(): Target {
    return { kind: "sdk", baseUrl: this.emulator.url, apiKey };
  }

  gatewayTarget(connections: number): Target {
    return { kind: "gateway", baseUrl: this.gateway.url, connections };
  }

  /** Closes the load generator's connections first: a gateway drains open connections for up to 10 s. */
  stop(graceMs = 15_000): Promise<void> {
    this.stopped ??= this.loadgen
      .run({ kind: "release", baseUrl: this.gateway.url })
      .catch(() => undefined)
      .then(() => this.gateway.stop(graceMs))
      .then(() => this.emulator.stop());
    return this.stopped;
  }
}

const request: StreamRequest = { model, prompt };

interface Phases {
  readonly baseline: ClosedLoopResult[];
  readonly gateway: ClosedLoopResult[];
  /** After each phase: how long until the gateway went quiet (CPU < 5% of a core). */
  readonly quietMs: { readonly baseline: number[]; readonly gateway: number[] };
}

/**
 * Waits until `pid` uses less than 5% of a core over 100 ms, at most `limitMs`; returns how long
 * that took. After a gateway phase this is the time the gateway needed to let aborted streams go.
 */
async function untilQuiet(pid: number, limitMs = 20_000): Promise<number> {
  const started = performance.now();
  let before = cpuUs(pid);
  while (performance.now() - started < limitMs) {
    await sleep(100);
    const now = cpuUs(pid);
    if (now - before < 5_000) break;
    before = now;
  }
  return performance.now() - started;
}

/** `rounds` baseline/gateway pairs of closed-loop phases, ABBA-ordered so drift hits both sides alike. */
async function interleaved(
  loadgen: LoadGenerator,
  pair: Pair,
  config: BenchConfig,
  streams: number,
  staggerMs: number,
  expectChunks: number,
): Promise<Phases> {
  const phases: Phases = { baseline: [], gateway: [], quietMs: { baseline: [], gateway: [] } };
  const quietMs = phases.quietMs;
  const warmupMs = Math.max(config.warmupMs, staggerMs + 200);
  for (let round = 0; round < config.rounds; round++) {
    const order = round % 2 === 0 ? (["baseline", "gateway"] as const) : (["gateway", "baseline"] as const);
    for (const side of order) {
      const result = await loadgen.run({
        kind: "closedLoop",
        target: side === "baseline" ? pair.sdk : pair.gatewayTarget(config.connections),
        request,
        concurrency: streams,
        staggerMs,
        warmupMs,
        windowMs: config.windowMs,
        expectChunks,
        cpuPid: side === "gateway" ? pair.gateway.pid : undefined,
        ownPids: [pair.gateway.pid, pair.emulator.pid, process.pid],
      });
      phases[side].push(result);
      await sleep(config.settleMs);
      // The streams were aborted at the window's end; the next phase starts once the gateway has let them go.
      quietMs[side].push(await untilQuiet(pair.gateway.pid));
    }
  }
  return phases;
}

function side(results: readonly ClosedLoopResult[], quietMs: readonly number[]): SideResult {
  const windowS = results.reduce((sum, r) => sum + r.windowMs, 0) / 1000;
  return {
    otherCores: results.reduce((sum, r) => sum + r.otherCores * r.windowMs, 0) / (windowS * 1000),
    quietAfterMs: Math.max(0, ...quietMs),
    ttftMs: summarize(concat(results.map((r) => r.ttftMs))),
    gapMs: summarize(concat(results.map((r) => r.gapMs))),
    chunksPerSecond: results.reduce((sum, r) => sum + r.chunks, 0) / windowS,
    streamsPerSecond: results.reduce((sum, r) => sum + r.streamsStarted, 0) / windowS,
    streamsCompleted: results.reduce((sum, r) => sum + r.streamsCompleted, 0),
    shortStreams: results.reduce((sum, r) => sum + r.shortStreams, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    firstError: results.find((r) => r.firstError !== undefined)?.firstError,
  };
}

function gatewaySide(results: readonly ClosedLoopResult[], quietMs: readonly number[]): GatewaySideResult {
  const cpu = results.reduce((sum, r) => sum + (r.cpuUs ?? 0), 0);
  const chunks = results.reduce((sum, r) => sum + r.chunks, 0);
  const streams = results.reduce((sum, r) => sum + r.streamsStarted, 0);
  const windowUs = results.reduce((sum, r) => sum + r.windowMs, 0) * 1000;
  return {
    ...side(results, quietMs),
    cpuUsPerChunk: cpu / chunks,
    cpuUsPerStream: cpu / streams,
    cpuCores: cpu / windowUs,
  };
}

async function latencyLevel(loadgen: LoadGenerator, pair: Pair, config: BenchConfig, level: LatencyLevel): Promise<LatencyRow> {
  const chunks = config.latency.chunks;
  // One stream's length: starts spread over it keep the number of open streams steady.
  const staggerMs = Math.max(1, (chunks - 1) * level.pacingMs);
  // A gateway serves for days: measure it compiled and warm. Hundreds of streams through both
  // sides first (short streams only; a thousand long ones warm up in the phase's own warm-up).
  if (staggerMs <= 1_000) {
    const concurrency = Math.min(50, config.latency.warmupStreams);
    // At most about 2 s per side.
    const streamsPerWorker = Math.max(1, Math.min(Math.ceil(config.latency.warmupStreams / concurrency), Math.floor(2_000 / staggerMs)));
    const warm = { concurrency, streamsPerWorker };
    for (const target of [pair.sdk, pair.gatewayTarget(config.connections)]) {
      await loadgen.run({ kind: "fixedRun", target, request, ...warm, staggerMs: 0, expectChunks: chunks, cpuPid: undefined, ownPids: [], limitMs: 30_000 });
    }
  }
  const phases = await interleaved(loadgen, pair, config, level.streams, staggerMs, chunks);
  const baseline = side(phases.baseline, phases.quietMs.baseline);
  const gateway = gatewaySide(phases.gateway, phases.quietMs.gateway);
  return {
    streams: level.streams,
    pacingMs: level.pacingMs,
    chunks,
    baseline,
    gateway,
    added: {
      ttftP50: gateway.ttftMs.p50 - baseline.ttftMs.p50,
      ttftP99: gateway.ttftMs.p99 - baseline.ttftMs.p99,
      gapP50: gateway.gapMs.p50 - baseline.gapMs.p50,
      gapP99: gateway.gapMs.p99 - baseline.gapMs.p99,
    },
  };
}

interface SaturationShape {
  readonly chunks: number;
  readonly streamsPerWorker: number;
}

function saturationShape(config: BenchConfig, streams: number): SaturationShape {
  const { chunksPerPhase, minChunks, maxChunks } = config.saturation;
  const chunks = Math.min(maxChunks, Math.max(minChunks, Math.round(chunksPerPhase / streams)));
  return { chunks, streamsPerWorker: Math.max(1, Math.round(chunksPerPhase / (streams * chunks))) };
}

async function saturationLevel(
  loadgen: LoadGenerator,
  pair: Pair,
  config: BenchConfig,
  streams: number,
  shape: SaturationShape,
): Promise<SaturationRow> {
  const runs = { baseline: [] as FixedRunResult[], gateway: [] as FixedRunResult[] };
  const quiet: number[] = [];
  // Not measured: the first streams through a fresh process compile and connect.
  const warm = { concurrency: Math.min(streams, 10), streamsPerWorker: 1, staggerMs: 0 };
  for (const target of [pair.sdk, pair.gatewayTarget(config.connections)]) {
    await loadgen.run({ kind: "fixedRun", target, request, ...warm, expectChunks: shape.chunks, cpuPid: undefined, ownPids: [], limitMs: 30_000 });
  }
  for (let round = 0; round < config.rounds; round++) {
    const order = round % 2 === 0 ? (["baseline", "gateway"] as const) : (["gateway", "baseline"] as const);
    for (const side of order) {
      const result = await loadgen.run({
        kind: "fixedRun",
        target: side === "baseline" ? pair.sdk : pair.gatewayTarget(config.connections),
        request,
        concurrency: streams,
        streamsPerWorker: shape.streamsPerWorker,
        // Spread the first requests a little: a thousand connects at once overflow the accept queue.
        staggerMs: Math.min(500, streams / 2),
        expectChunks: shape.chunks,
        cpuPid: side === "gateway" ? pair.gateway.pid : undefined,
        ownPids: [pair.gateway.pid, pair.emulator.pid, process.pid],
        limitMs: 120_000,
      });
      runs[side].push(result);
      await sleep(config.settleMs);
      if (side === "gateway") quiet.push(await untilQuiet(pair.gateway.pid));
    }
  }
  const sum = (results: readonly FixedRunResult[]): SaturationSide => {
    const elapsedMs = results.reduce((n, r) => n + r.elapsedMs, 0);
    const chunks = results.reduce((n, r) => n + r.chunks, 0);
    return {
      chunksPerSecond: (chunks / elapsedMs) * 1000,
      elapsedMs,
      chunks,
      shortStreams: results.reduce((n, r) => n + r.shortStreams, 0),
      errors: results.reduce((n, r) => n + r.errors, 0),
      firstError: results.find((r) => r.firstError !== undefined)?.firstError,
      timedOut: results.some((r) => r.timedOut),
      otherCores: results.reduce((n, r) => n + r.otherCores * r.elapsedMs, 0) / elapsedMs,
    };
  };
  const baseline = sum(runs.baseline);
  const gatewayBase = sum(runs.gateway);
  const cpu = runs.gateway.reduce((n, r) => n + (r.cpuUs ?? 0), 0);
  return {
    streams,
    chunksPerStream: shape.chunks,
    streamsPerWorker: shape.streamsPerWorker,
    baseline,
    gateway: {
      ...gatewayBase,
      cpuUsPerChunk: cpu / gatewayBase.chunks,
      cpuCores: cpu / (gatewayBase.elapsedMs * 1000),
      quietAfterMs: Math.max(0, ...quiet),
    },
    ratio: gatewayBase.chunksPerSecond / baseline.chunksPerSecond,
  };
}

async function sampleRss(pid: number, samples = 3, everyMs = 200): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(everyMs);
    values.push(rssKb(pid));
  }
  return median(values);
}

async function memoryScenario(loadgen: LoadGenerator, pair: Pair, config: BenchConfig): Promise<MemoryResult> {
  const target = pair.gatewayTarget(config.connections);
  // Warm up: code compiled, pools and buffers allocated, as in a gateway that has served before.
  await loadgen.run({ kind: "open", target, request, count: Math.min(200, config.memory.batch), batch: config.memory.batch, stall: false });
  await loadgen.run({ kind: "close" });
  await sleep(config.memory.settleMs);
  const idleRssKb = await sampleRss(pair.gateway.pid);
  const levels: MemoryResult["levels"][number][] = [];
  let held = 0;
  for (const streams of [...config.memory.levels].sort((a, b) => a - b)) {
    const opened = await loadgen.run({ kind: "open", target, request, count: streams - held, batch: config.memory.batch, stall: false });
    held = opened.held;
    await sleep(config.memory.settleMs);
    const rss = await sampleRss(pair.gateway.pid);
    levels.push({
      streams,
      rssKb: rss,
      perStreamKb: (rss - idleRssKb) / held,
      failed: opened.failed,
      openMs: opened.ms,
      firstError: opened.firstError,
    });
  }
  await loadgen.run({ kind: "close" });
  return { idleRssKb, levels };
}

async function stalledScenario(loadgen: LoadGenerator, pair: Pair, config: BenchConfig): Promise<StalledResult> {
  const { readers, holdMs, sampleMs, streamBytes } = config.stalled;
  const target = pair.gatewayTarget(config.connections);
  // Warm up with readers that read: the same code paths, then idle.
  await loadgen.run({ kind: "open", target, request, count: 2, batch: 2, stall: false });
  await loadgen.run({ kind: "close" });
  await sleep(config.memory.settleMs);
  const rssBeforeKb = await sampleRss(pair.gateway.pid);
  const t0 = performance.now();
  const samples: RssSample[] = [];
  const sample = () =>
    samples.push({
      tMs: Math.round(performance.now() - t0),
      gatewayKb: rssKb(pair.gateway.pid),
      emulatorKb: rssKb(pair.emulator.pid),
      loadgenKb: rssKb(loadgen.pid),
    });
  // Sampled from the first request on: opening is part of the curve.
  let openedAt: number | undefined;
  const opening = loadgen.run({ kind: "open", target, request, count: readers, batch: readers, stall: true }).then((result) => {
    openedAt = performance.now() - t0;
    return result;
  });
  while (openedAt === undefined || performance.now() - t0 < openedAt + holdMs) {
    sample();
    await Promise.race([sleep(sampleMs), openedAt === undefined ? opening : new Promise(() => {})]);
  }
  sample();
  const opened = await opening;
  await loadgen.run({ kind: "close" });
  const openMs = openedAt ?? 0;
  // Buffers fill for a while after the readers stall (the upstream keeps sending until every hop
  // is full); "flat" is about what follows: the second half of the hold against its midpoint.
  const midpoint = openMs + holdMs / 2;
  const settled = samples.find((s) => s.tMs >= midpoint) ?? samples[samples.length - 1];
  const settledKb = settled?.gatewayKb ?? Number.NaN;
  const after = samples.filter((s) => s.tMs >= (settled?.tMs ?? 0));
  const peakAfter = Math.max(...after.map((s) => s.gatewayKb));
  const peakKb = Math.max(...samples.map((s) => s.gatewayKb));
  return {
    readers,
    streamBytes,
    opened: opened.opened,
    openMs,
    rssBeforeKb,
    settledKb,
    peakKb,
    driftPct: ((peakAfter - settledKb) / settledKb) * 100,
    perReaderKb: (peakKb - rssBeforeKb) / readers,
    samples,
  };
}
