// The two cache stores on their own: the in-memory LRU, and Redis (a real redis-server, taken away
// and brought back).

import { Redis } from "ioredis";
import { pino } from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../src/cache/memory-store.ts";
import { createRedisStore } from "../src/cache/redis-store.ts";
import type { RedisStore } from "../src/cache/redis-store.ts";
import { startRedis } from "./support/redis.ts";
import type { RedisServer } from "./support/redis.ts";

const bytes = (size: number, fill: number) => new Uint8Array(size).fill(fill);

describe("memory store", () => {
  it("returns what was stored until its TTL runs out", async () => {
    let now = 1_000_000;
    const store = createMemoryStore({ maxBytes: 10_000, now: () => now });
    await store.set("k", bytes(10, 1), 60);
    expect(await store.get("k")).toEqual(bytes(10, 1));
    now += 59_999;
    expect(await store.get("k")).toEqual(bytes(10, 1));
    now += 1;
    expect(await store.get("k")).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it("lets the least recently used go first, and never holds more than its bound", async () => {
    // Each entry costs 1,000 bytes plus two a key character: three fit in 3,100, four do not.
    const store = createMemoryStore({ maxBytes: 3_100 });
    for (const key of ["a", "b", "c"]) await store.set(key, bytes(1_000, 1), 60);
    await store.get("a");
    await store.set("d", bytes(1_000, 2), 60);
    expect(await store.get("b")).toBeUndefined();
    for (const key of ["a", "c", "d"]) expect(await store.get(key)).toBeDefined();
    expect(store.bytes).toBeLessThanOrEqual(3_100);
  });

  it("holds its bound under a flood of distinct large entries", async () => {
    const maxBytes = 1_000_000;
    const store = createMemoryStore({ maxBytes });
    for (let i = 0; i < 2_000; i++) {
      await store.set(`entry-${i}`, bytes(30_000 + (i % 7) * 1_000, i % 256), 600);
      expect(store.bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(store.entries).toBeGreaterThan(20);
    expect(await store.get("entry-1999")).toBeDefined();
    expect(await store.get("entry-0")).toBeUndefined();
  });

  it("does not keep an entry larger than the whole bound, and counts a replaced entry once", async () => {
    const store = createMemoryStore({ maxBytes: 1_000 });
    await store.set("huge", bytes(2_000, 1), 60);
    expect(await store.get("huge")).toBeUndefined();
    await store.set("k", bytes(100, 1), 60);
    await store.set("k", bytes(200, 2), 60);
    expect(store.bytes).toBe(202);
    expect(await store.get("k")).toEqual(bytes(200, 2));
  });
});

describe("Redis store", () => {
  let redis: RedisServer;
  let store: RedisStore;
  let probe: Redis;
  const logs: Record<string, unknown>[] = [];
  const messages = () => logs.map((line) => String(line["msg"]));
  const downMessage = "REDIS UNREACHABLE: the response cache is skipped (every request is a miss) until it is back";

  beforeAll(async () => {
    redis = await startRedis();
    const sink = new Writable({
      write(line: Buffer, _encoding, done) {
        logs.push(JSON.parse(line.toString()) as Record<string, unknown>);
        done();
      },
    });
    store = createRedisStore({ url: redis.url, timeoutMs: 200, logger: pino({ level: "info" }, sink) });
    await store.ready();
    probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    probe.on("error", () => undefined);
  });

  afterAll(async () => {
    await store?.close();
    probe?.disconnect();
    await redis?.close();
  });

  it("stores binary values byte for byte, with the TTL kept by Redis", async () => {
    const value = new Uint8Array([0, 255, 10, 13, 0, 128, 1]);
    await store.set("team-a:stream:abc", value, 600);
    expect(new Uint8Array((await store.get("team-a:stream:abc")) as Uint8Array)).toEqual(value);
    const ttl = await probe.ttl("gemini-connect:cache:v1:team-a:stream:abc");
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(await store.get("team-a:stream:absent")).toBeUndefined();
    expect(messages()).toContain("Redis connected: the response cache is shared by every replica");
  });

  it("misses without failing while Redis is gone, says so once, counts each skip, and is used again once back", async () => {
    await redis.kill();
    const before = store.skipped;
    for (let i = 0; i < 5; i++) {
      expect(await store.get("team-a:stream:abc")).toBeUndefined();
      await store.set(`team-a:stream:${i}`, bytes(10, 1), 60);
    }
    expect(store.skipped - before).toBe(10);
    expect(store.up).toBe(false);
    expect(messages().filter((m) => m === downMessage)).toHaveLength(1);

    await redis.restart();
    await expect.poll(() => store.up, { timeout: 10_000 }).toBe(true);
    expect(messages()).toContain("Redis is back: the response cache is in use again");
    await store.set("team-a:stream:again", bytes(3, 7), 60);
    expect(new Uint8Array((await store.get("team-a:stream:again")) as Uint8Array)).toEqual(bytes(3, 7));
  });

  it("counts a Redis that hangs as gone: a lookup misses once its timeout passes", async () => {
    redis.pause();
    try {
      expect(await store.get("team-a:stream:again")).toBeUndefined();
      expect(store.up).toBe(false);
    } finally {
      redis.resume();
    }
    await expect.poll(() => store.up, { timeout: 10_000 }).toBe(true);
  });
});
