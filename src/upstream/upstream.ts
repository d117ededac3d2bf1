// The one small interface the handlers use to reach Gemini. It speaks Gemini REST JSON on both
// sides (request bodies in, GenerateContentResponse chunks out), so the handlers never see the
// SDK and the SDK wrapper never sees Connect.

/** A JSON value, as Gemini's REST API sends and takes it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** One upstream request. */
export interface UpstreamCall {
  /** `models/{id}` or a bare model id, as Gemini accepts it. */
  readonly model: string;
  /** The REST request body without `model` (it goes in the URL). */
  readonly body: JsonObject;
  /** Aborting it aborts the upstream HTTP request at once. */
  readonly signal: AbortSignal;
  /** Extra request headers, e.g. the W3C trace context of the RPC. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * A response stream, handed over as the client reads it so the reader's one loop does the per-chunk
 * work: `chunks` are the client's own objects, `toJson` makes one Gemini's REST JSON.
 */
export interface UpstreamStream {
  /** The client's chunks as Gemini sends them; a failure rejects with the client's own error. */
  readonly chunks: AsyncIterator<object>;
  /** One chunk as Gemini's REST JSON (what the client reshaped, undone). */
  toJson(chunk: object): JsonObject;
  /** A failure of `chunks.next()` as an UpstreamError. */
  toError(error: unknown): UpstreamError;
}

/** What the core calls Gemini through; src/upstream/genai.ts is the one implementation. */
export interface Upstream {
  /** Resolves when Gemini accepted the request (HTTP errors reject here); chunks arrive as Gemini sends them. */
  streamGenerateContent(call: UpstreamCall): Promise<UpstreamStream>;
  generateContent(call: UpstreamCall): Promise<JsonObject>;
  countTokens(call: UpstreamCall): Promise<JsonObject>;
}

/**
 * How an upstream call failed:
 * - `status`: Gemini answered with an error (an HTTP status, or an error object inside the stream);
 * - `network`: no connection, or the connection broke (refused, reset, cut mid-stream);
 * - `malformed`: Gemini sent data that does not parse;
 * - `rejected`: the SDK refused the request before sending it;
 * - `aborted`: the call's own signal fired.
 */
export type UpstreamFailure = "status" | "network" | "malformed" | "rejected" | "aborted";

/** The `error` object of a google.rpc.Status body as Gemini sends it. */
export interface GoogleRpcStatus {
  readonly code: number;
  readonly message: string;
  /** The google.rpc.Code name, e.g. `RESOURCE_EXHAUSTED`; absent when Gemini sent none. */
  readonly status: string | undefined;
  /** The typed details, as JSON with their `@type`. */
  readonly details: readonly JsonObject[];
}

/** Every failure of an upstream call, sorted by `failure`. */
export class UpstreamError extends Error {
  override name = "UpstreamError";
  readonly failure: UpstreamFailure;
  /** Set when `failure` is `status`. */
  readonly rpcStatus: GoogleRpcStatus | undefined;

  constructor(failure: UpstreamFailure, message: string, rpcStatus?: GoogleRpcStatus, cause?: unknown) {
    super(message, { cause });
    this.failure = failure;
    this.rpcStatus = rpcStatus;
  }
}
