// A Redis partition, made by a TCP proxy the test controls, while a caller's streams end: the
// slots they give back during the partition are given back again once Redis returns, so the
// caller is not refused for long after (before: "has 2 RPCs open" for the whole 11-minute lease).

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Redis } from "ioredis";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { noLimits } from "../src/config/callers-file.ts";
import { testCaller } from "./support/callers.ts";
import { startHarness } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";
import { startRedis } from "./support/redis.ts";
import type { RedisServer } from "./support/redis.ts";

const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: "one two three" } }] }],
});
const twoStreams = testCaller("two-streams", { concurrentStreams: 2 });
const partitionMs = 7_000;

/** A TCP proxy to Redis: `cut()` drops every connection and refuses new ones until `restore()`. */
async function startProxy(port: number) {
  const open = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((socket) => {
    if (cut) return socket.destroy();
    const upstream = net.connect(port, "127.0.0.1");
    for (const s of [socket, upstream]) {
      open.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        open.delete(s);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut() {
      cut = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let redis: RedisServer;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let harness: Harness;

beforeAll(async () => {
  redis = await startRedis();
  proxy = await startProxy(redis.port);
  harness = await startHarness({
    callers: [twoStreams.caller],
    limits: { global: noLimits, windowSeconds: 60, redis: { url: proxy.url, timeoutMs: 200 } },
  });
});

afterAll(async () => {
  await harness?.close();
  await proxy?.close();
  await redis?.close();
});

it("slots given back during a 7 s Redis partition are given back when it returns: the caller is let in again", async () => {
  const client = harness.client("grpc");
  const leave = new AbortController();
  const streams = [0, 1].map(() => {
    harness.emulator.enqueue({ kind: "stall", afterChunks: 1 });
    return client.streamGenerateContent(request, twoStreams.options("authorization", { signal: leave.signal }))[Symbol.asyncIterator]();
  });
  for (const stream of streams) await stream.next();

  proxy.cut();
  leave.abort();
  for (const stream of streams) await stream.next().catch(() => undefined);
  // Both ended (their log lines are out) while Redis was away: their give-backs failed.
  while (harness.logs.filter((line) => line["msg"] === "rpc" && line["code"] === "Canceled").length < 2) await sleep(20);
  await sleep(partitionMs);
  proxy.restore();
  while (!harness.logs.some((line) => String(line["msg"]).startsWith("Redis is back"))) await sleep(20);

  // Within seconds of Redis's return (the lease is minutes): both slots are free in Redis again.
  const deadline = Date.now() + 5_000;
  const check = new Redis(redis.url);
  try {
    let held = Number(await check.get(`gemini-connect:streams:caller:${twoStreams.name}`));
    while (held > 0 && Date.now() < deadline) {
      await sleep(50);
      held = Number(await check.get(`gemini-connect:streams:caller:${twoStreams.name}`));
    }
    expect(held).toBeLessThanOrEqual(0);
  } finally {
    check.disconnect();
  }
  const outcomes = await Promise.all(
    [0, 1].map(async () => {
      try {
        for await (const _ of client.streamGenerateContent(request, twoStreams.options())) void _;
        return "ok";
      } catch (error) {
        return Code[ConnectError.from(error).code];
      }
    }),
  );
  expect(outcomes).toEqual(["ok", "ok"]);
}, 30_000);
