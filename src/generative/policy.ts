// The rules every upstream call runs under: three timeouts (first chunk, idle between chunks,
// total), retries before the first chunk only, and one abort that reaches the upstream HTTP
// request whenever the RPC ends early for any reason (cancel, deadline, timeout, shutdown).
// core.ts applies them; the stream's own loop is there.

import { Code, ConnectError } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import type { CallPolicy, RetryPolicy } from "../config/settings.ts";
import type { CacheCall } from "../cache/directive.ts";
import type { CallReport } from "../observe/rpc-record.ts";
import type { Choice, Route } from "../routing/router.ts";
import { UpstreamError } from "../upstream/upstream.ts";
import { toConnectError, upstreamCode } from "./errors.ts";
import type { Redact } from "./errors.ts";
import { retryDelayMs } from "./retry.ts";

/** What the core needs of the RPC it serves, whichever surface it came in by. */
export interface CallContext {
  readonly signal: AbortSignal;
  /** The caller's remaining deadline, when it set one. */
  readonly timeoutMs: () => number | undefined;
  /** Headers the upstream request carries (the RPC's trace context). */
  readonly upstreamHeaders: Readonly<Record<string, string>> | undefined;
  /** The caller's name, whose files a prompt may name; undefined when the gateway runs open. */
  readonly caller?: string | undefined;
  /** Filled in as the call goes: model, usage, attempts, drifted chunks. */
  readonly report: CallReport;
  /** Streams only: called once as the stream ends, however it ends, before the caller sees the end. */
  readonly ended?: (() => void) | undefined;
  /** Called once the model and upstream that answer are known (at the first chunk, for a stream). */
  readonly served?: ((choice: Pick<Choice, "model" | "upstream">) => void) | undefined;
  /** The aliases and model patterns the caller may use; undefined: any. */
  readonly allowedModels?: readonly string[] | undefined;
  /** Set when the response cache is on for this call (src/cache/cached-core.ts reads it). */
  readonly cache?: CacheCall | undefined;
}

/** A unary upstream call under the policy: retried, bounded by the total timeout, aborted with the RPC. */
export async function unaryWithPolicy<T>(
  rpc: CallContext,
  policy: CallPolicy,
  route: Route,
  redact: Redact,
  run: (signal: AbortSignal, choice: Choice) => Promise<T>,
): Promise<T> {
  const call = new CallScope(rpc, policy.totalTimeoutMs, redact);
  let completed = false;
  try {
    const answer = await call.withRetries(policy.retry, route, (signal, _attempt, choice) => run(signal, choice));
    completed = true;
    return answer;
  } catch (error) {
    throw call.explain(error);
  } finally {
    call.end(completed);
    route.end();
  }
}

/** One attempt: its own timeout, which ends the attempt's request (and the call) with DeadlineExceeded. */
export interface Attempt {
  /** Returns the function that disarms it. */
  arm(ms: number, message: string): () => void;
}

/**
 * The lifetime of one RPC's upstream work. Its signal aborts when the RPC's does (with the same
 * reason) or when one of our timeouts fires (DeadlineExceeded naming the timeout); `end()`
 * aborts whatever is still open, so no upstream request outlives the RPC.
 */
export class CallScope {
  readonly #rpc: CallContext;
  readonly #controller = new AbortController();
  readonly #started = performance.now();
  readonly #totalMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #onRpcAbort: () => void;
  readonly #redact: Redact;

  constructor(rpc: CallContext, totalMs: number, redact: Redact) {
    this.#rpc = rpc;
    this.#redact = redact;
    this.#totalMs = totalMs;
    this.#onRpcAbort = () => this.#controller.abort(rpc.signal.reason);
    if (rpc.signal.aborted) this.#onRpcAbort();
    else rpc.signal.addEventListener("abort", this.#onRpcAbort, { once: true });
    this.#arm(this.#controller, totalMs, `the RPC took longer than ${totalMs} ms (TIMEOUT_TOTAL_MS)`);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  elapsedMs(): number {
    return performance.now() - this.#started;
  }

  /**
   * Runs attempts until one succeeds, each on the upstream `route` picks. A failure another upstream
   * could fix moves to it at once; otherwise the retry policy decides, with its back-off.
   */
  async withRetries<T>(
    policy: RetryPolicy,
    route: Route,
    run: (signal: AbortSignal, attempt: Attempt, choice: Choice) => Promise<T>,
  ): Promise<T> {
    let lastFailure: unknown;
    for (let attempt = 1; ; attempt++) {
      const choice = route.next();
      if (choice === undefined) throw lastFailure ?? noUpstream();
      this.#rpc.report.attempts = attempt;
      this.#rpc.report.model = choice.model;
      this.#rpc.report.upstream = choice.upstream;
      // The attempt's own abort closes a failed attempt's request without ending the call.
      const controller = new AbortController();
      const signal = AbortSignal.any([this.#controller.signal, controller.signal]);
      try {
        const result = await run(signal, { arm: (ms, message) => this.#arm(controller, ms, message) }, choice);
        route.succeeded();
        this.#rpc.served?.(choice);
        return result;
      } catch (error) {
        const timedOut: unknown = controller.signal.reason;
        controller.abort();
        // Aborted from outside (cancel, deadline, total timeout): explain() gives the reason.
        if (this.#controller.signal.aborted) throw timedOut ?? error;
        lastFailure = timedOut ?? error;
        const failover = route.failed(lastFailure, timedOut !== undefined);
        if (failover && attempt < policy.maxAttempts && this.#remainingMs() > 0) {
          this.#noteRetry(lastFailure, choice);
          continue;
        }
        if (timedOut !== undefined) throw timedOut;
        const delay = retryDelayMs(error, attempt, policy, this.#remainingMs());
        if (delay === undefined) throw error;
        this.#noteRetry(error, choice);
        await sleep(delay, undefined, { signal: this.#controller.signal });
      }
    }
  }

  #noteRetry(error: unknown, choice: Choice): void {
    // An UpstreamError's code needs no full (redacted, detailed) error; a timeout is a ConnectError.
    const code = error instanceof UpstreamError ? upstreamCode(error) : error instanceof ConnectError ? error.code : Code.Unknown;
    this.#rpc.report.retried.push({ code: Code[code], model: choice.model, upstream: choice.upstream });
  }

  /**
   * Aborts the call when a wait for the next chunk lasts `ms`. Cheap per chunk (one clock read):
   * the timer is re-armed lazily when it fires, rather than reset on every chunk.
   */
  idleTimer(ms: number): { waiting(now: number): void; received(): void } {
    let since = performance.now();
    let isWaiting = false;
    const check = () => {
      const silent = isWaiting ? performance.now() - since : 0;
      if (silent >= ms) {
        this.#controller.abort(new ConnectError(`no chunk from Gemini for ${ms} ms (TIMEOUT_IDLE_MS)`, Code.DeadlineExceeded));
      } else {
        this.#schedule(check, ms - silent);
      }
    };
    this.#schedule(check, ms);
    return {
      waiting(now) {
        since = now;
        isWaiting = true;
      },
      received() {
        isWaiting = false;
      },
    };
  }

  /** The error to end the RPC with: the reason we aborted, when we did, else the failure itself. */
  explain(error: unknown): ConnectError {
    return toConnectError(error, this.#controller.signal, this.#redact);
  }

  /**
   * Ends the call's timers; unless the upstream answer was read to its end, also aborts the
   * request still open. A complete answer leaves nothing open, and aborting it anyway cost every
   * stream an error object here and a DOMException in the SDK and undici.
   */
  end(completed = false): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#rpc.signal.removeEventListener("abort", this.#onRpcAbort);
    if (!completed) this.#controller.abort(new ConnectError("the RPC ended", Code.Canceled));
  }

  #remainingMs(): number {
    const own = this.#totalMs - this.elapsedMs();
    return Math.min(own, this.#rpc.timeoutMs() ?? Infinity);
  }

  #arm(controller: AbortController, ms: number, message: string): () => void {
    const timer = this.#schedule(() => controller.abort(new ConnectError(message, Code.DeadlineExceeded)), ms);
    return () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
    };
  }

  #schedule(run: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms).unref();
    this.#timers.add(timer);
    return timer;
  }
}

function noUpstream(): ConnectError {
  return new ConnectError("no upstream can take this model now: each is cooling down, failed, or at its cap", Code.Unavailable);
}
