// The two ways Gemini streams generateContent chunks over REST, written from chunks that are
// already JSON bytes (no parse, no copy beyond the framing):
// - `?alt=sse`: Server-Sent Events, one `data: {chunk}` event per chunk, no end marker; an error
//   after the first chunk is one more event, `data: {"error": {...}}`, which both @google/genai and
//   google-genai raise as their own API error (they look for an `error` member in every event).
// - otherwise: one JSON array, `[{chunk}\r\n,{chunk}]`, which Google's REST streaming parsers read
//   element by element; an error after the first chunk is its last element.

import type { JsonObject } from "@bufbuild/protobuf";

export interface StreamFraming {
  readonly contentType: string;
  /** The bytes for one chunk; `first` for the stream's first. */
  chunk(json: Uint8Array, first: boolean): Uint8Array;
  /** The bytes that report an error after at least one chunk. */
  error(body: { readonly error: JsonObject }): Uint8Array;
  /** The bytes that end the stream, after `chunks` chunks. */
  end(chunks: number): Uint8Array;
}

const encoder = new TextEncoder();
const sseData = encoder.encode("data: ");
const sseEnd = encoder.encode("\r\n\r\n");
const arrayOpen = encoder.encode("[");
const arraySeparator = encoder.encode("\r\n,");
const arrayClose = encoder.encode("]");
const nothing = new Uint8Array(0);

export const sseFraming: StreamFraming = {
  contentType: "text/event-stream",
  chunk: (json) => Buffer.concat([sseData, json, sseEnd]),
  error: (body) => encoder.encode(`data: ${JSON.stringify(body)}\r\n\r\n`),
  end: () => nothing,
};

export const jsonArrayFraming: StreamFraming = {
  contentType: "application/json; charset=UTF-8",
  chunk: (json, first) => Buffer.concat([first ? arrayOpen : arraySeparator, json]),
  error: (body) => encoder.encode(`\r\n,${JSON.stringify(body)}`),
  end: (chunks) => (chunks === 0 ? encoder.encode("[]") : arrayClose),
};
