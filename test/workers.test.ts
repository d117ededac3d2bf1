// WORKERS=2: one port served by two processes, as `npm start` runs it. Each unary call below goes
// on a connection of its own, so node:cluster hands the calls to the workers in turn.

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import * as http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";

interface LogLine {
  msg?: string;
  metrics?: string;
  pid?: number;
  address?: string;
  method?: string;
  code?: string;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

async function startWorkers(env: Record<string, string>) {
  const child = spawn(process.execPath, ["src/main.ts"], {
    env: { PATH: process.env["PATH"] ?? "", HOST: "127.0.0.1", PORT: "0", WORKERS: "2", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (data: Buffer) => (output += data.toString()));
  child.stderr?.on("data", (data: Buffer) => (output += data.toString()));
  const lines = () =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as LogLine);
  const listening = () => lines().filter((line) => line.msg === "gemini-connect listening");
  const deadline = Date.now() + 30_000;
  while (listening().length < 2) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const [first, second] = listening();
  expect(first?.address).toBe(second?.address);
  expect(first?.pid).not.toBe(second?.pid);
  return { child, lines, port: Number(first?.address?.split(":").at(-1)), workerPids: [first?.pid, second?.pid] };
}

/** One unary GenerateContent over Connect JSON, on a new connection. */
function generate(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "hello" }] }] });
    const req = http.request(
      { host: "127.0.0.1", port, method: "POST", path: "/geminiconnect.v1.GenerativeService/GenerateContent", agent: false, headers: { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (data: Buffer) => (text += data.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let text = "";
      res.on("data", (data: Buffer) => (text += data.toString()));
      res.on("end", () => resolve(text));
    }).on("error", reject);
  });
}

const rpcLines = (lines: LogLine[]) => lines.filter((line) => line.method === "geminiconnect.v1.GenerativeService/GenerateContent");

describe("WORKERS=2", () => {
  it("serves one port from both workers, /metrics sums them, and SIGTERM drains both and exits 0", async () => {
    const { child, lines, port, workerPids } = await startWorkers({});
    for (let i = 0; i < 6; i++) expect((await generate(port)).status).toBe(200);
    const servedBy = new Set(rpcLines(lines()).map((line) => line.pid));
    expect([...servedBy].sort()).toEqual([...workerPids].sort());

    // Whichever worker takes the scrape, it answers for both.
    for (let i = 0; i < 2; i++) {
      const metrics = await get(port, "/metrics");
      expect(metrics).toContain(
        'grpc_server_handled_total{grpc_type="unary",grpc_service="geminiconnect.v1.GenerativeService",grpc_method="GenerateContent",grpc_code="OK"} 6',
      );
    }

    const [code] = await Promise.all([once(child, "exit").then(([exitCode]) => exitCode as number), Promise.resolve(child.kill("SIGTERM"))]);
    expect(code).toBe(0);
    const stopped = lines().filter((line) => line.msg === "stopped").map((line) => line.pid);
    expect(stopped).toEqual(expect.arrayContaining([...workerPids, child.pid]));
  }, 60_000);

  it("with METRICS_PORT, serves the sum over both workers there, and no /metrics on the service port", async () => {
    const { lines, port } = await startWorkers({ METRICS_PORT: "0" });
    const listening = lines().filter((line) => line.msg === "gemini-connect listening");
    expect(listening[0]?.metrics).toBe(listening[1]?.metrics);
    const metricsPort = Number(listening[0]?.metrics?.split(":").at(-1));
    for (let i = 0; i < 4; i++) expect((await generate(port)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      expect(await get(metricsPort, "/metrics")).toContain(
        'grpc_server_handled_total{grpc_type="unary",grpc_service="geminiconnect.v1.GenerativeService",grpc_method="GenerateContent",grpc_code="OK"} 4',
      );
    }
    expect(await get(port, "/metrics")).not.toContain("grpc_server_handled_total");
  }, 60_000);

  it("on SIGTERM, lets the streams in flight on both workers finish before it exits 0", async () => {
    // The emulator echoes the prompt a word per chunk, 300 ms apart: 5 words take over a second.
    const { child, lines, port, workerPids } = await startWorkers({ EMULATOR_CHUNK_DELAY_MS: "300" });
    const prompt = "one two three four five";
    const request = create(GenerateContentRequestSchema, {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ data: { case: "text", value: prompt } }] }],
    });
    // Two transports, two HTTP/2 connections: one per worker.
    const streams = [0, 1].map(() =>
      createClient(GenerativeService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` })).streamGenerateContent(request)[Symbol.asyncIterator](),
    );
    const firsts = await Promise.all(streams.map((stream) => stream.next()));
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const answers = await Promise.all(
      streams.map(async (stream, i) => {
        let text = "";
        for (let next = firsts[i]; next?.done !== true; next = await stream.next()) {
          for (const part of next?.value.candidates[0]?.content?.parts ?? []) if (part.data.case === "text") text += part.data.value;
        }
        return text;
      }),
    );
    expect(answers).toEqual([prompt, prompt]);
    expect((await exited)[0]).toBe(0);
    const streamedBy = lines().filter((line) => line.method === "geminiconnect.v1.GenerativeService/StreamGenerateContent" && line.code === "ok");
    expect(new Set(streamedBy.map((line) => line.pid))).toEqual(new Set(workerPids));
  }, 60_000);

  it("keeps a limit exact across the workers without Redis", async () => {
    const { lines, port, workerPids } = await startWorkers({ LIMITS_REQUESTS_PER_MINUTE: "5" });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await generate(port)).status);
    // Connect's HTTP status for ResourceExhausted.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const ok = rpcLines(lines()).filter((line) => line.code === "ok");
    expect(new Set(ok.map((line) => line.pid)).size).toBe(workerPids.length);
  }, 60_000);

  it("replaces a worker that dies, and logs it", async () => {
    const { lines, port, workerPids } = await startWorkers({});
    process.kill(workerPids[0] ?? 0, "SIGKILL");
    const deadline = Date.now() + 30_000;
    while (lines().filter((line) => line.msg === "gemini-connect listening").length < 3) {
      if (Date.now() > deadline) throw new Error("no worker replaced the one that died");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(lines().find((line) => line.msg === "worker died: starting another")).toMatchObject({ worker: workerPids[0] });
    expect((await generate(port)).status).toBe(200);
  }, 60_000);
});
