// The Gemini REST/SSE ingress: Google's REST clients (@google/genai, google-genai, curl) call the
// gateway as they call Gemini. A request is checked and parsed here, then handed, in process, as a
// Connect request to the router's handler of google.ai.generativelanguage.v1beta.GenerativeService:
// the very path of every RPC (log line, metrics, tracing, auth, limits, call policy, handler,
// client-disconnect abort). The Connect protocol's JSON is proto3 JSON, which is Gemini's REST
// JSON, so the handler's bytes go out as they are: a unary body whole, each stream chunk framed
// as an SSE event or a JSON array element. Errors become Google's error body and HTTP status.

import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { createAsyncIterable, encodeEnvelope, pipe, readAllBytes, transformSplitEnvelope } from "@connectrpc/connect/protocol";
import type { EnvelopedMessage } from "@connectrpc/connect/protocol";
import { codeFromHttpStatus, endStreamFlag, endStreamFromJson, errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { protocolKey } from "../../observe/observe.ts";
import { GoogleGenerativeService } from "../google-service.ts";
import { googleError, requestError } from "./errors.ts";
import type { GoogleError } from "./errors.ts";
import { parseRestRequestLine } from "./routes.ts";
import type { RestMethod, RestRoute } from "./routes.ts";
import { jsonArrayFraming, sseFraming } from "./stream-body.ts";
import type { StreamFraming } from "./stream-body.ts";

type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
type NodeRequest = Parameters<NodeHandler>[0];
type NodeResponse = Parameters<NodeHandler>[1];

export interface RestIngressOptions {
  /** The router's handlers, Google's service name among them. */
  readonly handlers: readonly UniversalHandler[];
  /** MAX_REQUEST_BYTES, as for the RPCs. */
  readonly maxRequestBytes: number;
}

// What the RPC's interceptors read: the caller key (any of the three headers), the request id, the
// trace context.
const forwardedHeaders = ["authorization", "x-api-key", "x-goog-api-key", "x-request-id", "traceparent", "tracestate", "x-gemini-cache", "x-gemini-cache-ttl"];
// The RPC's response headers a REST caller gets too (docs/caching.md for the cache's).
const returnedHeaders = ["x-request-id", "x-gemini-cache", "x-gemini-cache-age"];

type Handlers = Readonly<Record<RestMethod, UniversalHandler>>;

/** The handler for requests under /v1beta/ and /v1/. */
export function createRestIngress(options: RestIngressOptions): NodeHandler {
  const handlerOf = (rpc: string): UniversalHandler => {
    const path = `/${GoogleGenerativeService.typeName}/${rpc}`;
    const handler = options.handlers.find((h) => h.requestPath === path);
    if (handler === undefined) throw new Error(`${path} must be registered before the REST ingress is made`);
    return handler;
  };
  const handlers: Handlers = {
    streamGenerateContent: handlerOf("StreamGenerateContent"),
    generateContent: handlerOf("GenerateContent"),
    countTokens: handlerOf("CountTokens"),
  };
  return (req, res) => {
    serve(req, res, handlers, options.maxRequestBytes).catch(() => {
      // The client left while the response was written, or a bug: never a stack trace to anyone.
      if (!res.headersSent) void send(res, googleError(new ConnectError("internal error", Code.Internal)), null).catch(() => {});
      else res.destroy();
    });
  };
}

async function serve(req: NodeRequest, res: NodeResponse, handlers: Handlers, maxBytes: number): Promise<void> {
  const line = parseRestRequestLine(req.method, req.url ?? "");
  if (line.kind === "notFound") return send(res, requestError(Code.NotFound, line.message), null);
  const { route } = line;
  const contentType = req.headers["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    return send(res, requestError(Code.InvalidArgument, `Content-Type must be application/json, not "${contentType.slice(0, 100)}"`), null);
  }
  const incoming = universalRequestFromNodeRequest(req, res, undefined, undefined);
  const read = await readJsonObject(incoming, maxBytes);
  if (incoming.signal.aborted) return;
  if (!read.ok) return send(res, read.error, null);
  // The path names the model, as in Google's HTTP binding (`model` is bound from the URL).
  const body = { ...read.json, model: route.model };

  const handler = handlers[route.method];
  const streaming = route.method === "streamGenerateContent";
  const response = await handler(innerRequest(incoming, route, handler, body, streaming));
  const passed = new Headers();
  for (const name of returnedHeaders) {
    const value = response.header?.get(name);
    if (value !== undefined && value !== null) passed.set(name, value);
  }
  if (!streaming) return sendUnary(res, response, passed);
  return sendStream(res, response, route.sse ? sseFraming : jsonArrayFraming, passed);
}

type JsonBody = Record<string, unknown>;

async function readJsonObject(
  incoming: UniversalServerRequest,
  maxBytes: number,
): Promise<{ ok: true; json: JsonBody } | { ok: false; error: GoogleError }> {
  let bytes: Uint8Array;
  try {
    bytes = await readAllBytes(incoming.body as AsyncIterable<Uint8Array>, maxBytes, incoming.header.get("content-length"));
  } catch (error) {
    const tooLarge = ConnectError.from(error).code === Code.ResourceExhausted;
    const problem = tooLarge ? `the request body is larger than ${maxBytes} bytes (MAX_REQUEST_BYTES)` : "the request body could not be read";
    return { ok: false, error: requestError(Code.InvalidArgument, problem) };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    return { ok: false, error: requestError(Code.InvalidArgument, `Invalid JSON payload received. ${(error as Error).message}`) };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, error: requestError(Code.InvalidArgument, "Invalid JSON payload received. The body must be a JSON object.") };
  }
  return { ok: true, json: json as JsonBody };
}

/** The Connect request for the RPC: JSON, with the caller's key, request id and trace context. */
function innerRequest(incoming: UniversalServerRequest, route: RestRoute, handler: UniversalHandler, body: JsonBody, streaming: boolean): UniversalServerRequest {
  const header = new Headers({ "content-type": streaming ? "application/connect+json" : "application/json" });
  for (const name of forwardedHeaders) {
    const value = incoming.header.get(name);
    if (value !== null) header.set(name, value);
  }
  if (route.key !== undefined && !header.has("x-goog-api-key")) header.set("x-goog-api-key", route.key);
  const json = body as Parameters<typeof JSON.stringify>[0];
  return {
    httpVersion: incoming.httpVersion,
    method: "POST",
    url: new URL(handler.requestPath, incoming.url).toString(),
    header,
    // A unary Connect handler takes parsed JSON as it is; a stream's request is one enveloped message.
    body: streaming ? createAsyncIterable([encodeEnvelope(0, new TextEncoder().encode(JSON.stringify(json)))]) : (json as UniversalServerRequest["body"]),
    signal: incoming.signal,
    contextValues: createContextValues().set(protocolKey, "rest"),
  };
}

async function sendUnary(res: NodeResponse, response: UniversalServerResponse, passed: Headers): Promise<void> {
  const bytes = await readAllBytes(response.body ?? createAsyncIterable([]), Number.MAX_SAFE_INTEGER);
  if (response.status !== 200) {
    const fallback = new ConnectError(`HTTP ${response.status}`, codeFromHttpStatus(response.status));
    return send(res, googleError(errorFromJsonBytes(bytes, undefined, fallback)), passed);
  }
  return write(res, 200, "application/json; charset=UTF-8", passed, createAsyncIterable([bytes]));
}

async function sendStream(res: NodeResponse, response: UniversalServerResponse, framing: StreamFraming, passed: Headers): Promise<void> {
  const envelopes = pipe(response.body ?? createAsyncIterable([]), transformSplitEnvelope(Number.MAX_SAFE_INTEGER))[Symbol.asyncIterator]();
  const first = await envelopes.next();
  // An error before the first chunk is an HTTP error, as Gemini answers it.
  const failure = first.done === true ? undefined : endStreamError(first.value);
  if (failure !== undefined) {
    await envelopes.return?.();
    return send(res, googleError(failure), passed);
  }
  return write(res, 200, framing.contentType, passed, framed(first, envelopes, framing));
}

async function* framed(first: IteratorResult<EnvelopedMessage>, rest: AsyncIterator<EnvelopedMessage>, framing: StreamFraming): AsyncGenerator<Uint8Array> {
  let chunks = 0;
  try {
    for (let next = first; next.done !== true; next = await rest.next()) {
      const envelope = next.value;
      if ((envelope.flags & endStreamFlag) === endStreamFlag) {
        const error = endStreamError(envelope);
        if (error !== undefined) yield framing.error(googleError(error).body);
        break;
      }
      yield framing.chunk(envelope.data, chunks++ === 0);
    }
    yield framing.end(chunks);
  } finally {
    // The client went away: closing the RPC's stream aborts the upstream request.
    await rest.return?.();
  }
}

function endStreamError(envelope: EnvelopedMessage): ConnectError | undefined {
  if ((envelope.flags & endStreamFlag) !== endStreamFlag) return undefined;
  return endStreamFromJson(envelope.data).error;
}

function send(res: NodeResponse, error: GoogleError, passed: Headers | null): Promise<void> {
  // Pretty-printed, as Google sends error bodies.
  const body = new TextEncoder().encode(`${JSON.stringify(error.body, null, 2)}\n`);
  return write(res, error.httpStatus, "application/json; charset=UTF-8", passed, createAsyncIterable([body]));
}

function write(res: NodeResponse, status: number, contentType: string, passed: Headers | null, body: AsyncIterable<Uint8Array>): Promise<void> {
  const header = new Headers(passed ?? undefined);
  header.set("content-type", contentType);
  return universalResponseToNodeResponse({ status, header, body }, res);
}
