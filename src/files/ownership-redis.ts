// Ownership in Redis, shared by every replica. There is no fallback to memory: a replica that cannot
// ask Redis cannot tell whose a file is, so file RPCs (and prompts that name files) are Unavailable
// until Redis answers again.
//
// Keys: `gemini-connect:file:{name}` holds the owner and expires with the file;
// `gemini-connect:files-of:{owner}` is a sorted set of the owner's names scored by expiry (Gemini
// gives every file the same 48 hours, so by expiry is newest first), pruned as it is read.
import { once } from "node:events";
import { Code, ConnectError } from "@connectrpc/connect";
import { createRedisConnection } from "../redis.ts";
import { decodePageToken, encodePageToken } from "./ownership.ts";
import type { OwnershipStore } from "./ownership.ts";

export interface RedisOwnershipOptions {
  readonly url: string;
  /** A command that takes longer fails the RPC with Unavailable. */
  readonly timeoutMs: number;
}

/** Ownership records in the Redis at `options.url`. */
export function createRedisOwnership(options: RedisOwnershipOptions): OwnershipStore {
  const { client: redis, where } = createRedisConnection(options);
  // Connection errors surface on the commands; the client keeps reconnecting meanwhile.
  redis.on("error", () => {});

  const fileKey = (name: string) => `gemini-connect:file:${name}`;
  const ownerKey = (owner: string) => `gemini-connect:files-of:${owner}`;

  /** Waits for a connection for up to the timeout (at start, after an outage), then runs the command. */
  async function run<T>(command: () => Promise<T>): Promise<T> {
    try {
      if (redis.status !== "ready") await once(redis, "ready", { signal: AbortSignal.timeout(options.timeoutMs) });
      return await command();
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      const reason = error instanceof Error && error.name !== "AbortError" ? error.message : "no connection";
      throw new ConnectError(`the file ownership store (Redis at ${where}) is unreachable: ${reason}`, Code.Unavailable);
    }
  }

  return {
    claim(name, owner, expiresAt) {
      return run(async () => {
        await redis
          .multi()
          .set(fileKey(name), owner, "PXAT", expiresAt)
          .zadd(ownerKey(owner), expiresAt, name)
          .pexpireat(ownerKey(owner), expiresAt)
          .exec();
      });
    },
    owns(owner, name) {
      return run(async () => (await redis.get(fileKey(name))) === owner);
    },
    release(name) {
      return run(async () => {
        const owner = await redis.get(fileKey(name));
        if (owner === null) return;
        await redis.multi().del(fileKey(name)).zrem(ownerKey(owner), name).exec();
      });
    },
    async list(owner, size, token) {
      const offset = decodePageToken(token);
      return run(async () => {
        const key = ownerKey(owner);
        const [, total, names] = ((await redis
          .multi()
          .zremrangebyscore(key, "-inf", Date.now())
          .zcard(key)
          .zrevrange(key, offset, offset + size - 1)
          .exec()) ?? []).map(([error, value]) => {
          if (error) throw error;
          return value;
        }) as [unknown, number, string[]];
        const next = offset + names.length;
        return { names, nextToken: next < total ? encodePageToken(next) : "" };
      });
    },
    async close() {
      redis.disconnect();
    },
  };
}
