// Whether an RPC may start under its caller's and the global limits: requests per window, tokens
// per window (charged after the fact from Gemini's final usage), RPCs open at once, and RPCs
// started per second (each a request to Gemini, however soon it is cancelled). A refusal
// is ResourceExhausted with RetryInfo saying when to come back, and QuotaFailure naming the limit.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { QuotaFailureSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.ts";
import type { Caller, Limits } from "../config/callers-file.ts";
import type { LimitDecision } from "../observe/rpc-record.ts";
import type { Counter, CounterAnswer, LimitStore, StoreName } from "./limit-store.ts";

type Kind = "requests" | "tokens" | "streams" | "starts";

interface Meter extends Counter {
  /** "caller.requests", "global.tokens", ...: in log lines, metrics and QuotaFailure. */
  readonly label: string;
  /** Who is over the limit, for the refusal's message. */
  readonly who: string;
  readonly kind: Kind;
  readonly limit: number;
  /** The counter's key within its kind: "caller:<name>" or "global". */
  readonly key: string;
}

type Scope = Readonly<Record<Kind, Meter | undefined>>;
type Answer = CounterAnswer & { readonly meter: Meter };
/** A stream slot an admitted RPC holds, and until when giving it back still counts. */
type Slot = { readonly answer: Answer; readonly givesBackUntil: number };

/** What an admitted RPC gives back when it ends: its stream slots, and the tokens it used. */
export interface Ticket {
  settle(tokens: number): Promise<void>;
}

/** Admitted with a ticket, or refused with the error to end the RPC with. */
export type Admitted =
  | { readonly decision: LimitDecision; readonly ticket: Ticket; readonly refusal?: undefined }
  | { readonly decision: LimitDecision; readonly ticket?: undefined; readonly refusal: ConnectError };

/** The admission check of one gateway. */
export interface Admission {
  /** Undefined when no limit applies to this RPC: nothing to count, nothing to give back. */
  admit(caller: Caller | undefined, generates: boolean): Promise<Admitted | undefined>;
}

/** What createAdmission needs: the store, the limits, and how long an RPC may run. */
export interface AdmissionOptions {
  readonly store: LimitStore;
  readonly global: Limits;
  readonly callers: readonly Caller[];
  /** The rate window, whole seconds. */
  readonly windowSeconds: number;
  /** The longest an RPC may legitimately run: how long a crashed replica's open RPCs keep their slots. */
  readonly longestRpcMs: number;
}

// A refusal for concurrency cannot know when a slot frees; a second is soon enough to look again.
const streamsRetryMs = 1_000;
// Slots are given back only this far before their lease ends: a give-back that lands after the
// counter expired would count as a free slot in the next lease.
const leaseMarginMs = 1_000;
// Added to a window's remaining time in RetryInfo: timers may fire a little early, and Redis keeps
// a key through its last millisecond, so a caller who waits exactly the delay must find it over.
const windowSlackMs = 50;

/** The admission check over the meters of every caller and of the gateway as a whole. */
export function createAdmission(options: AdmissionOptions): Admission {
  const { store, windowSeconds } = options;
  const leaseSeconds = Math.ceil(options.longestRpcMs / 1000) + 60;
  const meter = (kind: Kind, scope: "caller" | "global", name: string, limit: number | undefined): Meter | undefined => {
    if (limit === undefined) return undefined;
    // Slots in Redis expire after a lease, so a crashed replica's RPCs cannot hold them for good;
    // in memory they live exactly as long as this process.
    const seconds = kind === "streams" ? leaseSeconds : kind === "starts" ? 1 : windowSeconds;
    return {
      ...store.counter(`gemini-connect:${kind}`, limit, seconds, kind === "streams" ? 0 : kind === "starts" ? 1 : windowSeconds),
      label: `${scope}.${kind}`,
      who: scope === "caller" ? `caller ${name}` : "the gateway as a whole",
      kind,
      limit,
      key: scope === "caller" ? `caller:${name}` : "global",
    };
  };
  const scopeOf = (scope: "caller" | "global", name: string, limits: Limits): Scope => ({
    requests: meter("requests", scope, name, limits.requestsPerMinute),
    tokens: meter("tokens", scope, name, limits.tokensPerMinute),
    streams: meter("streams", scope, name, limits.concurrentStreams),
    starts: meter("starts", scope, name, limits.startsPerSecond),
  });
  const global = scopeOf("global", "", options.global);
  const callerScopes = new Map(options.callers.map((caller) => [caller.name, scopeOf("caller", caller.name, caller.limits)]));
  const run = (m: Meter, op: Parameters<LimitStore["run"]>[1], only?: StoreName): Promise<Answer> =>
    store.run(m, op, only).then((answer) => ({ ...answer, meter: m }));
  // A slot given back while Redis is away is given back again once it returns, for as long as its
  // lease lasts: abandoned, the caller would find it taken until the lease ends. The RPC's end
  // does not wait for the retry.
  const giveBack = async (slot: Slot): Promise<void> => {
    if (Date.now() >= slot.givesBackUntil) return;
    const { answer } = slot;
    try {
      await run(answer.meter, (limiter) => limiter.reward(answer.meter.key, 1), answer.store);
    } catch {
      void store.redisBack().then(() => giveBack(slot));
    }
  };

  return {
    async admit(caller, generates) {
      const scopes = [caller === undefined ? undefined : callerScopes.get(caller.name), global].filter((scope) => scope !== undefined);
      const tokenMeters = generates ? scopes.map((scope) => scope.tokens).filter((m) => m !== undefined) : [];
      const takeMeters = scopes.flatMap((scope) => [scope.requests, scope.streams, scope.starts]).filter((m) => m !== undefined);
      if (tokenMeters.length === 0 && takeMeters.length === 0) return undefined;
      const used = new Set<StoreName>();
      const decision = (limit: string): LimitDecision => ({ limit, store: !store.shared ? undefined : used.has("memory") ? "memory" : "redis" });
      const refused = (refusals: readonly Answer[]): Admitted => {
        const { label, error } = refusalOf(refusals, windowSeconds);
        return { decision: decision(label), refusal: error };
      };

      // Tokens are known only once Gemini has answered, so the check is whether the budget is
      // already spent; the RPC that spends the last of it may go over, and is charged in full.
      const spent = await Promise.all(tokenMeters.map((m) => run(m, (limiter) => limiter.get(m.key))));
      for (const answer of spent) used.add(answer.store);
      const overBudget = spent
        .filter((answer) => answer.res !== null && answer.res.msBeforeNext > 0 && answer.res.consumedPoints >= answer.meter.limit)
        .map((answer) => ({ ...answer, refused: true }));
      if (overBudget.length > 0) return refused(overBudget);

      const taken = await Promise.all(takeMeters.map((m) => run(m, (limiter) => limiter.consume(m.key, 1))));
      for (const answer of taken) used.add(answer.store);
      if (taken.some((answer) => answer.refused)) {
        // A refused RPC costs nothing: give back every point this admission took, the refused
        // ones too (a refused consume still counts), so a refusal does not hold a slot.
        await Promise.allSettled(taken.map((answer) => run(answer.meter, (limiter) => limiter.reward(answer.meter.key, 1), answer.store)));
        return refused(taken.filter((answer) => answer.refused));
      }

      const now = Date.now();
      const slots = taken
        .filter((answer) => answer.meter.kind === "streams")
        .map((answer) => ({
          answer,
          // Memory slots never expire (msBeforeNext -1); Redis slots when their lease does.
          givesBackUntil: answer.res === null || answer.res.msBeforeNext < 0 ? Infinity : now + answer.res.msBeforeNext - leaseMarginMs,
        }));
      return {
        decision: decision("ok"),
        ticket: {
          async settle(tokens) {
            const charges = tokens > 0 ? tokenMeters : [];
            await Promise.allSettled([
              ...slots.map((slot) => giveBack(slot)),
              ...charges.map((m) => run(m, (limiter) => limiter.penalty(m.key, tokens))),
            ]);
          },
        },
      };
    },
  };
}

/** The refusal to answer with: the latest of the refusals, as coming back before it would only be refused again. */
function refusalOf(refusals: readonly Answer[], windowSeconds: number): { label: string; error: ConnectError } {
  const delays = refusals.map((answer) =>
    answer.meter.kind === "streams" ? streamsRetryMs : Math.max(0, Math.ceil(answer.res?.msBeforeNext ?? 0)) + windowSlackMs,
  );
  const worst = delays.indexOf(Math.max(...delays));
  const { meter } = refusals[worst] as Answer;
  const delayMs = delays[worst] as number;
  const seconds = meter.kind === "starts" ? 1 : windowSeconds;
  const what =
    meter.kind === "streams" ? `has ${meter.limit} RPCs open, its limit` : `is over its limit of ${meter.limit} ${meter.kind} per ${seconds} s`;
  const error = new ConnectError(`${meter.who} ${what}; retry in ${(delayMs / 1000).toFixed(1)} s`, Code.ResourceExhausted, undefined, [
    {
      desc: RetryInfoSchema,
      value: create(RetryInfoSchema, {
        retryDelay: { seconds: BigInt(Math.floor(delayMs / 1000)), nanos: (delayMs % 1000) * 1_000_000 },
      }),
    },
    {
      desc: QuotaFailureSchema,
      value: create(QuotaFailureSchema, {
        violations: [{ subject: meter.key, quotaId: meter.label, quotaValue: BigInt(meter.limit), description: `${meter.kind} limit` }],
      }),
    },
  ]);
  return { label: meter.label, error };
}
