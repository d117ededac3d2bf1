// The retry decision (generative/retry.ts) at its edges: the pause that exactly fits, per-day
// quotas by id or by metric, and QuotaFailure or RetryInfo details that are not what they claim.

import { describe, expect, it } from "vitest";
import { isPerDayQuota, retryDelayMs, retryInfoDelayMs } from "../../src/generative/retry.ts";
import { UpstreamError } from "../../src/upstream/upstream.ts";
import type { JsonObject, JsonValue } from "../../src/upstream/upstream.ts";

const policy = { maxAttempts: 3, initialBackoffMs: 1000, maxBackoffMs: 10_000, backoffMultiplier: 2 };
const always = () => 1;
const quotaFailure = (...violations: JsonValue[]): JsonObject => ({ "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations });
const retryInfo = (retryDelay: JsonValue, type = "type.googleapis.com/google.rpc.RetryInfo"): JsonObject => ({ "@type": type, retryDelay });
const exhausted = (...details: JsonObject[]) =>
  new UpstreamError("status", "quota", { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED", details });

describe("retryDelayMs at its edges", () => {
  it("retries while attempts remain, and when the pause exactly fits what is left", () => {
    const unavailable = new UpstreamError("status", "x", { code: 503, message: "x", status: "UNAVAILABLE", details: [] });
    expect(retryDelayMs(unavailable, 2, policy, Infinity, always)).toBe(2000);
    expect(retryDelayMs(unavailable, 3, policy, Infinity, always)).toBeUndefined();
    expect(retryDelayMs(unavailable, 1, policy, 1000, always)).toBe(1000);
    expect(retryDelayMs(unavailable, 1, policy, 999.9, always)).toBeUndefined();
  });

  it("heeds RetryInfo only on a 429: a caller's mistake is final whatever Gemini hints", () => {
    const invalid = new UpstreamError("status", "bad", { code: 400, message: "bad", status: "INVALID_ARGUMENT", details: [retryInfo("1s")] });
    expect(retryDelayMs(invalid, 1, policy, Infinity)).toBeUndefined();
  });

  it("never retries what is not an UpstreamError", () => {
    expect(retryDelayMs(new Error("x"), 1, policy, Infinity, always)).toBeUndefined();
  });

  it("does not retry a 429 on a per-day quota, even with RetryInfo; retries it on a per-minute one", () => {
    const perDay = quotaFailure({ quotaMetric: "generativelanguage.googleapis.com/GenerateRequestsPerDay", quotaId: "Other" });
    const perMinute = quotaFailure({ quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" });
    expect(retryDelayMs(exhausted(retryInfo("30s"), perDay), 1, policy, Infinity)).toBeUndefined();
    expect(retryDelayMs(exhausted(retryInfo("30s"), perMinute), 1, policy, Infinity)).toBe(30_000);
  });
});

describe("isPerDayQuota", () => {
  it("knows a per-day quota by its metric as well as its id, in any violation", () => {
    expect(isPerDayQuota([quotaFailure({ quotaMetric: "generate_content_requests_PerDay" })])).toBe(true);
    expect(isPerDayQuota([quotaFailure({ quotaId: "PerMinute" }, { quotaId: "RequestsPerDay" })])).toBe(true);
    expect(isPerDayQuota([quotaFailure({ quotaId: "perday-lowercase" })])).toBe(true);
  });

  it("is not fooled by malformed QuotaFailures, or per-day names in other detail types", () => {
    expect(isPerDayQuota([quotaFailure(null, "PerDay", ["PerDay"], 7, { quotaId: 7 }, { quotaMetric: ["PerDay"] })])).toBe(false);
    expect(isPerDayQuota([{ "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: "PerDay" }])).toBe(false);
    expect(isPerDayQuota([{ "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: { quotaId: "PerDay" } }])).toBe(false);
    expect(isPerDayQuota([{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", violations: [{ quotaId: "PerDay" }] }])).toBe(false);
    expect(isPerDayQuota([{ violations: [{ quotaId: "PerDay" }] }])).toBe(false);
  });
});

describe("retryInfoDelayMs", () => {
  it("reads whole and fractional seconds, with or without the type's host", () => {
    expect(retryInfoDelayMs([retryInfo("0.5s")])).toBe(500);
    expect(retryInfoDelayMs([retryInfo("12s")])).toBe(12_000);
    expect(retryInfoDelayMs([retryInfo("1.25s", "google.rpc.RetryInfo")])).toBe(1250);
  });

  it("finds RetryInfo among other details, and only RetryInfo", () => {
    expect(retryInfoDelayMs([{ "@type": "type.googleapis.com/google.rpc.Help", retryDelay: "3s" }, retryInfo("4s")])).toBe(4000);
    expect(retryInfoDelayMs([retryInfo("5s", "type.googleapis.com/google.rpc.NotRetryInfo")])).toBeUndefined();
    expect(retryInfoDelayMs([{ retryDelay: "5s" }])).toBeUndefined();
  });

  it("takes nothing that is not Duration JSON in seconds", () => {
    for (const delay of ["1.5", "1.5ms", "s", ".5s", "1.s", " 1s", "1s ", "x1s", "-1s", 53, null, ["1s"], { seconds: 1 }]) {
      expect([delay, retryInfoDelayMs([retryInfo(delay)])]).toEqual([delay, undefined]);
    }
  });
});
