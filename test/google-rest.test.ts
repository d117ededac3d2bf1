// Google's own JS client, @google/genai (the pinned 3.1.0), unchanged but for its base URL, against
// the gateway's Gemini REST/SSE ingress; then the same paths as curl or any HTTP client calls
// them: the JSON-array stream, the three ways to present a key, limit refusals and bad requests in
// Google's error shape, HTTP/2.

import { ApiError, GoogleGenAI } from "@google/genai";
import type { GenerateContentResponse } from "@google/genai";
import { connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCaller } from "./support/callers.ts";
import { chatHistory, perDayQuotaError } from "./support/google.ts";
import { eventually, startHarness, upstreamKey } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";
import { noLimits } from "../src/config/callers-file.ts";

const model = "gemini-2.5-flash";
const user = testCaller("rest-user");
const limited = testCaller("rest-limited", { requestsPerMinute: 1 });

let harness: Harness;
let ai: GoogleGenAI;
beforeAll(async () => {
  harness = await startHarness({
    callers: [user.caller, limited.caller],
    limits: { global: noLimits, windowSeconds: 60, redis: undefined },
  });
  // The one line that changes for a user of @google/genai: the base URL (and the gateway's key).
  ai = new GoogleGenAI({ apiKey: user.key, apiVersion: "v1beta", httpOptions: { baseUrl: harness.baseUrl } });
});
afterAll(async () => {
  await harness?.close();
});

const restLogs = () => harness.logs.filter((line) => line["protocol"] === "rest");

/** A chunk as the SDK hands it over, without what differs between two identical requests. */
function comparable(chunk: GenerateContentResponse): unknown {
  const { sdkHttpResponse: _headers, responseId: _id, ...rest } = JSON.parse(JSON.stringify(chunk)) as Record<string, unknown>;
  return rest;
}

async function collect(stream: AsyncGenerator<GenerateContentResponse>): Promise<{ chunks: GenerateContentResponse[]; error: unknown }> {
  const chunks: GenerateContentResponse[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
}

describe("@google/genai with its base URL at the gateway", () => {
  it("streams a multi-turn request, chunk for chunk and field for field as Gemini sends them to the SDK", async () => {
    const contents = [...chatHistory, { role: "user", parts: [{ text: "tell me four words" }] }];
    const viaGateway = await collect(await ai.models.generateContentStream({ model, contents }));
    const direct = new GoogleGenAI({ apiKey: upstreamKey, apiVersion: "v1beta", httpOptions: { baseUrl: harness.emulator.url } });
    const viaSdkAlone = await collect(await direct.models.generateContentStream({ model, contents }));

    expect(viaGateway.error).toBeUndefined();
    expect(viaGateway.chunks.map((chunk) => chunk.text)).toEqual(["tell ", "me ", "four ", "words"]);
    expect(viaGateway.chunks.map(comparable)).toEqual(viaSdkAlone.chunks.map(comparable));
    expect(viaGateway.chunks.at(-1)?.candidates?.[0]?.finishReason).toBe("STOP");
    expect(harness.emulator.requests.at(-2)?.body).toMatchObject({ contents });
    expect(restLogs().at(-1)).toMatchObject({
      method: "google.ai.generativelanguage.v1beta.GenerativeService/StreamGenerateContent",
      model: "models/gemini-2.5-flash",
      caller: "rest-user",
      code: "ok",
      chunks: 4,
    });
  });

  it("keeps a chat's history: each turn sends the conversation so far", async () => {
    const chat = ai.chats.create({ model, history: [...chatHistory] });
    const first = await collect(await chat.sendMessageStream({ message: "first question" }));
    expect(first.chunks.map((chunk) => chunk.text).join("")).toBe("first question");
    const second = await chat.sendMessage({ message: "second question" });
    expect(second.text).toBe("second question");
    const sent = harness.emulator.requests.at(-1)?.body as { contents: { role: string; parts: { text: string }[] }[] };
    expect(sent.contents.map((content) => `${content.role}: ${content.parts.map((part) => part.text).join("")}`)).toEqual([
      "user: hi",
      "model: hello, how can I help?",
      "user: first question",
      // The SDK keeps a streamed answer as one model turn per chunk.
      "model: first ",
      "model: question",
      "user: second question",
    ]);
  });

  it("makes a unary call", async () => {
    const response = await ai.models.generateContent({ model, contents: "asks once" });
    expect(response.text).toBe("asks once");
    expect(response.usageMetadata?.totalTokenCount).toBe(4);
  });

  it("counts tokens", async () => {
    const response = await ai.models.countTokens({ model, contents: [...chatHistory, { role: "user", parts: [{ text: "and these" }] }] });
    expect(response.totalTokens).toBe(8);
  });

  it("works on the SDK's default API version, v1, as well", async () => {
    const v1 = new GoogleGenAI({ apiKey: user.key, httpOptions: { baseUrl: harness.baseUrl } });
    expect((await v1.models.generateContent({ model, contents: "on v1" })).text).toBe("on v1");
  });

  it("raises Gemini's 429 as its own ApiError with status 429 and Gemini's body (a per-day quota is not retried)", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 429, error: perDayQuotaError });
    const asked = harness.emulator.requests.length;
    const error = await ai.models.generateContent({ model, contents: "over quota" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    const body = JSON.parse((error as ApiError).message) as { error: Record<string, unknown> };
    expect(body.error).toEqual({ ...perDayQuotaError, details: [...(perDayQuotaError.details ?? [])] });
    expect(harness.emulator.requests.length).toBe(asked + 1);
  });

  it("raises an error that comes after the first chunks, once those chunks are delivered", async () => {
    harness.emulator.enqueue({ kind: "errorMidStream", afterChunks: 2, error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } });
    const { chunks, error } = await collect(await ai.models.generateContentStream({ model, contents: "one two three four" }));
    expect(chunks.map((chunk) => chunk.text)).toEqual(["one ", "two "]);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect((error as ApiError).message).toContain("The model is overloaded.");
    expect(restLogs().at(-1)).toMatchObject({ code: "Unavailable", chunks: 2 });
  });

  it("a client that aborts mid-stream ends the upstream request", async () => {
    harness.emulator.enqueue({ kind: "paced", delayMs: 60_000 });
    const abort = new AbortController();
    const stream = await ai.models.generateContentStream({ model, contents: "one two three", config: { abortSignal: abort.signal } });
    const chunks = stream[Symbol.asyncIterator]();
    expect((await chunks.next()).value?.text).toBe("one ");
    // The first chunk is out and the next one a minute away: the upstream call is still open.
    expect(harness.emulator.openRequests).toBe(1);
    abort.abort();
    await expect(chunks.next()).rejects.toThrow();
    await eventually(() => harness.emulator.openRequests === 0);
    await eventually(() => restLogs().at(-1)?.["code"] === "Canceled");
  });

  it("refuses an unknown key with the SDK's ApiError 401, before Gemini", async () => {
    const stranger = new GoogleGenAI({ apiKey: "not-a-caller", apiVersion: "v1beta", httpOptions: { baseUrl: harness.baseUrl } });
    const asked = harness.emulator.requests.length;
    const error = await stranger.models.generateContent({ model, contents: "let me in" }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(401);
    expect(JSON.parse((error as ApiError).message)).toEqual({
      error: { code: 401, message: "unknown caller key", status: "UNAUTHENTICATED" },
    });
    expect(harness.emulator.requests.length).toBe(asked);
  });
});

const text = (prompt: string) => JSON.stringify({ contents: [{ role: "user", parts: [{ text: prompt }] }] });

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${harness.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${user.key}`, ...headers },
    body,
  });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

describe("the Gemini REST paths, as any HTTP client calls them", () => {
  it("stream as one JSON array without ?alt=sse, and as SSE events with it", async () => {
    const array = await post("/v1beta/models/gemini-2.5-flash:streamGenerateContent", text("array of three"));
    expect(array.status).toBe(200);
    expect(array.type).toBe("application/json; charset=UTF-8");
    expect(array.text).toMatch(/^\[\{.*\}\r\n,\{.*\}\r\n,\{.*\}\]$/s);
    const elements = JSON.parse(array.text) as { candidates: { content: { parts: { text: string }[] } }[] }[];
    expect(elements.map((chunk) => chunk.candidates[0]?.content.parts[0]?.text)).toEqual(["array ", "of ", "three"]);

    const sse = await post("/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse", text("two events"));
    expect(sse.type).toBe("text/event-stream");
    const events = sse.text.split("\r\n\r\n");
    expect(events.pop()).toBe("");
    expect(events.map((event) => (JSON.parse(event.replace(/^data: /, "")) as (typeof elements)[0]).candidates[0]?.content.parts[0]?.text)).toEqual(["two ", "events"]);
  });

  it("ends a JSON-array stream that fails after its first chunk with Google's error as the last element", async () => {
    harness.emulator.enqueue({ kind: "errorMidStream", afterChunks: 1, error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } });
    const array = await post("/v1beta/models/gemini-2.5-flash:streamGenerateContent", text("one two"));
    const elements = JSON.parse(array.text) as Record<string, unknown>[];
    expect(elements).toHaveLength(2);
    expect(elements[1]).toEqual({ error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } });
  });

  it("take the caller key from ?key=, x-goog-api-key or Authorization: Bearer; never quote it back", async () => {
    const path = "/v1beta/models/gemini-2.5-flash:generateContent";
    expect((await post(`${path}?key=${user.key}`, text("by query"), { authorization: "" })).status).toBe(200);
    expect((await post(path, text("by header"), { authorization: "", "x-goog-api-key": user.key })).status).toBe(200);
    const wrong = await post(`${path}?key=wrong-${user.key}`, text("bad key"), { authorization: "" });
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain(user.key);
    const none = await post(path, text("no key"), { authorization: "" });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED" } });
    expect(JSON.stringify(harness.logs)).not.toContain(user.key);
  });

  it("refuse a caller over its limit with 429, RetryInfo and QuotaFailure as JSON with their @type", async () => {
    const headers = { authorization: `Bearer ${limited.key}` };
    expect((await post("/v1beta/models/gemini-2.5-flash:generateContent", text("first"), headers)).status).toBe(200);
    const refused = await post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", text("second"), headers);
    expect(refused.status).toBe(429);
    expect(refused.type).toBe("application/json; charset=UTF-8");
    const { error } = JSON.parse(refused.text) as { error: { code: number; status: string; message: string; details: Record<string, unknown>[] } };
    expect(error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED" });
    expect(error.message).toMatch(/^caller rest-limited is over its limit of 1 requests per 60 s; retry in /);
    expect(error.details).toEqual([
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: expect.stringMatching(/^\d+(\.\d+)?s$/) as unknown },
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [expect.objectContaining({ subject: "caller:rest-limited", quotaId: "caller.requests", quotaValue: "1" }) as unknown],
      },
    ]);
  });

  it("count tokens for a whole generateContentRequest, sent to Gemini as it came", async () => {
    const nested = { model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "count these four words" }] }] };
    const counted = await post("/v1beta/models/gemini-2.5-flash:countTokens", JSON.stringify({ generateContentRequest: nested }));
    expect(counted.status).toBe(200);
    expect(JSON.parse(counted.text)).toMatchObject({ totalTokens: 4 });
    expect(harness.emulator.requests.at(-1)?.body).toEqual({ generateContentRequest: nested });
  });

  it.each([
    ["bad JSON", "/v1beta/models/gemini-2.5-flash:generateContent", "{not json", {}, 400, /^Invalid JSON payload received\./],
    ["a body that is not an object", "/v1beta/models/gemini-2.5-flash:generateContent", "[1]", {}, 400, /^Invalid JSON payload received\./],
    ["an unknown field", "/v1beta/models/gemini-2.5-flash:generateContent", '{"contents": [], "bogus": 1}', {}, 400, /key "bogus" is unknown/],
    ["no contents", "/v1beta/models/gemini-2.5-flash:generateContent", "{}", {}, 400, /^contents: at least one Content is required$/],
    ["a wrong content type", "/v1beta/models/gemini-2.5-flash:generateContent", text("x"), { "content-type": "text/plain" }, 400, /^Content-Type must be application\/json/],
    ["an unknown method", "/v1beta/models/gemini-2.5-flash:embedContent", text("x"), {}, 404, /is not a Gemini API method this gateway serves/],
    ["an unknown path", "/v1beta/tunedModels", text("x"), {}, 404, /is not a Gemini API method this gateway serves/],
  ])("answer %s with Google's error shape, status %#", async (_name, path, body, headers, status, message) => {
    const asked = harness.emulator.requests.length;
    const response = await post(path, body, headers);
    expect(response.status).toBe(status);
    expect(response.type).toBe("application/json; charset=UTF-8");
    const { error } = JSON.parse(response.text) as { error: { code: number; status: string; message: string } };
    expect(error.code).toBe(status);
    expect(error.status).toBe(status === 400 ? "INVALID_ARGUMENT" : "NOT_FOUND");
    expect(error.message).toMatch(message);
    expect(response.text).not.toMatch(/\n\s+at /);
    expect(harness.emulator.requests.length).toBe(asked);
  });

  it("refuse a body over MAX_REQUEST_BYTES with 400, before Gemini", async () => {
    const small = await startHarness({ maxRequestBytes: 1024 });
    try {
      const response = await fetch(`${small.baseUrl}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: text("x".repeat(2000)),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: 400, message: "the request body is larger than 1024 bytes (MAX_REQUEST_BYTES)", status: "INVALID_ARGUMENT" },
      });
      expect(small.emulator.requests).toHaveLength(0);
    } finally {
      await small.close();
    }
  });

  it("answer GET on a method's path with 404", async () => {
    const response = await fetch(`${harness.baseUrl}/v1beta/models/gemini-2.5-flash:generateContent`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 404, status: "NOT_FOUND", message: expect.stringContaining("POST only") as unknown } });
  });

  it("stream SSE over HTTP/2 as well", async () => {
    const session = connect(harness.baseUrl);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        "content-type": "application/json",
        "x-goog-api-key": user.key,
      });
      stream.end(text("over http two"));
      const [headers, body] = await Promise.all([
        new Promise<Record<string, unknown>>((resolve) => stream.once("response", resolve)),
        (async () => {
          let all = "";
          for await (const data of stream) all += String(data);
          return all;
        })(),
      ]);
      expect(headers[":status"]).toBe(200);
      expect(headers["content-type"]).toBe("text/event-stream");
      expect(body.split("\r\n\r\n").filter((event) => event !== "")).toHaveLength(3);
    } finally {
      session.close();
    }
  });
});
