// What a handler tells the observers (log line, metrics, trace) about its RPC. The observing
// interceptor creates one per RPC and hands it to the handler as a context value.

import { createContextKey } from "@connectrpc/connect";
import type { GenerateContentResponse_UsageMetadata } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

export interface RpcSummary {
  model: string | undefined;
  /** Upstream chunks that carried fields or enum values our proto does not know (API drift). */
  driftedChunks: number;
  /** Upstream attempts made; more than 1 when retried. 0 when the RPC never reached Gemini. */
  attempts: number;
  /** The codes of the attempts that failed and were retried, in order. */
  retriedCodes: string[];
  /** The last usage Gemini reported: for a stream, the running total of its last chunk. */
  usage: GenerateContentResponse_UsageMetadata | undefined;
  /** Headers for the upstream request that carry the RPC's trace context. */
  traceHeaders: Record<string, string> | undefined;
  /** The authenticated caller's name (never its key); undefined when the gateway runs open. */
  caller: string | undefined;
  /** What the limits decided: "ok", or the limit that refused the RPC ("caller.requests", "global.tokens", ...). */
  limit: string | undefined;
  /** With REDIS_URL set: where the limits were kept; "memory" means Redis was unreachable. */
  limitStore: "redis" | "memory" | undefined;
}

export function newRpcSummary(): RpcSummary {
  return {
    model: undefined,
    driftedChunks: 0,
    attempts: 0,
    retriedCodes: [],
    usage: undefined,
    traceHeaders: undefined,
    caller: undefined,
    limit: undefined,
    limitStore: undefined,
  };
}

export const rpcSummaryKey = createContextKey<RpcSummary | undefined>(undefined, {
  description: "what the handler knows about its RPC, for the observers",
});
