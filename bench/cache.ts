// `npx node bench/cache.ts [--streams 100] [--rounds 5]`: time to first chunk of a cache hit and of
// a miss, against the same gateway without the cache, at N streams started together (over 100 ms). Emulator and gateway
// run as processes of their own (bench/procs.ts); the three kinds of round alternate, so a noisy
// machine weighs on all three alike. Prints one table: TTFT percentiles and the medians' differences.

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { cpuUs, startEmulatorProcess, startGatewayProcess } from "./procs.ts";
import { median, percentile } from "./stats.ts";

const { values } = parseArgs({ options: { streams: { type: "string", default: "100" }, rounds: { type: "string", default: "5" } } });
const streams = Number(values.streams);
const rounds = Number(values.rounds);
const chunks = 20;
// Stream starts spread over this long, as the main bench paces 100 streams: a burst would measure queueing.
const staggerMs = 100;
const connections = 4;
const apiKey = "bench-cache-key";

type Kind = "uncached" | "miss" | "hit";

const dir = mkdtempSync(join(tmpdir(), "gemini-connect-bench-cache-"));
const emulator = await startEmulatorProcess({ apiKey, chunks, chunkChars: 32, chunkDelayMs: 0 });
const gateway = await startGatewayProcess({ emulatorUrl: emulator.url, apiKey, logLevel: "info", logFile: join(dir, "gateway.log"), nodeFlags: [], workers: 1 });
const clients = Array.from({ length: connections }, () => createClient(GenerativeService, createGrpcTransport({ baseUrl: gateway.url })));

let prompts = 0;
/** N prompts no earlier round sent. */
const freshPrompts = () => Array.from({ length: streams }, () => `bench cache prompt ${++prompts} of the run`);

/** N streams started over `staggerMs`; each one's time to first chunk, ms. Every stream must be whole. */
async function round(prompts: readonly string[], headers: Record<string, string>): Promise<number[]> {
  return Promise.all(
    prompts.map(async (prompt, i) => {
      await sleep((i * staggerMs) / prompts.length);
      const client = clients[i % connections] as Client<typeof GenerativeService>;
      const request = create(GenerateContentRequestSchema, {
        model: "models/gemini-2.5-flash",
        contents: [{ role: "user", parts: [{ data: { case: "text", value: prompt } }] }],
      });
      const started = performance.now();
      let ttft = Number.NaN;
      let received = 0;
      for await (const _ of client.streamGenerateContent(request, { headers })) {
        if (received++ === 0) ttft = performance.now() - started;
      }
      if (received !== chunks) throw new Error(`a stream had ${received} chunks, not ${chunks}`);
      return ttft;
    }),
  );
}

const samples: Record<Kind, number[]> = { uncached: [], miss: [], hit: [] };
/** The gateway's CPU time per kind of round, µs. */
const cpu: Record<Kind, number> = { uncached: 0, miss: 0, hit: 0 };
async function measured(kind: Kind, prompts: readonly string[], headers: Record<string, string>, keep: boolean): Promise<void> {
  const before = cpuUs(gateway.pid);
  const ttfts = await round(prompts, headers);
  if (!keep) return;
  cpu[kind] += cpuUs(gateway.pid) - before;
  samples[kind].push(...ttfts);
}
const cacheOn = { "x-gemini-cache-ttl": "600" };
try {
  // One unmeasured round of each warms the JIT and the connections.
  for (let r = 0; r <= rounds; r++) {
    const keep = r > 0;
    await measured("uncached", freshPrompts(), {}, keep);
    const stored = freshPrompts();
    await measured("miss", stored, cacheOn, keep);
    await measured("hit", stored, cacheOn, keep);
    if (keep) process.stderr.write(`round ${r}/${rounds} done\n`);
  }
} finally {
  await gateway.stop();
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
}

const ms = (value: number) => value.toFixed(2).padStart(8);
const p50 = (kind: Kind) => median(samples[kind]);
process.stdout.write(`TTFT at ${streams} concurrent streams, ${rounds} rounds (${streams * rounds} streams each), ms\n`);
process.stdout.write(`kind        p50      p90      p99   p50 vs uncached   gateway CPU µs/stream\n`);
for (const kind of ["uncached", "miss", "hit"] as const) {
  const sorted = Float64Array.from(samples[kind]).sort();
  const delta = p50(kind) - p50("uncached");
  process.stdout.write(
    `${kind.padEnd(8)}${ms(percentile(sorted, 50))} ${ms(percentile(sorted, 90))} ${ms(percentile(sorted, 99))}   ${`${delta >= 0 ? "+" : ""}${delta.toFixed(2)}`.padStart(15)}   ${Math.round(cpu[kind] / sorted.length).toLocaleString("en-US").padStart(21)}\n`,
  );
}
process.stdout.write(`hit vs miss (p50): ${(p50("hit") - p50("miss")).toFixed(2)} ms\n`);
