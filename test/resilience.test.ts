// The fault matrix: what each upstream failure does to the caller, with retries, timeouts and
// typed error details, through real sockets. Every case must end (no hang), with the right code,
// and leave the gateway serving.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallOptions } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentResponse } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  HelpSchema,
  LocalizedMessageSchema,
  QuotaFailureSchema,
  RetryInfoSchema,
} from "../gen/ts/google/rpc/error_details_pb.ts";
import type { RpcError } from "../src/emulator/server.ts";
import { createClient } from "@connectrpc/connect";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { createLogger } from "../src/observe/logger.ts";
import { createGateway } from "../src/gateway.ts";
import { createGenaiUpstream } from "../src/upstream/genai.ts";
import { eventually, protocols, readStream, startHarness, testCallPolicy, transportFor } from "./support/harness.ts";
import type { GenerativeClient, Harness } from "./support/harness.ts";

let harness: Harness;
beforeAll(async () => {
  // Timeouts short enough to watch fire, with a wide margin over the emulator's pacing below.
  harness = await startHarness({ callPolicy: { firstChunkTimeoutMs: 1_000, idleTimeoutMs: 1_000, totalTimeoutMs: 2_500 } });
});
afterAll(async () => {
  await harness.close();
});

const prompt = "one two three four five six";
const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: prompt } }] }],
});

/** Reads the whole stream; returns what arrived and how it ended. */
const drain = (client: GenerativeClient, options: CallOptions = {}) => readStream(client, request, options);

const textOf = (chunks: GenerateContentResponse[]) =>
  chunks.map((c) => c.candidates[0]?.content?.parts.map((p) => (p.data.case === "text" ? p.data.value : "")).join("")).join("");

function lastLog() {
  return harness.logs.findLast((line) => line["msg"] === "rpc" || line["msg"] === "rpc failed");
}

const quota429 = (retryDelay: string, quotaId: string): RpcError => ({
  code: 429,
  status: "RESOURCE_EXHAUSTED",
  message: "You exceeded your current quota, please check your plan and billing details.",
  details: [
    {
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [{ quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests", quotaId, quotaDimensions: { model: "gemini-2.5-flash", location: "global" }, quotaValue: "10" }],
    },
    { "@type": "type.googleapis.com/google.rpc.Help", links: [{ description: "Learn more about Gemini API quotas", url: "https://ai.google.dev/gemini-api/docs/rate-limits" }] },
    { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
  ],
});

describe("retries before the first chunk", () => {
  it("Unavailable twice, then an answer: the caller sees only the answer; the log counts 3 attempts", async () => {
    const overloaded = { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" };
    harness.emulator.enqueue({ kind: "httpError", status: 503, error: overloaded });
    harness.emulator.enqueue({ kind: "httpError", status: 503, error: overloaded });
    const { chunks, error } = await drain(harness.client("grpc"));
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe(prompt);
    expect(lastLog()).toMatchObject({ code: "ok", attempts: 3 });
  });

  it("Unavailable on every attempt: Unavailable after the last one, with Gemini's message", async () => {
    for (let i = 0; i < 3; i++) harness.emulator.enqueue({ kind: "httpError", status: 503, error: { code: 503, message: "down", status: "UNAVAILABLE" } });
    const before = harness.emulator.requests.length;
    const { error } = await drain(harness.client("grpc"));
    expect(error?.code).toBe(Code.Unavailable);
    expect(error?.rawMessage).toBe("down");
    expect(harness.emulator.requests.length - before).toBe(3);
    expect(lastLog()).toMatchObject({ code: "Unavailable", attempts: 3 });
  });

  it("500 is retried once it passes", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 500, error: { code: 500, message: "An internal error has occurred.", status: "INTERNAL" } });
    expect((await drain(harness.client("connect-h2"))).error).toBeUndefined();
  });

  it("a 429 whose RetryInfo fits in the deadline is retried after that delay", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 429, error: quota429("0.05s", "GenerateRequestsPerMinutePerProjectPerModel-FreeTier") });
    const { chunks, error } = await drain(harness.client("grpc"), { timeoutMs: 2_000 });
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe(prompt);
  });

  it("a 429 whose RetryInfo does not fit in the caller's deadline is returned at once, details typed", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 429, error: quota429("53s", "GenerateRequestsPerMinutePerProjectPerModel-FreeTier") });
    const { error } = await drain(harness.client("grpc"), { timeoutMs: 2_000 });
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds).toBe(53n);
    expect(error?.findDetails(QuotaFailureSchema)[0]?.violations[0]).toMatchObject({
      quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
      quotaDimensions: { model: "gemini-2.5-flash", location: "global" },
      quotaValue: 10n,
    });
    expect(error?.findDetails(HelpSchema)[0]?.links[0]?.url).toBe("https://ai.google.dev/gemini-api/docs/rate-limits");
  });

  it.each(protocols)("a per-day quota is final, whatever RetryInfo says (over %s)", async (protocol) => {
    harness.emulator.enqueue({ kind: "httpError", status: 429, error: quota429("0.01s", "GenerateRequestsPerDayPerProjectPerModel-FreeTier") });
    const before = harness.emulator.requests.length;
    const { error } = await drain(harness.client(protocol));
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(harness.emulator.requests.length - before).toBe(1);
    expect(error?.findDetails(QuotaFailureSchema)[0]?.violations[0]?.quotaId).toBe("GenerateRequestsPerDayPerProjectPerModel-FreeTier");
    expect(error?.findDetails(RetryInfoSchema)).toHaveLength(1);
  });

  it("nothing is retried after a chunk went out", async () => {
    harness.emulator.enqueue({ kind: "errorMidStream", afterChunks: 2, error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } });
    const before = harness.emulator.requests.length;
    const { chunks, error } = await drain(harness.client("grpc"));
    expect(chunks).toHaveLength(2);
    expect(error?.code).toBe(Code.Unavailable);
    expect(harness.emulator.requests.length - before).toBe(1);
  });

  it("400, 403 and 404 are final and keep their typed details", async () => {
    harness.emulator.enqueue({
      kind: "httpError",
      status: 400,
      error: {
        code: 400,
        status: "INVALID_ARGUMENT",
        message: "API key not valid. Please pass a valid API key.",
        details: [
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com", metadata: { service: "generativelanguage.googleapis.com" } },
          { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message: "API key not valid. Please pass a valid API key." },
          { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "contents[0].parts", description: "must not be empty" }] },
          { "@type": "type.googleapis.com/some.unknown.Detail", whatever: 1 },
        ],
      },
    });
    const { error } = await drain(harness.client("grpc-web-h1"));
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "API_KEY_INVALID", metadata: { service: "generativelanguage.googleapis.com" } });
    expect(error?.findDetails(LocalizedMessageSchema)[0]?.locale).toBe("en-US");
    expect(error?.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("contents[0].parts");
    for (const [status, name, code] of [[403, "PERMISSION_DENIED", Code.PermissionDenied], [404, "NOT_FOUND", Code.NotFound]] as const) {
      harness.emulator.enqueue({ kind: "httpError", status, error: { code: status, message: name, status: name } });
      const before = harness.emulator.requests.length;
      expect((await drain(harness.client("grpc"))).error?.code).toBe(code);
      expect(harness.emulator.requests.length - before).toBe(1);
    }
  });
});

describe("timeouts", () => {
  it("no first chunk in time: DeadlineExceeded naming TIMEOUT_FIRST_CHUNK_MS, upstream closed, not retried", async () => {
    harness.emulator.enqueue({ kind: "stall", afterChunks: 0 });
    const before = harness.emulator.requests.length;
    const { chunks, error } = await drain(harness.client("grpc"));
    expect(chunks).toEqual([]);
    expect(error?.code).toBe(Code.DeadlineExceeded);
    expect(error?.rawMessage).toMatch(/TIMEOUT_FIRST_CHUNK_MS/);
    expect(harness.emulator.requests.length - before).toBe(1);
    await eventually(() => harness.emulator.openRequests === 0);
  });

  it("silence between chunks: DeadlineExceeded naming TIMEOUT_IDLE_MS after the chunks that came", async () => {
    harness.emulator.enqueue({ kind: "stall", afterChunks: 2 });
    const { chunks, error } = await drain(harness.client("connect-h1"));
    expect(chunks).toHaveLength(2);
    expect(error?.code).toBe(Code.DeadlineExceeded);
    expect(error?.rawMessage).toMatch(/TIMEOUT_IDLE_MS/);
    await eventually(() => harness.emulator.openRequests === 0);
  });

  it("a stream that never falls silent but runs too long: DeadlineExceeded naming TIMEOUT_TOTAL_MS", async () => {
    harness.emulator.enqueue({ kind: "paced", delayMs: 250 });
    const long = create(GenerateContentRequestSchema, {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ data: { case: "text", value: "w ".repeat(40) } }] }],
    });
    let received = 0;
    const error = await (async () => {
      for await (const _ of harness.client("grpc").streamGenerateContent(long)) received++;
    })().catch((e: unknown) => ConnectError.from(e));
    expect(received).toBeGreaterThan(2);
    expect(error?.code).toBe(Code.DeadlineExceeded);
    expect(error?.rawMessage).toMatch(/TIMEOUT_TOTAL_MS/);
    await eventually(() => harness.emulator.openRequests === 0);
  });

  it("the caller's own shorter deadline wins", async () => {
    harness.emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const { error } = await drain(harness.client("grpc"), { timeoutMs: 150 });
    expect(error?.code).toBe(Code.DeadlineExceeded);
    expect(error?.rawMessage).not.toMatch(/TIMEOUT_/);
  });
});

describe("cancellation", () => {
  it("200 streams cancelled at random moments leave no upstream request open", async () => {
    // Its own gateway, with the default test timeouts: 200 streams at once must not trip the short ones above.
    const busy = await startHarness();
    const client = busy.client("grpc");
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(" ");
    const slow = create(GenerateContentRequestSchema, {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ data: { case: "text", value: words } }] }],
    });
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const abort = new AbortController();
        const readChunks = Math.floor(random() * 20);
        let read = 0;
        try {
          for await (const _ of client.streamGenerateContent(slow, { signal: abort.signal })) {
            if (read++ >= readChunks) abort.abort();
          }
        } catch (error) {
          expect(ConnectError.from(error).code).toBe(Code.Canceled);
        }
      }),
    );
    await eventually(() => busy.emulator.openRequests === 0, 1_000);
    await eventually(() => busy.logs.filter((l) => l["code"] === "Canceled").length === 200);
    expect(busy.logs.filter((l) => l["level"] === 50)).toEqual([]);
    await busy.close();
  });
});

describe("Gemini unreachable", () => {
  it("connection refused is Unavailable after the retries, before and during a stream", async () => {
    const logger = createLogger({ level: "silent" });
    const closedPort = createServer();
    await new Promise<void>((resolve) => closedPort.listen(0, "127.0.0.1", resolve));
    const { port } = closedPort.address() as AddressInfo;
    await new Promise((resolve) => closedPort.close(resolve));
    const upstream = createGenaiUpstream({ backend: "gemini", apiKey: "k", baseUrl: `http://127.0.0.1:${port}` });
    const gateway = createGateway({ upstream, logger, callPolicy: testCallPolicy, maxRequestBytes: 1 << 20 });
    const address = await gateway.start(0, "127.0.0.1");
    try {
      const client = createClient(GenerativeService, transportFor("grpc", `http://127.0.0.1:${address.port}`));
      const { error } = await drain(client);
      expect(error?.code).toBe(Code.Unavailable);
      expect(error?.rawMessage).toMatch(/ECONNREFUSED|fetch failed/);
      const unary = await client.countTokens({ model: "models/m", contents: request.contents }).catch((e: unknown) => ConnectError.from(e));
      expect((unary as ConnectError).code).toBe(Code.Unavailable);
    } finally {
      await gateway.stop(100);
    }
  });
});

describe("the gateway after all of the above", () => {
  it("still serves", async () => {
    await sleep(10);
    const { chunks, error } = await drain(harness.client("grpc"));
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe(prompt);
  });
});
