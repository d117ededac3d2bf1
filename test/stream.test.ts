// The core path through real sockets: client -> gateway -> @google/genai -> emulator, per protocol.

import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Candidate_FinishReason,
  GenerateContentRequestSchema,
} from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentRequest, GenerateContentResponse } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { ContentSchema } from "../gen/ts/geminiconnect/v1/content_pb.ts";
import { eventually, protocols, startHarness } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

function ask(text: string, model = "models/gemini-2.5-flash"): GenerateContentRequest {
  return create(GenerateContentRequestSchema, {
    model,
    contents: [{ role: "user", parts: [{ data: { case: "text", value: text } }] }],
  });
}

function textOf(chunk: GenerateContentResponse): string {
  return (chunk.candidates[0]?.content?.parts ?? [])
    .map((part) => (part.data.case === "text" ? part.data.value : ""))
    .join("");
}

describe.each(protocols)("StreamGenerateContent over %s", (protocol) => {
  it("forwards every chunk, ending with the finish reason and the full usage", async () => {
    const prompt = `the quick brown fox jumps over the lazy dog via ${protocol}`;
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of harness.client(protocol).streamGenerateContent(ask(prompt))) chunks.push(chunk);

    const words = prompt.split(" ").length;
    expect(chunks).toHaveLength(words);
    expect(chunks.map(textOf).join("")).toBe(prompt);
    const last = chunks.at(-1);
    expect(last?.candidates[0]?.finishReason).toBe(Candidate_FinishReason.STOP);
    expect(chunks.slice(0, -1).every((c) => c.candidates[0]?.finishReason === Candidate_FinishReason.FINISH_REASON_UNSPECIFIED)).toBe(true);
    expect(last?.usageMetadata).toMatchObject({ promptTokenCount: words, candidatesTokenCount: words, totalTokenCount: 2 * words });
    expect(new Set(chunks.map((c) => c.responseId)).size).toBe(1);
    expect(last?.modelVersion).not.toBe("");
  });
});

describe("streaming", () => {
  it("delivers chunk 1 to the caller while the emulator has not yet produced chunk 2", async () => {
    harness.emulator.enqueue({ kind: "paced", delayMs: 60_000 });
    const abort = new AbortController();
    const sentBefore = harness.emulator.chunksSent;
    const stream = harness.client("grpc").streamGenerateContent(ask("one two three"), { signal: abort.signal });
    const first = await stream[Symbol.asyncIterator]().next();
    expect(first.done).toBe(false);
    expect(textOf(first.value as GenerateContentResponse)).toBe("one ");
    expect(harness.emulator.chunksSent - sentBefore).toBe(1);
    abort.abort();
    await eventually(() => harness.emulator.openRequests === 0);
  });

  it("serves 50 concurrent streams from one client, each getting its own answer", async () => {
    const client = harness.client("grpc");
    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        let text = "";
        for await (const chunk of client.streamGenerateContent(ask(`stream number ${i} says hello`))) text += textOf(chunk);
        return text;
      }),
    );
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => `stream number ${i} says hello`));
  });

  it("carries a multi-turn chat to Gemini turn by turn", async () => {
    const client = harness.client("connect-h2");
    const history: GenerateContentRequest["contents"] = [];
    for (const line of ["hello there", "how are you", "tell me more"]) {
      history.push(create(ContentSchema, { role: "user", parts: [{ data: { case: "text", value: line } }] }));
      let answer = "";
      for await (const chunk of client.streamGenerateContent(create(GenerateContentRequestSchema, { model: "models/gemini-2.5-flash", contents: history }))) {
        answer += textOf(chunk);
      }
      expect(answer).toBe(line);
      history.push(create(ContentSchema, { role: "model", parts: [{ data: { case: "text", value: answer } }] }));
    }
    const last = harness.emulator.requests.at(-1);
    expect(last?.body).toMatchObject({
      contents: [
        { role: "user", parts: [{ text: "hello there" }] },
        { role: "model", parts: [{ text: "hello there" }] },
        { role: "user", parts: [{ text: "how are you" }] },
        { role: "model", parts: [{ text: "how are you" }] },
        { role: "user", parts: [{ text: "tell me more" }] },
      ],
    });
  });
});

describe.each(protocols)("unary RPCs over %s", (protocol) => {
  it("GenerateContent answers with the whole text, finish reason and usage", async () => {
    const response = await harness.client(protocol).generateContent(ask("a single answer please"));
    expect(textOf(response)).toBe("a single answer please");
    expect(response.candidates[0]?.finishReason).toBe(Candidate_FinishReason.STOP);
    expect(response.usageMetadata?.totalTokenCount).toBe(8);
  });

  it("CountTokens counts the contents", async () => {
    const response = await harness.client(protocol).countTokens({
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ data: { case: "text", value: "count these four words" } }] }],
    });
    expect(response.totalTokens).toBe(4);
    expect(harness.emulator.requests.at(-1)).toMatchObject({ method: "countTokens", model: "gemini-2.5-flash" });
  });
});

describe("the upstream request", () => {
  it("goes to v1beta with the gateway's key in x-goog-api-key, never in the URL", async () => {
    await harness.client("grpc").generateContent(ask("hi"));
    const request = harness.emulator.requests.at(-1);
    expect(request?.apiVersion).toBe("v1beta");
    expect(request?.headers["x-goog-api-key"]).toBe("AIzaTk7Qw3Zp9Xv2Lm6Rb8Nc4Hj");
  });

  it("accepts a bare model id as Gemini does", async () => {
    await harness.client("grpc").generateContent(ask("hi", "gemini-2.5-flash"));
    expect(harness.emulator.requests.at(-1)?.model).toBe("gemini-2.5-flash");
  });
});
