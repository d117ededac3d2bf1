// Google's own clients for the Gemini API, unchanged but for where they connect, against a gateway
// that checks callers: google-genai (Python, REST/SSE), the generated GAPIC clients over gRPC
// (Python google-ai-generativelanguage, Go cloud.google.com/go/ai/generativelanguage/apiv1beta),
// and grpcurl with Google's own .proto files. All are installed by scripts/install-tools.sh.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCaller } from "../support/callers.ts";
import { perDayQuotaError } from "../support/google.ts";
import { eventually, startHarness } from "../support/harness.ts";
import type { Harness } from "../support/harness.ts";
import { collect, goTool, jsonDocuments, nextLine, python, repoRoot, run, textOf, tool } from "./support.ts";
import type { ChunkJson } from "./support.ts";

interface Report {
  texts: string[];
  finishReason?: string;
  promptTokens?: number;
  totalTokens?: number;
  history?: string[];
  error?: Record<string, unknown>;
}

const caller = testCaller("google-clients");
const googleProtos = join(repoRoot, ".tools/google-protos");
const genaiClient = join(repoRoot, "test/interop/python/google_genai_client.py");
const gapicClient = join(repoRoot, "test/interop/python/gapic_client.py");
// The chat every client sends: "hi", "hello, how can I help?", then its prompt.
const historyTokens = 1 + 5;

let harness: Harness;
let py: ReturnType<typeof python>;
let address: string;
let binaries: string;
beforeAll(async () => {
  py = python();
  if (!existsSync(join(googleProtos, "google/ai/generativelanguage/v1beta/generative_service.proto"))) {
    throw new Error(`Google's protos are not in ${googleProtos}: run scripts/install-tools.sh`);
  }
  binaries = await mkdtemp(join(tmpdir(), "gemini-connect-gapic-go-"));
  const { code, stderr } = await run(goTool(), ["build", "-mod=readonly", "-o", join(binaries, "gapic-client"), "."], {
    cwd: join(repoRoot, "test/interop/gapic-go"),
    killAfterMs: 170_000,
  });
  if (code !== 0) throw new Error(`go build in test/interop/gapic-go failed (${code}): ${stderr}`);
  harness = await startHarness({ callers: [caller.caller] });
  address = new URL(harness.baseUrl).host;
}, 180_000);
afterAll(async () => {
  await harness?.close();
  if (binaries !== undefined) await rm(binaries, { recursive: true, force: true });
});

async function report(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Report> {
  const { code, stdout, stderr } = await run(command, args, env === undefined ? {} : { env });
  expect(stderr).toBe("");
  expect(code).toBe(0);
  return JSON.parse(stdout) as Report;
}

const genai = (...args: string[]) => report(py.command, [genaiClient, "--base-url", harness.baseUrl, "--key", caller.key, ...args], py.env);
const gapicPython = (...args: string[]) => report(py.command, [gapicClient, "--addr", address, "--key", caller.key, ...args], py.env);
const gapicGo = (...args: string[]) => report(join(binaries, "gapic-client"), ["-addr", address, "-key", caller.key, ...args]);

describe("google-genai (Python) with its base URL at the gateway", () => {
  it("streams a multi-turn request chunk by chunk", async () => {
    const out = await genai("--call", "stream", "--prompt", "python genai streams");
    expect(out).toEqual({ texts: ["python ", "genai ", "streams"], finishReason: "STOP", promptTokens: historyTokens + 3, totalTokens: historyTokens + 6 });
    expect(harness.logs.at(-1)).toMatchObject({ protocol: "rest", caller: "google-clients", code: "ok", chunks: 3 });
  });

  it("makes a unary call and counts tokens", async () => {
    expect(await genai("--call", "unary", "--prompt", "asks once")).toMatchObject({ texts: ["asks once"], finishReason: "STOP" });
    expect(await genai("--call", "count", "--prompt", "three more words")).toEqual({ texts: [], totalTokens: historyTokens + 3 });
  });

  it("keeps a chat's history across turns", async () => {
    const out = await genai("--call", "chat", "--prompt", "first question");
    expect(out.texts).toEqual(["first ", "question", "and once more"]);
    expect(out.history).toEqual([
      "user: hi",
      "model: hello, how can I help?",
      "user: first question",
      // The SDK keeps a streamed answer as one model turn per chunk.
      "model: first ",
      "model: question",
      "user: and once more",
      "model: and once more",
    ]);
  });

  it("raises Gemini's 429 as its own ClientError with code 429", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 429, error: perDayQuotaError });
    const out = await genai("--call", "unary", "--prompt", "over quota");
    expect(out.error).toEqual({ type: "ClientError", code: 429, status: "RESOURCE_EXHAUSTED", message: perDayQuotaError.message });
  });

  it("raises an error that comes after the first chunks, once those chunks are delivered", async () => {
    harness.emulator.enqueue({ kind: "errorMidStream", afterChunks: 2, error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } });
    const out = await genai("--call", "stream", "--prompt", "one two three four");
    expect(out.texts).toEqual(["one ", "two "]);
    expect(out.error).toEqual({ type: "ServerError", code: 503, status: "UNAVAILABLE", message: "The model is overloaded." });
  });

  it("a client that closes the stream ends the upstream request", async () => {
    harness.emulator.enqueue({ kind: "paced", delayMs: 60_000 });
    const args = [genaiClient, "--base-url", harness.baseUrl, "--key", caller.key, "--call", "abort", "--prompt", "one two three"];
    const child = spawn(py.command, args, { env: py.env });
    const ended = collect(child);
    expect(JSON.parse(await nextLine(child))).toEqual({ ready: true });
    expect(harness.emulator.openRequests).toBe(1);
    child.stdin.write("close\n");
    expect(JSON.parse(await nextLine(child))).toEqual({ closed: true });
    await eventually(() => harness.emulator.openRequests === 0);
    await eventually(() => harness.logs.at(-1)?.["code"] === "Canceled");
    child.stdin.end("exit\n");
    const { code, stderr } = await ended;
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

describe("google-ai-generativelanguage (Python GAPIC) on a cleartext channel to the gateway", () => {
  it("streams a multi-turn request, makes a unary call, counts tokens", async () => {
    expect(await gapicPython("--call", "stream", "--prompt", "gapic python streams")).toEqual({
      texts: ["gapic ", "python ", "streams"],
      finishReason: "STOP",
      promptTokens: historyTokens + 3,
      totalTokens: historyTokens + 6,
    });
    expect(harness.logs.at(-1)).toMatchObject({
      protocol: "grpc",
      method: "google.ai.generativelanguage.v1beta.GenerativeService/StreamGenerateContent",
      caller: "google-clients",
    });
    expect(await gapicPython("--call", "unary", "--prompt", "asks once")).toMatchObject({ texts: ["asks once"], finishReason: "STOP" });
    expect(await gapicPython("--call", "count", "--prompt", "three more words")).toEqual({ texts: [], totalTokens: historyTokens + 3 });
  });

  it("raises ResourceExhausted whose RetryInfo and QuotaFailure decode with their own types", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 429, error: perDayQuotaError });
    const out = await gapicPython("--call", "stream", "--prompt", "over quota");
    expect(out.error).toEqual({
      type: "ResourceExhausted",
      code: "RESOURCE_EXHAUSTED",
      message: perDayQuotaError.message,
      retryDelaySeconds: 53,
      quotaIds: ["GenerateRequestsPerDayPerProjectPerModel-FreeTier"],
    });
  });

  it("gets Unimplemented, naming what is served, for a method of Google's the gateway does not serve", async () => {
    const out = await gapicPython("--call", "embed", "--prompt", "embed me");
    expect(out.error).toMatchObject({ type: "MethodNotImplemented", code: "UNIMPLEMENTED" });
    expect(out.error?.["message"]).toBe(
      'method "EmbedContent" is not served by google.ai.generativelanguage.v1beta.GenerativeService; it serves GenerateContent, StreamGenerateContent, CountTokens',
    );
  });
});

describe("google-ai-generativelanguage (Python GAPIC) on its REST transport", () => {
  it("streams a multi-turn request as Google's JSON array, makes a unary call, counts tokens", async () => {
    expect(await gapicPython("--transport", "rest", "--call", "stream", "--prompt", "gapic rest streams")).toEqual({
      texts: ["gapic ", "rest ", "streams"],
      finishReason: "STOP",
      promptTokens: historyTokens + 3,
      totalTokens: historyTokens + 6,
    });
    expect(harness.logs.at(-1)).toMatchObject({ protocol: "rest", caller: "google-clients", chunks: 3 });
    expect(await gapicPython("--transport", "rest", "--call", "unary", "--prompt", "asks once")).toMatchObject({ texts: ["asks once"] });
    expect(await gapicPython("--transport", "rest", "--call", "count", "--prompt", "three more words")).toEqual({ texts: [], totalTokens: historyTokens + 3 });
  });

  it("raises TooManyRequests (HTTP 429) with the RetryInfo and QuotaFailure of Google's JSON error body", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 429, error: perDayQuotaError });
    const out = await gapicPython("--transport", "rest", "--call", "unary", "--prompt", "over quota");
    expect(out.error).toEqual({
      type: "TooManyRequests",
      code: 429,
      // google-api-core puts the request line before Gemini's message over REST.
      message: expect.stringMatching(/^POST http:\/\/\S+:generateContent\?\S*: You exceeded your current quota/) as unknown,
      retryDelaySeconds: 53,
      quotaIds: ["GenerateRequestsPerDayPerProjectPerModel-FreeTier"],
    });
  });
});

describe("cloud.google.com/go/ai/generativelanguage/apiv1beta (Go GAPIC) on a cleartext connection to the gateway", () => {
  it("streams a multi-turn request, makes a unary call, counts tokens", async () => {
    expect(await gapicGo("-call", "stream", "-prompt", "gapic go streams")).toEqual({
      texts: ["gapic ", "go ", "streams"],
      finishReason: "STOP",
      promptTokens: historyTokens + 3,
      totalTokens: historyTokens + 6,
    });
    expect(await gapicGo("-call", "unary", "-prompt", "asks once")).toMatchObject({ texts: ["asks once"], finishReason: "STOP" });
    expect(await gapicGo("-call", "count", "-prompt", "three more words")).toEqual({ texts: [], totalTokens: historyTokens + 3 });
  });

  it("returns an apierror whose RetryInfo and QuotaFailure decode with their own types", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 429, error: perDayQuotaError });
    const out = await gapicGo("-call", "unary", "-prompt", "over quota");
    expect(out.error).toEqual({
      code: "ResourceExhausted",
      message: perDayQuotaError.message,
      retryDelayMs: 53_000,
      quotaIds: ["GenerateRequestsPerDayPerProjectPerModel-FreeTier"],
    });
  });
});

describe("grpcurl with Google's own protos, calling Google's service name", () => {
  const withProtos = (...args: string[]) =>
    run(tool("grpcurl"), [
      "-plaintext",
      "-import-path",
      googleProtos,
      "-proto",
      "google/ai/generativelanguage/v1beta/generative_service.proto",
      "-H",
      `x-goog-api-key: ${caller.key}`,
      ...args,
    ]);

  it("streams a Gemini answer chunk by chunk", async () => {
    const request = JSON.stringify({ model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "grpcurl with google protos" }] }] });
    const { code, stdout, stderr } = await withProtos("-d", request, address, "google.ai.generativelanguage.v1beta.GenerativeService/StreamGenerateContent");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const chunks = jsonDocuments(stdout) as ChunkJson[];
    expect(chunks.map(textOf)).toEqual(["grpcurl ", "with ", "google ", "protos"]);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe("STOP");
  });

  it("gets Unimplemented for BidiGenerateContent", async () => {
    const { code, stderr } = await withProtos("-d", "{}", address, "google.ai.generativelanguage.v1beta.GenerativeService/BidiGenerateContent");
    expect(code).not.toBe(0);
    expect(stderr).toContain("Code: Unimplemented");
    expect(stderr).toContain('method "BidiGenerateContent" is not served');
  });
});
