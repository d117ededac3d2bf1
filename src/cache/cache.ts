// The response cache as the core sees it: given a cacheable request and a way to ask Gemini,
// answer from the store (a hit, replayed at once), from an identical answer under way (coalesced),
// or from Gemini (a miss, stored if it ends well). Transport-neutral: chunks in, chunks out.

import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { GenerateContentResponseSchema } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type {
  GenerateContentRequest,
  GenerateContentResponse,
  GenerateContentResponse_UsageMetadata,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { createCoalescer } from "./coalescer.ts";
import { decodeEntry, encodeEntry, isStorableAnswer } from "./entry.ts";
import type { CacheEntry } from "./entry.ts";
import { cacheKey } from "./key.ts";
import type { CachedMethod } from "./key.ts";
import type { CacheStore } from "./store.ts";

export interface ResponseCacheOptions {
  readonly store: CacheStore;
  /** Answers larger than this (binary chunks together) are not stored; also each flight's buffer bound. */
  readonly maxEntryBytes: number;
  /** The clock, in ms; tests move it. */
  readonly now?: () => number;
}

export interface CacheLookup {
  /** The caller's namespace (its own name, or the one its entry shares). */
  readonly namespace: string;
  readonly method: CachedMethod;
  /** The model as sent upstream. */
  readonly model: string;
  readonly request: GenerateContentRequest;
  /** How long a new answer is kept, and the oldest entry this request accepts. */
  readonly ttlSeconds: number;
  /** False for `no-cache`: neither read from the store nor following an answer under way; still stored. */
  readonly read: boolean;
  /** The caller's signal: its leaving detaches it (and aborts Gemini once nobody reads). */
  readonly signal: AbortSignal;
}

export type CacheResult = "hit" | "miss" | "coalesced";

export interface CacheAnswer {
  readonly result: CacheResult;
  /** A hit's age in whole seconds. */
  readonly ageSeconds: number | undefined;
  /** A hit's usage (the stored answer's); for the others, it comes with the chunks. */
  readonly usage: GenerateContentResponse_UsageMetadata | undefined;
  readonly chunks: AsyncIterable<GenerateContentResponse>;
}

export interface ResponseCache {
  /** `generate` asks Gemini; it is called at most once for identical lookups under way together. */
  answer(lookup: CacheLookup, generate: (signal: AbortSignal) => AsyncIterable<GenerateContentResponse>): Promise<CacheAnswer>;
}

/** An exact-match response cache with in-flight coalescing, over one store. */
export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const now = options.now ?? Date.now;
  // Each chunk is encoded once, as it is shared: its size bounds the flight, its bytes are the entry.
  const binaries = new WeakMap<GenerateContentResponse, Uint8Array>();
  const binaryOf = (chunk: GenerateContentResponse): Uint8Array => {
    let binary = binaries.get(chunk);
    if (binary === undefined) {
      binary = toBinary(GenerateContentResponseSchema, chunk);
      binaries.set(chunk, binary);
    }
    return binary;
  };
  const coalescer = createCoalescer<GenerateContentResponse>({ maxBufferedBytes: options.maxEntryBytes, sizeOf: (chunk) => binaryOf(chunk).byteLength });

  async function lookup(key: string, ttlSeconds: number): Promise<CacheEntry | undefined> {
    const bytes = await options.store.get(key);
    if (bytes === undefined) return undefined;
    let entry: CacheEntry;
    try {
      entry = decodeEntry(bytes);
    } catch {
      return undefined; // Written by something else, or damaged: it will be replaced.
    }
    // A request's TTL is also the oldest answer it accepts, whatever TTL the entry was stored with.
    return now() - entry.storedAtMs <= ttlSeconds * 1000 ? entry : undefined;
  }

  return {
    async answer(request, generate) {
      const key = cacheKey(request);
      if (request.read) {
        const entry = await lookup(key, request.ttlSeconds);
        if (entry !== undefined) {
          return { result: "hit", ageSeconds: Math.max(0, Math.floor((now() - entry.storedAtMs) / 1000)), usage: entry.usage, chunks: replay(entry) };
        }
      }
      const joined = coalescer.join(key, {
        start: generate,
        signal: request.signal,
        follow: request.read,
        completed: async (chunks) => {
          if (!isStorableAnswer(chunks)) return;
          const usage = chunks.findLast((chunk) => chunk.usageMetadata !== undefined)?.usageMetadata;
          const entry = encodeEntry({ chunks: chunks.map(binaryOf), usage, storedAtMs: now() });
          if (entry.byteLength <= options.maxEntryBytes) await options.store.set(key, entry, request.ttlSeconds);
        },
      });
      return { result: joined.role === "leader" ? "miss" : "coalesced", ageSeconds: undefined, usage: undefined, chunks: joined.chunks };
    },
  };
}

async function* replay(entry: CacheEntry): AsyncGenerator<GenerateContentResponse> {
  for (const chunk of entry.chunks) yield fromBinary(GenerateContentResponseSchema, chunk);
}
