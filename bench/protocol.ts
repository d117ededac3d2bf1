// The messages between the bench orchestrator (bench/run.ts) and its load generator process
// (bench/loadgen.ts), sent over the fork IPC channel with structured-clone serialization.

/** Where the load generator's streams go. */
export type Target =
  /** The @google/genai SDK straight to the emulator: the baseline. */
  | { readonly kind: "sdk"; readonly baseUrl: string; readonly apiKey: string }
  /** The generated TS client over gRPC (HTTP/2) to the gateway; streams are spread over `connections`. */
  | { readonly kind: "gateway"; readonly baseUrl: string; readonly connections: number };

export interface StreamRequest {
  readonly model: string;
  readonly prompt: string;
}

/**
 * N workers, each running one stream after another until the window closes: N streams are open at
 * any time. Worker i starts i/N of `staggerMs` late so stream starts spread out evenly. Samples are
 * taken inside the window only; at its end every stream still open is aborted.
 */
export interface ClosedLoopCommand {
  readonly kind: "closedLoop";
  readonly target: Target;
  readonly request: StreamRequest;
  readonly concurrency: number;
  readonly staggerMs: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  /** Chunks a complete stream must have; a stream that ends with another count is counted as short. */
  readonly expectChunks: number;
  /** The gateway's pid: its CPU time is read from /proc at the window's two ends. */
  readonly cpuPid: number | undefined;
  /** The bench's other processes (gateway, emulator, orchestrator): not counted as foreign load. */
  readonly ownPids: readonly number[];
}

export interface ClosedLoopResult {
  /** Time to first chunk of streams that started inside the window, ms. */
  readonly ttftMs: Float64Array;
  /** Gaps between consecutive chunks of one stream, both inside the window, ms. */
  readonly gapMs: Float64Array;
  readonly windowMs: number;
  readonly chunks: number;
  readonly streamsStarted: number;
  readonly streamsCompleted: number;
  readonly shortStreams: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** CPU time of `cpuPid` over the window, µs (utime + stime from /proc/<pid>/stat). */
  readonly cpuUs: number | undefined;
  /** CPU the machine spent on processes outside the bench during the window, in cores. */
  readonly otherCores: number;
}

/**
 * Fixed work: N workers each run `streamsPerWorker` complete streams back to back. Throughput is
 * chunks over wall time and gateway CPU is over the whole run, so data a gateway buffers ahead of
 * its client counts exactly once (a window cut short would count its work but not its chunks).
 */
export interface FixedRunCommand {
  readonly kind: "fixedRun";
  readonly target: Target;
  readonly request: StreamRequest;
  readonly concurrency: number;
  readonly streamsPerWorker: number;
  readonly staggerMs: number;
  readonly expectChunks: number;
  readonly cpuPid: number | undefined;
  readonly ownPids: readonly number[];
  /** Gives up (aborting what is open) after this long. */
  readonly limitMs: number;
}

export interface FixedRunResult {
  readonly elapsedMs: number;
  readonly chunks: number;
  readonly streamsCompleted: number;
  readonly shortStreams: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly timedOut: boolean;
  readonly cpuUs: number | undefined;
  readonly otherCores: number;
}

/** Opens `count` more streams and holds them open after their first chunk (reading on, or not). */
export interface OpenCommand {
  readonly kind: "open";
  readonly target: Target;
  readonly request: StreamRequest;
  readonly count: number;
  /** Streams opened at once; the next batch starts when a batch has all its first chunks. */
  readonly batch: number;
  /** Stalled readers stop reading after the first chunk; others keep a read pending. */
  readonly stall: boolean;
}

export interface OpenResult {
  readonly opened: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  /** Streams held open now, by this and earlier open commands. */
  readonly held: number;
  readonly ms: number;
}

/** Aborts every held stream and waits until they have all ended. */
export interface CloseCommand {
  readonly kind: "close";
}

export interface CloseResult {
  readonly closed: number;
  readonly ms: number;
}

/** Closes the load generator's connections to a gateway (before that gateway is stopped). */
export interface ReleaseCommand {
  readonly kind: "release";
  readonly baseUrl: string;
}

export interface ReleaseResult {
  readonly connections: number;
}

export type Command = ClosedLoopCommand | FixedRunCommand | OpenCommand | CloseCommand | ReleaseCommand;

export interface ResultOf {
  closedLoop: ClosedLoopResult;
  fixedRun: FixedRunResult;
  open: OpenResult;
  close: CloseResult;
  release: ReleaseResult;
}

export interface CommandMessage {
  readonly id: number;
  readonly command: Command;
}

export type ReplyMessage =
  | { readonly id: number; readonly ok: true; readonly result: ResultOf[keyof ResultOf] }
  | { readonly id: number; readonly ok: false; readonly error: string };
