// Where the limits' counters live: in Redis when REDIS_URL is set, so every replica draws on one
// budget, and in this process otherwise. When Redis goes away the counters fall back to this
// replica's memory (each replica then enforces every budget on its own, so N replicas allow up to
// N times it) rather than refusing everyone: a Redis outage must not become a Gemini outage, and
// Gemini's own project quota still stands behind us. The switch is logged loudly both ways.

import type { Redis } from "ioredis";
import { createRedisConnection } from "../redis.ts";
import cluster from "node:cluster";
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { LimitSettings } from "../config/settings.ts";
import type { Logger } from "../observe/logger.ts";

/** Where a counter operation ran. */
export type StoreName = "redis" | "memory";

/** One counter, in both stores: Redis (when set) and this process. */
export interface Counter {
  readonly redis: RateLimiterRedis | undefined;
  /** This process's counters; in a worker (WORKERS > 1), the primary's, shared by every worker. */
  readonly memory: RateLimiterMemory | RateLimiterCluster;
}

/** The outcome of one counter operation. */
export interface CounterAnswer {
  readonly store: StoreName;
  readonly res: RateLimiterRes | null;
  /** The operation was refused (over the limit); `res` says until when. */
  readonly refused: boolean;
}

/** The counters of the limits, shared through Redis or kept in this process. */
export interface LimitStore {
  /** Whether REDIS_URL is set: then every RPC's log line says which store its limits used. */
  readonly shared: boolean;
  /** A counter of `points` per `seconds` under `keyPrefix`; in memory, per `memorySeconds` (0: for ever). */
  counter(keyPrefix: string, points: number, seconds: number, memorySeconds: number): Counter;
  /**
   * Runs one operation: on Redis while it answers, else (or when it fails now) in memory.
   * With `store` given, only there: a slot taken in one store is given back to the same one.
   */
  run(counter: Counter, op: (limiter: RateLimiterAbstract) => Promise<RateLimiterRes | null>, store?: StoreName): Promise<CounterAnswer>;
  /** Waits a little for Redis at start, so the first RPCs already share the budget. */
  ready(): Promise<void>;
  /** Resolves when Redis is next connected (at once when it is now); never when there is no Redis or the store closed. */
  redisBack(): Promise<void>;
  close(): Promise<void>;
}

/** What createLimitStore needs: Redis (undefined: memory only) and where to log its comings and goings. */
export interface LimitStoreOptions {
  readonly redis: LimitSettings["redis"];
  readonly logger: Logger;
}

// One message for every way Redis goes away, so one alert catches them all.
const redisDown =
  "REDIS UNREACHABLE: limits are now kept by each replica on its own (N replicas allow N times each budget) until it is back";
// How long the start waits for Redis before it serves with local limits.
const startWaitMs = 2_000;

/** The counters' store: Redis with its fallback to memory, or memory alone. */
export function createLimitStore(options: LimitStoreOptions): LimitStore {
  const redis = options.redis === undefined ? undefined : connectRedis(options.redis, options.logger);
  return {
    shared: redis !== undefined,
    counter(keyPrefix, points, seconds, memorySeconds) {
      return {
        redis:
          redis === undefined
            ? undefined
            : new RateLimiterRedis({ storeClient: redis.client, keyPrefix, points, duration: seconds, rejectIfRedisNotReady: true }),
        memory: cluster.isWorker ? clusterCounter(keyPrefix, points, seconds) : new RateLimiterMemory({ keyPrefix, points, duration: memorySeconds }),
      };
    },
    async run(counter, op, store) {
      if (counter.redis !== undefined && store !== "memory" && (store === "redis" || redis?.client.status === "ready")) {
        try {
          return { store: "redis", ...(await attempt(counter.redis, op)) };
        } catch (error) {
          redis?.failed(error);
          if (store === "redis") throw error;
        }
      }
      return { store: "memory", ...(await attempt(counter.memory, op)) };
    },
    ready: async () => redis?.ready(),
    redisBack: () => redis?.back() ?? new Promise<void>(() => {}),
    async close() {
      redis?.close();
    },
  };
}

/**
 * A counter kept by the primary (superviseWorkers), so WORKERS share one budget as replicas do
 * through Redis; with Redis' durations too, so a crashed worker's slots come back. The primary
 * keeps one counter per key prefix, made with the first worker's options: the prefix names them.
 */
function clusterCounter(keyPrefix: string, points: number, seconds: number): RateLimiterCluster {
  return new RateLimiterCluster({ keyPrefix: `${keyPrefix}:${points}:${seconds}`, points, duration: seconds, timeoutMs: 5_000 });
}

interface RedisConnection {
  readonly client: Redis;
  /** A command failed: Redis counts as gone until it reconnects. */
  failed(error: unknown): void;
  ready(): Promise<void>;
  back(): Promise<void>;
  close(): void;
}

function connectRedis(settings: NonNullable<LimitSettings["redis"]>, logger: Logger): RedisConnection {
  // A command fails at once while Redis is away: the RPC goes on with local limits.
  const { client, where } = createRedisConnection({ ...settings, lazyConnect: true });
  let up = false;
  let everUp = false;
  let closing = false;
  let lastError = "";
  // One promise for all who wait on Redis's return, made anew each time it goes away.
  let comeBack = Promise.withResolvers<void>();
  client.on("error", (error: Error) => {
    lastError = error.message;
  });
  client.on("ready", () => {
    up = true;
    comeBack.resolve();
    comeBack = Promise.withResolvers<void>();
    lastError = "";
    if (everUp) logger.warn({ redis: where }, "Redis is back: limits are shared by every replica again");
    else logger.info({ redis: where }, "Redis connected: limits are shared by every replica");
    everUp = true;
  });
  client.on("close", () => {
    if (closing || !up) return;
    up = false;
    logger.error({ redis: where, reason: lastError || "connection closed" }, redisDown);
  });

  return {
    client,
    back: () => (up ? Promise.resolve() : comeBack.promise),
    failed(error) {
      if (!up) return;
      up = false;
      logger.error({ redis: where, reason: error instanceof Error ? error.message : String(error) }, redisDown);
      // A command that timed out leaves the connection up but useless; a reconnect tells when it is back.
      client.disconnect(true);
    },
    async ready() {
      const connected = client.connect().then(
        () => true,
        () => false,
      );
      const timer = new Promise<boolean>((resolve) => setTimeout(resolve, startWaitMs, false).unref());
      if (!(await Promise.race([connected, timer]))) {
        logger.error(
          { redis: where },
          "REDIS UNREACHABLE at start: limits are kept by each replica on its own (N replicas allow N times each budget) until it answers",
        );
      }
    },
    close() {
      closing = true;
      client.disconnect();
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
