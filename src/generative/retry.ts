// When a failed upstream call is worth another attempt, and after how long. Only ever asked
// before the first chunk went to the caller: after that, a retry would repeat text already sent.
// The policy is Gemini's own (UNAVAILABLE, backoff 1 s to 10 s x1.3) plus INTERNAL and a 429
// whose RetryInfo says when to come back, unless the quota that ran out is a per-day one.

import { Code } from "@connectrpc/connect";
import { UpstreamError } from "../upstream/upstream.ts";
import type { JsonObject } from "../upstream/upstream.ts";
import type { RetryPolicy } from "../config/settings.ts";
import { upstreamCode } from "./errors.ts";

/**
 * The pause before attempt `attempt + 1`, or undefined when `error` is final: not retryable,
 * attempts used up, or the pause would not fit in `remainingMs`.
 */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  remainingMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (!(error instanceof UpstreamError) || attempt >= policy.maxAttempts) return undefined;
  if (error.failure !== "status" && error.failure !== "network") return undefined;
  const code = upstreamCode(error);
  let delay: number | undefined;
  if (code === Code.Unavailable || code === Code.Internal) {
    // Full jitter, as gRPC's retry policy: spreads a burst of failed callers over the whole window.
    const ceiling = Math.min(policy.initialBackoffMs * policy.backoffMultiplier ** (attempt - 1), policy.maxBackoffMs);
    delay = random() * ceiling;
  } else if (code === Code.ResourceExhausted && !isPerDayQuota(error.rpcStatus?.details ?? [])) {
    delay = retryInfoDelayMs(error.rpcStatus?.details ?? []);
  }
  return delay !== undefined && delay <= remainingMs ? delay : undefined;
}

const typeSuffix = (detail: JsonObject) => String(detail["@type"] ?? "").split("/").at(-1);

/** RetryInfo.retryDelay ("53s", "0.5s") in ms; undefined when Gemini gave no hint. */
export function retryInfoDelayMs(details: readonly JsonObject[]): number | undefined {
  const retryInfo = details.find((detail) => typeSuffix(detail) === "google.rpc.RetryInfo");
  const delay = retryInfo?.["retryDelay"];
  const match = typeof delay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1000;
}

/** Gemini names its quotas like `GenerateRequestsPerDayPerProjectPerModel-FreeTier`. */
export function isPerDayQuota(details: readonly JsonObject[]): boolean {
  return details
    .filter((detail) => typeSuffix(detail) === "google.rpc.QuotaFailure")
    .flatMap((detail) => (Array.isArray(detail["violations"]) ? detail["violations"] : []))
    .some((violation) => {
      if (typeof violation !== "object" || violation === null || Array.isArray(violation)) return false;
      return [violation["quotaId"], violation["quotaMetric"]].some((name) => typeof name === "string" && /PerDay/i.test(name));
    });
}
