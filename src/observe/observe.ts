// Watches every RPC from start to its real end and tells the observers (log line, metrics, traces).
// For a server stream the end is when the last message went out, the stream failed, or the
// caller went away: `next()` resolves at the first message, so the stream is wrapped, once, for
// all observers. Also gives each RPC its request id (x-request-id, taken or made, and returned).
// At the end it reads the per-RPC record (rpc-record.ts) that the inner layers left.

import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { ContextValues, HandlerContext, Interceptor } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { callerKey, callReportKey, limitDecisionKey, newCallReport, upstreamHeadersKey, uploadReportKey } from "./rpc-record.ts";
import type { CallReport, LimitDecision, UploadReport } from "./rpc-record.ts";

/** The protocol an RPC came in by. */
export type Protocol = "grpc" | "grpc-web" | "connect" | "rest";

/** Set by an ingress that calls the RPC in process (the Gemini REST one): how the call really came in. */
export const protocolKey = createContextKey<Protocol | undefined>(undefined, { description: "the protocol the caller used" });

/** Set once the observers were told of the RPC (by the interceptor or the observed gate): it is not told twice. */
export const observedKey = createContextKey<boolean>(false, { description: "the observers were told of this RPC" });

/** The kind of RPC, as go-grpc-prometheus labels it. */
export type RpcType = "unary" | "server_stream" | "client_stream" | "bidi_stream";

/** What is known of an RPC when it starts. */
export interface RpcStart {
  readonly service: string;
  readonly method: string;
  readonly type: RpcType;
  readonly protocol: Protocol;
  readonly requestId: string;
  /** The caller's request headers. */
  readonly header: Headers;
}

/** What is known of an RPC when it really ended. */
export interface RpcEnd {
  /** Undefined when the RPC succeeded. */
  readonly error: ConnectError | undefined;
  readonly durationMs: number;
  /** Messages sent to the caller. */
  readonly messages: number;
  /** From the RPC's start to its first message; undefined when none went out. */
  readonly firstMessageMs: number | undefined;
  /** A stream's longest pause between two consecutive messages; undefined below two messages. */
  readonly longestGapMs: number | undefined;
  /** The authenticated caller's name (never its key); undefined when the gateway runs open. */
  readonly caller: string | undefined;
  /** What the limits decided; undefined when no limit applied. */
  readonly limits: LimitDecision | undefined;
  /** What the handler's call reported; all zero when the RPC never reached one. */
  readonly call: Readonly<CallReport>;
  /** UploadFile only: what the upload received. */
  readonly upload: Readonly<UploadReport> | undefined;
}

/** One consumer of RPC starts and ends: the log line, the metrics, the traces. */
export interface RpcObserver {
  /** At the RPC's start; may return headers for the RPC's upstream request (its trace context). */
  started?(rpc: RpcStart): Readonly<Record<string, string>> | undefined;
  /** At the RPC's real end; `rpc` is the object `started` saw. */
  ended(rpc: RpcStart, end: RpcEnd): void;
}

/** What createObserveInterceptor needs. */
export interface ObserveInterceptorOptions {
  readonly observers: readonly RpcObserver[];
}

const requestIdPattern = /^[\w.:-]{1,128}$/;
const noCall: Readonly<CallReport> = Object.freeze(newCallReport());

/** Tells `observers` of every RPC's start, gaps between messages, and real end. */
export function createObserveInterceptor(options: ObserveInterceptorOptions): Interceptor {
  const { observers } = options;
  return (next) => async (req) => {
    // Already told of as rejected (its caller left as it came in): not told twice.
    if (req.contextValues.get(observedKey)) return next(req);
    const started = performance.now();
    req.contextValues.set(observedKey, true);
    const rpc = rpcStartOf(req.method, req.header, req.contextValues);
    for (const observer of observers) {
      const headers = observer.started?.(rpc);
      if (headers !== undefined) req.contextValues.set(upstreamHeadersKey, { ...req.contextValues.get(upstreamHeadersKey), ...headers });
    }

    let messages = 0;
    let firstMessageMs: number | undefined;
    let longestGapMs: number | undefined;
    const end = (error: unknown) => {
      const record: RpcEnd = {
        error: error === undefined ? undefined : callerLeft(req.signal, ConnectError.from(error)),
        durationMs: performance.now() - started,
        messages,
        firstMessageMs,
        longestGapMs,
        caller: req.contextValues.get(callerKey)?.name,
        limits: req.contextValues.get(limitDecisionKey),
        call: req.contextValues.get(callReportKey) ?? noCall,
        upload: req.contextValues.get(uploadReportKey),
      };
      for (const observer of observers) observer.ended(rpc, record);
    };

    let res;
    try {
      res = await next(req);
    } catch (error) {
      // A streamed request is parsed inside the handler: its bad message is the caller's mistake here too.
      const connectError = ConnectError.from(asCallersMistake(error));
      connectError.metadata.set("x-request-id", rpc.requestId);
      end(connectError);
      throw connectError;
    }
    res.header.set("x-request-id", rpc.requestId);
    if (!res.stream) {
      messages = 1;
      end(undefined);
      return res;
    }

    const source = res.message;
    async function* watched() {
      let outcome: { error: unknown } | undefined;
      let last = 0;
      let longest = 0;
      try {
        for await (const message of source) {
          // Per message only a clock read and a compare: observers see the aggregate at the end.
          const now = performance.now();
          if (messages++ === 0) firstMessageMs = now - started;
          else if (now - last > longest) longestGapMs = longest = now - last;
          last = now;
          yield message;
        }
        outcome = { error: undefined };
      } catch (error) {
        outcome = { error };
        throw error;
      } finally {
        // Neither completed nor failed: the caller stopped reading (cancel, deadline, disconnect).
        end(outcome === undefined ? (req.signal.reason ?? new ConnectError("caller went away", Code.Canceled)) : outcome.error);
      }
    }
    return { ...res, message: watched() };
  };
}

/** Runs before the request body is read (connect's `requestGate`); throws a ConnectError to refuse the RPC. */
export type RequestGate = (ctx: HandlerContext) => void | Promise<void>;

/** What createObservedGate needs. */
export interface ObservedGateOptions {
  readonly gate: RequestGate;
  readonly observers: readonly RpcObserver[];
}

/** An RPC answered with an error before the interceptors ran: refused by a gate, or while its request was read. */
export interface Rejection {
  readonly method: DescMethod;
  readonly header: Headers;
  readonly values: ContextValues;
  readonly error: ConnectError;
  readonly durationMs: number;
}

/** Tells `observers` of a rejected RPC as one that started and ended at once: its log line and metrics. */
export function createRejectionObserver(options: { readonly observers: readonly RpcObserver[] }): (rejection: Rejection) => void {
  const { observers } = options;
  return ({ method, header, values, error, durationMs }) => {
    values.set(observedKey, true);
    const rpc = rpcStartOf(method, header, values);
    error.metadata.set("x-request-id", rpc.requestId);
    for (const observer of observers) observer.started?.(rpc);
    const end: RpcEnd = {
      error,
      durationMs,
      messages: 0,
      firstMessageMs: undefined,
      longestGapMs: undefined,
      caller: values.get(callerKey)?.name,
      limits: values.get(limitDecisionKey),
      call: noCall,
      upload: undefined,
    };
    for (const observer of observers) observer.ended(rpc, end);
  };
}

/**
 * The gate, with its refusals told to `observers` as RPCs that started and ended at once: a call
 * refused before its body is read never reaches the interceptors, and still gets its log line and metrics.
 */
export function createObservedGate(options: ObservedGateOptions): RequestGate {
  const { gate } = options;
  const rejected = createRejectionObserver(options);
  return async (ctx) => {
    const started = performance.now();
    try {
      await gate(ctx);
    } catch (error) {
      const refusal = ConnectError.from(error);
      rejected({ method: ctx.method, header: ctx.requestHeader, values: ctx.values, error: refusal, durationMs: performance.now() - started });
      throw refusal;
    }
  };
}

/**
 * connect answers a protobuf message it cannot parse (bad wire type, invalid UTF-8, cut short) with
 * Internal "parse binary: ...", though the bytes are the caller's. This makes it InvalidArgument.
 * In place: connect serializes the very error object it threw, after aborting the call with it, and
 * that abort is the one place we see it before it goes out.
 */
export function asCallersMistake(error: unknown): unknown {
  if (error instanceof ConnectError && error.code === Code.Internal && error.rawMessage.startsWith("parse binary:")) {
    const corrected = new ConnectError(error.rawMessage, Code.InvalidArgument);
    Object.assign(error, { code: corrected.code, message: corrected.message });
  }
  return error;
}

// How Node and connect-node report a caller that went away: its HTTP/2 stream reset (by a client
// that dropped the connection, or gave up), its TCP connection reset, or its HTTP/1.1 request cut.
const goneAway = /^http\/2 stream closed with error code (INTERNAL_ERROR|CANCEL)|ECONNRESET|Premature close|ECANCELED|aborted/;

/**
 * The error to record when the caller left: Canceled, as it chose to go (a cut connection is not
 * a server fault), keeping what Node said. Any other error, or one while the caller stayed, as is.
 */
function callerLeft(signal: AbortSignal, error: ConnectError): ConnectError {
  if (!signal.aborted || error.code === Code.Canceled || !goneAway.test(error.rawMessage)) return error;
  return new ConnectError(`caller went away (${error.rawMessage})`, Code.Canceled, undefined, undefined, error);
}

function rpcStartOf(method: DescMethod, header: Headers, values: ContextValues): RpcStart {
  const offered = header.get("x-request-id");
  return {
    service: method.parent.typeName,
    method: method.name,
    type: rpcType(method.methodKind),
    protocol: values.get(protocolKey) ?? protocolOf(header.get("content-type")),
    // A caller's id is kept only when it is a plain token, so nothing odd reaches a log line.
    requestId: offered !== null && requestIdPattern.test(offered) ? offered : randomUUID(),
    header,
  };
}

function protocolOf(contentType: string | null): Protocol {
  if (contentType?.startsWith("application/grpc-web") === true) return "grpc-web";
  if (contentType?.startsWith("application/grpc") === true) return "grpc";
  return "connect";
}

function rpcType(kind: string): RpcType {
  switch (kind) {
    case "server_streaming":
      return "server_stream";
    case "client_streaming":
      return "client_stream";
    case "bidi_streaming":
      return "bidi_stream";
    default:
      return "unary";
  }
}
