// What an upstream's failures mean for it, without sockets: the verdict of each kind of failure,
// the per-day quota's reset at midnight Pacific time, and the breaker's open and half-open states.

import { describe, expect, it } from "vitest";
import { UpstreamHealth, msUntilPacificMidnight, verdictOf } from "../src/routing/health.ts";
import { UpstreamError } from "../src/upstream/upstream.ts";

const status = (code: number, name: string, details: Record<string, unknown>[] = []) =>
  new UpstreamError("status", "failed", { code, message: "failed", status: name, details: details as never });

describe("verdictOf", () => {
  it.each([
    { error: status(429, "RESOURCE_EXHAUSTED", [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "7s" }]), verdict: { kind: "cooldown", ms: 7000 } },
    { error: status(429, "RESOURCE_EXHAUSTED"), verdict: { kind: "cooldown", ms: 10_000 } },
    { error: status(401, "UNAUTHENTICATED"), verdict: { kind: "auth" } },
    { error: status(403, "PERMISSION_DENIED"), verdict: { kind: "auth" } },
    { error: status(400, "INVALID_ARGUMENT", [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }]), verdict: { kind: "auth" } },
    { error: status(503, "UNAVAILABLE"), verdict: { kind: "fault" } },
    { error: status(500, "INTERNAL"), verdict: { kind: "fault" } },
    { error: new UpstreamError("network", "connection refused"), verdict: { kind: "fault" } },
    { error: status(400, "INVALID_ARGUMENT"), verdict: { kind: "answered" } },
    { error: status(404, "NOT_FOUND"), verdict: { kind: "answered" } },
  ])("$error.rpcStatus.code $error.failure: $verdict.kind", ({ error, verdict }) => {
    expect(verdictOf(error, false, 0)).toEqual(verdict);
  });

  it("a first-chunk timeout counts against the upstream", () => {
    expect(verdictOf(new Error("no first chunk"), true, 0)).toEqual({ kind: "fault" });
  });

  it("cools a per-day quota until midnight Pacific", () => {
    const perDay = status(429, "RESOURCE_EXHAUSTED", [
      { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier" }] },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "5s" },
    ]);
    // 2026-07-01 20:00 UTC is 13:00 PDT: eleven hours to midnight.
    const now = Date.UTC(2026, 6, 1, 20, 0, 0);
    expect(verdictOf(perDay, false, now)).toEqual({ kind: "cooldown", ms: 11 * 3_600_000 });
    // 2026-12-02 07:59:30 UTC is 23:59:30 PST.
    expect(msUntilPacificMidnight(Date.UTC(2026, 11, 2, 7, 59, 30))).toBe(30_000);
  });
});

describe("UpstreamHealth", () => {
  it("opens after five faults in a row, half-opens for one trial after 30 s, and closes on a success", () => {
    const health = new UpstreamHealth("a", 1, undefined);
    for (let i = 0; i < 4; i++) expect(health.record("m", { kind: "fault" }, 0)).toBeUndefined();
    expect(health.record("m", { kind: "fault" }, 0)).toBe("breaker-open");
    expect(health.available("m", 29_999)).toBe(false);
    expect(health.available("m", 30_000)).toBe(true);
    health.take();
    expect(health.available("other-model", 30_000)).toBe(false);
    health.record("m", { kind: "answered" }, 30_100);
    health.release();
    expect(health.available("m", 30_100)).toBe(true);
  });

  it("sets a refused key aside for a back-off that doubles", () => {
    const health = new UpstreamHealth("a", 1, undefined);
    health.record("m", { kind: "auth" }, 0);
    expect(health.available("m", 29_999)).toBe(false);
    expect(health.available("m", 30_000)).toBe(true);
    health.record("m", { kind: "auth" }, 30_000);
    expect(health.available("m", 89_999)).toBe(false);
    expect(health.available("m", 90_000)).toBe(true);
  });
});
