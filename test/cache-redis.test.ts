// The response cache in a real Redis shared by two gateway processes (as two replicas run), and
// Redis going away mid-run: every request is then a miss, answered by Gemini, never a failure.

import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentResponse } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { Emulator } from "../src/emulator/server.ts";
import { testCaller } from "./support/callers.ts";
import { eventually } from "./support/harness.ts";
import type { RedisServer } from "./support/redis.ts";
import { startReplicaPair } from "./support/replica.ts";
import type { Replica, ReplicaPair } from "./support/replica.ts";

const cached = testCaller("cached", {}, { ttlSeconds: 600 });
const downMessage = "REDIS UNREACHABLE: the response cache is skipped (every request is a miss) until it is back";

let redis: RedisServer;
let emulator: Emulator;
let pair: ReplicaPair | undefined;
let a: Replica;
let b: Replica;

beforeAll(async () => {
  pair = await startReplicaPair([cached]);
  ({ redis, emulator, a, b } = pair);
});

afterAll(async () => {
  await pair?.close();
});

let prompts = 0;
const freshPrompt = () => `redis cache prompt ${++prompts} alpha`;
const upstreamCalls = (prompt: string) => emulator.requests.filter((r) => JSON.stringify(r.body).includes(`"${prompt}"`)).length;

async function stream(replica: Replica, prompt: string) {
  let header = new Headers();
  const chunks: GenerateContentResponse[] = [];
  const request = create(GenerateContentRequestSchema, {
    model: "models/gemini-2.5-flash",
    contents: [{ role: "user", parts: [{ data: { case: "text", value: prompt } }] }],
  });
  try {
    for await (const chunk of replica.client.streamGenerateContent(request, cached.options("authorization", { onHeader: (h) => (header = h) }))) {
      chunks.push(chunk);
    }
  } catch (error) {
    return { chunks, error: ConnectError.from(error), result: header.get("x-gemini-cache") };
  }
  return { chunks, error: undefined, result: header.get("x-gemini-cache") };
}

const messages = (replica: Replica) => replica.logs().map((line) => String(line["msg"]));

async function metric(replica: Replica, series: string): Promise<number> {
  const body = await (await fetch(`${replica.baseUrl}/metrics`)).text();
  const line = body.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

describe("two replicas, one Redis", () => {
  it("each connected to the cache's Redis before it listened", () => {
    for (const replica of [a, b]) {
      const msgs = messages(replica);
      const connected = msgs.indexOf("Redis connected: the response cache is shared by every replica");
      expect(connected).toBeGreaterThanOrEqual(0);
      expect(connected).toBeLessThan(msgs.indexOf("gemini-connect listening"));
    }
  });

  it("answers from one replica what the other stored: Gemini is asked once, the chunks are the same", async () => {
    const prompt = freshPrompt();
    const miss = await stream(a, prompt);
    expect(miss).toMatchObject({ error: undefined, result: "miss" });
    const hit = await stream(b, prompt);
    expect(hit).toMatchObject({ error: undefined, result: "hit" });
    expect(hit.chunks).toEqual(miss.chunks);
    expect(await stream(a, prompt)).toMatchObject({ result: "hit" });
    expect(upstreamCalls(prompt)).toBe(1);
  });

  it("misses without failing while Redis is gone, says so once, counts it, and shares again once it is back", async () => {
    const stored = freshPrompt();
    await stream(a, stored);
    await redis.kill();
    for (let i = 0; i < 3; i++) {
      for (const replica of [a, b]) {
        const outcome = await stream(replica, stored);
        expect(outcome.error).toBeUndefined();
        expect(outcome.result).toBe("miss");
        expect(outcome.chunks.length).toBeGreaterThan(0);
      }
    }
    expect(upstreamCalls(stored)).toBe(7);
    for (const replica of [a, b]) {
      await eventually(() => messages(replica).includes(downMessage));
      expect(messages(replica).filter((m) => m === downMessage)).toHaveLength(1);
      expect(await metric(replica, "gemini_cache_without_redis_total")).toBeGreaterThanOrEqual(3);
    }

    await redis.restart();
    for (const replica of [a, b]) {
      await eventually(() => messages(replica).includes("Redis is back: the response cache is in use again"), 15_000);
    }
    const prompt = freshPrompt();
    expect(await stream(b, prompt)).toMatchObject({ result: "miss" });
    expect(await stream(a, prompt)).toMatchObject({ result: "hit" });
    expect(upstreamCalls(prompt)).toBe(1);
  });
});
