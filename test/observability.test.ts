// What the people who run the gateway see: /metrics after a known mix of RPCs, the log line of a
// stream, an error and a cancel, usage in trailers, and a trace joined to the caller's.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { eventually, startHarness, testCallPolicy } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

const spans = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({
    tracer: provider.getTracer("test"),
    callPolicy: { retry: { ...testCallPolicy.retry, maxAttempts: 2 } },
  });
});
afterAll(async () => {
  await harness.close();
  await provider.shutdown();
});

const ask = (text: string, model = "models/gemini-2.5-flash") =>
  create(GenerateContentRequestSchema, { model, contents: [{ role: "user", parts: [{ data: { case: "text", value: text } }] }] });

async function drain(text: string, options: { headers?: Record<string, string>; signal?: AbortSignal; onTrailer?: (t: Headers) => void } = {}) {
  try {
    for await (const _ of harness.client("grpc").streamGenerateContent(ask(text), options));
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

/** One sample of /metrics: the value of `name` whose labels include `labels`. */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${harness.baseUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split("\n")
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

const stream = { grpc_type: "server_stream", grpc_service: "geminiconnect.v1.GenerativeService", grpc_method: "StreamGenerateContent" };

describe("metrics", () => {
  it("count a known mix of streams, errors, retries and cancels, with tokens by model and kind", async () => {
    const before = {
      ok: await sample("grpc_server_handled_total", { ...stream, grpc_code: "OK" }),
      notFound: await sample("grpc_server_handled_total", { ...stream, grpc_code: "NotFound" }),
      canceled: await sample("grpc_server_handled_total", { ...stream, grpc_code: "Canceled" }),
      started: await sample("grpc_server_started_total", stream),
      sent: await sample("grpc_server_msg_sent_total", stream),
      prompt: await sample("gemini_tokens_total", { model: "models/gemini-2.5-flash", kind: "prompt" }),
      candidates: await sample("gemini_tokens_total", { model: "models/gemini-2.5-flash", kind: "candidates" }),
      retries: await sample("gemini_upstream_retries_total", { code: "Unavailable" }),
      ttft: await sample("gemini_time_to_first_chunk_seconds_count", { model: "models/gemini-2.5-flash" }),
      longestGaps: await sample("gemini_stream_longest_chunk_gap_seconds_count"),
    };

    expect(await drain("one two three")).toBeUndefined(); // 3 chunks, 3 prompt + 3 candidate tokens
    expect(await drain("four five")).toBeUndefined(); // 2 chunks
    harness.emulator.enqueue({ kind: "httpError", status: 503, error: { code: 503, message: "busy", status: "UNAVAILABLE" } });
    expect(await drain("six")).toBeUndefined(); // retried once, 1 chunk
    harness.emulator.enqueue({ kind: "httpError", status: 404, error: { code: 404, message: "no such model", status: "NOT_FOUND" } });
    expect((await drain("seven"))?.code).toBe(Code.NotFound);
    harness.emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const abort = new AbortController();
    const cancelled = harness.client("grpc").streamGenerateContent(ask("eight nine"), { signal: abort.signal })[Symbol.asyncIterator]();
    await cancelled.next();
    abort.abort();
    await eventually(() => harness.emulator.openRequests === 0);
    // The cancelled RPC is counted once the server has seen it end.
    await expect.poll(() => sample("grpc_server_handled_total", { ...stream, grpc_code: "Canceled" })).toBe(before.canceled + 1);

    expect(await sample("grpc_server_handled_total", { ...stream, grpc_code: "OK" })).toBe(before.ok + 3);
    expect(await sample("grpc_server_handled_total", { ...stream, grpc_code: "NotFound" })).toBe(before.notFound + 1);
    expect(await sample("grpc_server_handled_total", { ...stream, grpc_code: "Canceled" })).toBe(before.canceled + 1);
    expect(await sample("grpc_server_started_total", stream)).toBe(before.started + 5);
    expect(await sample("grpc_server_msg_sent_total", stream)).toBe(before.sent + 3 + 2 + 1 + 1);
    // The cancelled stream counts too: its prompt (2) and the one candidate token sent before the cancel.
    expect(await sample("gemini_tokens_total", { model: "models/gemini-2.5-flash", kind: "prompt" })).toBe(before.prompt + 3 + 2 + 1 + 2);
    expect(await sample("gemini_tokens_total", { model: "models/gemini-2.5-flash", kind: "candidates" })).toBe(before.candidates + 3 + 2 + 1 + 1);
    expect(await sample("gemini_upstream_retries_total", { code: "Unavailable" })).toBe(before.retries + 1);
    expect(await sample("gemini_time_to_first_chunk_seconds_count", { model: "models/gemini-2.5-flash" })).toBe(before.ttft + 4);
    expect(await sample("gemini_streams_in_flight")).toBe(0);
    // One observation per stream of two chunks or more ("one two three", "four five").
    expect(await sample("gemini_stream_longest_chunk_gap_seconds_count")).toBe(before.longestGaps + 2);
    expect(await sample("grpc_server_handling_seconds_count", stream)).toBeGreaterThanOrEqual(5);
    // This very process (the harness serves in it): its resident memory, give or take what moved since.
    const rss = process.memoryUsage.rss();
    expect(await sample("process_resident_memory_bytes")).toBeGreaterThan(rss / 2);
    expect(await sample("process_resident_memory_bytes")).toBeLessThan(rss * 2);
  });

  it("never turns a caller's made-up model name into a label", async () => {
    for (let i = 0; i < 5; i++) {
      harness.emulator.enqueue({ kind: "httpError", status: 404, error: { code: 404, message: "no such model", status: "NOT_FOUND" } });
      await harness.client("grpc").generateContent(ask("x", `models/made-up-${i}`)).catch(() => undefined);
    }
    const text = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(text).not.toContain("made-up");
  });
});

describe("the log line", () => {
  it("of a stream: request id (given, and returned), protocol, model, code, chunks, times, tokens, attempts", async () => {
    let returnedId: string | null = null;
    for await (const _ of harness.client("connect-h2").streamGenerateContent(ask("log me please"), {
      headers: { "x-request-id": "req-42.a" },
      onHeader: (headers) => (returnedId = headers.get("x-request-id")),
    }));
    expect(returnedId).toBe("req-42.a");
    const line = harness.logs.findLast((l) => l["requestId"] === "req-42.a");
    expect(line).toMatchObject({
      level: 30,
      msg: "rpc",
      protocol: "connect",
      method: "geminiconnect.v1.GenerativeService/StreamGenerateContent",
      model: "models/gemini-2.5-flash",
      code: "ok",
      chunks: 3,
      attempts: 1,
      tokens: { prompt: 3, candidates: 3, total: 6 },
    });
    expect(line?.["firstChunkMs"]).toBeTypeOf("number");
    expect(line?.["durationMs"]).toBeGreaterThanOrEqual(line?.["firstChunkMs"] as number);
    expect(JSON.stringify(line)).not.toContain("log me please");
  });

  it("of an error: Gemini's refusal at info, with the code and message; a made id when none was given", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 400, error: { code: 400, message: "bad thing", status: "INVALID_ARGUMENT" } });
    const error = await drain("refused");
    const requestId = error?.metadata.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(harness.logs.findLast((l) => l["requestId"] === requestId)).toMatchObject({ level: 30, code: "InvalidArgument", error: "bad thing", chunks: 0 });
  });

  it("of an unparseable upstream chunk: error level, it is the server side's fault", async () => {
    harness.emulator.enqueue({ kind: "malformed", afterChunks: 1 });
    const error = await drain("one two");
    expect(error?.code).toBe(Code.Internal);
    expect(harness.logs.findLast((l) => l["code"] === "Internal")).toMatchObject({ level: 50, msg: "rpc failed", chunks: 1 });
  });

  it("of a cancel: Canceled at info, with the chunks that went out", async () => {
    harness.emulator.enqueue({ kind: "stall", afterChunks: 2 });
    const abort = new AbortController();
    const it = harness.client("grpc").streamGenerateContent(ask("a b c d"), { signal: abort.signal, headers: { "x-request-id": "cancel-me" } })[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    abort.abort();
    await eventually(() => harness.logs.some((l) => l["requestId"] === "cancel-me"));
    expect(harness.logs.find((l) => l["requestId"] === "cancel-me")).toMatchObject({ level: 30, code: "Canceled", chunks: 2 });
  });
});

describe("usage in trailers", () => {
  it("a caller that reads only trailers gets the final usage", async () => {
    let trailers: Headers | undefined;
    expect(await drain("five little words right here", { onTrailer: (t) => (trailers = t) })).toBeUndefined();
    expect(trailers?.get("x-gemini-usage-prompt-tokens")).toBe("5");
    expect(trailers?.get("x-gemini-usage-candidates-tokens")).toBe("5");
    expect(trailers?.get("x-gemini-usage-total-tokens")).toBe("10");
  });
});

describe("traces", () => {
  it("a server span per RPC, child of the caller's span, whose context reaches the upstream request", async () => {
    spans.reset();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpanId = "00f067aa0ba902b7";
    expect(await drain("trace this", { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } })).toBeUndefined();
    await eventually(() => spans.getFinishedSpans().length === 1).catch(() => {
      throw new Error(`spans: ${JSON.stringify(spans.getFinishedSpans().map((s) => s.name))}`);
    });
    const span = spans.getFinishedSpans()[0]!;
    expect(span.name).toBe("geminiconnect.v1.GenerativeService/StreamGenerateContent");
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(span.attributes).toMatchObject({
      "rpc.system": "grpc",
      "rpc.service": "geminiconnect.v1.GenerativeService",
      "rpc.method": "StreamGenerateContent",
      "rpc.grpc.status_code": 0,
      "gen_ai.request.model": "models/gemini-2.5-flash",
      "gen_ai.usage.input_tokens": 2,
      "gen_ai.usage.output_tokens": 2,
    });
    const upstreamTraceparent = harness.emulator.requests.at(-1)?.headers["traceparent"];
    expect(upstreamTraceparent).toBe(`00-${traceId}-${span.spanContext().spanId}-01`);
  });
});
