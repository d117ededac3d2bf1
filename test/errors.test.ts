// Upstream failures reach the caller with the Connect code of the same meaning and Gemini's own
// message, before the first chunk and after it; a failed stream never ends as a clean OK.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallOptions } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { eventually, protocols, readStream, startHarness, testCallPolicy } from "./support/harness.ts";
import type { GenerativeClient, Harness } from "./support/harness.ts";

let harness: Harness;
beforeAll(async () => {
  // Retries off: here each scripted failure is the whole story (retries are tested in resilience.test.ts).
  harness = await startHarness({ callPolicy: { retry: { ...testCallPolicy.retry, maxAttempts: 1 } } });
});
afterAll(async () => {
  await harness.close();
});

const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: "one two three four five" } }] }],
});

/** Reads the whole stream; returns what arrived and how it ended. */
const drain = (client: GenerativeClient, options: CallOptions = {}) => readStream(client, request, options);

const statusCases = [
  { http: 400, status: "INVALID_ARGUMENT", code: Code.InvalidArgument },
  { http: 400, status: "FAILED_PRECONDITION", code: Code.FailedPrecondition },
  { http: 403, status: "PERMISSION_DENIED", code: Code.PermissionDenied },
  { http: 404, status: "NOT_FOUND", code: Code.NotFound },
  { http: 429, status: "RESOURCE_EXHAUSTED", code: Code.ResourceExhausted },
  { http: 500, status: "INTERNAL", code: Code.Internal },
  { http: 503, status: "UNAVAILABLE", code: Code.Unavailable },
  { http: 504, status: "DEADLINE_EXCEEDED", code: Code.DeadlineExceeded },
];

describe("an upstream HTTP error before the first chunk", () => {
  it.each(statusCases)("HTTP $http $status becomes $code with Gemini's message", async ({ http, status, code }) => {
    const message = `upstream says ${status.toLowerCase()}`;
    harness.emulator.enqueue({ kind: "httpError", status: http, error: { code: http, message, status } });
    const { chunks, error } = await drain(harness.client("grpc"));
    expect(chunks).toEqual([]);
    expect(error?.code).toBe(code);
    expect(error?.rawMessage).toBe(message);
  });

  it.each([
    { http: 400, code: Code.InvalidArgument },
    { http: 403, code: Code.PermissionDenied },
    { http: 404, code: Code.NotFound },
    { http: 429, code: Code.ResourceExhausted },
    { http: 500, code: Code.Internal },
    { http: 503, code: Code.Unavailable },
    { http: 504, code: Code.DeadlineExceeded },
  ])("HTTP $http with no status name falls back to the HTTP status: $code", async ({ http, code }) => {
    harness.emulator.enqueue({ kind: "httpError", status: http, error: { code: http, message: "terse", status: "" } });
    const { error } = await drain(harness.client("grpc"));
    expect(error?.code).toBe(code);
  });

  it("a body sent as text/event-stream (as Gemini does on the SSE endpoint) is still understood", async () => {
    harness.emulator.enqueue({
      kind: "httpError",
      status: 404,
      contentType: "text/event-stream",
      error: { code: 404, message: "models/nope is not found for API version v1beta", status: "NOT_FOUND" },
    });
    const { error } = await drain(harness.client("connect-h1"));
    expect(error?.code).toBe(Code.NotFound);
    expect(error?.rawMessage).toBe("models/nope is not found for API version v1beta");
  });

  it.each(protocols)("unary GenerateContent over %s maps the same way", async (protocol) => {
    harness.emulator.enqueue({ kind: "httpError", status: 429, error: { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED" } });
    const error = await harness.client(protocol).generateContent(request).catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
  });
});

describe.each(protocols)("a failure after chunks were sent, over %s", (protocol) => {
  it("an error inside the stream ends it with that error's code, the chunks before it kept", async () => {
    harness.emulator.enqueue({ kind: "errorMidStream", afterChunks: 2, error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } });
    const { chunks, error } = await drain(harness.client(protocol));
    expect(chunks).toHaveLength(2);
    expect(error?.code).toBe(Code.Unavailable);
    expect(error?.rawMessage).toBe("The model is overloaded.");
  });

  it("a cut connection ends it with Unavailable, never OK", async () => {
    harness.emulator.enqueue({ kind: "cut", afterChunks: 2 });
    const { chunks, error } = await drain(harness.client(protocol));
    expect(chunks).toHaveLength(2);
    expect(error?.code).toBe(Code.Unavailable);
  });

  it("a chunk that is not JSON ends it with Internal", async () => {
    harness.emulator.enqueue({ kind: "malformed", afterChunks: 1 });
    const { chunks, error } = await drain(harness.client(protocol));
    expect(chunks).toHaveLength(1);
    expect(error?.code).toBe(Code.Internal);
  });
});

describe("the caller leaving", () => {
  it("a deadline that expires on a stalled upstream gives DeadlineExceeded and closes the upstream request", async () => {
    harness.emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const { chunks, error } = await drain(harness.client("grpc"), { timeoutMs: 300 });
    expect(chunks).toHaveLength(1);
    expect(error?.code).toBe(Code.DeadlineExceeded);
    await eventually(() => harness.emulator.openRequests === 0);
  });

  it.each(protocols)("a cancel over %s closes the upstream request and is logged as Canceled", async (protocol) => {
    harness.emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const abort = new AbortController();
    const stream = harness.client(protocol).streamGenerateContent(request, { signal: abort.signal })[Symbol.asyncIterator]();
    await stream.next();
    expect(harness.emulator.openRequests).toBe(1);
    abort.abort();
    await eventually(() => harness.emulator.openRequests === 0);
    await eventually(() => harness.logs.some((line) => line["code"] === "Canceled" && line["chunks"] === 1));
  });
});

describe("caller mistakes, caught before any upstream call", () => {
  it.each([
    { name: "a missing model", req: { contents: request.contents }, field: "model" },
    { name: "a malformed model", req: { model: "models/../files", contents: request.contents }, field: "model" },
    { name: "empty contents", req: { model: "models/gemini-2.5-flash" }, field: "contents" },
  ])("$name is InvalidArgument naming the field", async ({ req, field }) => {
    const before = harness.emulator.requests.length;
    const error = await harness
      .client("grpc")
      .generateContent(create(GenerateContentRequestSchema, req))
      .catch((e: unknown) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toMatch(new RegExp(`^${field}: `));
    expect(harness.emulator.requests.length).toBe(before);
  });
});

describe("deadlines", () => {
  it("a deadline beyond what a timer can hold is refused as InvalidArgument, not expired at once", async () => {
    // Sent raw: the client's own timer would overflow first.
    const response = await fetch(`${harness.baseUrl}/geminiconnect.v1.GenerativeService/GenerateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "connect-timeout-ms": String(2 ** 31) },
      body: JSON.stringify({ model: "models/gemini-2.5-flash", contents: [{ parts: [{ text: "hi" }] }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/timeout/) as unknown });
  });
});
