// The response cache over a memory store, with a fake Gemini: what is a hit, a miss, coalesced,
// and what is never stored.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  Candidate_FinishReason,
  GenerateContentRequestSchema,
  GenerateContentResponse_PromptFeedback_BlockReason,
  GenerateContentResponseSchema,
} from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentResponse } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { createResponseCache } from "../src/cache/cache.ts";
import type { CacheLookup } from "../src/cache/cache.ts";
import { createMemoryStore } from "../src/cache/memory-store.ts";

const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: "Classify this document." } }] }],
});

const chunk = (text: string, finishReason: Candidate_FinishReason = Candidate_FinishReason.FINISH_REASON_UNSPECIFIED, total = 0) =>
  create(GenerateContentResponseSchema, {
    candidates: [{ finishReason, content: { role: "model", parts: [{ data: { case: "text", value: text } }] } }],
    usageMetadata: { promptTokenCount: 4, totalTokenCount: total },
  });
const answer = [chunk("It is "), chunk("an invoice.", Candidate_FinishReason.STOP, 9)];

/** A fake Gemini: counts calls, answers with `chunks`, then optionally fails. */
function gemini(chunks: GenerateContentResponse[] = answer, failure?: Error) {
  const fake = {
    calls: 0,
    generate: (_signal: AbortSignal) => {
      fake.calls++;
      return (async function* () {
        yield* chunks;
        if (failure !== undefined) throw failure;
      })();
    },
  };
  return fake;
}

function setup(maxEntryBytes = 100_000) {
  let now = 1_750_000_000_000;
  const store = createMemoryStore({ maxBytes: 1_000_000 });
  const cache = createResponseCache({ store, maxEntryBytes, now: () => now });
  const lookup = (extra: Partial<CacheLookup> = {}): CacheLookup => ({
    namespace: "team-a",
    method: "stream",
    model: request.model,
    request,
    ttlSeconds: 600,
    read: true,
    signal: new AbortController().signal,
    ...extra,
  });
  return { store, cache, lookup, advance: (ms: number) => (now += ms) };
}

async function collect(chunks: AsyncIterable<GenerateContentResponse>): Promise<GenerateContentResponse[]> {
  const all: GenerateContentResponse[] = [];
  for await (const c of chunks) all.push(c);
  return all;
}

describe("response cache", () => {
  it("misses, stores an answer that ended well, then replays it field for field with its age and usage", async () => {
    const { cache, lookup, advance } = setup();
    const upstream = gemini();
    const miss = await cache.answer(lookup(), upstream.generate);
    expect(miss.result).toBe("miss");
    expect(await collect(miss.chunks)).toEqual(answer);
    advance(42_500);
    const hit = await cache.answer(lookup(), upstream.generate);
    expect(hit.result).toBe("hit");
    expect(hit.ageSeconds).toBe(42);
    expect(hit.usage).toEqual(answer[1]?.usageMetadata);
    expect(await collect(hit.chunks)).toEqual(answer);
    expect(upstream.calls).toBe(1);
  });

  it("misses once the TTL has passed", async () => {
    const { cache, lookup, advance } = setup();
    await collect((await cache.answer(lookup({ ttlSeconds: 60 }), gemini().generate)).chunks);
    advance(59_000);
    expect((await cache.answer(lookup({ ttlSeconds: 60 }), gemini().generate)).result).toBe("hit");
    advance(2_000);
    expect((await cache.answer(lookup({ ttlSeconds: 60 }), gemini().generate)).result).toBe("miss");
  });

  it("misses when the request accepts only answers younger than the entry", async () => {
    const { cache, lookup, advance } = setup();
    await collect((await cache.answer(lookup({ ttlSeconds: 600 }), gemini().generate)).chunks);
    advance(30_000);
    expect((await cache.answer(lookup({ ttlSeconds: 10 }), gemini().generate)).result).toBe("miss");
  });

  it("with read off (no-cache), asks Gemini again and stores the fresh answer", async () => {
    const { cache, lookup } = setup();
    await collect((await cache.answer(lookup(), gemini().generate)).chunks);
    const fresh = [chunk("A receipt.", Candidate_FinishReason.STOP, 7)];
    const upstream = gemini(fresh);
    const noCache = await cache.answer(lookup({ read: false }), upstream.generate);
    expect(noCache.result).toBe("miss");
    expect(await collect(noCache.chunks)).toEqual(fresh);
    expect(upstream.calls).toBe(1);
    const hit = await cache.answer(lookup(), upstream.generate);
    expect(await collect(hit.chunks)).toEqual(fresh);
  });

  it("keeps namespaces apart, and unary apart from streams", async () => {
    const { cache, lookup } = setup();
    await collect((await cache.answer(lookup(), gemini().generate)).chunks);
    expect((await cache.answer(lookup({ namespace: "team-b" }), gemini().generate)).result).toBe("miss");
    expect((await cache.answer(lookup({ method: "unary" }), gemini().generate)).result).toBe("miss");
  });

  it("coalesces identical requests under way into one Gemini call", async () => {
    const { cache, lookup } = setup();
    const upstream = gemini();
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.answer(lookup(), upstream.generate)));
    expect(answers.filter((a) => a.result === "miss")).toHaveLength(1);
    expect(answers.filter((a) => a.result === "coalesced")).toHaveLength(49);
    for (const a of await Promise.all(answers.map((a) => collect(a.chunks)))) expect(a).toEqual(answer);
    expect(upstream.calls).toBe(1);
  });

  const neverStored: [string, () => ReturnType<typeof gemini>][] = [
    ["an answer that failed after chunks", () => gemini([chunk("It is ")], new ConnectError("cut", Code.Unavailable))],
    ["an answer cut short without a finish reason", () => gemini([chunk("It is ")])],
    ["an answer stopped for safety", () => gemini([chunk("No.", Candidate_FinishReason.SAFETY)])],
    [
      "a blocked prompt",
      () => gemini([create(GenerateContentResponseSchema, { promptFeedback: { blockReason: GenerateContentResponse_PromptFeedback_BlockReason.SAFETY } })]),
    ],
  ];
  for (const [what, upstream] of neverStored) {
    it(`never stores ${what}`, async () => {
      const { cache, lookup } = setup();
      const first = await cache.answer(lookup(), upstream().generate);
      await collect(first.chunks).catch(() => undefined);
      expect((await cache.answer(lookup(), gemini().generate)).result).toBe("miss");
    });
  }

  it("never stores an answer its only caller left", async () => {
    const { cache, lookup } = setup();
    const controller = new AbortController();
    const first = await cache.answer(lookup({ signal: controller.signal }), gemini().generate);
    const reading = (async () => {
      for await (const _ of first.chunks) controller.abort();
    })();
    await expect(reading).rejects.toThrow(/aborted/);
    expect((await cache.answer(lookup(), gemini().generate)).result).toBe("miss");
  });

  it("never stores an answer larger than the entry bound", async () => {
    const { cache, lookup } = setup(40);
    await collect((await cache.answer(lookup(), gemini().generate)).chunks);
    expect((await cache.answer(lookup(), gemini().generate)).result).toBe("miss");
  });
});
