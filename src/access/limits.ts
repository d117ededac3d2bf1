// Per-caller and global limits: requests per window, tokens per window (charged after the fact from
// Gemini's final usage), and RPCs open at once. Counters live in Redis when REDIS_URL is set, so
// every replica draws on one budget, and in this process otherwise. A refusal is ResourceExhausted
// with RetryInfo saying when to come back.
//
// When Redis goes away the limits fall back to this replica's memory (each replica then enforces
// every budget on its own, so N replicas allow up to N times it) rather than refusing everyone: a
// Redis outage must not become a Gemini outage, and Gemini's own project quota still stands behind
// us. The switch is logged loudly both ways and counted in `stats` for the metrics.

import { create } from "@bufbuild/protobuf";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { GenerateContentResponseSchema } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { QuotaFailureSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.ts";
import { callerKey } from "./auth.ts";
import type { Caller, Limits } from "../config/callers-file.ts";
import type { LimitSettings } from "../config/settings.ts";
import type { Logger } from "../observe/logger.ts";
import { rpcSummaryKey } from "../observe/rpc-record.ts";
import type { RpcSummary } from "../observe/rpc-record.ts";

/** Counters for the metrics. */
export interface LimitStats {
  /** RPCs refused, by the limit that refused them ("caller.requests", "global.tokens", ...). */
  readonly refused: ReadonlyMap<string, number>;
  /** RPCs whose limits were kept in this replica's memory because Redis was unreachable. */
  readonly redisFallbacks: number;
  /** Whether Redis answers; undefined without REDIS_URL. */
  readonly redisUp: boolean | undefined;
}

export interface Limiter {
  readonly stats: LimitStats;
  /** Waits a little for Redis at start, so the first RPCs already share the budget. */
  ready(): Promise<void>;
  /** Applies the limits to RPCs of `services`; must come after the auth interceptor. */
  interceptor(services: readonly DescService[]): Interceptor;
  close(): Promise<void>;
}

export interface LimiterOptions extends LimitSettings {
  readonly callers: readonly Caller[];
  /** The longest an RPC may legitimately run: how long a crashed replica's open RPCs keep their slots. */
  readonly longestRpcMs: number;
  readonly logger: Logger;
}

type Kind = "requests" | "tokens" | "streams";
type Store = "redis" | "memory";

interface Meter {
  /** "caller.requests", "global.tokens", ...: in log lines, metrics and QuotaFailure. */
  readonly label: string;
  /** Who is over the limit, for the refusal's message. */
  readonly who: string;
  readonly kind: Kind;
  readonly limit: number;
  /** The counter's key within its kind: "caller:<name>" or "global". */
  readonly key: string;
  readonly redis: RateLimiterRedis | undefined;
  readonly memory: RateLimiterMemory;
}

interface Scope {
  readonly requests: Meter | undefined;
  readonly tokens: Meter | undefined;
  readonly streams: Meter | undefined;
}

interface Answer {
  readonly meter: Meter;
  readonly store: Store;
  readonly res: RateLimiterRes | null;
  readonly refused: boolean;
}

/** What an admitted RPC gives back when it ends: its stream slots, and the tokens it used. */
interface Ticket {
  settle(tokens: number): Promise<void>;
}

// A refusal for concurrency cannot know when a slot frees; a second is soon enough to look again.
const streamsRetryMs = 1_000;
// Slots are given back only this far before their lease ends: a give-back that lands after the
// counter expired would count as a free slot in the next lease.
const leaseMarginMs = 1_000;
// Added to a window's remaining time in RetryInfo: timers may fire a little early, and Redis keeps
// a key through its last millisecond, so a caller who waits exactly the delay must find it over.
const windowSlackMs = 50;
// One message for every way Redis goes away, so one alert catches them all.
const redisDown =
  "REDIS UNREACHABLE: limits are now kept by each replica on its own (N replicas allow N times each budget) until it is back";
// How long the start waits for Redis before it serves with local limits.
const startWaitMs = 2_000;

export function createLimiter(options: LimiterOptions): Limiter {
  const { logger } = options;
  const refused = new Map<string, number>();
  let redisFallbacks = 0;
  let redisUp: boolean | undefined;
  let closing = false;

  let redis: Redis | undefined;
  let redisWhere = "";
  if (options.redis !== undefined) {
    // Never the URL itself in a log line: it may carry a password.
    const url = new URL(options.redis.url);
    redisWhere = `${url.hostname}:${url.port || "6379"}`;
    redis = new Redis(options.redis.url, {
      lazyConnect: true,
      // Commands fail at once while disconnected, rather than queue: the RPC goes on with local limits.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A Redis that hangs is as good as gone.
      commandTimeout: options.redis.timeoutMs,
      connectTimeout: Math.max(options.redis.timeoutMs, 1_000),
      // Keep trying for as long as the process lives; limits go back to Redis once it answers.
      retryStrategy: (times) => Math.min(times * 100, 2_000),
    });
    redisUp = false;
    let lastError = "";
    redis.on("error", (error: Error) => {
      lastError = error.message;
    });
    let everUp = false;
    redis.on("ready", () => {
      redisUp = true;
      lastError = "";
      if (everUp) logger.warn({ redis: redisWhere }, "Redis is back: limits are shared by every replica again");
      else logger.info({ redis: redisWhere }, "Redis connected: limits are shared by every replica");
      everUp = true;
    });
    redis.on("close", () => {
      if (closing || redisUp !== true) return;
      redisUp = false;
      logger.error({ redis: redisWhere, reason: lastError || "connection closed" }, redisDown);
    });
  }
  const redisFailed = (error: unknown) => {
    if (redisUp !== true) return;
    redisUp = false;
    logger.error({ redis: redisWhere, reason: error instanceof Error ? error.message : String(error) }, redisDown);
    // A command that timed out leaves the connection up but useless; a reconnect tells when it is back.
    redis?.disconnect(true);
  };

  const windowSeconds = options.windowSeconds;
  const leaseSeconds = Math.ceil(options.longestRpcMs / 1000) + 60;
  const meter = (kind: Kind, scope: "caller" | "global", name: string, limit: number | undefined): Meter | undefined => {
    if (limit === undefined) return undefined;
    const keyPrefix = `gemini-connect:${kind}`;
    // Slots in Redis expire after a lease, so a crashed replica's RPCs cannot hold them for good;
    // in memory they live exactly as long as this process.
    const duration = kind === "streams" ? leaseSeconds : windowSeconds;
    return {
      label: `${scope}.${kind}`,
      who: scope === "caller" ? `caller ${name}` : "the gateway as a whole",
      kind,
      limit,
      key: scope === "caller" ? `caller:${name}` : "global",
      redis:
        redis === undefined
          ? undefined
          : new RateLimiterRedis({ storeClient: redis, keyPrefix, points: limit, duration, rejectIfRedisNotReady: true }),
      memory: new RateLimiterMemory({ keyPrefix, points: limit, duration: kind === "streams" ? 0 : windowSeconds }),
    };
  };
  const scopeOf = (scope: "caller" | "global", name: string, limits: Limits): Scope => ({
    requests: meter("requests", scope, name, limits.requestsPerMinute),
    tokens: meter("tokens", scope, name, limits.tokensPerMinute),
    streams: meter("streams", scope, name, limits.concurrentStreams),
  });
  const global = scopeOf("global", "", options.global);
  const callerScopes = new Map(options.callers.map((caller) => [caller.name, scopeOf("caller", caller.name, caller.limits)]));

  /**
   * Runs one limiter operation: on Redis while it answers, else (or when it fails now) in memory.
   * With `store` given, only there: a slot taken in one store is given back to the same one.
   */
  async function run(meter: Meter, op: (limiter: RateLimiterAbstract) => Promise<RateLimiterRes | null>, store?: Store): Promise<Answer> {
    if (meter.redis !== undefined && store !== "memory" && (store === "redis" || redis?.status === "ready")) {
      try {
        return { meter, store: "redis", ...(await attempt(meter.redis, op)) };
      } catch (error) {
        redisFailed(error);
        if (store === "redis") throw error;
      }
    }
    return { meter, store: "memory", ...(await attempt(meter.memory, op)) };
  }

  function refuse(answers: readonly Answer[], summary: RpcSummary | undefined): never {
    const refusals = answers.filter((answer) => answer.refused);
    const delays = refusals.map((answer) =>
      answer.meter.kind === "streams" ? streamsRetryMs : Math.max(0, Math.ceil(answer.res?.msBeforeNext ?? 0)) + windowSlackMs,
    );
    // The latest of the refusals: coming back before it would only be refused again.
    const worst = delays.indexOf(Math.max(...delays));
    const { meter } = refusals[worst] as Answer;
    const delayMs = delays[worst] as number;
    refused.set(meter.label, (refused.get(meter.label) ?? 0) + 1);
    if (summary !== undefined) summary.limit = meter.label;
    const what =
      meter.kind === "streams"
        ? `has ${meter.limit} RPCs open, its limit`
        : `is over its limit of ${meter.limit} ${meter.kind} per ${windowSeconds} s`;
    throw new ConnectError(`${meter.who} ${what}; retry in ${(delayMs / 1000).toFixed(1)} s`, Code.ResourceExhausted, undefined, [
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
  }

  /** Undefined when no limit applies to this RPC: nothing to count, nothing to give back. */
  async function admit(caller: Caller | undefined, generates: boolean, summary: RpcSummary | undefined): Promise<Ticket | undefined> {
    const scopes = [caller === undefined ? undefined : callerScopes.get(caller.name), global].filter((scope) => scope !== undefined);
    const tokenMeters = generates ? scopes.map((scope) => scope.tokens).filter((m) => m !== undefined) : [];
    const takeMeters = scopes.flatMap((scope) => [scope.requests, scope.streams]).filter((m) => m !== undefined);
    if (tokenMeters.length === 0 && takeMeters.length === 0) return undefined;
    if (summary !== undefined) summary.limit = "ok";
    const used = new Set<Store>();
    const note = (answers: readonly Answer[]) => {
      for (const answer of answers) used.add(answer.store);
      if (redis === undefined) return;
      if (summary !== undefined) summary.limitStore = used.has("memory") ? "memory" : "redis";
    };
    try {
      // Tokens are known only once Gemini has answered, so the check is whether the budget is
      // already spent; the RPC that spends the last of it may go over, and is charged in full.
      const spent = await Promise.all(tokenMeters.map((m) => run(m, (limiter) => limiter.get(m.key))));
      note(spent);
      const overBudget = spent
        .filter((answer) => answer.res !== null && answer.res.msBeforeNext > 0 && answer.res.consumedPoints >= answer.meter.limit)
        .map((answer) => ({ ...answer, refused: true }));
      if (overBudget.length > 0) refuse(overBudget, summary);

      const taken = await Promise.all(takeMeters.map((m) => run(m, (limiter) => limiter.consume(m.key, 1))));
      note(taken);
      if (taken.some((answer) => answer.refused)) {
        // A refused RPC costs nothing: give back every point this admission took, the refused
        // ones too (a refused consume still counts), so a refusal does not hold a slot.
        await Promise.allSettled(taken.map((answer) => run(answer.meter, (limiter) => limiter.reward(answer.meter.key, 1), answer.store)));
        refuse(taken, summary);
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
        async settle(tokens) {
          const charges = tokens > 0 ? tokenMeters : [];
          await Promise.allSettled([
            ...slots
              .filter((slot) => Date.now() < slot.givesBackUntil)
              .map(({ answer }) => run(answer.meter, (limiter) => limiter.reward(answer.meter.key, 1), answer.store)),
            ...charges.map((m) => run(m, (limiter) => limiter.penalty(m.key, tokens))),
          ]);
        },
      };
    } finally {
      if (redis !== undefined && used.has("memory")) redisFallbacks++;
    }
  }

  return {
    stats: {
      get refused() {
        return refused;
      },
      get redisFallbacks() {
        return redisFallbacks;
      },
      get redisUp() {
        return redisUp;
      },
    },

    async ready() {
      if (redis === undefined) return;
      const connected = redis.connect().then(
        () => true,
        () => false,
      );
      const timer = new Promise<boolean>((resolve) => setTimeout(resolve, startWaitMs, false).unref());
      if (!(await Promise.race([connected, timer]))) {
        logger.error(
          { redis: redisWhere },
          "REDIS UNREACHABLE at start: limits are kept by each replica on its own (N replicas allow N times each budget) until it answers",
        );
      }
    },

    interceptor(services) {
      const guarded = new Set(services.map((service) => service.typeName));
      return (next) => async (req) => {
        if (!guarded.has(req.service.typeName)) return next(req);
        const summary = req.contextValues.get(rpcSummaryKey);
        const generates = req.method.output.typeName === GenerateContentResponseSchema.typeName;
        const ticket = await admit(req.contextValues.get(callerKey), generates, summary);
        // Unlimited: the stream is not wrapped, so it costs nothing per chunk.
        if (ticket === undefined) return next(req);

        // Settled once, whichever comes first: the RPC's end, or the caller leaving (a stream the
        // server never reads to its end would otherwise keep its slot).
        let settled: Promise<void> | undefined;
        const settle = () => (settled ??= ticket.settle(summary?.usage?.totalTokenCount ?? 0));
        const onAbort = () => void settle();
        req.signal.addEventListener("abort", onAbort, { once: true });
        // Awaited before the RPC ends, so a caller's next RPC already sees this one's tokens and slot.
        const end = async () => {
          req.signal.removeEventListener("abort", onAbort);
          await settle();
        };

        let res;
        try {
          res = await next(req);
        } catch (error) {
          await end();
          throw error;
        }
        if (!res.stream) {
          await end();
          return res;
        }
        const source = res.message;
        async function* watched() {
          try {
            yield* source;
          } finally {
            await end();
          }
        }
        return { ...res, message: watched() };
      };
    },

    async close() {
      closing = true;
      redis?.disconnect();
    },
  };
}

async function attempt(
  limiter: RateLimiterAbstract,
  op: (limiter: RateLimiterAbstract) => Promise<RateLimiterRes | null>,
): Promise<{ res: RateLimiterRes | null; refused: boolean }> {
  try {
    return { res: await op(limiter), refused: false };
  } catch (error) {
    // rate-limiter-flexible refuses with a RateLimiterRes, and fails with an Error.
    if (error instanceof RateLimiterRes) return { res: error, refused: true };
    throw error;
  }
}
