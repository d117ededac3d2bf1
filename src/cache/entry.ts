// What the cache stores for one answer, and which answers it may store.
//
// An entry is the answer's chunks exactly as they were sent (binary GenerateContentResponse
// messages), its final usage, and when it was stored. Its binary form is protobuf wire format,
// written with protobuf-es's own writer, as if from
//
//   message CacheEntry {
//     repeated bytes chunks = 1;        // each a GenerateContentResponse
//     UsageMetadata usage = 2;          // GenerateContentResponse.UsageMetadata
//     int64 stored_at_ms = 3;           // Unix time
//   }
//
// so a replica of a later version can still read it, and a tool can decode it with protoc.

import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  Candidate_FinishReason,
  GenerateContentResponse_PromptFeedback_BlockReason,
  GenerateContentResponse_UsageMetadataSchema,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type {
  GenerateContentResponse,
  GenerateContentResponse_UsageMetadata,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

export interface CacheEntry {
  /** Each chunk as sent: a binary GenerateContentResponse (for a unary answer, the one response). */
  readonly chunks: readonly Uint8Array[];
  /** The answer's final usage (a stream's running total at its end). */
  readonly usage: GenerateContentResponse_UsageMetadata | undefined;
  readonly storedAtMs: number;
}

export function encodeEntry(entry: CacheEntry): Uint8Array {
  const writer = new BinaryWriter();
  for (const chunk of entry.chunks) writer.tag(1, WireType.LengthDelimited).bytes(chunk);
  if (entry.usage !== undefined) {
    writer.tag(2, WireType.LengthDelimited).bytes(toBinary(GenerateContentResponse_UsageMetadataSchema, entry.usage));
  }
  writer.tag(3, WireType.Varint).int64(entry.storedAtMs);
  return writer.finish();
}

/** Throws on bytes that are not an entry; the chunks are views into `bytes`, not copies. */
export function decodeEntry(bytes: Uint8Array): CacheEntry {
  const reader = new BinaryReader(bytes);
  const chunks: Uint8Array[] = [];
  let usage: GenerateContentResponse_UsageMetadata | undefined;
  let storedAtMs: number | undefined;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) chunks.push(reader.bytes());
    else if (field === 2 && wireType === WireType.LengthDelimited) usage = fromBinary(GenerateContentResponse_UsageMetadataSchema, reader.bytes());
    else if (field === 3 && wireType === WireType.Varint) storedAtMs = Number(reader.int64());
    else reader.skip(wireType, field);
  }
  if (chunks.length === 0 || storedAtMs === undefined) throw new Error("not a cache entry: no chunks or no stored_at_ms");
  return { chunks, usage, storedAtMs };
}

// Only a natural end is kept. Every other reason is a refusal or a failed generation (safety,
// recitation, a malformed function call, no image...) that asking again may well not repeat.
const storableEndings = new Set<Candidate_FinishReason>([Candidate_FinishReason.STOP, Candidate_FinishReason.MAX_TOKENS]);

/**
 * Whether an answer that ended without error may be stored: the prompt was not blocked, and every
 * candidate it has ended with a natural finish reason (a stream cut short has none).
 */
export function isStorableAnswer(chunks: readonly GenerateContentResponse[]): boolean {
  const endings = new Map<number, Candidate_FinishReason>();
  for (const chunk of chunks) {
    const blocked = chunk.promptFeedback?.blockReason ?? GenerateContentResponse_PromptFeedback_BlockReason.BLOCK_REASON_UNSPECIFIED;
    if (blocked !== GenerateContentResponse_PromptFeedback_BlockReason.BLOCK_REASON_UNSPECIFIED) return false;
    for (const candidate of chunk.candidates) {
      const index = candidate.index ?? 0;
      if (candidate.finishReason !== Candidate_FinishReason.FINISH_REASON_UNSPECIFIED || !endings.has(index)) {
        endings.set(index, candidate.finishReason);
      }
    }
  }
  if (endings.size === 0) return false;
  for (const ending of endings.values()) if (!storableEndings.has(ending)) return false;
  return true;
}
