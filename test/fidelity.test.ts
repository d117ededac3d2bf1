// Nothing the caller sent or Gemini returned is lost or changed on the way through the gateway.
// Requests are asserted where Gemini would see them (the emulator's recorded body); responses
// where the caller sees them (the generated client's messages, as proto3 JSON = Gemini REST JSON).

import { fromJson, toJson } from "@bufbuild/protobuf";
import type { JsonObject } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GenerateContentRequestSchema,
  GenerateContentResponseSchema,
} from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentResponse } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { protocols, startHarness } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

const imageBytes = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0x10]);
const signatureBytes = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]);
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

// A request as Gemini's REST reference writes it. Floats are chosen exact in float32, since
// float fields travel as float32 on the binary wire, as in Google's own proto.
const richRequest: JsonObject = {
  contents: [
    {
      role: "user",
      parts: [
        { text: "What is in this picture, and what is the weather where it was taken?" },
        { inlineData: { mimeType: "image/png", data: base64(imageBytes) } },
        // A Cloud Storage URI: a Files API URI would have to name a file this caller uploaded (test/files-gateway.test.ts).
        { fileData: { mimeType: "application/pdf", fileUri: "gs://example-bucket/report.pdf" } },
      ],
    },
    {
      role: "model",
      parts: [
        { functionCall: { id: "call-1", name: "get_weather", args: { city: "Paris", days: 3, hourly: false } }, thoughtSignature: base64(signatureBytes) },
      ],
    },
    {
      role: "user",
      parts: [{ functionResponse: { id: "call-1", name: "get_weather", response: { forecast: ["sun", "rain"], high: 21.5 } } }],
    },
  ],
  systemInstruction: { role: "user", parts: [{ text: "You are terse and precise." }] },
  tools: [
    {
      functionDeclarations: [
        {
          name: "get_weather",
          description: "Weather forecast for a city",
          behavior: "BLOCKING",
          parameters: {
            type: "OBJECT",
            properties: {
              city: { type: "STRING", description: "City name" },
              days: { type: "INTEGER", minimum: 1, maximum: 10 },
              options: {
                type: "OBJECT",
                nullable: true,
                properties: {
                  units: { type: "STRING", enum: ["C", "F"] },
                  hours: { type: "ARRAY", items: { type: "INTEGER" }, minItems: "1", maxItems: "24" },
                },
                required: ["units"],
              },
            },
            required: ["city"],
            propertyOrdering: ["city", "days", "options"],
          },
        },
      ],
    },
    { codeExecution: {} },
    { googleSearch: {} },
    { urlContext: {} },
  ],
  toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } },
  safetySettings: [
    { category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_ONLY_HIGH" },
    { category: "HARM_CATEGORY_DANGEROUS_CONTENT", threshold: "BLOCK_NONE" },
  ],
  generationConfig: {
    candidateCount: 1,
    stopSequences: ["END"],
    maxOutputTokens: 512,
    temperature: 0.5,
    topP: 0.75,
    topK: 40,
    seed: 42,
    presencePenalty: 0.25,
    frequencyPenalty: -0.5,
    responseLogprobs: true,
    logprobs: 3,
    responseMimeType: "application/json",
    responseSchema: { type: "OBJECT", properties: { answer: { type: "STRING" } }, required: ["answer"] },
    responseModalities: ["TEXT"],
    thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 },
    mediaResolution: "MEDIA_RESOLUTION_LOW",
  },
  cachedContent: "cachedContents/warm-start-7",
};

describe.each(protocols)("request fidelity over %s", (protocol) => {
  it("a rich request reaches Gemini as exactly the REST JSON it stands for", async () => {
    const request = fromJson(GenerateContentRequestSchema, { model: "models/gemini-2.5-flash", ...richRequest });
    await harness.client(protocol).generateContent(request);
    const received = harness.emulator.requests.at(-1);
    expect(received?.model).toBe("gemini-2.5-flash");
    expect(received?.body).toEqual(richRequest);
  });
});

describe("request fidelity", () => {
  it("keeps JSON-schema fields that the SDK's own schema transform would rewrite or drop", async () => {
    const responseJsonSchema = {
      type: "object",
      additionalProperties: false,
      properties: { note: { anyOf: [{ type: "null" }, { type: "string" }] } },
    };
    const legacySchema = { type: "object", properties: { n: { type: "integer" } } };
    const request = fromJson(GenerateContentRequestSchema, {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ text: "structured, please" }] }],
      // Field 28 carries the JSON name responseJsonSchema; field 24 the legacy _responseJsonSchema.
      generationConfig: { responseJsonSchema, _responseJsonSchema: legacySchema },
    });
    for await (const _ of harness.client("grpc").streamGenerateContent(request));
    expect(harness.emulator.requests.at(-1)?.body).toMatchObject({
      generationConfig: { responseJsonSchema, _responseJsonSchema: legacySchema },
    });
  });

  it("sends inline bytes as the same bytes, base64 on the REST side", async () => {
    const request = fromJson(GenerateContentRequestSchema, { model: "models/m", ...richRequest });
    await harness.client("grpc").countTokens({ model: "models/m", contents: request.contents });
    const body = harness.emulator.requests.at(-1)?.body as { contents: { parts: { inlineData?: { data: string } }[] }[] };
    const sent = body.contents[0]?.parts[1]?.inlineData?.data ?? "";
    expect(Buffer.from(sent, "base64")).toEqual(Buffer.from(imageBytes));
  });
});

// What Gemini streams for a thinking model that calls a tool and answers with grounding. Like
// Gemini, it leaves out zero values (proto3 implicit presence cannot tell them from absent).
const richChunks: JsonObject[] = [
  {
    candidates: [
      {
        content: { role: "model", parts: [{ text: "Weighing the sources…", thought: true, thoughtSignature: base64(signatureBytes) }] },
        index: 0,
        safetyRatings: [{ category: "HARM_CATEGORY_HARASSMENT", probability: "NEGLIGIBLE" }],
      },
    ],
    usageMetadata: {
      promptTokenCount: 12,
      totalTokenCount: 20,
      thoughtsTokenCount: 8,
      cachedContentTokenCount: 4,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 10 }, { modality: "IMAGE", tokenCount: 2 }],
      cacheTokensDetails: [{ modality: "TEXT", tokenCount: 4 }],
    },
    modelVersion: "gemini-2.5-flash-002",
    responseId: "resp-7f3a",
  },
  {
    candidates: [
      {
        content: {
          role: "model",
          parts: [
            {
              functionCall: { id: "call-9", name: "lookup", args: { query: { terms: ["gemini", "connect"], exact: true, limit: 5 }, page: null } },
              thoughtSignature: base64(signatureBytes.subarray(2)),
            },
          ],
        },
        index: 0,
      },
    ],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 6, totalTokenCount: 26, thoughtsTokenCount: 8 },
    modelVersion: "gemini-2.5-flash-002",
    responseId: "resp-7f3a",
  },
  {
    candidates: [
      {
        content: { role: "model", parts: [{ text: "Gemini Connect streams tokens [1]." }, { text: "", thoughtSignature: base64(signatureBytes) }] },
        finishReason: "STOP",
        index: 0,
        safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "LOW" }],
        citationMetadata: { citationSources: [{ startIndex: 0, endIndex: 21, uri: "https://example.com/a", license: "mit" }] },
        groundingMetadata: {
          searchEntryPoint: { renderedContent: "<div>chips</div>", sdkBlob: base64(imageBytes) },
          groundingChunks: [{ web: { uri: "https://example.com/a", title: "Example A" } }],
          groundingSupports: [{ segment: { partIndex: 1, startIndex: 7, endIndex: 21, text: "Connect streams" }, groundingChunkIndices: [0], confidenceScores: [0.75] }],
          webSearchQueries: ["gemini connect streaming"],
          retrievalMetadata: { googleSearchDynamicRetrievalScore: 0.5 },
        },
        urlContextMetadata: { urlMetadata: [{ retrievedUrl: "https://example.com/a", urlRetrievalStatus: "URL_RETRIEVAL_STATUS_SUCCESS" }] },
        avgLogprobs: -0.125,
        logprobsResult: {
          topCandidates: [{ candidates: [{ token: "Gemini", logProbability: -0.25, tokenId: 812 }, { token: "The", logProbability: -2.5, tokenId: 12 }] }],
          chosenCandidates: [{ token: "Gemini", logProbability: -0.25, tokenId: 812 }],
          logProbabilitySum: -0.25,
        },
        tokenCount: 9,
      },
    ],
    usageMetadata: {
      promptTokenCount: 12,
      candidatesTokenCount: 15,
      totalTokenCount: 38,
      thoughtsTokenCount: 8,
      toolUsePromptTokenCount: 3,
      cachedContentTokenCount: 4,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 10 }, { modality: "IMAGE", tokenCount: 2 }],
      candidatesTokensDetails: [{ modality: "TEXT", tokenCount: 15 }],
      toolUsePromptTokensDetails: [{ modality: "TEXT", tokenCount: 3 }],
      cacheTokensDetails: [{ modality: "TEXT", tokenCount: 4 }],
    },
    modelVersion: "gemini-2.5-flash-002",
    responseId: "resp-7f3a",
  },
];

async function streamAll(harness: Harness, protocol: (typeof protocols)[number]): Promise<GenerateContentResponse[]> {
  const request = fromJson(GenerateContentRequestSchema, { model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "go" }] }] });
  const chunks: GenerateContentResponse[] = [];
  for await (const chunk of harness.client(protocol).streamGenerateContent(request)) chunks.push(chunk);
  return chunks;
}

describe.each(protocols)("response fidelity over %s", (protocol) => {
  it("a rich upstream stream reaches the caller field for field", async () => {
    harness.emulator.enqueue({ kind: "chunks", chunks: richChunks });
    const chunks = await streamAll(harness, protocol);
    expect(chunks.map((chunk) => toJson(GenerateContentResponseSchema, chunk))).toEqual(richChunks);
    const signature = chunks[0]?.candidates[0]?.content?.parts[0]?.thoughtSignature;
    expect(signature).toEqual(signatureBytes);
  });

  it("a blocked prompt arrives as prompt feedback with no candidates", async () => {
    const blocked = {
      promptFeedback: {
        blockReason: "SAFETY",
        safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true }],
      },
      usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 },
      modelVersion: "gemini-2.5-flash-002",
      responseId: "resp-blocked",
    };
    harness.emulator.enqueue({ kind: "chunks", chunks: [blocked] });
    const chunks = await streamAll(harness, protocol);
    expect(chunks.map((chunk) => toJson(GenerateContentResponseSchema, chunk))).toEqual([blocked]);
  });
});

describe("API drift", () => {
  it("a field our proto does not know is dropped, the rest of the chunk kept, and the drift logged", async () => {
    harness.emulator.enqueue({
      kind: "chunks",
      chunks: [
        {
          candidates: [{ content: { role: "model", parts: [{ text: "still here" }] }, finishReason: "STOP", index: 0 }],
          modelVersion: "gemini-9",
          modelStatus: { message: "preview", modelStage: "PREVIEW" },
          usageMetadata: { promptTokenCount: 1, totalTokenCount: 3, candidatesTokenCount: 2, trafficType: "ON_DEMAND" },
        },
      ],
    });
    const chunks = await streamAll(harness, "grpc");
    expect(toJson(GenerateContentResponseSchema, chunks[0]!)).toEqual({
      candidates: [{ content: { role: "model", parts: [{ text: "still here" }] }, finishReason: "STOP", index: 0 }],
      modelVersion: "gemini-9",
      modelStatus: { message: "preview", modelStage: "PREVIEW" },
      usageMetadata: { promptTokenCount: 1, totalTokenCount: 3, candidatesTokenCount: 2 },
    });
    const line = harness.logs.findLast((l) => l["method"] === "geminiconnect.v1.GenerativeService/StreamGenerateContent");
    expect(line).toMatchObject({ code: "ok", chunks: 1, driftedChunks: 1 });
  });
});
