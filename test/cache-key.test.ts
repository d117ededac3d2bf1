// The cache key and the entry format, as plain functions.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  Candidate_FinishReason,
  GenerateContentRequestSchema,
  GenerateContentResponse_PromptFeedback_BlockReason,
  GenerateContentResponseSchema,
} from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentRequest, GenerateContentResponse } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { decodeEntry, encodeEntry, isStorableAnswer } from "../src/cache/entry.ts";
import { cacheKey } from "../src/cache/key.ts";
import { createLogger } from "../src/observe/logger.ts";
import { createPoolRouter, createSingleRouter } from "../src/routing/router.ts";
import type { Upstream } from "../src/upstream/upstream.ts";

const request = (init: MessageInitShape<typeof GenerateContentRequestSchema> = {}): GenerateContentRequest =>
  create(GenerateContentRequestSchema, {
    model: "models/gemini-2.5-flash",
    contents: [{ role: "user", parts: [{ data: { case: "text", value: "Classify this document." } }] }],
    ...init,
  });

const key = (req: GenerateContentRequest, parts: { namespace?: string; method?: "stream" | "unary"; model?: string } = {}) =>
  cacheKey({ namespace: parts.namespace ?? "team-a", method: parts.method ?? "stream", model: parts.model ?? req.model, request: req });

describe("cache key", () => {
  it("is the same for the same field values, whatever order they were set in", () => {
    const a = request({ generationConfig: { temperature: 0.2, topK: 3 } });
    const b = create(GenerateContentRequestSchema, {
      generationConfig: { topK: 3, temperature: 0.2 },
      contents: a.contents,
      model: a.model,
    });
    expect(key(a)).toBe(key(b));
    expect(key(a)).toMatch(/^team-a:stream:[0-9a-f]{64}$/);
  });

  it("changes with any field that can change the answer", () => {
    const base = key(request());
    expect(key(request())).toBe(base);
    const variants = [
      request({ contents: [{ role: "user", parts: [{ data: { case: "text", value: "Classify this document!" } }] }] }),
      request({ generationConfig: { temperature: 0 } }),
      request({ systemInstruction: { parts: [{ data: { case: "text", value: "Be brief." } }] } }),
      request({ labels: { team: "a" } }),
    ];
    for (const variant of variants) expect(key(variant)).not.toBe(base);
  });

  it("tells an explicit zero from an unset optional field, as the upstream JSON does", () => {
    expect(key(request({ generationConfig: {} }))).not.toBe(key(request({ generationConfig: { temperature: 0 } })));
  });

  it("is per namespace and per method", () => {
    const req = request();
    expect(key(req, { namespace: "team-b" })).not.toBe(key(req));
    expect(key(req, { method: "unary" })).not.toBe(key(req));
  });

  it("keys on the model as resolved, without changing the caller's message", () => {
    const alias = request({ model: "fast" });
    const resolved = request({ model: "models/gemini-2.5-flash" });
    expect(key(alias, { model: "models/gemini-2.5-flash" })).toBe(key(resolved));
    expect(key(alias, { model: "models/gemini-2.5-pro" })).not.toBe(key(resolved));
    expect(alias.model).toBe("fast");
  });

  it("resolves the model as the router does: an alias to the models that may answer, models/ or not", () => {
    const upstream = { name: "a", backend: "gemini", apiKey: "k", credentialsFile: undefined, baseUrl: undefined, project: undefined, location: undefined, weight: 1, maxConcurrentStreams: undefined } as const;
    const router = createPoolRouter({
      table: {
        upstreams: [upstream],
        aliases: new Map([["fast", [{ model: "gemini-2.5-flash", upstreams: ["a"] }, { model: "models/gemini-2.0-flash", upstreams: ["a"] }]]]),
        defaultPool: ["a"],
      },
      clients: new Map(),
      logger: createLogger({ level: "silent" }),
    });
    expect(router.resolve("fast", undefined)).toBe("gemini-2.5-flash,gemini-2.0-flash");
    expect(router.resolve("models/gemini-2.5-pro", undefined)).toBe("gemini-2.5-pro");
    expect(() => router.resolve("gemini-2.5-pro", ["gemini-2.0-*"])).toThrow(/may not use the model "gemini-2.5-pro"/);
    const single = createSingleRouter({} as Upstream);
    expect(single.resolve("models/gemini-2.5-flash", undefined)).toBe(single.resolve("gemini-2.5-flash", undefined));
  });

  it("keeps map and Struct order as received: the same bytes are the same key, another order only a miss", () => {
    const ab = request({ labels: { a: "1", b: "2" } });
    const ba = request({ labels: { b: "2", a: "1" } });
    expect(key(ba)).not.toBe(key(ab));
    // What arrives on the wire decodes to the same order, so a repeated request is a hit.
    const wire = toBinary(GenerateContentRequestSchema, ab);
    expect(key(fromBinary(GenerateContentRequestSchema, wire))).toBe(key(ab));
    expect(key(fromBinary(GenerateContentRequestSchema, wire))).toBe(key(fromBinary(GenerateContentRequestSchema, wire)));
  });

  it("includes fields this gateway does not know", () => {
    const wire = toBinary(GenerateContentRequestSchema, request());
    const withUnknown = new Uint8Array([...wire, 0xa0, 0x3e, 0x01]); // field 999, varint 1
    const decoded = fromBinary(GenerateContentRequestSchema, withUnknown);
    expect(key(decoded)).not.toBe(key(request()));
  });
});

const chunk = (init: Record<string, unknown>): GenerateContentResponse => create(GenerateContentResponseSchema, init);
const text = (value: string, finishReason: Candidate_FinishReason = Candidate_FinishReason.FINISH_REASON_UNSPECIFIED, index?: number) =>
  chunk({ candidates: [{ index, finishReason, content: { role: "model", parts: [{ data: { case: "text", value } }] } }] });

describe("cache entry", () => {
  it("round-trips chunks byte for byte, the usage and the time it was stored", () => {
    const chunks = [text("one "), text("two", Candidate_FinishReason.STOP)].map((c) => toBinary(GenerateContentResponseSchema, c));
    const usage = create(GenerateContentResponseSchema, { usageMetadata: { promptTokenCount: 5, totalTokenCount: 9 } }).usageMetadata;
    const entry = decodeEntry(encodeEntry({ chunks, usage, storedAtMs: 1_750_000_000_123 }));
    expect(entry.chunks).toEqual(chunks);
    expect(entry.usage).toEqual(usage);
    expect(entry.storedAtMs).toBe(1_750_000_000_123);
    expect(fromBinary(GenerateContentResponseSchema, entry.chunks[1] as Uint8Array)).toEqual(text("two", Candidate_FinishReason.STOP));
  });

  it("refuses bytes that are not an entry", () => {
    expect(() => decodeEntry(new Uint8Array([0xff, 0xff, 0xff]))).toThrow();
    expect(() => decodeEntry(new Uint8Array())).toThrow(/not a cache entry/);
  });

  it("stores only answers that ended naturally", () => {
    const { STOP, MAX_TOKENS, SAFETY, RECITATION, MALFORMED_FUNCTION_CALL } = Candidate_FinishReason;
    expect(isStorableAnswer([text("a"), text("b", STOP)])).toBe(true);
    expect(isStorableAnswer([text("a"), text("b", MAX_TOKENS)])).toBe(true);
    // Cut short: no finish reason.
    expect(isStorableAnswer([text("a"), text("b")])).toBe(false);
    expect(isStorableAnswer([])).toBe(false);
    for (const reason of [SAFETY, RECITATION, MALFORMED_FUNCTION_CALL]) expect(isStorableAnswer([text("a", reason)])).toBe(false);
    const blocked = chunk({ promptFeedback: { blockReason: GenerateContentResponse_PromptFeedback_BlockReason.SAFETY } });
    expect(isStorableAnswer([blocked])).toBe(false);
    // Two candidates: both must have ended.
    expect(isStorableAnswer([text("a", STOP, 0), text("b", undefined, 1)])).toBe(false);
    expect(isStorableAnswer([text("a", STOP, 0), text("b", undefined, 1), text("c", STOP, 1)])).toBe(true);
  });
});
