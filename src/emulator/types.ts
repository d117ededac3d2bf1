// Public types of the Gemini emulator. Re-exported by server.ts, which is the import path for users.
import type { IncomingHttpHeaders } from "node:http";
import type { VertexScope } from "./vertex.ts";
import type { EmulatorFiles } from "./files.ts";

export interface EmulatorOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** When set, requests must carry this key (x-goog-api-key header or ?key=), answered like Google otherwise. */
  readonly apiKey?: string;
  /** When set, requests must carry `Authorization: Bearer <this>` (a Vertex service account's token) instead of a key. */
  readonly bearerToken?: string;
  /** Pause between two chunks of a stream. Default 0 (the emulator still yields to the event loop). */
  readonly chunkDelayMs?: number;
  /**
   * Benchmark mode: every answer has exactly this many chunks of `chunkChars` characters, made by cycling
   * the echo text. `generationConfig.maxOutputTokens` is ignored in this mode so the count stays exact.
   */
  readonly chunks?: number;
  /** Characters per chunk in benchmark mode. Default 8. */
  readonly chunkChars?: number;
  /** How long an uploaded file stays PROCESSING before it turns ACTIVE. Default 0 (ACTIVE at once). */
  readonly fileProcessingMs?: number;
}

/** The `error` member of a google.rpc.Status body as Gemini sends it. */
export interface RpcError {
  readonly code: number;
  readonly message: string;
  readonly status: string;
  readonly details?: readonly object[];
}

/**
 * One scripted answer, consumed by the next request that reaches the model (after routing, key check
 * and JSON parsing). "Echo chunks" are the chunks of the default answer, without finishReason: a failed
 * stream never looks finished. For unary methods (generateContent, countTokens) the stream-only kinds
 * degrade to their closest unary failure, noted on each kind.
 */
export type EmulatorScript =
  /** Streams exactly these chunk objects. Unary: answers `chunks[0]` (or `{}`). */
  | { readonly kind: "chunks"; readonly chunks: readonly object[]; readonly delayMs?: number }
  /** Non-2xx with body `{"error": error}`. */
  | { readonly kind: "httpError"; readonly status: number; readonly error: RpcError; readonly contentType?: string }
  /** N echo chunks, then the socket is destroyed. Unary: destroyed before any response. */
  | { readonly kind: "cut"; readonly afterChunks: number }
  /** N echo chunks, then `data: {"error": error}` and a clean end. Unary: an HTTP error with `error.code`. */
  | { readonly kind: "errorMidStream"; readonly afterChunks: number; readonly error: RpcError }
  /** N echo chunks, then `data: {not json` and a clean end. Unary: 200 with body `{not json`. */
  | { readonly kind: "malformed"; readonly afterChunks: number }
  /** N echo chunks, then silence until the client leaves or the emulator closes. Unary: no response. */
  | { readonly kind: "stall"; readonly afterChunks: number }
  /** The default echo with this pause between chunks. Unary: the default answer. */
  | { readonly kind: "paced"; readonly delayMs: number };

export type EmulatorMethod = "streamGenerateContent" | "generateContent" | "countTokens";

export interface RecordedRequest {
  readonly method: EmulatorMethod;
  /** The model id from the path, without the `models/` prefix (e.g. "gemini-2.5-flash"). */
  readonly model: string;
  /** "v1beta" or "v1" ("v1beta1" for Vertex). */
  readonly apiVersion: string;
  /** Set when the request used Vertex AI's URL shape: its project and location (both undefined in express mode). */
  readonly vertex?: VertexScope | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The request body, parsed, exactly as received. */
  readonly body: unknown;
}

export interface Emulator {
  /** Base URL for the SDK's `httpOptions.baseUrl`, e.g. "http://127.0.0.1:40123". */
  readonly url: string;
  /** Every request that reached the model, oldest first. Tests may clear it (`requests.length = 0`). */
  readonly requests: RecordedRequest[];
  /** Requests whose response has not closed yet (finished, failed or abandoned by the client). */
  readonly openRequests: number;
  /** HTTP requests that reached the emulator, however they ended (one the client aborted while sending too). */
  readonly arrivals: number;
  /** Chunk events written to streams so far (scripted and echo chunks; not error or malformed events). */
  readonly chunksSent: number;
  /** The Files API's counters, and ways to end a file's processing now. */
  readonly files: Pick<EmulatorFiles, "stored" | "bytesReceived" | "openUploads" | "finishProcessing" | "failProcessing">;
  enqueue(script: EmulatorScript): void;
  /** Stops listening and destroys every open connection, including stalled streams. */
  close(): Promise<void>;
}
