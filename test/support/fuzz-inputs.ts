// Fuzz inputs for the gateway: one deterministic request per (family, index, seed), built from
// random bytes, mutated binary requests, random or mutated JSON, or a valid request with a
// protocol-level oddity. Pure: no I/O, so a case can be regenerated from its seed alone.

import { fromJson, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, JsonValue } from "@bufbuild/protobuf";
import { brotliCompressSync, gzipSync } from "node:zlib";
import {
  CountTokensRequestSchema,
  CountTokensResponseSchema,
  GenerateContentRequestSchema,
  GenerateContentResponseSchema,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { mulberry32 } from "./fuzz-rng.ts";
import type { Rng } from "./fuzz-rng.ts";

export const families = ["grpc", "grpc-web-h2", "grpc-web-h1", "connect-h2", "connect-h1"] as const;
export type Family = (typeof families)[number];
export type Wire = "grpc" | "grpc-web" | "connect";

export function wireOf(family: Family): Wire {
  return family === "grpc" ? "grpc" : family.startsWith("grpc-web") ? "grpc-web" : "connect";
}
export function httpOf(family: Family): "h1" | "h2" {
  return family.endsWith("h1") ? "h1" : "h2";
}

export const inputClasses = ["bytes", "binary", "json", "protocol"] as const;
export type InputClass = (typeof inputClasses)[number];

export type RpcName = "StreamGenerateContent" | "GenerateContent" | "CountTokens";
export interface RpcInfo {
  readonly name: RpcName;
  readonly path: string;
  readonly stream: boolean;
  readonly input: DescMessage;
  readonly output: DescMessage;
}
const servicePath = "/geminiconnect.v1.GenerativeService";
export const rpcs: Record<RpcName, RpcInfo> = {
  StreamGenerateContent: {
    name: "StreamGenerateContent",
    path: `${servicePath}/StreamGenerateContent`,
    stream: true,
    input: GenerateContentRequestSchema,
    output: GenerateContentResponseSchema,
  },
  GenerateContent: {
    name: "GenerateContent",
    path: `${servicePath}/GenerateContent`,
    stream: false,
    input: GenerateContentRequestSchema,
    output: GenerateContentResponseSchema,
  },
  CountTokens: {
    name: "CountTokens",
    path: `${servicePath}/CountTokens`,
    stream: false,
    input: CountTokensRequestSchema,
    output: CountTokensResponseSchema,
  },
};
const rpcNames = Object.keys(rpcs) as RpcName[];

export interface FuzzCase {
  readonly family: Family;
  readonly index: number;
  readonly seed: number;
  readonly inputClass: InputClass;
  readonly rpc: RpcName;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** What was done to the request, in order: printed when the case fails. */
  readonly notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Valid requests the mutations start from (proto3 JSON, so the JSON class can reuse them).

const model = "models/gemini-2.5-flash";
const generateBases: JsonValue[] = [
  { model, contents: [{ role: "user", parts: [{ text: "hello fuzz world" }] }] },
  {
    model,
    contents: [{ role: "user", parts: [{ text: "count to three" }] }],
    generationConfig: {
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      candidateCount: 1,
      maxOutputTokens: 3,
      stopSequences: ["STOP"],
      responseModalities: ["TEXT"],
      thinkingConfig: { includeThoughts: false, thinkingBudget: 16 },
    },
    safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
    systemInstruction: { parts: [{ text: "be brief" }] },
    labels: { team: "fuzz" },
  },
  {
    model: "gemini-2.5-pro",
    contents: [
      {
        role: "user",
        parts: [{ inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }, { text: "what is this", thoughtSignature: "c2ln" }],
      },
    ],
  },
  {
    model,
    contents: [
      { role: "user", parts: [{ text: "weather in Paris?" }] },
      { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } }] },
      { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temp: 21, sky: "clear" } } }] },
    ],
    tools: [
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "current weather",
            parameters: { type: "OBJECT", properties: { city: { type: "STRING" } }, required: ["city"] },
          },
        ],
      },
    ],
    toolConfig: { functionCallingConfig: { mode: "AUTO" } },
  },
  {
    model: "tunedModels/my-model-1",
    contents: [{ parts: [{ text: "one" }, { text: "two", partMetadata: { k: [1, "x", null, { y: true }] } }] }],
    serviceTier: "standard",
    store: false,
    cachedContent: "cachedContents/abc",
  },
];
const countBases: JsonValue[] = [
  { model, contents: [{ role: "user", parts: [{ text: "how many tokens is this" }] }] },
  { model, generateContentRequest: generateBases[1] as JsonValue },
  { model, generateContentRequest: generateBases[3] as JsonValue },
];

export function jsonBasesOf(rpc: RpcName): readonly JsonValue[] {
  return rpc === "CountTokens" ? countBases : generateBases;
}

const binaryBases: Record<RpcName, Uint8Array[]> = {
  StreamGenerateContent: generateBases.map((json) => toBinary(GenerateContentRequestSchema, fromJson(GenerateContentRequestSchema, json))),
  GenerateContent: generateBases.map((json) => toBinary(GenerateContentRequestSchema, fromJson(GenerateContentRequestSchema, json))),
  CountTokens: countBases.map((json) => toBinary(CountTokensRequestSchema, fromJson(CountTokensRequestSchema, json))),
};

// ---------------------------------------------------------------------------------------------
// Wire helpers.

const encoder = new TextEncoder();
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The 5-byte envelope of gRPC, gRPC-Web and Connect streaming: flags, big-endian length, payload. */
export function envelope(flags: number, payload: Uint8Array, declaredLength = payload.length): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, declaredLength >>> 0);
  out.set(payload, 5);
  return out;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
const tag = (field: number, wireType: number) => varint(field * 8 + wireType);
function lenField(field: number, bytes: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([...tag(field, 2), ...varint(bytes.length)]), bytes);
}

// ---------------------------------------------------------------------------------------------
// Content types.

type Codec = "proto" | "json";

function contentTypeFor(wire: Wire, rpc: RpcName, codec: Codec, rng: Rng): string {
  switch (wire) {
    case "grpc":
      return codec === "json" ? "application/grpc+json" : rng.pick(["application/grpc", "application/grpc+proto"]);
    case "grpc-web":
      return codec === "json" ? "application/grpc-web+json" : rng.pick(["application/grpc-web", "application/grpc-web+proto"]);
    case "connect":
      if (rpcs[rpc].stream) return codec === "json" ? "application/connect+json" : "application/connect+proto";
      return codec === "json" ? rng.pick(["application/json", "application/json; charset=utf-8"]) : "application/proto";
  }
}

function isEnveloped(wire: Wire, rpc: RpcName): boolean {
  return wire !== "connect" || rpcs[rpc].stream;
}

/** The header that names the per-message (or, for Connect unary, body) compression. */
function encodingHeader(wire: Wire, rpc: RpcName): string {
  if (wire !== "connect") return "grpc-encoding";
  return rpcs[rpc].stream ? "connect-content-encoding" : "content-encoding";
}

function baseHeaders(wire: Wire, family: Family, rpc: RpcName, codec: Codec, rng: Rng): Record<string, string> {
  const headers: Record<string, string> = { "content-type": contentTypeFor(wire, rpc, codec, rng) };
  if (wire === "grpc" && httpOf(family) === "h2") headers["te"] = "trailers";
  if (wire === "grpc-web" && rng.chance(0.5)) headers["x-grpc-web"] = "1";
  if (wire === "connect" && rng.chance(0.5)) headers["connect-protocol-version"] = "1";
  // A generous, valid deadline now and then: the per-request hang bound stays the test's.
  if (rng.chance(0.2)) {
    if (wire === "connect") headers["connect-timeout-ms"] = "10000";
    else headers["grpc-timeout"] = rng.pick(["10S", "10000m", "1M"]);
  }
  return headers;
}

// ---------------------------------------------------------------------------------------------
// (a) random bytes.

function randomBytesBody(c: FuzzCase, rng: Rng, enveloped: boolean): Uint8Array {
  const size = rng.chance(0.04) ? rng.size(64 * 1024) : rng.size(2048);
  const payload = rng.bytes(size);
  if (!enveloped) {
    c.notes.push(`${size} random bytes`);
    return payload;
  }
  const shape = rng.weighted([
    [4, "raw"],
    [4, "one envelope"],
    [1, "several envelopes"],
  ] as const);
  if (shape === "raw") {
    c.notes.push(`${size} random bytes, no envelope`);
    return payload;
  }
  if (shape === "one envelope") {
    c.notes.push(`${size} random bytes in a valid envelope`);
    return envelope(0, payload);
  }
  const count = rng.range(2, 5);
  c.notes.push(`${count} envelopes of random bytes`);
  return concat(...Array.from({ length: count }, () => envelope(0, rng.bytes(rng.size(512)))));
}

// ---------------------------------------------------------------------------------------------
// (b) mutated binary requests.

/**
 * `depth` levels of nesting around `inner`, built without quadratic copying: `wrap(length)` gives
 * the bytes one level puts before a body of `length` bytes (the levels have no suffix).
 */
function nest(inner: Uint8Array, depth: number, wrap: (length: number) => number[]): Uint8Array {
  const prefixes: number[][] = [];
  let length = inner.length;
  for (let i = 0; i < depth; i++) {
    const prefix = wrap(length);
    prefixes.push(prefix);
    length += prefix.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = prefixes.length - 1; i >= 0; i--) {
    const prefix = prefixes[i] as number[];
    out.set(prefix, at);
    at += prefix.length;
  }
  out.set(inner, at);
  return out;
}

/** A request nested `depth` deep through Tool → FunctionDeclaration.parameters → Schema.items. */
function deepSchemaRequest(depth: number): Uint8Array {
  const leaf = Uint8Array.from([...tag(1, 0), 1]); // type: STRING
  const schema = nest(leaf, depth, (length) => [...tag(6, 2), ...varint(length)]);
  const declaration = concat(lenField(1, utf8("f")), lenField(3, schema));
  const tool = lenField(1, declaration);
  const base = binaryBases.GenerateContent[0] as Uint8Array;
  return concat(base, lenField(5, tool));
}

/** A request whose first part carries a Struct nested `depth` deep (Struct → Value → Struct ...). */
function deepStructRequest(depth: number): Uint8Array {
  const key = [...tag(1, 2), 1, 0x61]; // map entry key "a"
  const struct = nest(new Uint8Array(0), depth, (length) => {
    // Struct.fields(1) { entry: key, value(2) { Value.struct_value(5) { <length bytes> } } }
    const value = [...tag(5, 2), ...varint(length)];
    const valueLength = value.length + length;
    const entry = [...key, ...tag(2, 2), ...varint(valueLength)];
    const entryLength = entry.length + valueLength;
    return [...tag(1, 2), ...varint(entryLength), ...entry, ...value];
  });
  const part = concat(lenField(2, utf8("hi")), lenField(8, struct)); // text, part_metadata
  const content = concat(lenField(1, part), lenField(2, utf8("user")));
  return concat(lenField(1, utf8(model)), lenField(2, content));
}

type ByteMutation = (bytes: Uint8Array, rng: Rng, c: FuzzCase, rpc: RpcName) => Uint8Array;

const byteMutations: readonly (readonly [number, ByteMutation])[] = [
  [
    6,
    (b, rng, c) => {
      const out = b.slice();
      const flips = rng.range(1, 8);
      for (let i = 0; i < flips && out.length > 0; i++) {
        const at = rng.int(out.length);
        out[at] = (out[at] as number) ^ (1 << rng.int(8));
      }
      c.notes.push(`${flips} bit flips`);
      return out;
    },
  ],
  [
    3,
    (b, rng, c) => {
      const out = b.slice();
      const n = rng.range(1, 4);
      for (let i = 0; i < n && out.length > 0; i++) out[rng.int(out.length)] = rng.pick([0x00, 0xff, 0x7f, 0x80, rng.int(256)]);
      c.notes.push(`${n} bytes overwritten`);
      return out;
    },
  ],
  [
    4,
    (b, rng, c) => {
      const at = rng.int(b.length + 1);
      c.notes.push(`truncated to ${at} of ${b.length}`);
      return b.subarray(0, at);
    },
  ],
  [
    3,
    (b, rng, c) => {
      const from = rng.int(b.length + 1);
      const to = Math.min(b.length, from + rng.size(b.length));
      const at = rng.int(b.length + 1);
      c.notes.push(`bytes ${from}..${to} duplicated at ${at}`);
      return concat(b.subarray(0, at), b.subarray(from, to), b.subarray(at));
    },
  ],
  [
    2,
    (b, rng, c) => {
      const from = rng.int(b.length + 1);
      const to = Math.min(b.length, from + rng.size(32));
      c.notes.push(`bytes ${from}..${to} deleted`);
      return concat(b.subarray(0, from), b.subarray(to));
    },
  ],
  [
    2,
    (b, rng, c) => {
      const at = rng.int(b.length + 1);
      const extra = rng.bytes(rng.size(64));
      c.notes.push(`${extra.length} random bytes inserted at ${at}`);
      return concat(b.subarray(0, at), extra, b.subarray(at));
    },
  ],
  [
    2,
    (b, rng, c) => {
      // A field with a length far beyond the message: field 2 (contents) or an unknown one.
      const field = rng.pick([2, 5, 8, 15, 999, 536870911]);
      const length = rng.pick([0x7fffffff, 0xffffffff, 2 ** 35, 1 << 24, b.length + 1]);
      c.notes.push(`field ${field} declares length ${length}`);
      return concat(b, Uint8Array.from([...tag(field, 2), ...varint(length)]), rng.bytes(rng.size(16)));
    },
  ],
  [
    2,
    (b, rng, c) => {
      const kind = rng.pick(["overlong varint", "wire type 6", "wire type 7", "start group", "end group", "field 0", "truncated fixed64"]);
      const field = rng.pick([1, 2, 4, 1000, 19000, 536870911]);
      const insert: Record<string, number[]> = {
        "overlong varint": [...tag(field, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        "wire type 6": [...tag(field, 6), 1, 2, 3],
        "wire type 7": [...tag(field, 7), 1, 2, 3],
        "start group": [...tag(field, 3), 0x08, 0x01],
        "end group": [...tag(field, 4)],
        "field 0": [0x02, 0x01, 0x41],
        "truncated fixed64": [...tag(field, 1), 1, 2, 3],
      };
      const at = rng.chance(0.5) ? b.length : 0;
      c.notes.push(`${kind} (field ${field}) at ${at}`);
      return concat(b.subarray(0, at), Uint8Array.from(insert[kind] ?? []), b.subarray(at));
    },
  ],
  [
    2,
    (b, rng, c, rpc) => {
      // Concatenated messages merge in protobuf: a valid request that grows.
      const other = rng.pick(binaryBases[rpc]);
      const times = rng.range(1, 3);
      c.notes.push(`${times} other request(s) appended (protobuf merge)`);
      return concat(b, ...Array.from({ length: times }, () => other));
    },
  ],
  [
    1,
    (b, rng, c, rpc) => {
      // A wrongly-typed field on a known number: model (1) as varint, contents (2) as fixed32...
      const field = rng.pick([1, 2, 3, 4, 5, 7, 8, 9, 1000, 1001, 1002]);
      const wireType = rng.pick([0, 1, 5]);
      const bytes = wireType === 0 ? varint(rng.int(2 ** 31)) : Array.from(rng.bytes(wireType === 1 ? 8 : 4));
      c.notes.push(`field ${field} sent with wire type ${wireType}${rpc === "CountTokens" ? " (CountTokensRequest)" : ""}`);
      return concat(b, Uint8Array.from([...tag(field, wireType), ...bytes]));
    },
  ],
];

function mutateBytes(bytes: Uint8Array, rng: Rng, c: FuzzCase, rpc: RpcName, times: number): Uint8Array {
  let out = bytes;
  for (let i = 0; i < times; i++) out = rng.weighted(byteMutations)(out, rng, c, rpc);
  return out;
}

function mutatedBinaryPayload(c: FuzzCase, rng: Rng): Uint8Array {
  const special = rng.int(100);
  if (special < 3 && c.rpc !== "CountTokens") {
    const depth = rng.pick([50, 99, 100, 101, 500, 5_000, 20_000]);
    c.notes.push(`Schema.items nested ${depth} deep`);
    return deepSchemaRequest(depth);
  }
  if (special < 6 && c.rpc !== "CountTokens") {
    const depth = rng.pick([30, 48, 49, 50, 500, 5_000, 20_000]);
    c.notes.push(`part_metadata Struct nested ${depth} deep`);
    return deepStructRequest(depth);
  }
  const base = rng.pick(binaryBases[c.rpc]);
  const times = rng.weighted([
    [2, 0],
    [5, 1],
    [2, 2],
    [1, 4],
  ] as const);
  if (times === 0) c.notes.push("payload unmutated");
  return mutateBytes(base, rng, c, c.rpc, times);
}

const bombs = new Map<number, Uint8Array>();
/** `mib` MiB of zeros, gzipped (made once per size: zipping 24 MiB takes a while). */
function zeroBomb(mib: number): Uint8Array {
  let bomb = bombs.get(mib);
  if (bomb === undefined) {
    bomb = gzipSync(new Uint8Array(mib * 1024 * 1024));
    bombs.set(mib, bomb);
  }
  return bomb;
}

/** Envelope-level faults: flags, declared lengths, framing, compression. Returns body and extra headers. */
function envelopeFault(
  c: FuzzCase,
  rng: Rng,
  wire: Wire,
  payload: Uint8Array,
): { body: Uint8Array; headers: Record<string, string> } {
  const encHeader = encodingHeader(wire, c.rpc);
  // Bombs are rare: inflating 2 to 20 MiB is the slowest thing a request can make the server do.
  const fault = rng.weighted([
    [1, "flags"],
    [1, "compressed flag, no encoding"],
    [1, "declared too long"],
    [1, "declared huge"],
    [1, "declared too short"],
    [1, "two messages"],
    [1, "empty body"],
    [1, "partial header"],
    [1, "trailing partial envelope"],
    [1, "gzip"],
    [1, "gzip, flag not set"],
    [1, "gzip, corrupt"],
    [1, "br, corrupt"],
    [0.3, "gzip bomb"],
    [0.3, "gzip bomb over the cap"],
    [1, "bad first message, 100 KB more"],
  ] as const);
  c.notes.push(`envelope: ${fault}`);
  switch (fault) {
    case "flags": {
      const flags = rng.pick([0x01, 0x02, 0x03, 0x80, 0x81, 0x7f, 0xfe, 0xff, 1 << rng.int(8)]);
      c.notes.push(`flags 0x${flags.toString(16)}`);
      return { body: envelope(flags, payload), headers: {} };
    }
    case "compressed flag, no encoding":
      return { body: envelope(0x01, payload), headers: {} };
    case "declared too long":
      return { body: envelope(0, payload, payload.length + rng.range(1, 1000)), headers: {} };
    case "declared huge": {
      const declared = rng.pick([0xffffffff, 0x7fffffff, 0x80000000, 20 * 1024 * 1024 + 1, 1 << 24]);
      c.notes.push(`declared ${declared}`);
      return { body: envelope(0, payload, declared), headers: {} };
    }
    case "declared too short":
      return { body: envelope(0, payload, rng.int(Math.max(1, payload.length))), headers: {} };
    case "two messages":
      return { body: concat(envelope(0, payload), envelope(0, payload)), headers: {} };
    case "empty body":
      return { body: new Uint8Array(0), headers: {} };
    case "partial header":
      return { body: envelope(0, payload).subarray(0, rng.range(1, 4)), headers: {} };
    case "trailing partial envelope":
      return { body: concat(envelope(0, payload), Uint8Array.from([0, 0, 0])), headers: {} };
    case "gzip":
      return { body: envelope(0x01, gzipSync(payload)), headers: { [encHeader]: "gzip" } };
    case "gzip, flag not set":
      return { body: envelope(0, payload), headers: { [encHeader]: "gzip" } };
    case "gzip, corrupt": {
      const zipped = mutateBytes(gzipSync(payload), rng, c, c.rpc, 1);
      return { body: envelope(0x01, zipped), headers: { [encHeader]: "gzip" } };
    }
    case "br, corrupt":
      return { body: envelope(0x01, rng.bytes(rng.size(256))), headers: { [encHeader]: "br" } };
    case "gzip bomb":
      // 2 MiB of zeros in ~2 KiB: decompresses to a message of tag 0, which is invalid.
      return { body: envelope(0x01, zeroBomb(2)), headers: { [encHeader]: "gzip" } };
    case "gzip bomb over the cap":
      // 24 MiB of zeros in ~24 KiB: more than the gateway's 20 MiB request cap once inflated.
      return { body: envelope(0x01, zeroBomb(24)), headers: { [encHeader]: "gzip" } };
    case "bad first message, 100 KB more":
      // The server can answer after the first message; the rest is more than one HTTP/2 window.
      return { body: concat(envelope(0, Uint8Array.from([0x07, 0x00])), envelope(0, payload), envelope(0, new Uint8Array(100_000))), headers: {} };
  }
}

/** Connect unary has no envelope: its faults are in the body's compression. */
function unaryBodyFault(c: FuzzCase, rng: Rng, payload: Uint8Array): { body: Uint8Array; headers: Record<string, string> } {
  const fault = rng.pick(["gzip", "gzip, corrupt", "gzip header, plain body", "br", "br, corrupt", "identity", "empty body"] as const);
  c.notes.push(`body: ${fault}`);
  switch (fault) {
    case "gzip":
      return { body: gzipSync(payload), headers: { "content-encoding": "gzip" } };
    case "gzip, corrupt":
      return { body: mutateBytes(gzipSync(payload), rng, c, c.rpc, 1), headers: { "content-encoding": "gzip" } };
    case "gzip header, plain body":
      return { body: payload, headers: { "content-encoding": "gzip" } };
    case "br":
      return { body: brotliCompressSync(payload), headers: { "content-encoding": "br" } };
    case "br, corrupt":
      return { body: rng.bytes(rng.size(256)), headers: { "content-encoding": "br" } };
    case "identity":
      return { body: payload, headers: { "content-encoding": "identity" } };
    case "empty body":
      return { body: new Uint8Array(0), headers: {} };
  }
}

function frame(c: FuzzCase, rng: Rng, wire: Wire, payload: Uint8Array, faultChance: number): void {
  const enveloped = isEnveloped(wire, c.rpc);
  if (rng.chance(faultChance)) {
    const { body, headers } = enveloped ? envelopeFault(c, rng, wire, payload) : unaryBodyFault(c, rng, payload);
    c.body = body;
    Object.assign(c.headers, headers);
  } else {
    c.body = enveloped ? envelope(0, payload) : payload;
  }
}

// ---------------------------------------------------------------------------------------------
// (c) random and mutated JSON.

// Raw JSON text can't come out of JSON.stringify (1e309, invalid escapes...): a marker string is
// put in the tree and replaced by the raw text after stringifying.
const rawMarker = (i: number) => `\u0000raw${i}\u0000`;
function stringifyWithRaw(value: JsonValue, raws: string[]): string {
  let text = JSON.stringify(value);
  raws.forEach((raw, i) => {
    text = text.replace(JSON.stringify(rawMarker(i)), raw);
  });
  return text;
}

type JsonPath = readonly (string | number)[];

function clone(value: JsonValue): JsonValue {
  return structuredClone(value);
}

/** Sets `value` at `path`, creating objects and arrays on the way. */
function setAt(root: JsonValue, path: JsonPath, value: JsonValue): JsonValue {
  if (path.length === 0) return value;
  let node: JsonValue = root;
  if (typeof root !== "object" || root === null) return root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string | number;
    const nextKey = path[i + 1];
    const container = node as Record<string | number, JsonValue>;
    let child = container[key];
    if (typeof child !== "object" || child === null) {
      child = typeof nextKey === "number" ? [] : {};
      container[key] = child;
    }
    node = child;
  }
  (node as Record<string | number, JsonValue>)[path[path.length - 1] as string | number] = value;
  return root;
}

/** Every object in the tree, with its path (for unknown-field insertion). */
function objectsIn(value: JsonValue, path: (string | number)[] = [], out: [JsonPath, Record<string, JsonValue>][] = []) {
  if (Array.isArray(value)) value.forEach((item, i) => objectsIn(item, [...path, i], out));
  else if (typeof value === "object" && value !== null) {
    out.push([path, value]);
    for (const [key, item] of Object.entries(value)) objectsIn(item, [...path, key], out);
  }
  return out;
}

const generatePaths: JsonPath[] = [
  ["model"],
  ["contents"],
  ["contents", 0],
  ["contents", 0, "parts"],
  ["contents", 0, "parts", 0],
  ["contents", 0, "parts", 0, "text"],
  ["contents", 0, "role"],
  ["contents", 0, "parts", 0, "inlineData"],
  ["contents", 0, "parts", 0, "inlineData", "data"],
  ["contents", 0, "parts", 0, "thought"],
  ["contents", 0, "parts", 0, "thoughtSignature"],
  ["contents", 0, "parts", 0, "partMetadata"],
  ["contents", 0, "parts", 0, "videoMetadata", "startOffset"],
  ["contents", 0, "parts", 0, "functionCall", "args"],
  ["generationConfig"],
  ["generationConfig", "temperature"],
  ["generationConfig", "topK"],
  ["generationConfig", "candidateCount"],
  ["generationConfig", "maxOutputTokens"],
  ["generationConfig", "seed"],
  ["generationConfig", "stopSequences"],
  ["generationConfig", "responseModalities"],
  ["generationConfig", "responseSchema"],
  ["generationConfig", "responseJsonSchema"],
  ["generationConfig", "_responseJsonSchema"],
  ["generationConfig", "thinkingConfig", "thinkingBudget"],
  ["safetySettings"],
  ["safetySettings", 0, "category"],
  ["labels"],
  ["labels", "k"],
  ["systemInstruction"],
  ["tools"],
  ["tools", 0, "functionDeclarations", 0, "parameters", "minLength"],
  ["toolConfig"],
  ["cachedContent"],
  ["store"],
  ["serviceTier"],
];
function pathsOf(rpc: RpcName): JsonPath[] {
  if (rpc !== "CountTokens") return generatePaths;
  return [["model"], ["contents"], ["contents", 0, "parts", 0, "text"], ["generateContentRequest"], ...generatePaths.map((p) => ["generateContentRequest", ...p])];
}

const wrongValues: JsonValue[] = [123, -1, 1.5, "str", "", true, false, null, [], {}, [1, 2], { a: 1 }, [null], [[]], "models/x"];
const hugeNumbers = [
  "1e309",
  "-1e309",
  "1e-400",
  "99999999999999999999999",
  "-2147483649",
  "2147483648",
  "4294967296",
  "9007199254740993",
  "18446744073709551616",
  "1.0000000000000002",
  "-0",
  "1E5",
  "0.1e1",
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"1e3"',
  '"9223372036854775808"',
  '"0x10"',
  '" 1"',
  "123456789012345678901234567890e-20",
];
const numericPaths: JsonPath[] = [
  ["generationConfig", "temperature"],
  ["generationConfig", "topP"],
  ["generationConfig", "topK"],
  ["generationConfig", "candidateCount"],
  ["generationConfig", "maxOutputTokens"],
  ["generationConfig", "seed"],
  ["generationConfig", "presencePenalty"],
  ["generationConfig", "logprobs"],
  ["generationConfig", "thinkingConfig", "thinkingBudget"],
  ["tools", 0, "functionDeclarations", 0, "parameters", "minLength"],
  ["tools", 0, "functionDeclarations", 0, "parameters", "maximum"],
  ["contents", 0, "parts", 0, "mediaResolution", "numTokens"],
  ["contents", 0, "parts", 0, "partMetadata", "n"],
];
const badEnums: [JsonPath, JsonValue][] = [
  [["safetySettings", 0, "category"], "HARM_CATEGORY_FOO"],
  [["safetySettings", 0, "threshold"], "BLOCK_SOMETIMES"],
  [["safetySettings", 0, "category"], 999],
  [["safetySettings", 0, "threshold"], -1],
  [["generationConfig", "responseModalities"], ["SMELL"]],
  [["generationConfig", "responseModalities"], ["text"]],
  [["generationConfig", "responseModalities"], [2147483648]],
  [["generationConfig", "mediaResolution"], "MEDIA_RESOLUTION_ULTRA"],
  [["generationConfig", "thinkingConfig", "thinkingLevel"], "EXTREME"],
  [["generationConfig", "thinkingConfig", "thinkingLevel"], 1.5],
  [["toolConfig", "functionCallingConfig", "mode"], "SOMETIMES"],
  [["toolConfig", "functionCallingConfig", "mode"], null],
  [["contents", 0, "parts", 0, "executableCode"], { language: "COBOL", code: "x" }],
  [["contents", 0, "parts", 0, "mediaResolution", "level"], "MEDIA_RESOLUTION_ULTRA_HIGH_PLUS"],
  [["tools", 0, "functionDeclarations", 0], { name: "f", parameters: { type: "TUPLE" } }],
  [["tools", 0, "functionDeclarations", 0], { name: "f", behavior: "SOMETIMES" }],
];
const badBase64 = ["!!!!", "abc", "a", "====", "YQ=", "YQ===", "Y Q==", "-_-_", "YWJj\n", "%%%", "ÿÿ", "YW\u0000Jj", "\\u0000", "AAAA".repeat(4096) + "A"];
const bytesPaths: JsonPath[] = [
  ["contents", 0, "parts", 0, "inlineData", "data"],
  ["contents", 0, "parts", 0, "thoughtSignature"],
  ["contents", 0, "parts", 0, "functionResponse", "parts", 0, "inlineData", "data"],
];
const oddKeys = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "generation_config",
  "system_instruction",
  "",
  " model",
  "MODEL",
  "unknownField",
  "\u00e9t\u00e9",
  "\ud83d\ude00",
  "a".repeat(5000),
];
const invalidUtf8 = [
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0xfe, 0xff],
  [0xef, 0xbb, 0xbf],
];

type JsonGenerator = (c: FuzzCase, rng: Rng) => Uint8Array;

function withJson(text: string): Uint8Array {
  return utf8(text);
}

function nested(depth: number, open: string, close: string, inner = "1"): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

const jsonGenerators: readonly (readonly [number, string, JsonGenerator])[] = [
  [
    1,
    "wrong top-level shape",
    (c, rng) => {
      const base = rng.pick(jsonBasesOf(c.rpc));
      const text = rng.pick(["[]", "null", "42", '"str"', "true", "{}", "", " ", "{", "}", "[" + JSON.stringify(base) + "]", JSON.stringify(base) + JSON.stringify(base), JSON.stringify(base) + "x", '{"model":"' + model + '"}']);
      c.notes.push(`body ${JSON.stringify(text.slice(0, 60))}`);
      return withJson(text);
    },
  ],
  [
    4,
    "wrong field type",
    (c, rng) => {
      const root = clone(rng.pick(jsonBasesOf(c.rpc)));
      const n = rng.range(1, 3);
      for (let i = 0; i < n; i++) {
        const path = rng.pick(pathsOf(c.rpc));
        const value = rng.pick(wrongValues);
        c.notes.push(`${path.join(".")} = ${JSON.stringify(value)}`);
        setAt(root, path, value);
      }
      return withJson(JSON.stringify(root));
    },
  ],
  [
    2,
    "unknown field",
    (c, rng) => {
      const root = clone(rng.pick(jsonBasesOf(c.rpc)));
      const objects = objectsIn(root);
      const [path, object] = rng.pick(objects);
      const key = rng.pick(oddKeys);
      const value = rng.pick(wrongValues);
      // Built as text: assigning "__proto__" on a plain object would not make an own key.
      const raws = [`{${JSON.stringify(key)}:${JSON.stringify(value)}${Object.keys(object).length > 0 ? "," : ""}${JSON.stringify(object).slice(1)}`];
      c.notes.push(`key ${JSON.stringify(key.slice(0, 20))} at ${path.join(".") || "top"}`);
      const text = stringifyWithRaw(path.length === 0 ? rawMarker(0) : setAt(root, path, rawMarker(0)), raws);
      return withJson(text);
    },
  ],
  [
    2,
    "deep nesting",
    (c, rng) => {
      const depth = rng.pick([64, 100, 1_000, 5_000, 20_000, 100_000]);
      const where = rng.pick(["top array", "partMetadata", "functionCall.args", "responseJsonSchema", "unknown field", "schema items", "labels"] as const);
      c.notes.push(`${where} nested ${depth} deep`);
      if (where === "top array") return withJson(nested(depth, "[", "]"));
      const root = clone(generateBases[0] as JsonValue);
      let raw: string;
      let path: JsonPath;
      switch (where) {
        case "partMetadata":
          raw = nested(depth, '{"a":', "}");
          path = ["contents", 0, "parts", 0, "partMetadata"];
          break;
        case "functionCall.args":
          raw = nested(depth, '{"a":[', "]}");
          path = ["contents", 0, "parts", 0, "functionCall"];
          raw = `{"name":"f","args":${raw}}`;
          (root as { contents: { parts: JsonValue[] }[] }).contents[0]!.parts[0] = {};
          break;
        case "responseJsonSchema":
          raw = nested(depth, "[", "]");
          path = ["generationConfig", "responseJsonSchema"];
          break;
        case "unknown field":
          raw = nested(depth, '{"x":', "}");
          path = ["fuzzUnknown"];
          break;
        case "schema items":
          raw = `{"functionDeclarations":[{"name":"f","parameters":${nested(depth, '{"type":"ARRAY","items":', "}", '{"type":"STRING"}')}}]}`;
          path = ["tools", 0];
          break;
        case "labels":
          raw = nested(depth, '{"k":', "}", '"v"');
          path = ["labels"];
          break;
      }
      const body = c.rpc === "CountTokens" ? { model, generateContentRequest: setAt(root, path, rawMarker(0)) } : setAt(root, path, rawMarker(0));
      return withJson(stringifyWithRaw(body, [raw]));
    },
  ],
  [
    2,
    "huge numbers",
    (c, rng) => {
      const root = clone(rng.pick(generateBases));
      const raws: string[] = [];
      const n = rng.range(1, 3);
      for (let i = 0; i < n; i++) {
        const path = rng.pick(numericPaths);
        const raw = rng.pick(hugeNumbers);
        c.notes.push(`${path.join(".")} = ${raw}`);
        setAt(root, path, rawMarker(raws.length));
        raws.push(raw);
      }
      const body = c.rpc === "CountTokens" ? { model, generateContentRequest: root } : root;
      return withJson(stringifyWithRaw(body, raws));
    },
  ],
  [
    2,
    "invalid UTF-8",
    (c, rng) => {
      const text = JSON.stringify(rng.pick(jsonBasesOf(c.rpc)));
      // Inside a string value (after an opening quote of a value) or anywhere.
      const quotes = [...text.matchAll(/:"/g)].map((m) => (m.index ?? 0) + 2);
      const at = rng.chance(0.7) && quotes.length > 0 ? rng.pick(quotes) : rng.int(text.length + 1);
      const seq = rng.pick(invalidUtf8);
      c.notes.push(`bytes [${seq.map((b) => b.toString(16)).join(" ")}] at ${at}`);
      const bytes = utf8(text);
      // `at` is a char index; the bases are ASCII, so it is also a byte index.
      return concat(bytes.subarray(0, at), Uint8Array.from(seq), bytes.subarray(at));
    },
  ],
  [
    1,
    "escapes",
    (c, rng) => {
      const root = clone(rng.pick(generateBases));
      const raw = rng.pick(['"\\ud800"', '"\\udc00x"', '"\\u0000"', '"\\x41"', '"\\u12"', '"\\', '"\t"', '"\\uD83D\\uDE00"', '"a\\/b"']);
      const path = rng.pick([["model"], ["contents", 0, "parts", 0, "text"], ["contents", 0, "role"], ["labels", "k"]] as JsonPath[]);
      c.notes.push(`${path.join(".")} = ${raw}`);
      const body = c.rpc === "CountTokens" ? { model, contents: (setAt(root, path, rawMarker(0)) as { contents: JsonValue }).contents } : setAt(root, path, rawMarker(0));
      return withJson(stringifyWithRaw(body, [raw]));
    },
  ],
  [
    2,
    "invalid base64",
    (c, rng) => {
      const root = clone(generateBases[2] as JsonValue);
      const path = rng.pick(bytesPaths);
      const value = rng.pick(badBase64);
      c.notes.push(`${path.join(".")} = ${JSON.stringify(value.slice(0, 20))}${value.length > 20 ? "..." : ""}`);
      setAt(root, path, value);
      return withJson(JSON.stringify(c.rpc === "CountTokens" ? { model, generateContentRequest: root } : root));
    },
  ],
  [
    2,
    "unknown enum",
    (c, rng) => {
      const root = clone(generateBases[1] as JsonValue);
      const [path, value] = rng.pick(badEnums);
      c.notes.push(`${path.join(".")} = ${JSON.stringify(value)}`);
      setAt(root, path, value);
      return withJson(JSON.stringify(c.rpc === "CountTokens" ? { model, generateContentRequest: root } : root));
    },
  ],
  [
    1,
    "oneof and null",
    (c, rng) => {
      const root = clone(rng.pick(generateBases));
      const [path, value] = rng.pick<[JsonPath, JsonValue]>([
        [["contents", 0, "parts", 0], { text: "a", inlineData: { mimeType: "x/y", data: "" } }],
        [["contents", 0, "parts", 0], { text: null }],
        [["contents", 0, "parts", 0], { text: "a", fileData: null }],
        [["contents", 0, "parts"], [null]],
        [["contents"], [null]],
        [["labels"], { k: null }],
        [["labels"], { k: 1 }],
        [["generationConfig"], null],
        [["generationConfig", "stopSequences"], [null, 1]],
        [["contents", 0, "parts", 0, "partMetadata"], [1, 2]],
        [["contents", 0, "parts", 0, "partMetadata"], "x"],
      ]);
      c.notes.push(`${path.join(".")} = ${JSON.stringify(value)}`);
      setAt(root, path, value);
      return withJson(JSON.stringify(c.rpc === "CountTokens" ? { model, generateContentRequest: root } : root));
    },
  ],
  [
    1,
    "duplicate keys",
    (c, rng) => {
      const base = JSON.stringify(rng.pick(jsonBasesOf(c.rpc)));
      const dup = rng.pick(['"model":"models/other",', '"model":1,', '"contents":[],', '"contents":"x",']);
      c.notes.push(`prefix ${dup}`);
      return withJson(`{${dup}${base.slice(1)}`);
    },
  ],
  [
    1,
    "huge strings",
    (c, rng) => {
      const root = clone(generateBases[0] as JsonValue);
      const size = rng.pick([1_000, 10_000, 60_000]);
      const path = rng.pick([["model"], ["contents", 0, "role"], ["contents", 0, "parts", 0, "text"], ["labels", "k"], ["cachedContent"]] as JsonPath[]);
      c.notes.push(`${path.join(".")} is ${size} chars`);
      setAt(root, path, "x".repeat(size));
      return withJson(JSON.stringify(c.rpc === "CountTokens" ? { model, generateContentRequest: root } : root));
    },
  ],
  [
    4,
    "text mutation",
    (c, rng) => {
      let text = JSON.stringify(rng.pick(jsonBasesOf(c.rpc)));
      const n = rng.range(1, 4);
      const alphabet = '{}[]",:\\0123456789aeEz-+. \n';
      for (let i = 0; i < n; i++) {
        const at = rng.int(text.length + 1);
        const op = rng.pick(["delete", "insert", "replace", "duplicate", "truncate", "swap"] as const);
        c.notes.push(`${op}@${at}`);
        switch (op) {
          case "delete":
            text = text.slice(0, at) + text.slice(at + rng.range(1, 8));
            break;
          case "insert":
            text = text.slice(0, at) + rng.pick([...alphabet]) + text.slice(at);
            break;
          case "replace":
            text = text.slice(0, at) + rng.pick([...alphabet]) + text.slice(at + 1);
            break;
          case "duplicate": {
            const span = text.slice(at, at + rng.range(1, 40));
            text = text.slice(0, at) + span + span + text.slice(at + span.length);
            break;
          }
          case "truncate":
            text = text.slice(0, at);
            break;
          case "swap": {
            const other = rng.int(text.length + 1);
            const chars = [...text];
            const a = chars[at];
            const b = chars[other];
            if (a !== undefined && b !== undefined) {
              chars[at] = b;
              chars[other] = a;
            }
            text = chars.join("");
            break;
          }
        }
      }
      return withJson(text);
    },
  ],
];

function jsonPayload(c: FuzzCase, rng: Rng): Uint8Array {
  const [, name, generate] = rng.weighted(jsonGenerators.map((entry) => [entry[0], entry] as const));
  c.notes.push(name);
  return generate(c, rng);
}

// ---------------------------------------------------------------------------------------------
// (d) protocol-level oddities, on an otherwise valid request.

type Oddity = (c: FuzzCase, rng: Rng, wire: Wire) => void;

const otherContentTypes = [
  "",
  "text/plain",
  "application/octet-stream",
  "application/grpc+xml",
  "application/grpc-web-text",
  "application/grpc-web-text+proto",
  "application/grpc; charset=utf-8",
  "application/json; charset=latin1",
  "application/x-protobuf",
  "multipart/form-data; boundary=x",
  "APPLICATION/GRPC",
  "Application/Json",
  "application/connect+proto",
  "application/connect+json",
  "application/proto",
  "application/json",
  "application/grpc",
  "application/grpc+json",
  "application/grpc-web",
  "application/grpc-web+json",
  "application/grpc+json; charset=utf-8",
];

const oddities: readonly (readonly [number, string, Oddity])[] = [
  [
    3,
    "content-type",
    (c, rng) => {
      const value = rng.pick(otherContentTypes);
      c.notes.push(`content-type ${JSON.stringify(value)}`);
      if (value === "") delete c.headers["content-type"];
      else c.headers["content-type"] = value;
    },
  ],
  [
    4,
    "timeout",
    (c, rng, wire) => {
      // Mostly the header of the request's own protocol; now and then the other one (ignored).
      const own = wire === "connect" ? "connect-timeout-ms" : "grpc-timeout";
      const header = rng.chance(0.85) ? own : own === "grpc-timeout" ? "connect-timeout-ms" : "grpc-timeout";
      const value =
        header === "grpc-timeout"
          ? rng.pick(["", "abc", "1", "S", "-1S", "1.5S", "123456789S", "99999999H", "99999999S", "0n", "1n", "1u", "1m", "10M", "5s", "5 S", "0S"])
          : rng.pick(["", "abc", "-5", "1e3", "1.5", "0", "1", "99999999999", "9999999999", "4294967296", "2147483648", "2147483647", "1 00", "0x10"]);
      c.notes.push(`${header}: ${JSON.stringify(value)}`);
      c.headers[header] = value;
    },
  ],
  [
    2,
    "compression",
    (c, rng, wire) => {
      const header = rng.pick(["grpc-encoding", "connect-content-encoding", "content-encoding", encodingHeader(wire, c.rpc)]);
      const value = rng.pick(["snappy", "zstd", "deflate", "GZIP", "gzip, br", "", "identity", "x".repeat(300)]);
      c.notes.push(`${header}: ${JSON.stringify(value.slice(0, 20))}`);
      c.headers[header] = value;
      if (rng.chance(0.5) && isEnveloped(wire, c.rpc) && c.body.length >= 5) {
        c.body = c.body.slice();
        c.body[0] = 0x01; // the payload claims to be compressed with it
        c.notes.push("compressed flag set");
      }
    },
  ],
  [
    1,
    "accept-encoding",
    (c, rng) => {
      const header = rng.pick(["grpc-accept-encoding", "connect-accept-encoding", "accept-encoding"]);
      const value = rng.pick(["snappy", "gzip", "br", "*", ",,,", "gzip;q=0", "identity", ""]);
      c.notes.push(`${header}: ${JSON.stringify(value)}`);
      c.headers[header] = value;
    },
  ],
  [
    3,
    "method",
    (c, rng, wire) => {
      // Node's HTTP/1.1 parser answers unknown methods itself (400): "FUZZ" only goes over HTTP/2.
      const method = rng.pick(["GET", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", httpOf(c.family) === "h2" ? "FUZZ" : "GET"]);
      c.notes.push(`method ${method}`);
      c.method = method;
      if (method === "GET" && wire === "connect" && rng.chance(0.7)) {
        // What a Connect GET would carry; the methods are not side-effect free, so it is refused.
        const message = Buffer.from(c.body).toString("base64url");
        c.path += `?connect=v1&encoding=${c.headers["content-type"]?.includes("json") ? "json" : "proto"}&base64=1&message=${message}`;
        c.notes.push("connect GET query");
      }
      if (method === "GET" || method === "HEAD") c.body = new Uint8Array(0);
    },
  ],
  [
    3,
    "path",
    (c, rng) => {
      const path = rng.pick([
        "/",
        "/geminiconnect.v1.GenerativeService/",
        "/geminiconnect.v1.GenerativeService/Nope",
        "/geminiconnect.v1.GenerativeService/generateContent",
        "/geminiconnect.v1.generativeservice/GenerateContent",
        "/geminiconnect.v1.Nope/GenerateContent",
        "/geminiconnect.v2.GenerativeService/GenerateContent",
        `${c.path}/`,
        `${c.path}/extra`,
        `/${c.path}`,
        `${c.path}%20`,
        c.path.replace("Generative", "%47enerative"),
        `/geminiconnect.v1.GenerativeService/../GenerativeService/${c.rpc}`,
        "/google.ai.generativelanguage.v1beta.GenerativeService/GenerateContent",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        "/grpc.health.v1.Health/Check",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/" + "a".repeat(4000),
        `${c.path}?x=1`, // still the method: the query is ignored
        `${c.path}?`, // same
      ]);
      c.notes.push(`path ${JSON.stringify(path.slice(0, 80))}`);
      c.path = path;
    },
  ],
  [
    2,
    "metadata",
    (c, rng) => {
      const kind = rng.pick(["bad -bin", "many", "large", "reserved", "connect-protocol-version", "te"] as const);
      c.notes.push(`metadata: ${kind}`);
      switch (kind) {
        case "bad -bin":
          c.headers["x-fuzz-bin"] = rng.pick(["!!!", "YQ=", "a", "====", "-_-_"]);
          break;
        case "many":
          for (let i = 0; i < 60; i++) c.headers[`x-fuzz-${i}`] = String(i);
          break;
        case "large":
          c.headers["x-fuzz-large"] = "v".repeat(rng.pick([1024, 4096, 8000]));
          break;
        case "reserved":
          c.headers[rng.pick(["grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-message-type"])] = rng.pick(["0", "13", "x"]);
          break;
        case "connect-protocol-version":
          c.headers["connect-protocol-version"] = rng.pick(["2", "0", "", "v1"]);
          break;
        case "te":
          // HTTP/2 allows no other value than "trailers" (node's client refuses it): drop it there.
          if (httpOf(c.family) === "h2") delete c.headers["te"];
          else c.headers["te"] = rng.pick(["gzip", "trailers", ""]);
          break;
      }
    },
  ],
];

// ---------------------------------------------------------------------------------------------

export function generateCase(family: Family, index: number, seed: number, inputClass: InputClass): FuzzCase {
  const rng = mulberry32(seed);
  const wire = wireOf(family);
  const rpc = rng.pick(rpcNames);
  const codec: Codec = inputClass === "json" ? "json" : inputClass === "protocol" && rng.chance(0.3) ? "json" : "proto";
  const c: FuzzCase = {
    family,
    index,
    seed,
    inputClass,
    rpc,
    method: "POST",
    path: rpcs[rpc].path,
    headers: baseHeaders(wire, family, rpc, codec, rng),
    body: new Uint8Array(0),
    notes: [],
  };
  switch (inputClass) {
    case "bytes":
      c.body = randomBytesBody(c, rng, isEnveloped(wire, rpc));
      break;
    case "binary":
      frame(c, rng, wire, mutatedBinaryPayload(c, rng), 0.5);
      break;
    case "json":
      frame(c, rng, wire, jsonPayload(c, rng), 0.1);
      break;
    case "protocol": {
      const base = rng.pick(jsonBasesOf(rpc));
      const payload = codec === "json" ? utf8(JSON.stringify(base)) : rng.pick(binaryBases[rpc]);
      frame(c, rng, wire, payload, 0);
      const count = rng.weighted([
        [4, 1],
        [1, 2],
      ] as const);
      for (let i = 0; i < count; i++) {
        const [, name, apply] = rng.weighted(oddities.map((entry) => [entry[0], entry] as const));
        c.notes.push(name);
        apply(c, rng, wire);
      }
      break;
    }
  }
  return c;
}
