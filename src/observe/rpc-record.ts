// The per-RPC record, as Connect context values: one key per writer, each set once, read by those
// that come after. Into the handler: the caller (set by auth) and the headers for the upstream
// request (set by the observing interceptor). Out of it: the limits' decision (set by limits) and
// the call's report (set by the handler, filled by src/generative/ as the call goes), which the
// observers read when the RPC ends.

import { createContextKey } from "@connectrpc/connect";
import type { GenerateContentResponse_UsageMetadata } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { Caller } from "../config/callers-file.ts";

/** The authenticated caller of this RPC; undefined when the gateway runs open. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "the authenticated caller" });

/** Headers the RPC's upstream request carries: its W3C trace context, when tracing is on. */
export const upstreamHeadersKey = createContextKey<Readonly<Record<string, string>> | undefined>(undefined, {
  description: "headers for the upstream request",
});

/** What the limits decided for one RPC. */
export interface LimitDecision {
  /** "ok", or the limit that refused the RPC ("caller.requests", "global.tokens", ...). */
  readonly limit: string;
  /** With REDIS_URL set: where the limits were kept; "memory" means Redis was unreachable. */
  readonly store: "redis" | "memory" | undefined;
}

/** What the limits decided for this RPC; undefined when no limit applies to it. */
export const limitDecisionKey = createContextKey<LimitDecision | undefined>(undefined, { description: "the limits' decision" });

/** What a generative call reports about itself. Written only by src/generative/ and src/cache/, as the call goes. */
export interface CallReport {
  /** The model name sent upstream (an alias resolved); the caller's, before the first attempt. */
  model: string | undefined;
  /** The name of the upstream the last attempt went to (never its key). */
  upstream: string | undefined;
  /** The last usage Gemini reported: for a stream, the running total of its last chunk. */
  usage: GenerateContentResponse_UsageMetadata | undefined;
  /** Upstream attempts made; more than 1 when retried. 0 when the RPC never reached Gemini. */
  attempts: number;
  /** The attempts that failed and were retried, in order: their code, model and upstream. */
  retried: RetriedAttempt[];
  /** Upstream chunks that carried fields or enum values our proto does not know (API drift). */
  driftedChunks: number;
  /**
   * How the response cache answered, when it was on for the call (written by src/cache/): from the
   * store, from an identical call under way, from Gemini, or not at all (the request refused it).
   * A hit's or a coalesced call's usage is not Gemini's work for this call: no tokens are charged.
   */
  cache: "hit" | "coalesced" | "miss" | "bypass" | undefined;
  /** A hit's age in whole seconds. */
  cacheAgeSeconds: number | undefined;
}

/** One failed attempt that was tried again, on the same upstream or another. */
export interface RetriedAttempt {
  readonly code: string;
  readonly model: string;
  readonly upstream: string;
}

/** A report of a call that has not started. */
export function newCallReport(): CallReport {
  return {
    model: undefined,
    upstream: undefined,
    usage: undefined,
    attempts: 0,
    retried: [],
    driftedChunks: 0,
    cache: undefined,
    cacheAgeSeconds: undefined,
  };
}

/** The report of the call this RPC's handler made; undefined when the RPC never reached one. */
export const callReportKey = createContextKey<CallReport | undefined>(undefined, { description: "the handler's call report" });

/** What an upload reports about itself: written by the FileService handler as the bytes arrive. */
export interface UploadReport {
  /** Bytes of file content received from the caller. */
  bytes: number;
  /** The display name's length: the name itself is the caller's and stays out of logs. */
  displayNameLength: number;
}

/** An upload that has received nothing yet. */
export function newUploadReport(): UploadReport {
  return { bytes: 0, displayNameLength: 0 };
}

/** The report of this RPC's upload; undefined for every RPC but UploadFile. */
export const uploadReportKey = createContextKey<UploadReport | undefined>(undefined, { description: "the upload's report" });

/** Gemini's usage by kind of token: the one mapping the log line, metrics, traces and trailers share. */
export interface TokenCounts {
  readonly prompt: number;
  readonly candidates: number;
  readonly thoughts: number;
  readonly cached: number;
  readonly toolUse: number;
  readonly total: number;
}

/** The token counts of a usage record. */
export function tokenCounts(usage: GenerateContentResponse_UsageMetadata): TokenCounts {
  return {
    prompt: usage.promptTokenCount,
    candidates: usage.candidatesTokenCount,
    thoughts: usage.thoughtsTokenCount,
    cached: usage.cachedContentTokenCount,
    toolUse: usage.toolUsePromptTokenCount,
    total: usage.totalTokenCount,
  };
}
