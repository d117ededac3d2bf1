// Admission (access/admission.ts) in memory, with a 60 s window that cannot roll over during a
// test: exactly the limit is let in, the next is refused, a refusal holds nothing, and the
// RetryInfo is the longest wait among the limits that refused.

import { Code } from "@connectrpc/connect";
import type { ConnectError } from "@connectrpc/connect";
import { RateLimiterRes } from "rate-limiter-flexible";
import { describe, expect, it, vi } from "vitest";
import { QuotaFailureSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.ts";
import { createAdmission } from "../../src/access/admission.ts";
import type { Admitted, Ticket } from "../../src/access/admission.ts";
import { createLimitStore } from "../../src/access/limit-store.ts";
import type { LimitStore, StoreName } from "../../src/access/limit-store.ts";
import { noLimits } from "../../src/config/callers-file.ts";
import type { Caller, Limits } from "../../src/config/callers-file.ts";
import { createLogger } from "../../src/observe/logger.ts";

const windowSeconds = 60;

function admission(global: Partial<Limits>, ...callers: Caller[]) {
  const store = createLimitStore({ redis: undefined, logger: createLogger({ level: "silent" }) });
  return createAdmission({ store, global: { ...noLimits, ...global }, callers, windowSeconds, longestRpcMs: 60_000 });
}
const caller = (name: string, limits: Partial<Limits>): Caller => ({ name, keyDigests: [], limits: { ...noLimits, ...limits }, models: undefined });

function ticketOf(admitted: Admitted | undefined): Ticket {
  expect(admitted?.refusal).toBeUndefined();
  expect(admitted?.decision).toEqual({ limit: "ok", store: undefined });
  return admitted!.ticket!;
}

function refusalOf(admitted: Admitted | undefined): ConnectError {
  expect(admitted?.ticket).toBeUndefined();
  expect(admitted?.refusal?.code).toBe(Code.ResourceExhausted);
  return admitted!.refusal!;
}

/** RetryInfo's delay in ms; also checks the message says the same, to a tenth of a second. */
function retryMs(error: ConnectError): number {
  const delay = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
  const ms = Number(delay?.seconds) * 1000 + (delay?.nanos ?? NaN) / 1e6;
  expect(Number.isInteger(ms)).toBe(true);
  expect(error.rawMessage.endsWith(`; retry in ${(ms / 1000).toFixed(1)} s`)).toBe(true);
  return ms;
}

const violation = (error: ConnectError) => error.findDetails(QuotaFailureSchema)[0]?.violations[0];

describe("admission", () => {
  it("lets exactly requestsPerMinute RPCs in per window, then refuses naming the caller and the limit", async () => {
    const alice = caller("alice", { requestsPerMinute: 3 });
    const limits = admission({}, alice);
    const start = performance.now();
    for (let i = 0; i < 3; i++) await ticketOf(await limits.admit(alice, false)).settle(0);
    const refused = await limits.admit(alice, false);
    const waited = performance.now() - start;
    expect(refused?.decision).toEqual({ limit: "caller.requests", store: undefined });
    const error = refusalOf(refused);
    expect(error.rawMessage).toMatch(/^caller alice is over its limit of 3 requests per 60 s; retry in \d+\.\d s$/);
    // The window's rest, and 50 ms of slack so that coming back after exactly the delay is safe.
    const delay = retryMs(error);
    expect(delay).toBeLessThanOrEqual(60_050);
    expect(delay).toBeGreaterThanOrEqual(60_050 - waited - 1);
    expect(violation(error)).toMatchObject({ subject: "caller:alice", quotaId: "caller.requests", quotaValue: 3n, description: "requests limit" });
  });

  it("refuses once the token budget is spent to the token, and counts tokens only for RPCs that generate", async () => {
    const bob = caller("bob", { tokensPerMinute: 10 });
    const limits = admission({}, bob);
    await ticketOf(await limits.admit(bob, true)).settle(9);
    await ticketOf(await limits.admit(bob, true)).settle(1);
    const error = refusalOf(await limits.admit(bob, true));
    expect(error.rawMessage).toMatch(/^caller bob is over its limit of 10 tokens per 60 s; retry in/);
    expect(violation(error)).toMatchObject({ subject: "caller:bob", quotaId: "caller.tokens", quotaValue: 10n, description: "tokens limit" });
    expect(retryMs(error)).toBeGreaterThan(50_000);
    // CountTokens generates nothing: no token limit applies to it.
    expect(await limits.admit(bob, false)).toBeUndefined();
  });

  it("a ticket settled with no tokens charges none", async () => {
    const bob = caller("bob", { tokensPerMinute: 1 });
    const limits = admission({}, bob);
    for (let i = 0; i < 3; i++) await ticketOf(await limits.admit(bob, true)).settle(0);
    await ticketOf(await limits.admit(bob, true)).settle(1);
    refusalOf(await limits.admit(bob, true));
  });

  it("holds a stream slot until the ticket is settled, and a refusal holds no slot and costs no request", async () => {
    const carol = caller("carol", { concurrentStreams: 1, requestsPerMinute: 4 });
    const limits = admission({}, carol);
    const held = ticketOf(await limits.admit(carol, true));
    const error = refusalOf(await limits.admit(carol, true));
    expect(error.rawMessage).toBe("caller carol has 1 RPCs open, its limit; retry in 1.0 s");
    expect(error.findDetails(RetryInfoSchema)[0]?.retryDelay).toMatchObject({ seconds: 1n, nanos: 0 });
    expect(violation(error)).toMatchObject({ subject: "caller:carol", quotaId: "caller.streams", quotaValue: 1n, description: "streams limit" });
    await held.settle(0);
    // Three more fit in the 4 requests: the refused one gave its request back.
    for (let i = 0; i < 3; i++) await ticketOf(await limits.admit(carol, true)).settle(0);
    expect(refusalOf(await limits.admit(carol, true)).rawMessage).toMatch(/^caller carol is over its limit of 4 requests/);
  });

  it("answers the longest wait when two limits refuse, whichever comes first", async () => {
    const dave = caller("dave", { requestsPerMinute: 1 });
    const limits = admission({ concurrentStreams: 1 }, dave);
    ticketOf(await limits.admit(dave, true));
    const both = await limits.admit(dave, true);
    expect(both?.decision.limit).toBe("caller.requests");
    expect(retryMs(refusalOf(both))).toBeGreaterThan(50_000);

    const erin = caller("erin", { concurrentStreams: 1 });
    const other = admission({ requestsPerMinute: 1 }, erin);
    ticketOf(await other.admit(erin, true));
    const error = refusalOf(await other.admit(erin, true));
    expect(error.rawMessage).toMatch(/^the gateway as a whole is over its limit of 1 requests per 60 s/);
    expect(violation(error)).toMatchObject({ subject: "global", quotaId: "global.requests" });
  });

  it("applies the global limits to every caller, known or not, and nothing when no limit is set", async () => {
    const limits = admission({ concurrentStreams: 1 });
    ticketOf(await limits.admit(undefined, true));
    const error = refusalOf(await limits.admit(caller("stranger", {}), true));
    expect(error.rawMessage).toBe("the gateway as a whole has 1 RPCs open, its limit; retry in 1.0 s");
    expect(violation(error)).toMatchObject({ subject: "global", quotaId: "global.streams" });
    expect(await admission({}, caller("free", {})).admit(caller("free", {}), true)).toBeUndefined();
  });

  it("keeps each caller's counters apart", async () => {
    const frank = caller("frank", { requestsPerMinute: 1 });
    const grace = caller("grace", { requestsPerMinute: 1 });
    const limits = admission({}, frank, grace);
    await ticketOf(await limits.admit(frank, false)).settle(0);
    await ticketOf(await limits.admit(grace, false)).settle(0);
    refusalOf(await limits.admit(frank, false));
  });
});

describe("admission over a shared store", () => {
  /**
   * A store that answers as Redis would (`shared`, each answer from `answeredBy`, slots with
   * `leaseLeftMs` of their lease left), counting in memory, and noting the counters it was asked for.
   */
  function sharedStore(answeredBy: StoreName, leaseLeftMs = 5_000) {
    const memory = createLimitStore({ redis: undefined, logger: createLogger({ level: "silent" }) });
    const counters: [string, number, number, number][] = [];
    const store: LimitStore = {
      shared: true,
      counter(keyPrefix, points, seconds, memorySeconds) {
        counters.push([keyPrefix, points, seconds, memorySeconds]);
        return memory.counter(keyPrefix, points, seconds, memorySeconds);
      },
      async run(counter, op, only) {
        const answer = await memory.run(counter, op, "memory");
        const res = answer.res === null ? null : new RateLimiterRes(answer.res.remainingPoints, leaseLeftMs, answer.res.consumedPoints);
        return { ...answer, res, store: only ?? answeredBy };
      },
      ready: () => memory.ready(),
      redisBack: () => memory.redisBack(),
      close: () => memory.close(),
    };
    return { store, counters };
  }
  const carol = caller("carol", { concurrentStreams: 1, requestsPerMinute: 3, tokensPerMinute: 10 });

  it("asks for each counter with its window, slots with a lease of the longest RPC and a minute, kept for ever in memory", () => {
    const { store, counters } = sharedStore("redis");
    createAdmission({ store, global: { ...noLimits, requestsPerMinute: 7 }, callers: [carol], windowSeconds, longestRpcMs: 90_500 });
    expect(counters).toEqual([
      ["gemini-connect:requests", 7, 60, 60],
      ["gemini-connect:requests", 3, 60, 60],
      ["gemini-connect:tokens", 10, 60, 60],
      ["gemini-connect:streams", 1, 151, 0],
    ]);
  });

  it("says which store decided: Redis, or memory as soon as one counter fell back to it", async () => {
    for (const answeredBy of ["redis", "memory"] as const) {
      const { store } = sharedStore(answeredBy);
      const limits = createAdmission({ store, global: noLimits, callers: [carol], windowSeconds, longestRpcMs: 60_000 });
      expect((await limits.admit(carol, true))?.decision).toEqual({ limit: "ok", store: answeredBy });
      expect((await limits.admit(carol, true))?.decision).toEqual({ limit: "caller.streams", store: answeredBy });
      const slotsOnly = caller("slots-only", { concurrentStreams: 1 });
      const slots = createAdmission({ store, global: noLimits, callers: [slotsOnly], windowSeconds, longestRpcMs: 60_000 });
      expect((await slots.admit(slotsOnly, true))?.decision).toEqual({ limit: "ok", store: answeredBy });
      const tokensOnly = caller("tokens-only", { tokensPerMinute: 1 });
      const budget = createAdmission({ store, global: noLimits, callers: [tokensOnly], windowSeconds, longestRpcMs: 60_000 });
      expect((await budget.admit(tokensOnly, true))?.decision).toEqual({ limit: "ok", store: answeredBy });
    }
  });

  it("gives a slot back only while its lease has more than a second left: later, the lease frees it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const { store } = sharedStore("redis", 1_500);
      const limits = createAdmission({ store, global: noLimits, callers: [carol], windowSeconds, longestRpcMs: 60_000 });
      await ticketOf2(await limits.admit(carol, false)).settle(0);
      const late = ticketOf2(await limits.admit(carol, false));
      vi.setSystemTime(Date.now() + 500);
      await late.settle(0);
      // Not given back: in Redis the slot would free itself with its lease; in this store it stays taken.
      expect((await limits.admit(carol, false))?.decision.limit).toBe("caller.streams");
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("admission at the last millisecond of a lease or window", () => {
  it("a slot whose lease ends now is not given back, and a token window that ends now refuses nobody", async () => {
    const memory = createLimitStore({ redis: undefined, logger: createLogger({ level: "silent" }) });
    const store: LimitStore = {
      ...memory,
      shared: true,
      counter: (...args) => memory.counter(...args),
      async run(counter, op, only) {
        const answer = await memory.run(counter, op, "memory");
        const res = answer.res === null ? null : new RateLimiterRes(answer.res.remainingPoints, 0, answer.res.consumedPoints);
        return { ...answer, res, store: only ?? "redis" };
      },
    };
    const henry = caller("henry", { concurrentStreams: 1, tokensPerMinute: 5 });
    const limits = createAdmission({ store, global: noLimits, callers: [henry], windowSeconds, longestRpcMs: 60_000 });
    await ticketOf2(await limits.admit(henry, true)).settle(5);
    // The token budget is spent, but its window has no time left, so it refuses nothing; the first
    // slot was not given back (its lease was ending, and in Redis frees itself): that is what refuses.
    expect((await limits.admit(henry, true))?.decision.limit).toBe("caller.streams");
  });
});

function ticketOf2(admitted: Admitted | undefined): Ticket {
  expect(admitted?.refusal).toBeUndefined();
  return admitted!.ticket!;
}
