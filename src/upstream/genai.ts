// The Upstream implemented with the @google/genai SDK: the only module that imports it.
//
// Requests: `contents` goes through the SDK's own parameter, everything else of the REST body
// through `httpOptions.extraBody`, which the SDK merges verbatim into the JSON it sends. Passing
// the rest as SDK config instead would let the SDK rewrite it (its schema transform drops
// `additionalProperties` and rewrites nullable `anyOf`) and drop what it does not know (the
// `_responseJsonSchema` field), so the caller's request would not reach Gemini as sent.
//
// Responses: SDK chunks are Gemini's JSON with two changes undone here: the SDK adds
// `sdkHttpResponse` and renames `citationMetadata.citationSources` to `citations`. The SDK drops
// `candidates[].finishMessage` and CountTokens' per-modality details; those cannot be recovered
// without bypassing the SDK's response parsing.

import { ApiError, GoogleGenAI } from "@google/genai";
import type { ContentListUnion, GenerateContentResponse } from "@google/genai";
import { isRecord } from "../config/json.ts";
import type { Backend } from "../config/settings.ts";
import { UpstreamError } from "./upstream.ts";
import type { GoogleRpcStatus, JsonObject, JsonValue, Upstream, UpstreamCall } from "./upstream.ts";

/** Which Gemini backend the SDK calls, and with what credentials. */
export interface GenaiUpstreamOptions {
  readonly backend: Backend;
  readonly apiKey: string | undefined;
  readonly baseUrl: string | undefined;
  readonly vertexProject?: string | undefined;
  readonly vertexLocation?: string | undefined;
  /** Vertex AI: a service-account JSON key file, for the SDK's own OAuth (google-auth-library). */
  readonly credentialsFile?: string | undefined;
}

/** The Upstream over one @google/genai client. */
export function createGenaiUpstream(options: GenaiUpstreamOptions): Upstream {
  const vertexai = options.backend === "vertex";
  const ai = new GoogleGenAI({
    vertexai,
    apiKey: options.apiKey,
    project: options.vertexProject,
    location: options.vertexLocation,
    ...(options.credentialsFile === undefined ? {} : { googleAuthOptions: { keyFilename: options.credentialsFile } }),
    // The 3.x SDK defaults to v1 for the Gemini API; the mirror is of v1beta, which has the full surface.
    apiVersion: vertexai ? undefined : "v1beta",
    httpOptions: { baseUrl: options.baseUrl },
  });

  return {
    async streamGenerateContent(call) {
      const stream = await callSdk(call, () => ai.models.generateContentStream(generateParameters(call)));
      return {
        chunks: stream,
        toJson: (chunk) => toWireChunk(chunk as GenerateContentResponse),
        toError: (error) => toUpstreamError(error, call.signal, "stream"),
      };
    },

    async generateContent(call) {
      return toWireChunk(await callSdk(call, () => ai.models.generateContent(generateParameters(call))));
    },

    async countTokens(call) {
      const response = await callSdk(call, () => ai.models.countTokens({ model: call.model, ...countTokensInput(call) }));
      const { sdkHttpResponse: _headers, ...wire } = response;
      return wire as JsonObject;
    },
  };
}

function contentsOf(call: UpstreamCall): ContentListUnion {
  // The REST JSON of Content is the SDK's Content type: same names, same shapes.
  return (call.body["contents"] ?? []) as unknown as ContentListUnion;
}

function generateParameters(call: UpstreamCall) {
  // One upstream request per RPC: continuation hops would re-chunk and sum usage behind our back.
  return { model: call.model, contents: contentsOf(call), config: { ...requestOptions(call), automaticContinuation: false } };
}

/**
 * CountTokens takes its input as `contents` or as a whole `generateContentRequest`, which the SDK
 * does not know: it refuses a call without contents before sending anything. Its check is given
 * the nested request's contents, and `contents: undefined` in extraBody takes them out of the
 * JSON again (the SDK's merge sets the key, JSON.stringify drops it): Gemini gets the body as sent.
 */
function countTokensInput(call: UpstreamCall) {
  const nested = call.body["generateContentRequest"];
  const options = requestOptions(call);
  if (call.body["contents"] !== undefined || !isRecord(nested)) return { contents: contentsOf(call), config: options };
  const extraBody = { ...options.httpOptions.extraBody, contents: undefined };
  return {
    contents: (nested["contents"] ?? []) as unknown as ContentListUnion,
    config: { ...options, httpOptions: { ...options.httpOptions, extraBody } },
  };
}

function requestOptions(call: UpstreamCall) {
  const { contents: _sentAsContents, ...extraBody } = call.body;
  return { abortSignal: call.signal, httpOptions: { extraBody, ...(call.headers === undefined ? {} : { headers: { ...call.headers } }) } };
}

function toWireChunk(chunk: GenerateContentResponse): JsonObject {
  const { sdkHttpResponse: _headers, ...wire } = chunk;
  for (const candidate of wire.candidates ?? []) {
    const citationMetadata = candidate.citationMetadata;
    if (citationMetadata?.citations !== undefined) {
      const { citations, ...rest } = citationMetadata;
      candidate.citationMetadata = { ...rest, citationSources: citations } as typeof citationMetadata;
    }
  }
  return wire as unknown as JsonObject;
}

async function callSdk<T>(call: UpstreamCall, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toUpstreamError(error, call.signal, "request");
  }
}

/** `phase`: whether the request was still being made, or its response was streaming. */
export function toUpstreamError(error: unknown, signal: AbortSignal, phase: "request" | "stream"): UpstreamError {
  if (signal.aborted) return new UpstreamError("aborted", "the upstream request was aborted", undefined, error);
  if (error instanceof ApiError) {
    const rpcStatus = parseApiError(error);
    return new UpstreamError("status", rpcStatus.message, rpcStatus);
  }
  if (error instanceof SyntaxError || (error instanceof Error && /^exception parsing stream chunk/.test(error.message))) {
    return new UpstreamError("malformed", "Gemini sent a chunk that is not valid JSON", undefined, error);
  }
  if (error instanceof Error && error.message === "Incomplete JSON segment at the end") {
    return new UpstreamError("malformed", "the Gemini stream ended inside a chunk", undefined, error);
  }
  if (error instanceof TypeError) {
    // undici reports every transport failure as a TypeError: "fetch failed" before the response,
    // "terminated" when the connection breaks while the body streams.
    const reason = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return new UpstreamError("network", `connection to Gemini failed (${error.message}${reason})`, undefined, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  // Before sending, the SDK's plain Errors are its own checks of the request; later, its stream parser's.
  return new UpstreamError(phase === "request" ? "rejected" : "malformed", message, undefined, error);
}

/**
 * Recovers Gemini's google.rpc.Status from an ApiError. The SDK keeps only a JSON string: the
 * error body (`{"error":{...}}`), prefixed with `got status: X. ` when the error came inside the
 * stream, and wrapped once more when Gemini sent the body with a non-JSON content type.
 */
function parseApiError(error: ApiError): GoogleRpcStatus {
  const outer = rpcStatusOf(parseJsonAt(error.message, error.message.indexOf("{")));
  // Double-encoded: the inner message is itself a google.rpc.Status body.
  const status = (outer === undefined ? undefined : rpcStatusOf(parseJsonAt(outer.message, 0))) ?? outer;
  if (status === undefined) return { code: error.status, message: error.message || noMessage(error.status), status: undefined, details: [] };
  // A front end or proxy may answer with no body at all: the caller still learns what happened.
  return status.message === "" ? { ...status, message: noMessage(status.code || error.status) } : status;
}

function noMessage(httpStatus: number): string {
  return `Gemini answered HTTP ${httpStatus} with no error message`;
}

function parseJsonAt(text: string, start: number): JsonValue | undefined {
  if (start < 0) return undefined;
  try {
    return JSON.parse(text.slice(start)) as JsonValue;
  } catch {
    return undefined;
  }
}

function rpcStatusOf(body: JsonValue | undefined): GoogleRpcStatus | undefined {
  if (!isRecord(body) || !isRecord(body["error"])) return undefined;
  const error = body["error"];
  const code = error["code"];
  const message = error["message"];
  const status = error["status"];
  const details = error["details"];
  return {
    code: typeof code === "number" ? code : 0,
    message: typeof message === "string" ? message : "",
    status: typeof status === "string" && /^[A-Z_]+$/.test(status) ? status : undefined,
    details: Array.isArray(details) ? details.filter((detail): detail is JsonObject => isRecord(detail)) : [],
  };
}
