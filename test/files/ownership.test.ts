// File ownership, in memory and in a real Redis: only the owner sees a file, records expire with it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryOwnership, PageTokenError } from "../../src/files/ownership.ts";
import type { OwnershipStore } from "../../src/files/ownership.ts";
import { createRedisOwnership } from "../../src/files/ownership-redis.ts";
import { startRedis } from "../support/redis.ts";
import type { RedisServer } from "../support/redis.ts";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.close();
});

const later = () => Date.now() + 3_600_000;
let unique = 0;

const stores: [string, () => OwnershipStore][] = [
  ["memory", () => createMemoryOwnership()],
  ["redis", () => createRedisOwnership({ url: redis.url, timeoutMs: 2_000 })],
];

describe.each(stores)("ownership in %s", (_kind, make) => {
  // Each test has owners of its own, so tests sharing one Redis never see each other's files.
  const owners = () => {
    unique++;
    return { alice: `alice-${unique}`, bob: `bob-${unique}` };
  };

  it("tells the owner from everyone else, and forgets a released file", async () => {
    const store = make();
    const { alice, bob } = owners();
    await store.claim(`files/a${unique}`, alice, later());
    expect(await store.owns(alice, `files/a${unique}`)).toBe(true);
    expect(await store.owns(bob, `files/a${unique}`)).toBe(false);
    expect(await store.owns(alice, "files/never-made")).toBe(false);
    await store.release(`files/a${unique}`);
    expect(await store.owns(alice, `files/a${unique}`)).toBe(false);
    expect((await store.list(alice, 10, "")).names).toEqual([]);
    await store.close();
  });

  it("lets a record expire with its file", async () => {
    const store = make();
    const { alice } = owners();
    await store.claim(`files/old${unique}`, alice, Date.now() - 1);
    await store.claim(`files/new${unique}`, alice, later());
    expect(await store.owns(alice, `files/old${unique}`)).toBe(false);
    expect((await store.list(alice, 10, "")).names).toEqual([`files/new${unique}`]);
    await store.close();
  });

  it("lists only the owner's files, newest first, a page at a time", async () => {
    const store = make();
    const { alice, bob } = owners();
    const base = later();
    for (const index of [1, 2, 3, 4, 5]) await store.claim(`files/f${index}-${unique}`, alice, base + index);
    await store.claim(`files/other-${unique}`, bob, base + 10);

    const first = await store.list(alice, 2, "");
    expect(first.names).toEqual([`files/f5-${unique}`, `files/f4-${unique}`]);
    const second = await store.list(alice, 2, first.nextToken);
    expect(second.names).toEqual([`files/f3-${unique}`, `files/f2-${unique}`]);
    const last = await store.list(alice, 2, second.nextToken);
    expect(last).toEqual({ names: [`files/f1-${unique}`], nextToken: "" });
    await expect(store.list(alice, 2, "not-a-token")).rejects.toBeInstanceOf(PageTokenError);
    await store.close();
  });
});

describe("ownership in an unreachable Redis", () => {
  it("fails with Unavailable rather than guess whose a file is", async () => {
    const gone = await startRedis();
    const store = createRedisOwnership({ url: gone.url, timeoutMs: 500 });
    await gone.close();
    await expect(store.owns("alice", "files/abc")).rejects.toMatchObject({
      code: 14,
      rawMessage: expect.stringMatching(/^the file ownership store \(Redis at 127\.0\.0\.1:\d+\) is unreachable: /),
    });
    await store.close();
  });
});
