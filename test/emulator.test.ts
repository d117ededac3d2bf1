// The emulator as the real @google/genai SDK sees it, over real sockets.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError, GoogleGenAI } from "@google/genai";
import type { GenerateContentResponse } from "@google/genai";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator, EmulatorOptions } from "../src/emulator/server.ts";
import { EMPTY_ECHO, tokenCount } from "../src/emulator/responses.ts";

const MODEL = "gemini-2.5-flash";
const running: Emulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

async function emulator(options: EmulatorOptions = { apiKey: "test-key" }): Promise<Emulator> {
  const started = await startEmulator(options);
  running.push(started);
  return started;
}

function sdk(emulator: Emulator, apiKey = "test-key", apiVersion = "v1beta"): GoogleGenAI {
  return new GoogleGenAI({ apiKey, vertexai: false, apiVersion, httpOptions: { baseUrl: emulator.url } });
}

/** Waits for a condition with a bounded wait, so tests never depend on how fast the machine is. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface StreamOutcome {
  chunks: GenerateContentResponse[];
  error: unknown;
}

/** Consumes a stream to its end or its first error, keeping what arrived before the error. */
async function consume(
  stream: Promise<AsyncGenerator<GenerateContentResponse>>,
  onChunk: (chunk: GenerateContentResponse) => void = () => {},
): Promise<StreamOutcome> {
  const chunks: GenerateContentResponse[] = [];
  try {
    for await (const chunk of await stream) {
      chunks.push(chunk);
      onChunk(chunk);
    }
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

function texts(chunks: GenerateContentResponse[]): string[] {
  return chunks.map((chunk) => chunk.candidates?.[0]?.content?.parts?.[0]?.text ?? "");
}

async function post(emulator: Emulator, path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${emulator.url}${path}`, { method: "POST", body, headers });
  return { status: response.status, contentType: response.headers.get("content-type"), text: await response.text() };
}

describe("default echo", () => {
  it("streams the last user turn word by word, ending with STOP and the complete usage", async () => {
    const emu = await emulator();
    const prompt = "  Hello there,\n  streaming   world! ";
    const { chunks, error } = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: prompt }));

    expect(error).toBeUndefined();
    expect(texts(chunks)).toEqual(["  Hello ", "there,\n  ", "streaming   ", "world! "]);
    expect(texts(chunks).join("")).toBe(prompt);
    expect(chunks.map((chunk) => chunk.usageMetadata?.candidatesTokenCount)).toEqual([1, 2, 3, 4]);
    expect(new Set(chunks.map((chunk) => chunk.responseId)).size).toBe(1);
    expect(chunks.slice(0, -1).every((chunk) => chunk.candidates?.[0]?.finishReason === undefined)).toBe(true);
    const last = chunks.at(-1);
    expect(last?.modelVersion).toBe(MODEL);
    expect(last?.candidates?.[0]?.finishReason).toBe("STOP");
    expect(last?.candidates?.[0]?.index).toBe(0);
    expect(last?.usageMetadata).toEqual({
      promptTokenCount: 4,
      candidatesTokenCount: 4,
      totalTokenCount: 8,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 4 }],
      candidatesTokensDetails: [{ modality: "TEXT", tokenCount: 4 }],
    });
    expect(emu.chunksSent).toBe(4);
    await until(() => emu.openRequests === 0, "the stream to close");
  });

  it("gives each stream its own responseId", async () => {
    const emu = await emulator();
    const first = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "a b" }));
    const second = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "a b" }));
    expect(first.chunks[0]?.responseId).not.toBe(second.chunks[0]?.responseId);
  });

  it("echoes only the last user turn and counts the whole prompt", async () => {
    const emu = await emulator();
    const { chunks } = await consume(
      sdk(emu).models.generateContentStream({
        model: MODEL,
        contents: [
          { role: "user", parts: [{ text: "first question" }] },
          { role: "model", parts: [{ text: "an answer" }] },
          { role: "user", parts: [{ text: "second " }, { text: "question" }] },
        ],
        config: { systemInstruction: "be brief" },
      }),
    );
    expect(texts(chunks).join("")).toBe("second question");
    expect(chunks.at(-1)?.usageMetadata?.promptTokenCount).toBe(8);
  });

  it("stops at maxOutputTokens with finishReason MAX_TOKENS", async () => {
    const emu = await emulator();
    const { chunks } = await consume(
      sdk(emu).models.generateContentStream({ model: MODEL, contents: "one two three four five", config: { maxOutputTokens: 2 } }),
    );
    expect(texts(chunks)).toEqual(["one ", "two "]);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe("MAX_TOKENS");
    expect(chunks.at(-1)?.usageMetadata?.candidatesTokenCount).toBe(2);
  });

  it("still sends one chunk when the last user turn has no text", async () => {
    const emu = await emulator();
    const { chunks } = await consume(
      sdk(emu).models.generateContentStream({
        model: MODEL,
        contents: [{ role: "user", parts: [{ inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }] }],
      }),
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.text).toBe(EMPTY_ECHO);
    expect(chunks[0]?.candidates?.[0]?.finishReason).toBe("STOP");
    expect(chunks[0]?.usageMetadata?.promptTokenCount).toBe(0);
  });

  it("answers generateContent with the whole echo in one response", async () => {
    const emu = await emulator();
    const response = await sdk(emu).models.generateContent({ model: MODEL, contents: "Hi  you" });
    expect(response.text).toBe("Hi  you");
    expect(response.candidates?.[0]?.finishReason).toBe("STOP");
    expect(response.usageMetadata).toMatchObject({ promptTokenCount: 2, candidatesTokenCount: 2, totalTokenCount: 4 });
    expect(response.responseId).toMatch(/\S/);
    expect(emu.chunksSent).toBe(0);
  });

  it("answers countTokens with the same token rule", async () => {
    const emu = await emulator();
    const response = await sdk(emu).models.countTokens({ model: MODEL, contents: "a b  c\nd" });
    expect(response.totalTokens).toBe(4);
    // The SDK keeps only totalTokens (and cachedContentTokenCount), so check the wire body directly.
    const raw = await post(emu, `/v1beta/models/${MODEL}:countTokens`, JSON.stringify({
      generateContentRequest: { model: `models/${MODEL}`, contents: [{ role: "user", parts: [{ text: "x y" }] }] },
    }), { "x-goog-api-key": "test-key" });
    expect(JSON.parse(raw.text)).toEqual({ totalTokens: 2, promptTokensDetails: [{ modality: "TEXT", tokenCount: 2 }] });
  });

  it("serves the v1 prefix the same way", async () => {
    const emu = await emulator();
    const response = await sdk(emu, "test-key", "v1").models.generateContent({ model: MODEL, contents: "via v1" });
    expect(response.text).toBe("via v1");
    expect(emu.requests[0]?.apiVersion).toBe("v1");
  });

  it("cuts benchmark chunks to a fixed count and size by cycling the echo", async () => {
    const emu = await emulator({ chunks: 5, chunkChars: 3 });
    const { chunks } = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "abcd" }));
    expect(texts(chunks)).toEqual(["abc", "dab", "cda", "bcd", "abc"]);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe("STOP");
  });
});

describe("requests", () => {
  it("records the exact Gemini REST JSON the SDK sent", async () => {
    const emu = await emulator();
    await consume(
      sdk(emu).models.generateContentStream({
        model: MODEL,
        contents: "hello",
        config: { systemInstruction: "be nice", temperature: 0.5, maxOutputTokens: 64, stopSequences: ["END"] },
      }),
    );
    expect(emu.requests).toHaveLength(1);
    const recorded = emu.requests[0];
    expect(recorded?.method).toBe("streamGenerateContent");
    expect(recorded?.model).toBe(MODEL);
    expect(recorded?.apiVersion).toBe("v1beta");
    expect(recorded?.headers["x-goog-api-key"]).toBe("test-key");
    expect(recorded?.body).toEqual({
      contents: [{ role: "user", parts: [{ text: "hello" }] }],
      systemInstruction: { role: "user", parts: [{ text: "be nice" }] },
      generationConfig: { temperature: 0.5, maxOutputTokens: 64, stopSequences: ["END"] },
    });
  });
});

describe("errors before any answer", () => {
  it("rejects a wrong key like Google: 400 API_KEY_INVALID", async () => {
    const emu = await emulator();
    const error: unknown = await sdk(emu, "wrong-key").models.generateContent({ model: MODEL, contents: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain("API_KEY_INVALID");
    const body = JSON.parse((error as ApiError).message) as { error: { status: string; details: { reason?: string }[] } };
    expect(body.error.status).toBe("INVALID_ARGUMENT");
    expect(body.error.details[0]?.reason).toBe("API_KEY_INVALID");
    expect(emu.requests).toHaveLength(0);
  });

  it("rejects a missing key with 403 PERMISSION_DENIED and accepts ?key=", async () => {
    const emu = await emulator();
    const body = JSON.stringify({ contents: [{ parts: [{ text: "x" }] }] });
    const missing = await post(emu, `/v1beta/models/${MODEL}:generateContent`, body);
    expect(missing.status).toBe(403);
    expect(missing.contentType).toContain("application/json");
    expect(JSON.parse(missing.text)).toMatchObject({ error: { code: 403, status: "PERMISSION_DENIED" } });
    const viaQuery = await post(emu, `/v1beta/models/${MODEL}:generateContent?key=test-key`, body);
    expect(viaQuery.status).toBe(200);
  });

  it("answers unknown paths with 404 NOT_FOUND and bad JSON with 400 INVALID_ARGUMENT, pretty-printed", async () => {
    const emu = await emulator();
    const unknown = await post(emu, `/v1beta/models/${MODEL}:embedContent`, "{}", { "x-goog-api-key": "test-key" });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toMatchObject({ error: { code: 404, status: "NOT_FOUND" } });
    const badJson = await post(emu, `/v1beta/models/${MODEL}:generateContent`, "{not json", { "x-goog-api-key": "test-key" });
    expect(badJson.status).toBe(400);
    expect(badJson.text).toMatch(/^\{\n {2}"error": \{\n/);
    expect(JSON.parse(badJson.text)).toMatchObject({ error: { code: 400, status: "INVALID_ARGUMENT" } });
  });
});

describe("request checks", () => {
  it("refuses a generate call without contents and a stream without alt=sse, like Google does", async () => {
    const emu = await emulator({});
    const empty = await post(emu, `/v1beta/models/${MODEL}:generateContent`, "{}");
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.text)).toMatchObject({ error: { status: "INVALID_ARGUMENT", message: expect.stringContaining("contents") } });
    const body = JSON.stringify({ contents: [{ parts: [{ text: "x" }] }] });
    const noAlt = await post(emu, `/v1beta/models/${MODEL}:streamGenerateContent`, body);
    expect(noAlt.status).toBe(400);
    expect(emu.requests).toHaveLength(0);
  });

  it("counts tokens as whitespace-separated words, at least 1 for non-empty text", () => {
    expect([tokenCount(""), tokenCount("   "), tokenCount("one"), tokenCount(" two  words\n")]).toEqual([0, 1, 1, 2]);
  });
});

describe("scripts", () => {
  it("httpError 429 with RetryInfo reaches the SDK as ApiError 429 with the details", async () => {
    const emu = await emulator();
    const retryInfo = { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "53s" };
    emu.enqueue({
      kind: "httpError",
      status: 429,
      error: { code: 429, message: "Resource has been exhausted", status: "RESOURCE_EXHAUSTED", details: [retryInfo] },
    });
    const { chunks, error } = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "x" }));
    expect(chunks).toHaveLength(0);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    expect(JSON.parse((error as ApiError).message)).toEqual({
      error: { code: 429, message: "Resource has been exhausted", status: "RESOURCE_EXHAUSTED", details: [retryInfo] },
    });
  });

  it("httpError with a non-JSON content type is double-encoded by the SDK, as with Google's SSE errors", async () => {
    const emu = await emulator();
    emu.enqueue({
      kind: "httpError",
      status: 404,
      error: { code: 404, message: "models/nope is not found", status: "NOT_FOUND" },
      contentType: "text/event-stream",
    });
    const { error } = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "x" }));
    expect((error as ApiError).status).toBe(404);
    const outer = JSON.parse((error as ApiError).message) as { error: { message: string; status: string } };
    expect(outer.error.status).toBe("Not Found");
    expect(JSON.parse(outer.error.message)).toMatchObject({ error: { code: 404, status: "NOT_FOUND" } });
  });

  it("chunks sends exactly the scripted objects", async () => {
    const emu = await emulator();
    const scripted = [
      { candidates: [{ content: { role: "model", parts: [{ text: "scripted" }] }, index: 0 }] },
      { candidates: [{ content: { role: "model", parts: [] }, finishReason: "SAFETY", index: 0 }] },
    ];
    emu.enqueue({ kind: "chunks", chunks: scripted });
    const { chunks } = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "ignored" }));
    expect(chunks.map((chunk) => chunk.candidates)).toEqual(scripted.map((chunk) => chunk.candidates));
    // The queue is FIFO and one script serves one request: the next request gets the echo again.
    const next = await sdk(emu).models.generateContent({ model: MODEL, contents: "echo again" });
    expect(next.text).toBe("echo again");
  });

  it("errorMidStream: the SDK iterator throws ApiError after the first chunks", async () => {
    const emu = await emulator();
    emu.enqueue({ kind: "errorMidStream", afterChunks: 2, error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } });
    const { chunks, error } = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "one two three four" }));
    expect(texts(chunks)).toEqual(["one ", "two "]);
    expect(chunks.every((chunk) => chunk.candidates?.[0]?.finishReason === undefined)).toBe(true);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect((error as ApiError).message).toBe(
      'got status: UNAVAILABLE. {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}',
    );
  });

  it("cut: the SDK iterator throws TypeError('terminated') after the first chunks", async () => {
    const emu = await emulator();
    emu.enqueue({ kind: "cut", afterChunks: 2 });
    const { chunks, error } = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "one two three four" }));
    expect(texts(chunks)).toEqual(["one ", "two "]);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("terminated");
    expect((error as TypeError).cause).toMatchObject({ code: "UND_ERR_SOCKET" });
    await until(() => emu.openRequests === 0, "the cut request to close");
  });

  it("cut on a unary call: the SDK throws TypeError('fetch failed')", async () => {
    const emu = await emulator();
    emu.enqueue({ kind: "cut", afterChunks: 0 });
    const error: unknown = await sdk(emu).models.generateContent({ model: MODEL, contents: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("fetch failed");
  });

  it("malformed: the SDK iterator throws a bare SyntaxError after the first chunks", async () => {
    const emu = await emulator();
    emu.enqueue({ kind: "malformed", afterChunks: 1 });
    const { chunks, error } = await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "one two" }));
    expect(texts(chunks)).toEqual(["one "]);
    expect(error).toBeInstanceOf(SyntaxError);
    expect(error).not.toBeInstanceOf(ApiError);
  });

  it("stall: config.abortSignal ends the stream with AbortError and the request closes", async () => {
    const emu = await emulator();
    emu.enqueue({ kind: "stall", afterChunks: 1 });
    const abort = new AbortController();
    const stream = sdk(emu).models.generateContentStream({
      model: MODEL,
      contents: "one two three",
      config: { abortSignal: abort.signal },
    });
    const { chunks, error } = await consume(stream, () => {
      expect(emu.openRequests).toBe(1);
      abort.abort();
    });
    expect(texts(chunks)).toEqual(["one "]);
    expect((error as Error).name).toBe("AbortError");
    await until(() => emu.openRequests === 0, "the stalled request to close");
  });

  it("stall: close() ends a stalled stream, so it never hangs", async () => {
    const emu = await emulator();
    emu.enqueue({ kind: "stall", afterChunks: 0 });
    const outcome = consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "x" }));
    await until(() => emu.openRequests === 1, "the stalled request to arrive");
    await emu.close();
    expect(emu.openRequests).toBe(0);
    const { chunks, error } = await outcome;
    expect(chunks).toHaveLength(0);
    expect(error).toBeInstanceOf(TypeError);
  });

  it("paced: the first chunk reaches the client before the next one exists", async () => {
    const emu = await emulator();
    emu.enqueue({ kind: "paced", delayMs: 1000 });
    const stream = await sdk(emu).models.generateContentStream({ model: MODEL, contents: "one two" });
    const seenWhenReceived: number[] = [];
    const received: string[] = [];
    for await (const chunk of stream) {
      received.push(chunk.text ?? "");
      seenWhenReceived.push(emu.chunksSent);
    }
    expect(received).toEqual(["one ", "two"]);
    expect(seenWhenReceived).toEqual([1, 2]);
  });
});

describe("flow control", () => {
  it("stops producing when the client aborts mid-stream", async () => {
    const emu = await emulator();
    emu.enqueue({ kind: "paced", delayMs: 20 });
    const abort = new AbortController();
    const words = Array.from({ length: 200 }, (_, index) => `w${index}`).join(" ");
    const stream = sdk(emu).models.generateContentStream({ model: MODEL, contents: words, config: { abortSignal: abort.signal } });
    const { chunks, error } = await consume(stream, () => abort.abort());
    expect(texts(chunks)[0]).toBe("w0 ");
    expect((error as Error).name).toBe("AbortError");
    await until(() => emu.openRequests === 0, "the aborted request to close");
    const sent = emu.chunksSent;
    expect(sent).toBeLessThan(200);
    // A second paced stream of 5 chunks takes over 4 of the first one's pauses: had the first kept
    // producing, the count would have grown by more than these 5.
    emu.enqueue({ kind: "paced", delayMs: 20 });
    expect(texts((await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "a b c d e" }))).chunks)).toHaveLength(5);
    expect(emu.chunksSent).toBe(sent + 5);
  });

  it("waits for a slow reader instead of buffering without bound", async () => {
    const total = 1_000_000;
    const emu = await emulator({ chunks: total, chunkChars: 64 });
    const response = await fetch(`${emu.url}/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`, {
      method: "POST",
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "the quick brown fox" }] }] }),
    });
    const reader = response.body?.getReader();
    await reader?.read();
    // The reader now stops reading: once the socket buffers are full the emulator must stop too.
    let previous = -1;
    await until(
      () => {
        const settled = emu.chunksSent === previous;
        previous = emu.chunksSent;
        return settled && emu.chunksSent > 0;
      },
      "the emulator to stop writing",
      10000,
    );
    expect(emu.chunksSent).toBeLessThan(total);
    await reader?.cancel();
    await until(() => emu.openRequests === 0, "the cancelled request to close");
  });
});

describe("SDK behaviour the service relies on", () => {
  it("leaving the iterator early does not close the HTTP request; aborting the signal does", async () => {
    const emu = await emulator();
    emu.enqueue({ kind: "stall", afterChunks: 1 });
    const abort = new AbortController();
    const stream = await sdk(emu).models.generateContentStream({ model: MODEL, contents: "one two", config: { abortSignal: abort.signal } });
    for await (const chunk of stream) {
      expect(chunk.text).toBe("one ");
      break;
    }
    // A whole request served after the break: had leaving closed the first, it would be gone by now.
    expect(texts((await consume(sdk(emu).models.generateContentStream({ model: MODEL, contents: "x" }))).chunks)).toEqual(["x"]);
    expect(emu.openRequests).toBe(1);
    abort.abort();
    await until(() => emu.openRequests === 0, "the abandoned request to close");
  });
});

describe("standalone entry", () => {
  it("prints its URL, serves, and exits cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, ["src/emulator/main.ts"], {
      env: { ...process.env, EMULATOR_PORT: "0", EMULATOR_API_KEY: "main-key" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (data: string) => (output += data));
    await until(() => output.includes("\n"), "the listening line", 10000);
    const url = /gemini emulator listening on (http:\/\/\S+)/.exec(output)?.[1];
    expect(url).toBeDefined();
    const ai = new GoogleGenAI({ apiKey: "main-key", vertexai: false, apiVersion: "v1beta", httpOptions: { baseUrl: url ?? "" } });
    expect((await ai.models.generateContent({ model: MODEL, contents: "standalone" })).text).toBe("standalone");
    child.kill("SIGTERM");
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it("refuses a bad number, naming the variable", async () => {
    const child = spawn(process.execPath, ["src/emulator/main.ts"], {
      env: { ...process.env, EMULATOR_PORT: "0", EMULATOR_CHUNK_DELAY_MS: "soon" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let errors = "";
    child.stderr.setEncoding("utf8").on("data", (data: string) => (errors += data));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(errors).toContain("EMULATOR_CHUNK_DELAY_MS");
  });
});
