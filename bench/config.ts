// What a bench run does: the presets (full, --quick, --tiny) and the flags that adjust them.

export type Scenario = "latency" | "saturation" | "memory" | "stalled" | "ghz";
export const scenarios: readonly Scenario[] = ["latency", "saturation", "memory", "stalled", "ghz"];

export interface LatencyLevel {
  /** Concurrent streams. */
  readonly streams: number;
  /** The emulator's pause between two chunks of a stream, ms. */
  readonly pacingMs: number;
}

export interface BenchConfig {
  readonly preset: "full" | "quick" | "tiny";
  readonly scenarios: readonly Scenario[];
  /** Baseline/gateway pairs of phases per level, alternating which goes first. */
  readonly rounds: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  /** Pause between phases, so streams aborted at the end of one do not land in the next. */
  readonly settleMs: number;
  /** Paced streams: added TTFT and inter-chunk latency. */
  readonly latency: {
    readonly levels: readonly LatencyLevel[];
    readonly chunks: number;
    readonly chunkChars: number;
    /** Streams run through each side before a level with short streams is measured (JIT warm-up). */
    readonly warmupStreams: number;
  };
  /**
   * Unpaced streams run to completion: chunks/s and gateway CPU per chunk. Each phase moves about
   * `chunksPerPhase` chunks: N streams of chunksPerPhase/N chunks (within [minChunks, maxChunks]).
   */
  readonly saturation: {
    readonly levels: readonly number[];
    readonly chunksPerPhase: number;
    readonly minChunks: number;
    readonly maxChunks: number;
    readonly chunkChars: number;
  };
  /** Slow streams held open: gateway RSS per stream at each count (cumulative). */
  readonly memory: {
    readonly levels: readonly number[];
    readonly batch: number;
    /** Wait after opening streams (and after warm-up) before RSS is sampled. */
    readonly settleMs: number;
  };
  /** Readers that stop after the first chunk of a big stream: gateway RSS over time. */
  readonly stalled: {
    readonly readers: number;
    readonly streamBytes: number;
    readonly chunkChars: number;
    readonly holdMs: number;
    readonly sampleMs: number;
  };
  readonly ghz: {
    /** "auto": run when a ghz binary is found. */
    readonly mode: "auto" | "on" | "off";
    readonly concurrency: number;
    readonly total: number;
  };
  /** gRPC connections the load generator spreads gateway streams over. */
  readonly connections: number;
  /** Run the saturation gateways with --cpu-prof and summarize where their CPU went. */
  readonly profile: boolean;
  /** The gateway's LOG_LEVEL (it logs one line per RPC at info). */
  readonly logLevel: string;
  /** The gateway's WORKERS: 1 (one process) unless asked; its CPU figures include every worker's. */
  readonly workers: number;
  /** The gateway's entry file; undefined: src/main.ts. Another path benchmarks a patched copy. */
  readonly gatewayEntry: string | undefined;
  /** Where the JSON result (and profiles) go; undefined: bench/results. */
  readonly outDir: string | undefined;
}

const full: BenchConfig = {
  preset: "full",
  scenarios,
  rounds: 2,
  warmupMs: 1_000,
  windowMs: 4_000,
  settleMs: 300,
  latency: {
    // Paced so that the offered load stays within this 2-core machine at every level (about
    // 1,000-2,000 chunks/s in all): latency is measured below saturation, as the targets mean it.
    levels: [
      { streams: 1, pacingMs: 20 },
      { streams: 100, pacingMs: 100 },
      { streams: 1000, pacingMs: 500 },
    ],
    chunks: 10,
    chunkChars: 64,
    warmupStreams: 500,
  },
  saturation: { levels: [1, 100, 1000], chunksPerPhase: 20_000, minChunks: 20, maxChunks: 2_000, chunkChars: 64 },
  memory: { levels: [1_000, 5_000, 10_000], batch: 500, settleMs: 1_000 },
  stalled: { readers: 100, streamBytes: 10_000_000, chunkChars: 10_000, holdMs: 10_000, sampleMs: 250 },
  ghz: { mode: "auto", concurrency: 50, total: 5_000 },
  connections: 1,
  profile: false,
  logLevel: "info",
  workers: 1,
  gatewayEntry: undefined,
  outDir: undefined,
};

const quick: BenchConfig = {
  ...full,
  preset: "quick",
  rounds: 1,
  warmupMs: 500,
  windowMs: 1_500,
  memory: { ...full.memory, levels: [1_000, 5_000] },
  stalled: { ...full.stalled, holdMs: 4_000 },
  saturation: { ...full.saturation, chunksPerPhase: 8_000 },
  ghz: { ...full.ghz, total: 1_000 },
};

/** For the test that keeps the bench from rotting: everything runs, nothing is big. */
const tiny: BenchConfig = {
  ...full,
  preset: "tiny",
  scenarios: ["latency", "saturation", "memory", "stalled"],
  rounds: 1,
  warmupMs: 100,
  windowMs: 400,
  settleMs: 50,
  latency: {
    levels: [
      { streams: 1, pacingMs: 5 },
      { streams: 2, pacingMs: 5 },
    ],
    chunks: 3,
    chunkChars: 16,
    warmupStreams: 20,
  },
  saturation: { levels: [1, 2], chunksPerPhase: 200, minChunks: 10, maxChunks: 100, chunkChars: 16 },
  memory: { levels: [5, 10], batch: 5, settleMs: 100 },
  stalled: { readers: 2, streamBytes: 200_000, chunkChars: 10_000, holdMs: 600, sampleMs: 100 },
  ghz: { mode: "off", concurrency: 2, total: 10 },
};

export const usage = `Usage: npm run bench -- [options]

  --quick              shorter windows, 1 round, memory at 1k/5k streams (under 2 minutes)
  --tiny               smallest run that exercises everything (what the test runs)
  --only a,b           scenarios to run: ${scenarios.join(", ")}
  --skip a,b           scenarios to leave out
  --streams 1,100,1000 concurrency levels for latency and saturation (pacing 20 ms for 1 stream,
                       N ms up to 100 streams, N/2 ms beyond)
  --pacing-ms N        one emulator pacing for every latency level
  --rounds N           interleaved baseline/gateway rounds per level
  --window-ms N        measured window per phase (after --warmup-ms)
  --warmup-ms N
  --memory 1000,5000   held-stream counts for RSS per stream
  --connections N      gRPC connections for gateway streams (default 1)
  --ghz / --no-ghz     force or skip the ghz run (default: when ghz is installed)
  --profile            gateway under --cpu-prof during saturation; prints its hot spots
  --log-level L        gateway LOG_LEVEL (default info)
  --workers N          the gateway's WORKERS (default 1); with N > 1 also use --connections N or more,
                       as each connection is served by one worker
  --gateway-entry F    run this gateway entry instead of src/main.ts (a patched copy to compare)
  --out DIR            where the JSON result goes (default bench/results)
`;

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): BenchConfig {
  let config: BenchConfig = argv.includes("--tiny") ? tiny : argv.includes("--quick") ? quick : full;
  let pacingOverride: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--quick":
      case "--tiny":
        break;
      case "--only":
        config = { ...config, scenarios: scenarioList(value()) };
        break;
      case "--skip": {
        const skipped = scenarioList(value());
        config = { ...config, scenarios: config.scenarios.filter((s) => !skipped.includes(s)) };
        break;
      }
      case "--streams": {
        const levels = numbers(flag, value());
        config = {
          ...config,
          latency: { ...config.latency, levels: levels.map((streams) => ({ streams, pacingMs: defaultPacingMs(streams) })) },
          saturation: { ...config.saturation, levels },
        };
        break;
      }
      case "--pacing-ms":
        pacingOverride = integer(flag, value());
        break;
      case "--rounds":
        config = { ...config, rounds: integer(flag, value(), 1) };
        break;
      case "--window-ms":
        config = { ...config, windowMs: integer(flag, value(), 1) };
        break;
      case "--warmup-ms":
        config = { ...config, warmupMs: integer(flag, value()) };
        break;
      case "--memory":
        config = { ...config, memory: { ...config.memory, levels: numbers(flag, value()) } };
        break;
      case "--connections":
        config = { ...config, connections: integer(flag, value(), 1) };
        break;
      case "--ghz":
        config = { ...config, ghz: { ...config.ghz, mode: "on" }, scenarios: withScenario(config.scenarios, "ghz") };
        break;
      case "--no-ghz":
        config = { ...config, ghz: { ...config.ghz, mode: "off" } };
        break;
      case "--profile":
        config = { ...config, profile: true };
        break;
      case "--log-level":
        config = { ...config, logLevel: value() };
        break;
      case "--workers":
        config = { ...config, workers: integer(flag, value(), 1) };
        break;
      case "--gateway-entry":
        config = { ...config, gatewayEntry: value() };
        break;
      case "--out":
        config = { ...config, outDir: value() };
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (pacingOverride !== undefined) {
    const pacingMs = pacingOverride;
    config = { ...config, latency: { ...config.latency, levels: config.latency.levels.map((l) => ({ ...l, pacingMs })) } };
  }
  return config;
}

/** The preset's pacing for N streams: 20 ms for one, N ms up to 100 streams, N/2 ms beyond (100 at 100, 500 at 1,000). */
function defaultPacingMs(streams: number): number {
  return Math.max(20, Math.round(streams <= 100 ? streams : streams / 2));
}

function scenarioList(raw: string): Scenario[] {
  return raw.split(",").map((name) => {
    const match = scenarios.find((s) => s === name.trim());
    if (match === undefined) throw new UsageError(`unknown scenario "${name}" (have ${scenarios.join(", ")})`);
    return match;
  });
}

function withScenario(list: readonly Scenario[], scenario: Scenario): Scenario[] {
  return list.includes(scenario) ? [...list] : [...list, scenario];
}

function numbers(flag: string, raw: string): number[] {
  return raw.split(",").map((part) => integer(flag, part, 1));
}

function integer(flag: string, raw: string, min = 0): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${flag}: expected an integer >= ${min}, got "${raw}"`);
  return value;
}
