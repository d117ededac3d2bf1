// The response cache through a real gateway and the emulator, counting the requests that reach
// Gemini: hits, misses, coalescing, the headers, what is never stored, and the bounds.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { CallOptions } from "@connectrpc/connect";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentResponse } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { CacheSettings } from "../src/config/settings.ts";
import { testCaller } from "./support/callers.ts";
import type { TestCaller } from "./support/callers.ts";
import { eventually, startHarness } from "./support/harness.ts";
import type { GenerativeClient, Harness, Protocol } from "./support/harness.ts";

const model = "models/gemini-2.5-flash";
const roomy: CacheSettings = { maxBytes: 10_000_000, maxEntryBytes: 1_000_000, maxTtlSeconds: 3600 };

let prompts = 0;
/** A prompt no other test sends: five words, so the emulator's answer costs 10 tokens. */
const freshPrompt = () => `cache prompt ${++prompts} alpha beta`;
const requestFor = (prompt: string) =>
  create(GenerateContentRequestSchema, { model, contents: [{ role: "user", parts: [{ data: { case: "text", value: prompt } }] }] });

/** Requests that reached Gemini with this prompt. */
const upstreamCalls = (harness: Harness, prompt: string) =>
  harness.emulator.requests.filter((request) => JSON.stringify(request.body).includes(`"${prompt}"`)).length;

interface Outcome {
  readonly chunks: GenerateContentResponse[];
  readonly error: ConnectError | undefined;
  readonly header: Headers;
  readonly trailer: Headers;
  readonly requestId: string;
}

let requestIds = 0;
function callOptions(caller: TestCaller | undefined, headers: Record<string, string>, extra: CallOptions = {}) {
  const requestId = `cache-test-${++requestIds}`;
  const all = { ...headers, "x-request-id": requestId };
  return { requestId, options: caller === undefined ? { ...extra, headers: all } : caller.options("authorization", { ...extra, headers: all }) };
}

async function stream(client: GenerativeClient, caller: TestCaller | undefined, prompt: string, headers: Record<string, string> = {}): Promise<Outcome> {
  let header = new Headers();
  let trailer = new Headers();
  const { requestId, options } = callOptions(caller, headers, { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) });
  const chunks: GenerateContentResponse[] = [];
  try {
    for await (const chunk of client.streamGenerateContent(requestFor(prompt), options)) chunks.push(chunk);
  } catch (error) {
    return { chunks, error: ConnectError.from(error), header, trailer, requestId };
  }
  return { chunks, error: undefined, header, trailer, requestId };
}

const text = (chunks: readonly GenerateContentResponse[]) =>
  chunks.flatMap((chunk) => chunk.candidates[0]?.content?.parts ?? []).map((part) => (part.data.case === "text" ? part.data.value : "")).join("");

async function logLine(harness: Harness, requestId: string): Promise<Record<string, unknown>> {
  await eventually(() => harness.logs.some((line) => line["requestId"] === requestId));
  return harness.logs.find((line) => line["requestId"] === requestId) as Record<string, unknown>;
}

async function metric(harness: Harness, series: string): Promise<number> {
  const body = await (await fetch(`${harness.baseUrl}/metrics`)).text();
  const line = body.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

describe("response cache through the gateway", () => {
  const spans = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }).getTracer("test");
  const cached = testCaller("cached", {}, { ttlSeconds: 600 });
  const other = testCaller("other", {}, { ttlSeconds: 600 });
  const sharedA = testCaller("shared-a", {}, { ttlSeconds: 600, namespace: "shared" });
  const sharedB = testCaller("shared-b", {}, { ttlSeconds: 600, namespace: "shared" });
  const plain = testCaller("plain");
  const thrifty = testCaller("thrifty", { tokensPerMinute: 25 }, { ttlSeconds: 600 });
  // Shares its namespace with shared-a and shared-b, but may use only other models.
  const narrow = testCaller("narrow", {}, { ttlSeconds: 600, namespace: "shared" });
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      callers: [...[cached, other, sharedA, sharedB, plain, thrifty].map((c) => c.caller), { ...narrow.caller, models: ["gemini-2.0-*"] }],
      limits: { global: { requestsPerMinute: undefined, tokensPerMinute: undefined, concurrentStreams: undefined, startsPerSecond: undefined }, windowSeconds: 60, redis: undefined },
      cache: roomy,
      tracer,
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("misses, then hits: Gemini is asked once, and every hit's chunks equal the miss's field for field, over gRPC and Connect", async () => {
    const prompt = freshPrompt();
    const miss = await stream(harness.client("grpc"), cached, prompt);
    expect(miss.error).toBeUndefined();
    expect(miss.header.get("x-gemini-cache")).toBe("miss");
    expect(miss.header.get("x-gemini-cache-age")).toBeNull();
    expect(miss.chunks.length).toBeGreaterThan(2);
    for (const protocol of ["grpc", "connect-h2", "connect-h1", "grpc-web-h2"] satisfies Protocol[]) {
      const hit = await stream(harness.client(protocol), cached, prompt);
      expect(hit.error).toBeUndefined();
      expect(hit.header.get("x-gemini-cache")).toBe("hit");
      expect(hit.header.get("x-gemini-cache-age")).toMatch(/^\d+$/);
      expect(hit.chunks).toEqual(miss.chunks);
      expect(hit.trailer.get("x-gemini-usage-total-tokens")).toBe(miss.trailer.get("x-gemini-usage-total-tokens"));
    }
    expect(upstreamCalls(harness, prompt)).toBe(1);
    expect(await logLine(harness, miss.requestId)).toMatchObject({ cache: "miss", attempts: 1 });
  });

  it("answers a unary hit with the same response", async () => {
    const prompt = freshPrompt();
    const client = harness.client("connect-h2");
    const headers: Headers[] = [];
    const options = () => cached.options("authorization", { onHeader: (h) => headers.push(h) });
    const first = await client.generateContent(requestFor(prompt), options());
    const second = await client.generateContent(requestFor(prompt), options());
    expect(second).toEqual(first);
    expect(headers.map((h) => h.get("x-gemini-cache"))).toEqual(["miss", "hit"]);
    expect(upstreamCalls(harness, prompt)).toBe(1);
  });

  it("writes hit and age on the log line and the trace, and counts results in the metrics", async () => {
    const prompt = freshPrompt();
    const hitsBefore = await metric(harness, 'gemini_cache_requests_total{result="hit"}');
    await stream(harness.client("grpc"), cached, prompt);
    const hit = await stream(harness.client("grpc"), cached, prompt);
    expect(await logLine(harness, hit.requestId)).toMatchObject({ cache: "hit", cacheAgeSeconds: expect.any(Number), attempts: 0 });
    expect(await metric(harness, 'gemini_cache_requests_total{result="hit"}')).toBe(hitsBefore + 1);
    const span = spans.getFinishedSpans().find((s) => s.attributes["gemini.cache.result"] === "hit");
    expect(span?.attributes["gemini.cache.age_seconds"]).toEqual(expect.any(Number));
  });

  it("asks Gemini again once the TTL a request asked for has passed", async () => {
    const prompt = freshPrompt();
    const ttl = { "x-gemini-cache-ttl": "2" };
    await stream(harness.client("grpc"), cached, prompt, ttl);
    expect((await stream(harness.client("grpc"), cached, prompt, ttl)).header.get("x-gemini-cache")).toBe("hit");
    // Polled on what a caller sees; each miss stores again, so Gemini is asked exactly once more.
    for (let misses = 0; misses === 0; ) {
      const outcome = await stream(harness.client("grpc"), cached, prompt, ttl);
      if (outcome.header.get("x-gemini-cache") === "miss") misses++;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(upstreamCalls(harness, prompt)).toBe(2);
  });

  it("no-store neither reads nor writes; no-cache asks Gemini and stores the fresh answer", async () => {
    const prompt = freshPrompt();
    const client = harness.client("grpc");
    const noStore = await stream(client, cached, prompt, { "x-gemini-cache": "no-store" });
    expect(noStore.error).toBeUndefined();
    expect(noStore.header.get("x-gemini-cache")).toBeNull();
    expect(await logLine(harness, noStore.requestId)).toMatchObject({ cache: "bypass" });
    const stored = await stream(client, cached, prompt);
    expect(stored.header.get("x-gemini-cache")).toBe("miss");
    expect((await stream(client, cached, prompt, { "x-gemini-cache": "no-store" })).header.get("x-gemini-cache")).toBeNull();
    expect(upstreamCalls(harness, prompt)).toBe(3);

    const noCache = await stream(client, cached, prompt, { "x-gemini-cache": "no-cache" });
    expect(noCache.header.get("x-gemini-cache")).toBe("miss");
    expect(upstreamCalls(harness, prompt)).toBe(4);
    const hit = await stream(client, cached, prompt);
    expect(hit.header.get("x-gemini-cache")).toBe("hit");
    // The fresh answer replaced the old one (the emulator numbers its answers).
    expect(hit.chunks[0]?.responseId).toBe(noCache.chunks[0]?.responseId);
    expect(hit.chunks[0]?.responseId).not.toBe(stored.chunks[0]?.responseId);
  });

  it("keeps callers apart, unless their entries name the same namespace", async () => {
    const prompt = freshPrompt();
    const client = harness.client("grpc");
    await stream(client, cached, prompt);
    expect((await stream(client, other, prompt)).header.get("x-gemini-cache")).toBe("miss");
    expect(upstreamCalls(harness, prompt)).toBe(2);

    const sharedPrompt = freshPrompt();
    expect((await stream(client, sharedA, sharedPrompt)).header.get("x-gemini-cache")).toBe("miss");
    expect((await stream(client, sharedB, sharedPrompt)).header.get("x-gemini-cache")).toBe("hit");
    expect(upstreamCalls(harness, sharedPrompt)).toBe(1);
  });

  it("never answers a caller from the cache with a model it may not use", async () => {
    const prompt = freshPrompt();
    await stream(harness.client("grpc"), sharedA, prompt);
    const refused = await stream(harness.client("grpc"), narrow, prompt);
    expect(refused.error?.code).toBe(Code.PermissionDenied);
    expect(refused.chunks).toEqual([]);
  });

  it("changes nothing for a caller without a cache setting, unless its request asks", async () => {
    const prompt = freshPrompt();
    const client = harness.client("grpc");
    const first = await stream(client, plain, prompt);
    expect(first.header.get("x-gemini-cache")).toBeNull();
    expect(await logLine(harness, first.requestId)).not.toHaveProperty("cache");
    await stream(client, plain, prompt);
    expect(upstreamCalls(harness, prompt)).toBe(2);
    const asked = { "x-gemini-cache-ttl": "60" };
    expect((await stream(client, plain, prompt, asked)).header.get("x-gemini-cache")).toBe("miss");
    expect((await stream(client, plain, prompt, asked)).header.get("x-gemini-cache")).toBe("hit");
    expect(upstreamCalls(harness, prompt)).toBe(3);
  });

  it("refuses a bad cache header with InvalidArgument naming it, before Gemini", async () => {
    const prompt = freshPrompt();
    const bad: Record<string, string>[] = [{ "x-gemini-cache": "sometimes" }, { "x-gemini-cache-ttl": "ten" }, { "x-gemini-cache-ttl": "-1" }];
    for (const headers of bad) {
      const outcome = await stream(harness.client("grpc"), cached, prompt, headers);
      expect(outcome.error?.code).toBe(Code.InvalidArgument);
      expect(outcome.error?.rawMessage).toContain(Object.keys(headers)[0]);
    }
    await expect(harness.client("grpc").generateContent(requestFor(prompt), cached.options("authorization", { headers: { "x-gemini-cache": "x" } }))).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    expect(upstreamCalls(harness, prompt)).toBe(0);
  });

  it("does not charge a hit's tokens to the caller's token limit", async () => {
    const client = harness.client("grpc");
    const prompt = freshPrompt();
    // 10 tokens of a budget of 25 per window...
    expect((await stream(client, thrifty, prompt)).error).toBeUndefined();
    // ...then hits that would be 30 more if they counted...
    for (let i = 0; i < 3; i++) expect((await stream(client, thrifty, prompt)).header.get("x-gemini-cache")).toBe("hit");
    // ...so a new question is still let in (20 spent), and the one after is refused (the budget works).
    expect((await stream(client, thrifty, freshPrompt())).error).toBeUndefined();
    expect((await stream(client, thrifty, freshPrompt())).error).toBeUndefined();
    expect((await stream(client, thrifty, freshPrompt())).error?.code).toBe(Code.ResourceExhausted);
  });

  const neverStored: [string, () => void][] = [
    ["an error after chunks", () => harness.emulator.enqueue({ kind: "errorMidStream", afterChunks: 2, error: { code: 500, message: "boom", status: "INTERNAL" } })],
    ["a cut stream", () => harness.emulator.enqueue({ kind: "cut", afterChunks: 2 })],
    [
      "a blocked prompt",
      () => harness.emulator.enqueue({ kind: "chunks", chunks: [{ promptFeedback: { blockReason: "SAFETY" }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } }] }),
    ],
    [
      "an answer stopped for safety",
      () => harness.emulator.enqueue({ kind: "chunks", chunks: [{ candidates: [{ content: { role: "model", parts: [{ text: "I" }] }, finishReason: "SAFETY", index: 0 }] }] }),
    ],
    ["an answer without a finish reason", () => harness.emulator.enqueue({ kind: "chunks", chunks: [{ candidates: [{ content: { role: "model", parts: [{ text: "I" }] }, index: 0 }] }] })],
  ];
  for (const [what, script] of neverStored) {
    it(`never stores ${what}`, async () => {
      const prompt = freshPrompt();
      script();
      await stream(harness.client("grpc"), cached, prompt);
      const again = await stream(harness.client("grpc"), cached, prompt);
      expect(again.error).toBeUndefined();
      expect(again.header.get("x-gemini-cache")).toBe("miss");
      expect(upstreamCalls(harness, prompt)).toBe(2);
    });
  }

  it("never stores a stream its caller cancelled, and stops asking Gemini", async () => {
    const prompt = freshPrompt();
    harness.emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const controller = new AbortController();
    const { options } = callOptions(undefined, {}, { signal: controller.signal });
    const chunks = harness.client("grpc").streamGenerateContent(requestFor(prompt), cached.options("authorization", options));
    await expect(
      (async () => {
        for await (const _ of chunks) controller.abort();
      })(),
    ).rejects.toMatchObject({ code: Code.Canceled });
    // Nobody reads the answer any more: the upstream request is gone.
    await eventually(() => harness.emulator.openRequests === 0);
    const again = await stream(harness.client("grpc"), cached, prompt);
    expect(again.header.get("x-gemini-cache")).toBe("miss");
    expect(upstreamCalls(harness, prompt)).toBe(2);
  });

  it("serves the Gemini REST/SSE ingress from the same cache, with the same headers", async () => {
    const prompt = freshPrompt();
    const rest = await fetch(`${harness.baseUrl}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": cached.key },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: prompt }] }] }),
    });
    expect(rest.status).toBe(200);
    expect(rest.headers.get("x-gemini-cache")).toBe("miss");
    expect(await rest.text()).toContain("data: ");
    // The same question over gRPC is the same request: a hit.
    expect((await stream(harness.client("grpc"), cached, prompt)).header.get("x-gemini-cache")).toBe("hit");
    const again = await fetch(`${harness.baseUrl}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": plain.key, "x-gemini-cache-ttl": "60" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: prompt }] }] }),
    });
    expect(again.headers.get("x-gemini-cache")).toBe("miss");
    expect(upstreamCalls(harness, prompt)).toBe(2);
  });

  it("serves 50 identical concurrent requests from one Gemini call, each with the full answer", async () => {
    const prompt = freshPrompt();
    harness.emulator.enqueue({ kind: "paced", delayMs: 20 });
    const client = harness.client("grpc");
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => stream(client, cached, prompt)));
    expect(upstreamCalls(harness, prompt)).toBe(1);
    const results = outcomes.map((o) => o.header.get("x-gemini-cache"));
    expect(results.filter((r) => r === "miss")).toHaveLength(1);
    expect(results.filter((r) => r === "coalesced").length).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.chunks).toEqual(outcomes[0]?.chunks);
    }
    expect(text(outcomes[0]?.chunks ?? [])).toBe(prompt);
  });
});

describe("response cache: a shared answer that fails", () => {
  const cached = testCaller("cached", {}, { ttlSeconds: 600 });
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ callers: [cached.caller], cache: roomy, callPolicy: { retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0, backoffMultiplier: 1 } } });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("passes the leader's failure to every follower, after the same chunks", async () => {
    const prompt = freshPrompt();
    harness.emulator.enqueue({ kind: "stall", afterChunks: 2 });
    const client = harness.client("grpc");
    const readers = Array.from({ length: 10 }, () => {
      const received: GenerateContentResponse[] = [];
      const iterator = client.streamGenerateContent(requestFor(prompt), cached.options())[Symbol.asyncIterator]();
      return { received, iterator };
    });
    // Every reader has the two chunks Gemini sent before it went silent: all are attached.
    for (const reader of readers) {
      for (let i = 0; i < 2; i++) reader.received.push((await reader.iterator.next()).value as GenerateContentResponse);
    }
    expect(upstreamCalls(harness, prompt)).toBe(1);
    // Gemini goes away mid-answer.
    await harness.emulator.close();
    for (const reader of readers) {
      const error = await reader.iterator.next().then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.Unavailable);
      expect(reader.received).toEqual(readers[0]?.received);
    }
  });
});

describe("response cache bounds", () => {
  const cached = testCaller("cached", {}, { ttlSeconds: 600 });
  // Every answer: 200 chunks of 1,000 characters, about 210 KB as binary messages.
  const maxBytes = 1_000_000;
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      callers: [cached.caller],
      emulator: { chunks: 200, chunkChars: 1_000 },
      cache: { maxBytes, maxEntryBytes: 300_000, maxTtlSeconds: 3600 },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("holds CACHE_MAX_BYTES under a flood of distinct large answers, letting the oldest go", async () => {
    const client = harness.client("grpc");
    const flood = Array.from({ length: 12 }, () => freshPrompt());
    for (const prompt of flood) {
      expect((await stream(client, cached, prompt)).header.get("x-gemini-cache")).toBe("miss");
      expect(await metric(harness, "gemini_cache_memory_bytes")).toBeLessThanOrEqual(maxBytes);
    }
    expect(await metric(harness, "gemini_cache_memory_bytes")).toBeGreaterThan(maxBytes / 2);
    expect((await stream(client, cached, flood.at(-1) as string)).header.get("x-gemini-cache")).toBe("hit");
    expect((await stream(client, cached, flood[0] as string)).header.get("x-gemini-cache")).toBe("miss");
  });
});

describe("response cache: a follower too far behind", () => {
  const cached = testCaller("cached", {}, { ttlSeconds: 600 });
  // Answers of 200 chunks of 50,000 characters (10 MB): more than the client's read-ahead, the
  // HTTP/2 windows and the sockets hold, and far more than the 1 MiB a shared answer may hold for
  // its slowest reader.
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      callers: [cached.caller],
      emulator: { chunks: 200, chunkChars: 50_000 },
      cache: { maxBytes: 2_097_152, maxEntryBytes: 1_048_576, maxTtlSeconds: 3600 },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("cuts loose a follower that falls too far behind, without stalling the others", async () => {
    const prompt = freshPrompt();
    // Paced so the three requests, sent together, all attach before the first MiB is out.
    harness.emulator.enqueue({ kind: "paced", delayMs: 10 });
    const client = harness.client("grpc");
    // A reader that takes one chunk, then nothing until the others are done. Uncompressed (this
    // text compresses ~300:1), so flow control holds the gateway back as soon as it stops.
    const slowClient = createClient(GenerativeService, createGrpcTransport({ baseUrl: harness.baseUrl, acceptCompression: [] }));
    const slow = slowClient.streamGenerateContent(requestFor(prompt), cached.options())[Symbol.asyncIterator]();
    const first = slow.next();
    const others = [stream(client, cached, prompt), stream(client, cached, prompt)];
    expect((await first).done).toBe(false);
    for (const outcome of await Promise.all(others)) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.chunks).toHaveLength(200);
    }
    expect(upstreamCalls(harness, prompt)).toBe(1);
    const rest = await (async () => {
      try {
        for (let next = await slow.next(); next.done !== true; next = await slow.next());
      } catch (error) {
        return ConnectError.from(error);
      }
      return undefined;
    })();
    expect(rest?.code).toBe(Code.ResourceExhausted);
    expect(rest?.rawMessage).toContain("fell more than 1048576 bytes behind");
  });
});
