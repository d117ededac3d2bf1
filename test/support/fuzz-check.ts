// Is a response well-formed for its protocol? Written from the gRPC, gRPC-Web and Connect specs,
// not from connect-node's code: what to expect follows from the request alone (path, method,
// content type), and every problem is named so a failure says what broke.

import { fromBinary, fromJsonString } from "@bufbuild/protobuf";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { rpcs } from "./fuzz-inputs.ts";
import type { FuzzCase, RpcInfo } from "./fuzz-inputs.ts";
import type { RawResponse } from "./fuzz-wire.ts";

interface RpcExpectation<K extends string> {
  readonly kind: K;
  readonly codec: "proto" | "json";
  /** Undefined for a path outside GenerativeService that the gateway may serve (health, reflection). */
  readonly rpc: RpcInfo | undefined;
}
export type Expectation =
  | { readonly kind: "reject"; readonly status: 404 | 405 | 415; readonly why: string }
  /** A path of the Gemini REST API: Google's JSON, or Google's error body. */
  | { readonly kind: "rest" }
  | { readonly kind: "foreign"; readonly protocol: RpcExpectation<"grpc" | "grpc-web" | "connect-unary" | "connect-stream"> | undefined }
  | RpcExpectation<"grpc">
  | RpcExpectation<"grpc-web">
  | RpcExpectation<"connect-unary">
  | RpcExpectation<"connect-stream">;

const grpcType = /^application\/grpc(?:\+(?:(json)(?:; ?charset=utf-?8)?|proto))?$/i;
const grpcWebType = /^application\/grpc-web(?:\+(?:(json)(?:; ?charset=utf-?8)?|proto))?$/i;
const connectUnaryType = /^application\/(?:(json)(?:; ?charset=utf-?8)?|proto)$/i;
const connectStreamType = /^application\/connect\+(?:(json)(?:; ?charset=utf-?8)?|proto)$/i;

/** The protocol a request's content type asks for; undefined if none (415). */
function protocolOf(contentType: string, rpc: RpcInfo | undefined, stream: boolean) {
  let match: RegExpExecArray | null;
  const codec = (m: RegExpExecArray) => (m[1] ? "json" : "proto") as "json" | "proto";
  if ((match = grpcWebType.exec(contentType))) return { kind: "grpc-web", codec: codec(match), rpc } as const;
  if ((match = grpcType.exec(contentType))) return { kind: "grpc", codec: codec(match), rpc } as const;
  if (stream && (match = connectStreamType.exec(contentType))) return { kind: "connect-stream", codec: codec(match), rpc } as const;
  if (!stream && (match = connectUnaryType.exec(contentType))) return { kind: "connect-unary", codec: codec(match), rpc } as const;
  return undefined;
}

/** What a correct server answers to this request, decided from the request alone. */
export function expectationOf(c: FuzzCase): Expectation {
  const path = c.path.split("?")[0] ?? "";
  // Google's service name serves the same methods on the same messages.
  const rpc = Object.values(rpcs).find((r) => r.path === path || `/google.ai.generativelanguage.v1beta.GenerativeService/${r.name}` === path);
  if (rpc === undefined) {
    // Not a GenerativeService method: for another service the gateway serves (health,
    // reflection), a proper answer of that service whatever its message types; for gRPC and
    // gRPC-Web to a path nobody serves, UNIMPLEMENTED as a gRPC status whatever the HTTP method;
    // under /v1beta/ and /v1/, the Gemini REST API; 404 otherwise.
    const contentType = c.headers["content-type"] ?? "";
    const stream = /^application\/connect\+/i.test(contentType);
    const protocol = protocolOf(contentType, undefined, stream);
    const grpc = protocol?.kind === "grpc" || protocol?.kind === "grpc-web";
    if (!grpc && (path.startsWith("/v1beta/") || path.startsWith("/v1/"))) return { kind: "rest" };
    return { kind: "foreign", protocol: c.method === "POST" || grpc ? protocol : undefined };
  }
  // None of the three methods is marked side-effect free, so only POST is allowed (no Connect GET).
  if (c.method !== "POST") return { kind: "reject", status: 405, why: `${c.method} on a POST-only method` };
  const contentType = c.headers["content-type"] ?? "";
  return protocolOf(contentType, rpc, rpc.stream) ?? { kind: "reject", status: 415, why: `content-type ${JSON.stringify(contentType)}` };
}

export interface Verdict {
  readonly problems: string[];
  /** Short outcome label for the tallies: "grpc invalid_argument", "http 415", ... */
  readonly label: string;
  /** The error message the server sent, if it sent one. */
  readonly message?: string;
}

// The error message of the response being checked (checks run one at a time, synchronously).
let lastMessage: string | undefined;

const connectCodes = [
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
] as const;
/** gRPC status number -> Connect code name (0 is ok). */
const grpcCodeName = (n: number) => (n === 0 ? "ok" : (connectCodes[n - 1] ?? `code ${n}`));

// https://connectrpc.com/docs/protocol#error-codes
const connectHttpStatus: Record<string, number> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

interface Envelope {
  readonly flags: number;
  readonly data: Uint8Array;
}

/** Splits a body into 5-byte-prefixed envelopes; a partial one at the end is a problem. */
function splitEnvelopes(body: Uint8Array, problems: string[]): Envelope[] {
  const out: Envelope[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 5) {
      problems.push(`body ends inside an envelope header (${body.length - at} bytes left)`);
      break;
    }
    const flags = body[at] as number;
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    if (body.length - at - 5 < length) {
      problems.push(`envelope declares ${length} bytes, only ${body.length - at - 5} arrived`);
      break;
    }
    out.push({ flags, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

function decompress(encoding: string | undefined, data: Uint8Array, problems: string[]): Uint8Array | undefined {
  try {
    if (encoding === "gzip") return gunzipSync(data);
    if (encoding === "br") return brotliDecompressSync(data);
  } catch (error) {
    problems.push(`compressed ${encoding} data does not decompress: ${String(error)}`);
    return undefined;
  }
  problems.push(`compressed data with encoding ${JSON.stringify(encoding)}`);
  return undefined;
}

function decodeMessage(rpc: RpcInfo | undefined, codec: "proto" | "json", data: Uint8Array, problems: string[]): void {
  if (rpc === undefined) return;
  try {
    if (codec === "proto") fromBinary(rpc.output, data);
    else fromJsonString(rpc.output, new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch (error) {
    problems.push(`response message is no ${rpc.output.typeName} (${codec}): ${String(error)}`);
  }
}

function checkMessageCount(rpc: RpcInfo | undefined, count: number, problems: string[]): void {
  if (rpc === undefined) return;
  if (rpc.stream ? count < 1 : count !== 1) {
    problems.push(`OK with ${count} messages for ${rpc.stream ? "a server stream (the emulator always sends one)" : "a unary RPC"}`);
  }
}

/** gRPC status, message and their place, from HTTP trailers, trailers-only headers, or a gRPC-Web trailer frame. */
function checkGrpcStatus(fields: Readonly<Record<string, string>>, where: string, problems: string[]): number | undefined {
  const raw = fields["grpc-status"];
  if (raw === undefined) {
    problems.push(`no grpc-status in ${where}`);
    return undefined;
  }
  if (!/^\d{1,2}$/.test(raw) || Number(raw) > 16) {
    problems.push(`grpc-status ${JSON.stringify(raw)} is no gRPC code`);
    return undefined;
  }
  const status = Number(raw);
  if (status !== 0) {
    const message = fields["grpc-message"];
    if (message === undefined || message === "") problems.push(`grpc-status ${status} without grpc-message`);
    else {
      try {
        lastMessage = decodeURIComponent(message);
      } catch {
        problems.push(`grpc-message is not percent-encoded: ${JSON.stringify(message.slice(0, 80))}`);
      }
    }
  }
  return status;
}

function parseTrailerFrame(data: Uint8Array, problems: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  const text = new TextDecoder().decode(data);
  for (const line of text.split("\r\n")) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      problems.push(`trailer frame line without a name: ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields;
}

function checkGrpc(e: RpcExpectation<"grpc" | "grpc-web">, r: RawResponse, problems: string[]): string {
  const web = e.kind === "grpc-web";
  if (r.status !== 200) {
    problems.push(`HTTP ${r.status} for a ${e.kind} request (gRPC errors are HTTP 200 with grpc-status)`);
    return `${e.kind} http ${r.status}`;
  }
  const contentType = r.headers["content-type"] ?? "";
  const typeOk = web ? grpcWebType.test(contentType) : grpcType.test(contentType) && !contentType.startsWith("application/grpc-web");
  if (!typeOk) problems.push(`response content-type ${JSON.stringify(contentType)} for ${e.kind}`);
  else if ((e.codec === "json") !== /json/i.test(contentType)) problems.push(`response codec ${contentType} for a ${e.codec} request`);
  const encoding = r.headers["grpc-encoding"];

  const envelopes = splitEnvelopes(r.body, problems);
  let statusFields: Record<string, string>;
  let data: Envelope[];
  if (web) {
    const trailerFrames = envelopes.filter((env) => (env.flags & 0x80) !== 0);
    data = envelopes.filter((env) => (env.flags & 0x80) === 0);
    if (envelopes.length === 0 && r.headers["grpc-status"] !== undefined) {
      statusFields = r.headers; // trailers-only
    } else if (trailerFrames.length !== 1 || envelopes.at(-1)?.flags !== trailerFrames[0]?.flags) {
      problems.push(`gRPC-Web body has ${trailerFrames.length} trailer frames${trailerFrames.length === 1 ? ", not at the end" : ""}`);
      return `${e.kind} malformed`;
    } else {
      const frame = trailerFrames[0] as Envelope;
      if (frame.flags !== 0x80) problems.push(`trailer frame flags 0x${frame.flags.toString(16)}`);
      statusFields = parseTrailerFrame(frame.data, problems);
    }
  } else {
    data = envelopes;
    if (r.trailers["grpc-status"] !== undefined) statusFields = r.trailers;
    else if (r.headers["grpc-status"] !== undefined && r.body.length === 0) statusFields = r.headers; // trailers-only
    else statusFields = r.trailers;
  }
  const status = checkGrpcStatus(statusFields, web ? "the trailer frame or headers" : "trailers or trailers-only headers", problems);
  for (const env of data) {
    if (env.flags !== 0 && env.flags !== 1) problems.push(`message envelope flags 0x${env.flags.toString(16)}`);
  }
  if (status === 0) {
    checkMessageCount(e.rpc, data.length, problems);
    for (const env of data) {
      const bytes = env.flags === 1 ? decompress(encoding, env.data, problems) : env.data;
      if (bytes !== undefined) decodeMessage(e.rpc, e.codec, bytes, problems);
    }
  }
  return `${e.kind} ${status === undefined ? "?" : grpcCodeName(status)}`;
}

/** A Connect error object, in a unary body or an end-stream message. Returns its code. */
function checkConnectError(error: unknown, problems: string[]): string | undefined {
  if (typeof error !== "object" || error === null || Array.isArray(error)) {
    problems.push(`Connect error is not an object: ${JSON.stringify(error)?.slice(0, 80)}`);
    return undefined;
  }
  const { code, message, details } = error as Record<string, unknown>;
  if (typeof code !== "string" || !(connectCodes as readonly string[]).includes(code)) {
    problems.push(`Connect error code ${JSON.stringify(code)} is not a Connect code`);
    return undefined;
  }
  if (typeof message !== "string" || message === "") problems.push(`Connect error ${code} without a message`);
  else lastMessage = message;
  if (details !== undefined && !Array.isArray(details)) problems.push("Connect error details is not an array");
  return code;
}

function parseJson(data: Uint8Array, what: string, problems: string[]): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch (error) {
    problems.push(`${what} is not JSON: ${String(error)}`);
    return undefined;
  }
}

function checkConnectUnary(e: RpcExpectation<"connect-unary">, r: RawResponse, problems: string[]): string {
  const contentType = r.headers["content-type"] ?? "";
  const encoding = r.headers["content-encoding"];
  let body: Uint8Array | undefined = r.body;
  if (encoding !== undefined && encoding !== "identity") body = decompress(encoding, r.body, problems);
  if (r.status === 200) {
    if (!connectUnaryType.test(contentType)) problems.push(`200 with content-type ${JSON.stringify(contentType)}`);
    else if ((e.codec === "json") !== /json/i.test(contentType)) problems.push(`response codec ${contentType} for a ${e.codec} request`);
    else if (body !== undefined) decodeMessage(e.rpc, e.codec, body, problems);
    return "connect ok";
  }
  if (r.status >= 200 && r.status < 300) problems.push(`HTTP ${r.status}: success other than 200`);
  if (!/^application\/json\b/i.test(contentType)) {
    problems.push(`HTTP ${r.status} with content-type ${JSON.stringify(contentType)}, not a JSON error`);
    return `connect http ${r.status}`;
  }
  if (body === undefined) return `connect http ${r.status}`;
  const code = checkConnectError(parseJson(body, `HTTP ${r.status} body`, problems), problems);
  if (code !== undefined && connectHttpStatus[code] !== r.status) {
    problems.push(`error ${code} sent with HTTP ${r.status}, the protocol says ${connectHttpStatus[code]}`);
  }
  return `connect ${code ?? "?"}`;
}

function checkConnectStream(e: RpcExpectation<"connect-stream">, r: RawResponse, problems: string[]): string {
  if (r.status !== 200) {
    problems.push(`HTTP ${r.status} for a Connect stream (its errors go in the end-stream message)`);
    return `connect-stream http ${r.status}`;
  }
  const contentType = r.headers["content-type"] ?? "";
  if (!connectStreamType.test(contentType)) problems.push(`response content-type ${JSON.stringify(contentType)} for a Connect stream`);
  else if ((e.codec === "json") !== /json/i.test(contentType)) problems.push(`response codec ${contentType} for a ${e.codec} request`);
  const encoding = r.headers["connect-content-encoding"];
  const envelopes = splitEnvelopes(r.body, problems);
  const ends = envelopes.filter((env) => (env.flags & 0x02) !== 0);
  if (ends.length !== 1 || ((envelopes.at(-1)?.flags ?? 0) & 0x02) === 0) {
    problems.push(`stream has ${ends.length} end-stream messages${ends.length === 1 ? ", not at the end" : ""}`);
    return "connect-stream malformed";
  }
  const end = ends[0] as Envelope;
  const endData = (end.flags & 0x01) !== 0 ? decompress(encoding, end.data, problems) : end.data;
  if (endData === undefined) return "connect-stream malformed";
  const endMessage = parseJson(endData, "end-stream message", problems);
  if (typeof endMessage !== "object" || endMessage === null || Array.isArray(endMessage)) {
    problems.push(`end-stream message is not an object`);
    return "connect-stream malformed";
  }
  const { error, metadata } = endMessage as Record<string, unknown>;
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) {
    problems.push("end-stream metadata is not an object");
  }
  const data = envelopes.slice(0, -1);
  for (const env of data) {
    if (env.flags !== 0 && env.flags !== 1) problems.push(`message envelope flags 0x${env.flags.toString(16)}`);
  }
  if (error !== undefined) return `connect-stream ${checkConnectError(error, problems) ?? "?"}`;
  checkMessageCount(e.rpc, data.length, problems);
  for (const env of data) {
    const bytes = env.flags === 1 ? decompress(encoding, env.data, problems) : env.data;
    if (bytes !== undefined) decodeMessage(e.rpc, e.codec, bytes, problems);
  }
  return "connect-stream ok";
}

/** Gemini's REST answer: 200 with JSON or SSE, or `{"error": {code, message, status}}` with code as the HTTP status. */
function checkRest(r: RawResponse, problems: string[]): string {
  const contentType = r.headers["content-type"] ?? "";
  if (r.status === 200) {
    if (!/^(application\/json|text\/event-stream)\b/.test(contentType)) problems.push(`REST 200 with content-type ${JSON.stringify(contentType)}`);
    return "rest ok";
  }
  if (!/^application\/json\b/.test(contentType)) {
    problems.push(`REST HTTP ${r.status} with content-type ${JSON.stringify(contentType)}, not Google's error body`);
    return `rest http ${r.status}`;
  }
  const body = parseJson(r.body, `REST HTTP ${r.status} body`, problems) as { error?: Record<string, unknown> } | undefined;
  const error = body?.error;
  if (typeof error?.["message"] === "string") lastMessage = error["message"];
  if (error?.["code"] !== r.status || typeof error["status"] !== "string" || typeof error["message"] !== "string") {
    problems.push(`REST HTTP ${r.status} body is not Google's error: ${JSON.stringify(body)?.slice(0, 120)}`);
  }
  return `rest ${String(error?.["status"] ?? r.status)}`;
}

function checkProtocol(e: Exclude<Expectation, { kind: "reject" | "foreign" | "rest" }>, r: RawResponse, problems: string[]): string {
  switch (e.kind) {
    case "grpc":
    case "grpc-web":
      return checkGrpc(e, r, problems);
    case "connect-unary":
      return checkConnectUnary(e, r, problems);
    case "connect-stream":
      return checkConnectStream(e, r, problems);
  }
}

export function checkResponse(c: FuzzCase, r: RawResponse): Verdict {
  const problems: string[] = [];
  lastMessage = undefined;
  if (r.outcome === "client-refused") return { problems, label: "client refused to send" };
  if (r.outcome === "timeout") {
    problems.push(`no complete response within the hang bound (HTTP ${r.status || "-"}, ${r.body.length} body bytes so far)`);
    return { problems, label: "hang" };
  }
  if (r.outcome !== "complete") {
    problems.push(`${r.outcome}${r.rstCode === undefined ? "" : ` (RST_STREAM code ${r.rstCode})`}${r.error === undefined ? "" : `: ${r.error}`} after HTTP ${r.status || "-"} and ${r.body.length} body bytes`);
    return { problems, label: r.outcome };
  }
  const e = expectationOf(c);
  let label: string;
  switch (e.kind) {
    case "reject":
      if (r.status !== e.status) problems.push(`HTTP ${r.status}, expected ${e.status} (${e.why})`);
      label = `http ${r.status}`;
      break;
    case "rest":
      label = checkRest(r, problems);
      break;
    case "foreign": {
      const contentType = r.headers["content-type"] ?? "";
      const answered = /^application\/(grpc|connect\+|json|proto)/i.test(contentType);
      if (e.protocol === undefined || !answered) {
        // 505: a bidi method (reflection) over HTTP/1.1.
        if (![404, 405, 415, 505].includes(r.status)) problems.push(`HTTP ${r.status} for an unknown path or method, expected 404, 405, 415 or 505`);
        label = `foreign http ${r.status}`;
      } else {
        label = `foreign ${checkProtocol(e.protocol, r, problems)}`;
      }
      break;
    }
    default:
      label = checkProtocol(e, r, problems);
  }
  return { problems, label, ...(lastMessage === undefined ? {} : { message: lastMessage }) };
}
