// The call policy (generative/policy.ts) on a clock the test drives: the idle timeout counts only
// Gemini's silence, never a slow reader; timers re-arm while chunks keep coming; the first-chunk
// timer is off once the first chunk is in; retries fit in the caller's deadline; and nothing is
// left behind (timers, listeners, open upstream requests) once a call ends, however it ends.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GenerateContentRequestSchema } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentResponse } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { CallPolicy } from "../../src/config/settings.ts";
import { createGenerativeCore } from "../../src/generative/core.ts";
import { createSingleRouter } from "../../src/routing/router.ts";
import type { Choice, Router } from "../../src/routing/router.ts";
import type { CallContext } from "../../src/generative/policy.ts";
import { newCallReport } from "../../src/observe/rpc-record.ts";
import type { Upstream } from "../../src/upstream/upstream.ts";
import { UpstreamError } from "../../src/upstream/upstream.ts";
import { fakeUpstream, textChunk, unavailable } from "../support/fake-upstream.ts";
import { pacedUpstream } from "../support/paced-upstream.ts";

const policy: CallPolicy = {
  firstChunkTimeoutMs: 1_000,
  idleTimeoutMs: 30,
  totalTimeoutMs: 60_000,
  retry: { maxAttempts: 5, initialBackoffMs: 1, maxBackoffMs: 1, backoffMultiplier: 1 },
};
const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: "hi" } }] }],
});

function rpc(signal = new AbortController().signal, timeoutMs?: number): CallContext {
  return { signal, timeoutMs: () => timeoutMs, upstreamHeaders: undefined, report: newCallReport() };
}

const textOf = (chunk: GenerateContentResponse) => chunk.candidates[0]?.content?.parts[0]?.data.value;

/** Reads a stream in the background: what came, how it ended, and whether it has. */
function reader(upstream: Upstream, overrides: Partial<CallPolicy> = {}, context = rpc()) {
  const stream = createGenerativeCore({ router: createSingleRouter(upstream), upstreamKeys: [], policy: { ...policy, ...overrides } }).stream(request, context);
  const state = { texts: [] as unknown[], error: undefined as ConnectError | undefined, ended: false };
  const next = async () => {
    const result = await stream.next();
    if (result.done !== true) state.texts.push(textOf(result.value));
    return result;
  };
  const rest = async () => {
    try {
      while ((await next()).done !== true);
    } catch (error) {
      state.error = error as ConnectError;
    }
    state.ended = true;
  };
  return { state, next, rest, context };
}

describe("on the test's clock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a slow reader is not Gemini's silence: chunks buffered while the reader dawdles still arrive", async () => {
    const upstream = pacedUpstream();
    const { state, next, rest } = reader(upstream);
    upstream.send(textChunk("a"));
    upstream.send(textChunk("b"));
    upstream.send(textChunk("c"));
    upstream.send("end");
    await next();
    await next();
    // The reader holds chunk b for ten idle timeouts before asking for more.
    await vi.advanceTimersByTimeAsync(10 * policy.idleTimeoutMs);
    await rest();
    expect(state).toMatchObject({ texts: ["a", "b", "c"], error: undefined });
  });

  it("the idle timer re-arms: chunks every 20 ms for 200 ms pass a 30 ms idle timeout, then 30 ms of silence ends the call", async () => {
    const upstream = pacedUpstream();
    const { state, rest } = reader(upstream);
    const reading = rest();
    for (let i = 0; i < 10; i++) {
      upstream.send(textChunk(String(i)));
      await upstream.drained();
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(state.ended).toBe(false);
    // The last chunk came 20 ms ago: 9 ms more is still within the timeout, 10 ms is not.
    await vi.advanceTimersByTimeAsync(9);
    expect(state.ended).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await reading;
    expect(state.texts).toHaveLength(10);
    expect(state.error).toMatchObject({ code: Code.DeadlineExceeded, rawMessage: "no chunk from Gemini for 30 ms (TIMEOUT_IDLE_MS)" });
  });

  it("a slow reader of the first chunk is not Gemini's silence either", async () => {
    const upstream = pacedUpstream();
    const { state, next, rest } = reader(upstream);
    upstream.send(textChunk("a"));
    upstream.send("end");
    await next();
    await vi.advanceTimersByTimeAsync(10 * policy.idleTimeoutMs);
    await rest();
    expect(state).toMatchObject({ texts: ["a"], error: undefined });
  });

  it("the first-chunk timeout is off once the first chunk is in, and the idle timeout counts from the last chunk", async () => {
    const upstream = pacedUpstream();
    const { state, rest } = reader(upstream, { firstChunkTimeoutMs: 50, idleTimeoutMs: 80 });
    const reading = rest();
    upstream.send(textChunk("a"));
    await upstream.drained();
    await vi.advanceTimersByTimeAsync(70);
    upstream.send(textChunk("b"));
    await upstream.drained();
    await vi.advanceTimersByTimeAsync(70);
    upstream.send("end");
    await reading;
    expect(state).toMatchObject({ texts: ["a", "b"], error: undefined });
    // No timer fired on the way: a complete answer's request is left as it is, not aborted.
    expect(upstream.calls[0]?.signal.aborted).toBe(false);
  });

  it("a stream that ends leaves no timer and no listener on the RPC's signal behind, and its complete request unaborted", async () => {
    const upstream = pacedUpstream();
    const rpcSignal = new AbortController().signal;
    const { state, rest } = reader(upstream, {}, rpc(rpcSignal));
    const reading = rest();
    upstream.send(textChunk("a"));
    await vi.advanceTimersByTimeAsync(10);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    expect(getEventListeners(rpcSignal, "abort")).toHaveLength(1);
    upstream.send("end");
    await reading;
    expect(state.error).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(rpcSignal, "abort")).toHaveLength(0);
    // Read to its end, the request has nothing left open: aborting it would only cost an error object.
    expect(upstream.calls[0]?.signal.aborted).toBe(false);
  });

  it("a stream the caller leaves before its end aborts the request still open", async () => {
    const upstream = pacedUpstream();
    const stream = createGenerativeCore({ router: createSingleRouter(upstream), upstreamKeys: [], policy }).stream(request, rpc());
    upstream.send(textChunk("a"));
    expect((await stream.next()).done).toBe(false);
    await stream.return(undefined);
    expect(upstream.calls[0]?.signal.reason).toMatchObject({ code: Code.Canceled, rawMessage: "the RPC ended" });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a stream that fails leaves no timer and no listener behind either", async () => {
    const rpcSignal = new AbortController().signal;
    const upstream = fakeUpstream({ reject: new UpstreamError("status", "bad", { code: 400, message: "bad", status: "INVALID_ARGUMENT", details: [] }) });
    const { state, rest } = reader(upstream, {}, rpc(rpcSignal));
    await rest();
    expect(state.error?.code).toBe(Code.InvalidArgument);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(rpcSignal, "abort")).toHaveLength(0);
  });

  it("a unary call leaves no timer and no listener behind, and its complete request unaborted", async () => {
    const rpcSignal = new AbortController().signal;
    const upstream = fakeUpstream({ chunks: [textChunk("whole")] });
    const core = createGenerativeCore({ router: createSingleRouter(upstream), upstreamKeys: [], policy });
    const response = await core.generate(request, rpc(rpcSignal));
    expect(textOf(response)).toBe("whole");
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(rpcSignal, "abort")).toHaveLength(0);
    expect(upstream.calls[0]?.signal.aborted).toBe(false);
  });

  it("an upstream that ends quietly once our timeout aborted it has not answered: the call ends with the timeout", async () => {
    const upstream = pacedUpstream("end");
    const { state, rest } = reader(upstream);
    const reading = rest();
    upstream.send(textChunk("a"));
    await upstream.drained();
    await vi.advanceTimersByTimeAsync(policy.idleTimeoutMs);
    await reading;
    expect(state.texts).toEqual(["a"]);
    expect(state.error).toMatchObject({ code: Code.DeadlineExceeded, rawMessage: "no chunk from Gemini for 30 ms (TIMEOUT_IDLE_MS)" });
  });

  it("a unary call that runs past TIMEOUT_TOTAL_MS ends with DeadlineExceeded naming it, and aborts its request", async () => {
    const calls: AbortSignal[] = [];
    const hanging: Upstream = {
      ...fakeUpstream(),
      generateContent: ({ signal }) => {
        calls.push(signal);
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new UpstreamError("aborted", "aborted")), { once: true }));
      },
    };
    const core = createGenerativeCore({ router: createSingleRouter(hanging), upstreamKeys: [], policy: { ...policy, totalTimeoutMs: 40 } });
    const answer = core.generate(request, rpc()).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(40);
    expect(await answer).toMatchObject({ code: Code.DeadlineExceeded, rawMessage: "the RPC took longer than 40 ms (TIMEOUT_TOTAL_MS)" });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.aborted).toBe(true);
  });
});

describe("retries and the RPC's own end", () => {
  const quota = (delay: string) =>
    new UpstreamError("status", "quota", {
      code: 429,
      message: "quota",
      status: "RESOURCE_EXHAUSTED",
      details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: delay }],
    });

  it("does not retry when Gemini's RetryInfo delay would outlast the caller's deadline: Gemini's own error at once", async () => {
    const upstream = fakeUpstream({ reject: quota("0.2s") }, { chunks: [textChunk("late")] });
    const { state, rest } = reader(upstream, {}, rpc(undefined, 150));
    await rest();
    expect(state.error).toMatchObject({ code: Code.ResourceExhausted, rawMessage: "quota" });
    expect(upstream.calls).toHaveLength(1);
  });

  it("retries when the RetryInfo delay fits the caller's deadline and the total timeout", async () => {
    const upstream = fakeUpstream({ reject: quota("0.01s") }, { chunks: [textChunk("ok")] });
    const { state, rest, context } = reader(upstream, {}, rpc(undefined, 5_000));
    await rest();
    expect(state).toMatchObject({ texts: ["ok"], error: undefined });
    expect(context.report.retried.map((attempt) => attempt.code)).toEqual(["ResourceExhausted"]);
  });

  it("stops retrying once the next pause would not fit in what is left of TIMEOUT_TOTAL_MS, with Gemini's own error", async () => {
    const upstream = fakeUpstream({ reject: quota("0.04s") });
    const { state, rest } = reader(upstream, { totalTimeoutMs: 100 });
    await rest();
    expect(state.error).toMatchObject({ code: Code.ResourceExhausted, rawMessage: "quota" });
    expect(upstream.calls.length).toBeGreaterThanOrEqual(2);
    expect(upstream.calls.length).toBeLessThanOrEqual(3);
  });

  it("a failed attempt's request is closed at once, while the call goes on", async () => {
    const upstream = fakeUpstream({ reject: unavailable() }, { chunks: [textChunk("a")], then: "hang" });
    const { next, context } = reader(upstream);
    await next();
    expect(upstream.calls.map((call) => call.signal.aborted)).toEqual([true, false]);
    expect(context.report.attempts).toBe(2);
  });

  it("a cancel that the SDK reports as a cut connection is not retried, nor reported as a retried failure", async () => {
    const cancel = new AbortController();
    const upstream = pacedUpstream("network");
    const { state, rest, context } = reader(upstream, {}, rpc(cancel.signal));
    const reading = rest();
    await vi.waitFor(() => expect(upstream.calls).toHaveLength(1));
    cancel.abort(new ConnectError("caller went away", Code.Canceled));
    await reading;
    expect(state.error).toMatchObject({ code: Code.Canceled, rawMessage: "caller went away" });
    expect(upstream.calls).toHaveLength(1);
    expect(context.report.retried.map((attempt) => attempt.code)).toEqual([]);
  });

  it("an RPC already cancelled when the call starts ends with its reason, not with Gemini's answer", async () => {
    const cancelled = new AbortController();
    cancelled.abort(new ConnectError("cancelled before the call", Code.Canceled));
    const { state, rest } = reader(fakeUpstream({ chunks: [textChunk("a")] }), {}, rpc(cancelled.signal));
    await rest();
    expect(state.error).toMatchObject({ code: Code.Canceled, rawMessage: "cancelled before the call" });
  });
});

describe("the per-chunk loop", () => {
  it("a stream of chunks already buffered still lets other work have the event loop while it is read", async () => {
    const chunks = Array.from({ length: 5_000 }, (_, i) => textChunk(String(i)));
    const core = createGenerativeCore({ router: createSingleRouter(fakeUpstream({ chunks })), upstreamKeys: [], policy });
    let reading = true;
    let turns = 0;
    const otherWork = () => {
      if (!reading) return;
      turns++;
      setImmediate(otherWork);
    };
    setImmediate(otherWork);
    let read = 0;
    for await (const _chunk of core.stream(request, rpc())) read++;
    reading = false;
    expect(read).toBe(5_000);
    // Without the turns, buffered chunks are all microtasks: other work would wait for the whole stream.
    expect(turns).toBeGreaterThan(0);
  });
});

describe("failover between upstreams", () => {
  const invalid = () => new UpstreamError("status", "bad request", { code: 400, message: "bad request", status: "INVALID_ARGUMENT", details: [] });
  const choice = (name: string, client: Upstream): Choice => ({ model: `model-${name}`, upstream: name, client });

  /** A router that hands out `choices` in turn (the last one again), says `failover` on each failure, and notes what it was told. */
  function scriptedRouter(choices: (Choice | undefined)[], failover: boolean) {
    const told = { failed: [] as [unknown, boolean][], succeeded: 0, ended: 0 };
    const router: Router = {
      route() {
        let next = 0;
        return {
          next: () => choices[Math.min(next++, choices.length - 1)],
          failed: (error, timedOut) => (told.failed.push([error, timedOut]), failover),
          succeeded: () => void told.succeeded++,
          end: () => void told.ended++,
        };
      },
      resolve: (model) => model,
    };
    return { router, told };
  }
  // A back-off no test waits for: only a failover moves on at once.
  const slowRetries: CallPolicy = { ...policy, retry: { ...policy.retry, initialBackoffMs: 60_000, maxBackoffMs: 60_000 } };
  const generate = (router: Router, context = rpc(), overrides: Partial<CallPolicy> = {}) =>
    createGenerativeCore({ router, upstreamKeys: [], policy: { ...slowRetries, ...overrides } }).generate(request, context);

  it("moves to the next upstream at once on a failure it can fix, even one no retry would repeat, and reports where each attempt went", async () => {
    const failure = invalid();
    const a = fakeUpstream({ reject: failure });
    const b = fakeUpstream({ chunks: [textChunk("from b")] });
    const { router, told } = scriptedRouter([choice("a", a), choice("b", b)], true);
    const context = rpc();
    expect(textOf(await generate(router, context))).toBe("from b");
    expect(told).toEqual({ failed: [[failure, false]], succeeded: 1, ended: 1 });
    expect(context.report.retried).toEqual([{ code: "InvalidArgument", model: "model-a", upstream: "a" }]);
    expect(context.report).toMatchObject({ attempts: 2, model: "model-b", upstream: "b" });
  });

  it("fails over no more than RETRY_MAX_ATTEMPTS times, then ends with the last failure", async () => {
    const a = fakeUpstream({ reject: invalid() }, { reject: invalid() }, { reject: invalid() });
    const { router, told } = scriptedRouter([choice("a", a)], true);
    await expect(generate(router, rpc(), { retry: { ...slowRetries.retry, maxAttempts: 2 } })).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(a.calls).toHaveLength(2);
    expect(told.ended).toBe(1);
  });

  it("without failover, a failure no retry repeats ends the call at once", async () => {
    const a = fakeUpstream({ reject: invalid() }, { chunks: [textChunk("never")] });
    const { router } = scriptedRouter([choice("a", a)], false);
    await expect(generate(router)).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: "bad request" });
    expect(a.calls).toHaveLength(1);
  });

  it("with no upstream to take the call: Unavailable saying why, or the last failure when one was tried", async () => {
    await expect(generate(scriptedRouter([undefined], true).router)).rejects.toMatchObject({
      code: Code.Unavailable,
      rawMessage: "no upstream can take this model now: each is cooling down, failed, or at its cap",
    });
    const a = fakeUpstream({ reject: invalid() });
    await expect(generate(scriptedRouter([choice("a", a), undefined], true).router)).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("a stream whose first chunk is late tells the router it timed out, and moves on", async () => {
    const silent = pacedUpstream();
    const b = fakeUpstream({ chunks: [textChunk("from b")] });
    const { router, told } = scriptedRouter([choice("a", silent), choice("b", b)], true);
    const core = createGenerativeCore({ router, upstreamKeys: [], policy: { ...slowRetries, firstChunkTimeoutMs: 20 } });
    const texts: unknown[] = [];
    for await (const chunk of core.stream(request, rpc())) texts.push(textOf(chunk));
    expect(texts).toEqual(["from b"]);
    expect(told.failed).toHaveLength(1);
    expect(told.failed[0]?.[1]).toBe(true);
    expect(told.failed[0]?.[0]).toMatchObject({ code: Code.DeadlineExceeded });
    expect(silent.calls[0]?.signal.aborted).toBe(true);
  });
});
