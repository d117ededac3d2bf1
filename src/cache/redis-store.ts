// Entries in a Redis shared by every replica: binary values, expiry kept by Redis itself.
//
// Redis going away must not fail a request, nor slow it: while it is unreachable every lookup is a
// miss at once (commands are not queued) and nothing is written. The switch is logged once each
// way, and every lookup or write skipped is counted for the metrics. The connection is made at
// once and retried for as long as the process lives.

import { createRedisConnection } from "../redis.ts";
import type { Logger } from "pino";
import type { CacheStore } from "./store.ts";

export interface RedisStoreOptions {
  readonly url: string;
  /** A command slower than this counts as Redis being unreachable. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

export interface RedisStore extends CacheStore {
  /** Lookups and writes skipped because Redis was unreachable. */
  readonly skipped: number;
  /** Whether Redis answers now. */
  readonly up: boolean;
  /** Waits a little for the first connection, so the first requests already share entries. */
  ready(): Promise<void>;
}

const keyPrefix = "gemini-connect:cache:v1:";
// One message for every way Redis goes away, so one alert catches them all.
const downMessage = "REDIS UNREACHABLE: the response cache is skipped (every request is a miss) until it is back";
const startWaitMs = 2_000;

/** A cache store in Redis, shared by every replica that names the same one. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { logger } = options;
  const { client: redis, where } = createRedisConnection(options);
  let up = false;
  let everUp = false;
  let closing = false;
  let skipped = 0;
  let lastError = "";

  const wentDown = (reason: string) => {
    if (!up) return;
    up = false;
    logger.error({ redis: where, reason }, downMessage);
  };
  redis.on("error", (error: Error) => {
    lastError = error.message;
  });
  redis.on("ready", () => {
    up = true;
    lastError = "";
    if (everUp) logger.warn({ redis: where }, "Redis is back: the response cache is in use again");
    else logger.info({ redis: where }, "Redis connected: the response cache is shared by every replica");
    everUp = true;
  });
  redis.on("close", () => {
    if (!closing) wentDown(lastError || "connection closed");
  });

  /** Runs a command while Redis is up; undefined (and counted) when it is not, or fails now. */
  async function attempt<T>(command: () => Promise<T>): Promise<T | undefined> {
    if (!up || redis.status !== "ready") {
      skipped++;
      return undefined;
    }
    try {
      return await command();
    } catch (error) {
      skipped++;
      wentDown(error instanceof Error ? error.message : String(error));
      // A command that timed out leaves the connection up but useless; a reconnect tells when it is back.
      redis.disconnect(true);
      return undefined;
    }
  }

  return {
    get skipped() {
      return skipped;
    },
    get up() {
      return up;
    },

    async ready() {
      if (up) return;
      const connected = new Promise<boolean>((resolve) => redis.once("ready", () => resolve(true)));
      const timer = new Promise<boolean>((resolve) => setTimeout(resolve, startWaitMs, false).unref());
      if (!(await Promise.race([connected, timer]))) {
        logger.error({ redis: where }, `${downMessage} (at start)`);
      }
    },

    async get(key) {
      const value = await attempt(() => redis.getBuffer(keyPrefix + key));
      return value ?? undefined;
    },

    async set(key, entry, ttlSeconds) {
      await attempt(() => redis.set(keyPrefix + key, Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength), "EX", ttlSeconds));
    },

    async close() {
      closing = true;
      redis.disconnect();
    },
  };
}
