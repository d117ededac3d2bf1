// The retry decision on its own: which failures, how long to wait, when to give up.

import { describe, expect, it } from "vitest";
import { isPerDayQuota, retryDelayMs, retryInfoDelayMs } from "../src/generative/retry.ts";
import { UpstreamError } from "../src/upstream/upstream.ts";
import type { JsonObject } from "../src/upstream/upstream.ts";

const policy = { maxAttempts: 5, initialBackoffMs: 1000, maxBackoffMs: 10_000, backoffMultiplier: 1.3 };
const status = (code: number, name: string, details: JsonObject[] = []) =>
  new UpstreamError("status", name, { code, message: name, status: name, details });
const always = () => 1;

describe("retryDelayMs", () => {
  it("backs off 1 s x1.3 up to 10 s for Unavailable (at the top of the jitter window)", () => {
    const delays = [1, 2, 3, 4].map((attempt) => retryDelayMs(status(503, "UNAVAILABLE"), attempt, { ...policy, maxAttempts: 99 }, Infinity, always));
    expect(delays.map((d) => Math.round(d ?? -1))).toEqual([1000, 1300, 1690, 2197]);
    expect(retryDelayMs(status(503, "UNAVAILABLE"), 30, { ...policy, maxAttempts: 99 }, Infinity, always)).toBe(10_000);
  });

  it("jitters over the whole window", () => {
    expect(retryDelayMs(status(500, "INTERNAL"), 1, policy, Infinity, () => 0.25)).toBe(250);
  });

  it("retries network failures, never malformed data, rejected requests or aborts", () => {
    expect(retryDelayMs(new UpstreamError("network", "refused"), 1, policy, Infinity, always)).toBe(1000);
    for (const failure of ["malformed", "rejected", "aborted"] as const) {
      expect(retryDelayMs(new UpstreamError(failure, "x"), 1, policy, Infinity, always)).toBeUndefined();
    }
  });

  it("stops at the last attempt and when the pause would not fit in the deadline", () => {
    expect(retryDelayMs(status(503, "UNAVAILABLE"), 5, policy, Infinity, always)).toBeUndefined();
    expect(retryDelayMs(status(503, "UNAVAILABLE"), 1, policy, 999, always)).toBeUndefined();
  });

  it("waits what RetryInfo says on a 429, and not at all without it", () => {
    const retryInfo = { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2.5s" };
    expect(retryDelayMs(status(429, "RESOURCE_EXHAUSTED", [retryInfo]), 1, policy, Infinity)).toBe(2500);
    expect(retryDelayMs(status(429, "RESOURCE_EXHAUSTED"), 1, policy, Infinity)).toBeUndefined();
  });

  it("does not retry what the caller must fix", () => {
    for (const [code, name] of [[400, "INVALID_ARGUMENT"], [403, "PERMISSION_DENIED"], [404, "NOT_FOUND"], [504, "DEADLINE_EXCEEDED"]] as const) {
      expect(retryDelayMs(status(code, name), 1, policy, Infinity, always)).toBeUndefined();
    }
  });
});

describe("RetryInfo and QuotaFailure", () => {
  it("reads Duration JSON", () => {
    expect(retryInfoDelayMs([{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "53s" }])).toBe(53_000);
    expect(retryInfoDelayMs([{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "soon" }])).toBeUndefined();
  });

  it("knows a per-day quota by its id or metric", () => {
    const violation = (quotaId: string) => [{ "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId }] }];
    expect(isPerDayQuota(violation("GenerateRequestsPerDayPerProjectPerModel-FreeTier"))).toBe(true);
    expect(isPerDayQuota(violation("GenerateContentInputTokensPerModelPerMinute-FreeTier"))).toBe(false);
    expect(isPerDayQuota([])).toBe(false);
  });
});
