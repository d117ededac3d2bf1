// One way to reach Redis for every store that shares state between replicas (limits, cached
// answers, file owners): a command fails at once while Redis is away instead of queueing, a Redis
// that hangs counts as gone, and the client reconnects for as long as the process lives.

import { Redis } from "ioredis";

/** What createRedisConnection needs. */
export interface RedisConnectionOptions {
  readonly url: string;
  /** A command slower than this fails. */
  readonly timeoutMs: number;
  /** Connect on the first `connect()` rather than at once. */
  readonly lazyConnect?: boolean;
}

/** A Redis client, and where it points in a form fit for a log line. */
export interface RedisConnection {
  readonly client: Redis;
  /** host:port, never the URL itself: it may carry a password. */
  readonly where: string;
}

/** A client for the Redis at `options.url`. */
export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const url = new URL(options.url);
  const client = new Redis(options.url, {
    lazyConnect: options.lazyConnect ?? false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    connectTimeout: Math.max(options.timeoutMs, 1_000),
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  return { client, where: `${url.hostname}:${url.port || "6379"}` };
}
