// Limits shared through a real Redis by two gateway processes (as two replicas run), and what
// happens when Redis freezes or goes away: each replica goes on with its own limits, says so
// loudly, and goes back to the shared budget when Redis returns.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallOptions } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { QuotaFailureSchema, RetryInfoSchema } from "../gen/ts/google/rpc/error_details_pb.ts";
import type { Emulator } from "../src/emulator/server.ts";
import { testCaller } from "./support/callers.ts";
import type { TestCaller } from "./support/callers.ts";
import { startReplicaPair } from "./support/replica.ts";
import type { Replica, ReplicaPair } from "./support/replica.ts";
import type { RedisServer } from "./support/redis.ts";

const prompt = "one two three four five six";
const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: prompt } }] }],
});

const shared = testCaller("shared", { requestsPerMinute: 3 });
const tokens = testCaller("tokens", { tokensPerMinute: 10 });
const streams = testCaller("streams", { concurrentStreams: 1 });
const frozen = testCaller("frozen", { requestsPerMinute: 1000 });
const local = testCaller("local", { requestsPerMinute: 2 });

let redis: RedisServer;
let emulator: Emulator;
let pair: ReplicaPair | undefined;
let a: Replica;
let b: Replica;

beforeAll(async () => {
  pair = await startReplicaPair([shared, tokens, streams, frozen, local]);
  ({ redis, emulator, a, b } = pair);
});

afterAll(async () => {
  await pair?.close();
});

let requests = 0;

/** One stream; returns its error (if any) and its log line, found by the request id. */
async function call(replica: Replica, caller: TestCaller, extra: CallOptions = {}) {
  const requestId = `redis-test-${++requests}`;
  let error: ConnectError | undefined;
  let text = "";
  try {
    const options = caller.options("authorization", { ...extra, headers: { "x-request-id": requestId } });
    for await (const chunk of replica.client.streamGenerateContent(request, options)) {
      for (const part of chunk.candidates[0]?.content?.parts ?? []) if (part.data.case === "text") text += part.data.value;
    }
  } catch (e) {
    error = ConnectError.from(e);
  }
  // The line is written as the RPC ends, and reaches us through a pipe.
  let line: Record<string, unknown> | undefined;
  for (const deadline = Date.now() + 5_000; line === undefined && Date.now() < deadline; await sleep(10)) {
    line = replica.logs().find((l) => l["requestId"] === requestId);
  }
  return { error, text, line };
}

/** Polls with `run` until `done` holds (bounded), for effects that need a reconnect. */
async function until<T>(run: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await run();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

const messages = (replica: Replica) => replica.logs().map((line) => String(line["msg"]));

describe("two replicas, one Redis", () => {
  it("each connected to Redis before it listened", () => {
    for (const replica of [a, b]) {
      const msgs = messages(replica);
      expect(msgs.indexOf("Redis connected: limits are shared by every replica")).toBeGreaterThanOrEqual(0);
      expect(msgs.indexOf("Redis connected: limits are shared by every replica")).toBeLessThan(msgs.indexOf("gemini-connect listening"));
    }
  });

  it("hold a caller's requests per minute across both", async () => {
    expect((await call(a, shared)).line).toMatchObject({ code: "ok", caller: "shared", limit: "ok", limitStore: "redis" });
    expect((await call(b, shared)).error).toBeUndefined();
    expect((await call(a, shared)).error).toBeUndefined();
    const before = emulator.requests.length;
    const refused = await call(b, shared);
    expect(refused.error?.code).toBe(Code.ResourceExhausted);
    expect(refused.error?.findDetails(QuotaFailureSchema)[0]?.violations[0]?.quotaId).toBe("caller.requests");
    expect(refused.error?.findDetails(RetryInfoSchema)).toHaveLength(1);
    expect(refused.line).toMatchObject({ code: "ResourceExhausted", caller: "shared", limit: "caller.requests", limitStore: "redis" });
    expect((await call(a, shared)).error?.code).toBe(Code.ResourceExhausted);
    expect(emulator.requests.length).toBe(before);
  });

  it("charge tokens spent on one replica to the budget the other checks", async () => {
    const spent = await call(a, tokens);
    expect(spent.line).toMatchObject({ code: "ok", tokens: { total: 12 } });
    const refused = await call(b, tokens);
    expect(refused.error?.code).toBe(Code.ResourceExhausted);
    expect(refused.line).toMatchObject({ limit: "caller.tokens" });
  });

  it("count a caller's open RPCs on both, and free the slot when the RPC ends", async () => {
    emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const leave = new AbortController();
    const held = a.client.streamGenerateContent(request, streams.options("x-api-key", { signal: leave.signal }))[Symbol.asyncIterator]();
    await held.next();
    const refused = await call(b, streams);
    expect(refused.error?.code).toBe(Code.ResourceExhausted);
    expect(refused.line).toMatchObject({ limit: "caller.streams", limitStore: "redis" });
    leave.abort();
    await held.next().catch(() => undefined);
    const after = await until(
      () => call(b, streams),
      (outcome) => outcome.error?.code !== Code.ResourceExhausted,
    );
    expect(after.error).toBeUndefined();
  });
});

describe("when Redis stops answering", () => {
  it("a frozen Redis: RPCs go on with local limits after REDIS_TIMEOUT_MS, and back to Redis when it answers", async () => {
    redis.pause();
    try {
      const during = await call(a, frozen);
      expect(during.error).toBeUndefined();
      expect(during.text).toBe(prompt);
      expect(during.line).toMatchObject({ code: "ok", caller: "frozen", limitStore: "memory" });
      const loud = a.logs().findLast((line) => String(line["msg"]).startsWith("REDIS UNREACHABLE"));
      expect(loud).toMatchObject({ level: 50, reason: "Command timed out" });
    } finally {
      redis.resume();
    }
    const back = await until(
      () => call(a, frozen),
      (outcome) => outcome.line?.["limitStore"] === "redis",
    );
    expect(back.line).toMatchObject({ code: "ok", limitStore: "redis" });
    expect(messages(a)).toContain("Redis is back: limits are shared by every replica again");
  });

  it("Redis gone: each replica serves on with its own limits and says so loudly; shared again once Redis is back", async () => {
    const before = new Map([a, b].map((replica) => [replica, replica.logs().length]));
    await redis.kill();
    // Both keep serving, each on its own copy of the caller's budget (2 per window).
    const first = await call(a, local);
    expect(first.error).toBeUndefined();
    expect(first.line).toMatchObject({ code: "ok", caller: "local", limitStore: "memory" });
    expect((await call(a, local)).error).toBeUndefined();
    const refused = await call(a, local);
    expect(refused.error?.code).toBe(Code.ResourceExhausted);
    expect(refused.line).toMatchObject({ limit: "caller.requests", limitStore: "memory" });
    expect((await call(b, local)).error).toBeUndefined();
    for (const replica of [a, b]) {
      const loud = replica
        .logs()
        .slice(before.get(replica))
        .find((line) => String(line["msg"]).startsWith("REDIS UNREACHABLE"));
      expect(loud).toMatchObject({ level: 50, redis: `127.0.0.1:${redis.port}` });
      expect(JSON.stringify(loud)).not.toContain("redis://");
    }

    await redis.restart();
    for (const replica of [a, b]) {
      const back = await until(
        () => call(replica, frozen),
        (outcome) => outcome.line?.["limitStore"] === "redis",
      );
      expect(back.line).toMatchObject({ code: "ok", limitStore: "redis" });
    }
    // The restarted Redis is empty: the caller starts a fresh shared budget.
    expect((await call(b, local)).line).toMatchObject({ code: "ok", limitStore: "redis" });
  });
});
