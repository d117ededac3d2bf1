// A rapid-reset flood: thousands of HTTP/2 streams, each sent whole and cancelled at once
// (RST_STREAM CANCEL), by a caller whose limit is 2 RPCs open at once and 20 starts a second. Each
// slot is held until the upstream request has really ended, and the start rate bounds how many
// upstream requests the flood can begin: counted at the emulator, which records every request.

import { create, toBinary } from "@bufbuild/protobuf";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { testCaller } from "./support/callers.ts";
import { envelope } from "./support/fuzz-inputs.ts";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator } from "../src/emulator/server.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import type { GatewayProcess } from "./support/gateway-process.ts";
import { eventually, upstreamKey } from "./support/harness.ts";

const streams = 2_000;
const sessions = 4;
const startsPerSecond = 20;
// Long enough for the gateway to admit the RPC and ask the upstream, as a real flood's resets land.
const cancelAfterMs = 20;
const flooder = testCaller("flooder", { concurrentStreams: 2, startsPerSecond });
const body = envelope(
  0,
  toBinary(
    GenerateContentRequestSchema,
    create(GenerateContentRequestSchema, { model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ data: { case: "text", value: "a b c d e f" } }] }] }),
  ),
);

let emulator: Emulator;
let gateway: GatewayProcess;
let dir: string;

// The gateway in a process of its own, as in production: its requests reach the emulator (here)
// while the flood is still being sent.
beforeAll(async () => {
  emulator = await startEmulator({ apiKey: upstreamKey, chunkDelayMs: 20 });
  dir = mkdtempSync(join(tmpdir(), "gemini-connect-flood-"));
  const callersFile = join(dir, "callers.json");
  writeFileSync(callersFile, JSON.stringify({ callers: [flooder.entry] }));
  gateway = await startGatewayProcess({ GEMINI_API_KEY: upstreamKey, GEMINI_BASE_URL: emulator.url, CALLERS_FILE: callersFile });
});

afterAll(async () => {
  await gateway?.stop();
  await emulator?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/**
 * Opens `count` streams on `session`, a batch per turn of the event loop, each sent whole and
 * cancelled a few milliseconds later (cancelled in the same turn, none would reach the handler);
 * resolves when all have closed.
 */
async function flood(session: http2.ClientHttp2Session, count: number): Promise<void> {
  const closed: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
    const stream = session.request({
      ":method": "POST",
      ":path": "/geminiconnect.v1.GenerativeService/StreamGenerateContent",
      "content-type": "application/grpc",
      te: "trailers",
      authorization: `Bearer ${flooder.key}`,
    });
    stream.on("error", () => undefined);
    closed.push(new Promise((resolve) => stream.once("close", () => resolve())));
    stream.end(body);
    setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), cancelAfterMs);
  }
  return Promise.all(closed).then(() => undefined);
}

it(`${streams} streams cancelled at once start at most the start rate's upstream requests, and never more than 2 at a time`, async () => {
  const upstreamBefore = emulator.arrivals;
  const logsBefore = gateway.logs().length;
  const started = performance.now();
  const clients = Array.from({ length: sessions }, () => http2.connect(gateway.baseUrl, { settings: { maxConcurrentStreams: streams } }));
  await Promise.all(clients.map((session) => flood(session, streams / sessions)));
  // Every stream gets its one rpc line, however early it was cut: then none is still under way.
  const rpcLines = () => gateway.logs().slice(logsBefore).filter((line) => line["msg"] === "rpc");
  await eventually(() => rpcLines().length >= streams, 30_000);
  const seconds = (performance.now() - started) / 1000;
  for (const session of clients) session.close();

  const upstream = emulator.arrivals - upstreamBefore;
  const codes = new Map<string, number>();
  for (const line of rpcLines()) codes.set(String(line["code"]), (codes.get(String(line["code"])) ?? 0) + 1);
  console.log(`${streams} cancelled streams in ${seconds.toFixed(1)} s started ${upstream} upstream requests; codes: ${JSON.stringify(Object.fromEntries(codes))}`);
  // The start rate's budget over the flood's whole seconds, and the rate bucket's first second.
  expect(upstream).toBeLessThanOrEqual(startsPerSecond * (Math.ceil(seconds) + 1));
  expect(rpcLines()).toHaveLength(streams);
}, 60_000);
