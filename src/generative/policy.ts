// The rules every upstream call runs under: three timeouts (first chunk, idle between chunks,
// total), retries before the first chunk only, and one abort that reaches the upstream HTTP
// request whenever the RPC ends early for any reason (cancel, deadline, timeout, shutdown).

import { Code, ConnectError } from "@connectrpc/connect";
import { setImmediate, setTimeout as sleep } from "node:timers/promises";
import { UpstreamError } from "../upstream/upstream.ts";
import type { JsonObject, Upstream, UpstreamCall } from "../upstream/upstream.ts";
import type { RpcSummary } from "../observe/rpc-record.ts";
import { toConnectError, upstreamCode } from "./errors.ts";
import { retryDelayMs } from "./retry.ts";
import type { CallPolicy, RetryPolicy } from "../config/settings.ts";

/** What the policy needs of the RPC: its signal, its remaining deadline, its log summary. */
export interface RpcHandle {
  readonly signal: AbortSignal;
  readonly timeoutMs: () => number | undefined;
  readonly summary: RpcSummary | undefined;
}

type Request = Omit<UpstreamCall, "signal">;

/** The longest one stream works through buffered chunks before yielding the event loop. */
const fairSliceMs = 2;

export async function* streamWithPolicy(
  upstream: Upstream,
  request: Request,
  rpc: RpcHandle,
  policy: CallPolicy,
): AsyncGenerator<JsonObject> {
  const call = new CallScope(rpc, policy.totalTimeoutMs);
  try {
    const { chunks, first } = await call.withRetries(policy.retry, async (signal, attempt) => {
      const disarm = attempt.arm(
        policy.firstChunkTimeoutMs,
        `no first chunk from Gemini within ${policy.firstChunkTimeoutMs} ms (TIMEOUT_FIRST_CHUNK_MS)`,
      );
      const iterator = (await upstream.streamGenerateContent({ ...request, signal }))[Symbol.asyncIterator]();
      const first = await iterator.next();
      disarm();
      return { chunks: iterator, first };
    });
    if (first.done === true) return;
    const idle = call.idleTimer(policy.idleTimeoutMs);
    yield first.value;
    let sliceStart = performance.now();
    for (;;) {
      const now = performance.now();
      // When Gemini's data is already buffered, every await here resolves at once, and one stream
      // could hold the event loop for seconds: other streams, and cancels, get a turn now and then.
      if (now - sliceStart >= fairSliceMs) {
        await setImmediate();
        sliceStart = performance.now();
      }
      // Only time spent waiting on Gemini counts as idle; a slow reader is not Gemini's silence.
      idle.waiting(now);
      const next = await chunks.next();
      idle.received();
      if (next.done === true) break;
      yield next.value;
    }
    // An upstream that ends quietly because our own signal fired has not given a complete answer.
    call.signal.throwIfAborted();
  } catch (error) {
    throw call.explain(error);
  } finally {
    call.end();
  }
}

export async function unaryWithPolicy<T>(
  rpc: RpcHandle,
  policy: CallPolicy,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const call = new CallScope(rpc, policy.totalTimeoutMs);
  try {
    return await call.withRetries(policy.retry, (signal) => run(signal));
  } catch (error) {
    throw call.explain(error);
  } finally {
    call.end();
  }
}

/** One attempt: its own timeout, which ends the attempt's request (and the call) with DeadlineExceeded. */
interface Attempt {
  /** Returns the function that disarms it. */
  arm(ms: number, message: string): () => void;
}

/**
 * The lifetime of one RPC's upstream work. Its signal aborts when the RPC's does (with the same
 * reason) or when one of our timeouts fires (DeadlineExceeded naming the timeout); `end()`
 * aborts whatever is still open, so no upstream request outlives the RPC.
 */
class CallScope {
  readonly #rpc: RpcHandle;
  readonly #controller = new AbortController();
  readonly #started = performance.now();
  readonly #totalMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #onRpcAbort: () => void;

  constructor(rpc: RpcHandle, totalMs: number) {
    this.#rpc = rpc;
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

  async withRetries<T>(policy: RetryPolicy, run: (signal: AbortSignal, attempt: Attempt) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.#rpc.summary !== undefined) this.#rpc.summary.attempts = attempt;
      // The attempt's own abort closes a failed attempt's request without ending the call.
      const controller = new AbortController();
      const signal = AbortSignal.any([this.#controller.signal, controller.signal]);
      try {
        return await run(signal, { arm: (ms, message) => this.#arm(controller, ms, message) });
      } catch (error) {
        const timedOut: unknown = controller.signal.reason;
        controller.abort();
        if (timedOut !== undefined) throw timedOut;
        // Aborted from outside (cancel, deadline, total timeout): explain() gives the reason.
        if (this.#controller.signal.aborted) throw error;
        const delay = retryDelayMs(error, attempt, policy, this.#remainingMs());
        if (delay === undefined) throw error;
        // Only an UpstreamError is ever retried; its code needs no full (redacted, detailed) error.
        if (error instanceof UpstreamError) this.#rpc.summary?.retriedCodes.push(Code[upstreamCode(error)]);
        await sleep(delay, undefined, { signal: this.#controller.signal });
      }
    }
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
    return toConnectError(error, this.#controller.signal);
  }

  end(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#rpc.signal.removeEventListener("abort", this.#onRpcAbort);
    this.#controller.abort(new ConnectError("the RPC ended", Code.Canceled));
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
