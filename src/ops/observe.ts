// Watches every RPC from start to its real end and tells the observers (log line, metrics).
// For a server stream the end is when the last message went out, the stream failed, or the
// caller went away: `next()` resolves at the first message, so the stream is wrapped, once, for
// all observers. Also gives each RPC its request id (x-request-id, taken or made, and returned).

import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { newRpcSummary, rpcSummaryKey } from "./rpc-summary.ts";
import type { RpcSummary } from "./rpc-summary.ts";

export type Protocol = "grpc" | "grpc-web" | "connect" | "rest";

/** Set by an ingress that calls the RPC in process (the Gemini REST one): how the call really came in. */
export const protocolKey = createContextKey<Protocol | undefined>(undefined, { description: "the protocol the caller used" });
export type RpcType = "unary" | "server_stream" | "client_stream" | "bidi_stream";

export interface RpcStart {
  readonly service: string;
  readonly method: string;
  readonly type: RpcType;
  readonly protocol: Protocol;
  readonly requestId: string;
  /** The caller's request headers. */
  readonly header: Headers;
  readonly summary: RpcSummary;
}

export interface RpcEnd extends RpcStart {
  /** Undefined when the RPC succeeded. */
  readonly error: ConnectError | undefined;
  readonly durationMs: number;
  /** Messages sent to the caller. */
  readonly messages: number;
  /** From the RPC's start to its first message; undefined when none went out. */
  readonly firstMessageMs: number | undefined;
}

export interface RpcObserver {
  started?(rpc: RpcStart): void;
  /** The pause between two consecutive messages of a stream: the one per-message hook, keep it cheap. */
  messageGap?(rpc: RpcStart, ms: number): void;
  ended(rpc: RpcEnd): void;
}

const requestIdPattern = /^[\w.:-]{1,128}$/;

export function observeRpcs(observers: readonly RpcObserver[]): Interceptor {
  const gapObservers = observers.filter((o) => o.messageGap !== undefined);
  return (next) => async (req) => {
    const started = performance.now();
    const offered = req.header.get("x-request-id");
    const rpc: RpcStart = {
      service: req.service.typeName,
      method: req.method.name,
      type: rpcType(req.method.methodKind),
      protocol: req.contextValues.get(protocolKey) ?? protocolOf(req.header.get("content-type")),
      // A caller's id is kept only when it is a plain token, so nothing odd reaches a log line.
      requestId: offered !== null && requestIdPattern.test(offered) ? offered : randomUUID(),
      header: req.header,
      summary: newRpcSummary(),
    };
    req.contextValues.set(rpcSummaryKey, rpc.summary);
    for (const observer of observers) observer.started?.(rpc);

    let messages = 0;
    let firstMessageMs: number | undefined;
    const end = (error: unknown) => {
      const record: RpcEnd = {
        ...rpc,
        error: error === undefined ? undefined : ConnectError.from(error),
        durationMs: performance.now() - started,
        messages,
        firstMessageMs,
      };
      for (const observer of observers) observer.ended(record);
    };

    let res;
    try {
      res = await next(req);
    } catch (error) {
      const connectError = ConnectError.from(error);
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
      try {
        for await (const message of source) {
          const now = performance.now();
          if (messages++ === 0) firstMessageMs = now - started;
          else for (const observer of gapObservers) observer.messageGap?.(rpc, now - last);
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
