// The call policy through the core, with a fake upstream and no sockets: the three timeouts, the
// retries and their backoff, and what a stream does with no chunk, or a failure after its first.

import { createSingleRouter } from "../src/routing/router.ts";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentResponse } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { CallPolicy } from "../src/config/settings.ts";
import { createGenerativeCore } from "../src/generative/core.ts";
import type { CallContext } from "../src/generative/policy.ts";
import { newCallReport } from "../src/observe/rpc-record.ts";
import { UpstreamError } from "../src/upstream/upstream.ts";
import { fakeUpstream, textChunk, unavailable } from "./support/fake-upstream.ts";
import type { Answer } from "./support/fake-upstream.ts";

const policy: CallPolicy = {
  firstChunkTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2, backoffMultiplier: 1.3 },
};
const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: "hi" } }] }],
});

function rpc(signal = new AbortController().signal): CallContext {
  return { signal, timeoutMs: () => undefined, upstreamHeaders: undefined, report: newCallReport() };
}

/** Runs one stream to its end: what arrived, the error it ended with, and the call's report. */
async function stream(answers: Answer[], overrides: Partial<CallPolicy> = {}, context = rpc()) {
  const upstream = fakeUpstream(...answers);
  const core = createGenerativeCore({ router: createSingleRouter(upstream), upstreamKeys: [], policy: { ...policy, ...overrides } });
  const chunks: GenerateContentResponse[] = [];
  let error: ConnectError | undefined;
  try {
    for await (const chunk of core.stream(request, context)) chunks.push(chunk);
  } catch (thrown) {
    error = thrown as ConnectError;
  }
  return { chunks, error, report: context.report, upstream };
}

describe("stream timeouts", () => {
  it("ends with DeadlineExceeded naming TIMEOUT_FIRST_CHUNK_MS when no first chunk comes, and aborts the request", async () => {
    const { chunks, error, report, upstream } = await stream([{ hangFirst: true }], { firstChunkTimeoutMs: 20 });
    expect(chunks).toEqual([]);
    expect(error?.code).toBe(Code.DeadlineExceeded);
    expect(error?.rawMessage).toBe("no first chunk from Gemini within 20 ms (TIMEOUT_FIRST_CHUNK_MS)");
    expect(report.attempts).toBe(1);
    expect(upstream.calls[0]?.signal.aborted).toBe(true);
  });

  it("ends with DeadlineExceeded naming TIMEOUT_IDLE_MS when Gemini goes quiet after a chunk", async () => {
    const { chunks, error } = await stream([{ chunks: [textChunk("a")], then: "hang" }], { idleTimeoutMs: 20 });
    expect(chunks).toHaveLength(1);
    expect(error?.code).toBe(Code.DeadlineExceeded);
    expect(error?.rawMessage).toBe("no chunk from Gemini for 20 ms (TIMEOUT_IDLE_MS)");
  });

  it("ends with DeadlineExceeded naming TIMEOUT_TOTAL_MS when the whole call runs too long", async () => {
    const { chunks, error } = await stream([{ chunks: [textChunk("a")], then: "hang" }], { totalTimeoutMs: 30 });
    expect(chunks).toHaveLength(1);
    expect(error?.code).toBe(Code.DeadlineExceeded);
    expect(error?.rawMessage).toBe("the RPC took longer than 30 ms (TIMEOUT_TOTAL_MS)");
  });
});

describe("stream retries", () => {
  it("retries Unavailable before the first chunk, and reports the attempts and the codes retried", async () => {
    const { chunks, error, report, upstream } = await stream([{ reject: unavailable() }, { reject: unavailable() }, { chunks: [textChunk("ok")] }]);
    expect(error).toBeUndefined();
    expect(chunks.map((chunk) => chunk.candidates[0]?.content?.parts[0]?.data.value)).toEqual(["ok"]);
    expect(upstream.calls).toHaveLength(3);
    expect(report.attempts).toBe(3);
    expect(report.retried.map((retried) => retried.code)).toEqual(["Unavailable", "Unavailable"]);
  });

  it("gives up after RETRY_MAX_ATTEMPTS with the last failure's code", async () => {
    const { error, upstream } = await stream([{ reject: unavailable() }]);
    expect(error?.code).toBe(Code.Unavailable);
    expect(upstream.calls).toHaveLength(3);
  });

  it("a cancel during the backoff ends the call at once, with no further attempt", async () => {
    const cancel = new AbortController();
    const context = rpc(cancel.signal);
    const upstream = fakeUpstream({ reject: unavailable() });
    // The total timeout outlasts any backoff drawn (full jitter, up to 60 s), so the call always waits.
    const core = createGenerativeCore({
      router: createSingleRouter(upstream),
      upstreamKeys: [],
      policy: { ...policy, totalTimeoutMs: 600_000, retry: { ...policy.retry, initialBackoffMs: 60_000, maxBackoffMs: 60_000 } },
    });
    const reading = core.stream(request, context).next();
    await expect.poll(() => upstream.calls.length).toBe(1);
    cancel.abort(new ConnectError("caller went away", Code.Canceled));
    await expect(reading).rejects.toMatchObject({ code: Code.Canceled });
    expect(upstream.calls).toHaveLength(1);
  });

  it("never retries after the first chunk: a failure then ends the stream with its code", async () => {
    const cut = new UpstreamError("network", "connection to Gemini failed (terminated)");
    const { chunks, error, report, upstream } = await stream([{ chunks: [textChunk("a")], then: cut }, { chunks: [textChunk("again")] }]);
    expect(chunks).toHaveLength(1);
    expect(error?.code).toBe(Code.Unavailable);
    expect(upstream.calls).toHaveLength(1);
    expect(report.attempts).toBe(1);
  });
});

describe("stream ends", () => {
  it("a stream with no chunk ends OK with nothing sent", async () => {
    const { chunks, error, report } = await stream([{ chunks: [] }]);
    expect(chunks).toEqual([]);
    expect(error).toBeUndefined();
    expect(report.attempts).toBe(1);
  });

  it("keeps the last usage seen, never a sum, and counts chunks with fields our proto lacks", async () => {
    const drifted = { ...textChunk("b", { prompt: 2, candidates: 5 }), fieldFromTheFuture: true };
    const { chunks, report } = await stream([{ chunks: [textChunk("a", { prompt: 2, candidates: 1 }), drifted] }]);
    expect(chunks).toHaveLength(2);
    expect(report.usage?.totalTokenCount).toBe(7);
    expect(report.driftedChunks).toBe(1);
    expect(report.model).toBe("models/gemini-2.5-flash");
  });

  it("a reader that stops early aborts the upstream request", async () => {
    const upstream = fakeUpstream({ chunks: [textChunk("a")], then: "hang" });
    const core = createGenerativeCore({ router: createSingleRouter(upstream), upstreamKeys: [], policy });
    for await (const _chunk of core.stream(request, rpc())) break;
    expect(upstream.calls[0]?.signal.aborted).toBe(true);
  });
});

describe("unary calls", () => {
  it("retries before the answer, and reports the attempts and the usage", async () => {
    const upstream = fakeUpstream({ reject: unavailable() }, { chunks: [textChunk("one", { prompt: 1, candidates: 1 })] });
    const core = createGenerativeCore({ router: createSingleRouter(upstream), upstreamKeys: [], policy });
    const context = rpc();
    const response = await core.generate(request, context);
    expect(response.candidates[0]?.content?.parts[0]?.data.value).toBe("one");
    expect(context.report).toMatchObject({ attempts: 2, retried: [{ code: "Unavailable", upstream: "default" }] });
    expect(context.report.usage?.totalTokenCount).toBe(2);
  });
});
