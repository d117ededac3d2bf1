// The load generator: a child process of the bench that runs streams on command (see protocol.ts),
// through the @google/genai SDK straight to the emulator (baseline) or through the generated TS
// client to the gateway, and measures what a caller sees.

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { GoogleGenAI } from "@google/genai";
import { setTimeout as sleep } from "node:timers/promises";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentRequest } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { cpuUs, systemBusyUs } from "./procs.ts";
import type {
  ClosedLoopCommand,
  ClosedLoopResult,
  CloseResult,
  Command,
  CommandMessage,
  FixedRunCommand,
  FixedRunResult,
  OpenCommand,
  OpenResult,
  ReleaseResult,
  ReplyMessage,
  ResultOf,
  StreamRequest,
  Target,
} from "./protocol.ts";

/** Starts one stream; the promise resolves when the response has started (SDK) or at once (gRPC). */
type Opener = (signal: AbortSignal) => Promise<AsyncIterable<unknown>>;

const sdkClients = new Map<string, GoogleGenAI>();
const gatewayClients = new Map<string, Client<typeof GenerativeService>[]>();
const sessions = new Map<string, Http2SessionManager[]>();

function openerFor(target: Target, request: StreamRequest): Opener {
  if (target.kind === "sdk") {
    const key = `${target.baseUrl} ${target.apiKey}`;
    let ai = sdkClients.get(key);
    if (ai === undefined) {
      ai = new GoogleGenAI({ apiKey: target.apiKey, apiVersion: "v1beta", httpOptions: { baseUrl: target.baseUrl } });
      sdkClients.set(key, ai);
    }
    const models = ai.models;
    const contents = [{ role: "user", parts: [{ text: request.prompt }] }];
    return (signal) =>
      models.generateContentStream({
        model: request.model,
        contents,
        // What the gateway asks its SDK for: one upstream request per stream.
        config: { abortSignal: signal, automaticContinuation: false },
      });
  }
  const key = `${target.baseUrl} ${target.connections}`;
  let clients = gatewayClients.get(key);
  if (clients === undefined) {
    const managers = Array.from({ length: Math.max(1, target.connections) }, () => new Http2SessionManager(target.baseUrl));
    clients = managers.map((sessionManager) =>
      createClient(GenerativeService, createGrpcTransport({ baseUrl: target.baseUrl, sessionManager })),
    );
    gatewayClients.set(key, clients);
    sessions.set(target.baseUrl, [...(sessions.get(target.baseUrl) ?? []), ...managers]);
  }
  const pool = clients;
  const message: GenerateContentRequest = create(GenerateContentRequestSchema, {
    model: request.model,
    contents: [{ role: "user", parts: [{ data: { case: "text", value: request.prompt } }] }],
  });
  let next = 0;
  return (signal) => {
    const client = pool[next++ % pool.length];
    if (client === undefined) throw new Error("no gateway client");
    return Promise.resolve(client.streamGenerateContent(message, { signal }));
  };
}

/** Growable Float64 sample buffer: cheap to fill with 10^5..10^6 samples and to send over IPC. */
class Samples {
  private data = new Float64Array(1024);
  private length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

async function closedLoop(command: ClosedLoopCommand): Promise<ClosedLoopResult> {
  const open = openerFor(command.target, command.request);
  const stop = new AbortController();
  const ttft = new Samples();
  const gaps = new Samples();
  let chunks = 0;
  let streamsStarted = 0;
  let streamsCompleted = 0;
  let shortStreams = 0;
  let errors = 0;
  let firstError: string | undefined;
  // The window: opened and closed by timers; its true ends are when they ran.
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let chunksAtStart = 0;
  let cpuAtStart = 0;
  let chunksInWindow = 0;
  let cpuInWindow: number | undefined;
  let measuredMs = 0;
  let otherCores = 0;
  const readCpu = () => (command.cpuPid === undefined ? 0 : cpuUs(command.cpuPid));
  // Everything the machine ran minus the bench's own processes: other people's load.
  const ownPids = [process.pid, ...command.ownPids];
  const readOwn = () => ownPids.reduce((sum, pid) => sum + cpuUs(pid), 0);
  let systemAtStart = 0;
  let ownAtStart = 0;

  const windowDone = (async () => {
    await sleep(command.warmupMs);
    systemAtStart = systemBusyUs();
    ownAtStart = readOwn();
    cpuAtStart = readCpu();
    chunksAtStart = chunks;
    windowStart = performance.now();
    await sleep(command.windowMs);
    windowEnd = performance.now();
    const cpuAtEnd = readCpu();
    const system = systemBusyUs() - systemAtStart;
    const own = readOwn() - ownAtStart;
    otherCores = Math.max(0, system - own) / ((windowEnd - windowStart) * 1000);
    chunksInWindow = chunks - chunksAtStart;
    measuredMs = windowEnd - windowStart;
    cpuInWindow = command.cpuPid === undefined ? undefined : cpuAtEnd - cpuAtStart;
    stop.abort();
  })();

  const worker = async (index: number) => {
    const delay = (index / command.concurrency) * command.staggerMs;
    if (delay > 0) await sleep(delay);
    while (!stop.signal.aborted) {
      const started = performance.now();
      if (started >= windowStart) streamsStarted++;
      let previous = started;
      let count = 0;
      try {
        const stream = await open(stop.signal);
        for await (const _chunk of stream) {
          const now = performance.now();
          chunks++;
          if (now < windowEnd) {
            if (count === 0) {
              if (started >= windowStart) ttft.push(now - started);
            } else if (previous >= windowStart) {
              gaps.push(now - previous);
            }
          }
          previous = now;
          count++;
        }
        if (started >= windowStart && performance.now() < windowEnd) {
          streamsCompleted++;
          if (count !== command.expectChunks) shortStreams++;
        }
      } catch (error) {
        if (stop.signal.aborted) break;
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
        // A failing target must not turn the loop into a busy spin.
        await sleep(10);
      }
    }
  };

  await Promise.all([windowDone, ...Array.from({ length: command.concurrency }, (_, i) => worker(i))]);
  return {
    ttftMs: ttft.toArray(),
    gapMs: gaps.toArray(),
    windowMs: measuredMs,
    chunks: chunksInWindow,
    streamsStarted,
    streamsCompleted,
    shortStreams,
    errors,
    firstError,
    cpuUs: cpuInWindow,
    otherCores,
  };
}

async function fixedRun(command: FixedRunCommand): Promise<FixedRunResult> {
  const open = openerFor(command.target, command.request);
  const stop = new AbortController();
  const limit = setTimeout(() => stop.abort(), command.limitMs);
  const ownPids = [process.pid, ...command.ownPids];
  const readOwn = () => ownPids.reduce((sum, pid) => sum + cpuUs(pid), 0);
  const readCpu = () => (command.cpuPid === undefined ? 0 : cpuUs(command.cpuPid));
  let chunks = 0;
  let streamsCompleted = 0;
  let shortStreams = 0;
  let errors = 0;
  let firstError: string | undefined;
  const systemAtStart = systemBusyUs();
  const ownAtStart = readOwn();
  const cpuAtStart = readCpu();
  const started = performance.now();
  const worker = async (index: number) => {
    const delay = (index / command.concurrency) * command.staggerMs;
    if (delay > 0) await sleep(delay);
    for (let i = 0; i < command.streamsPerWorker && !stop.signal.aborted; i++) {
      let count = 0;
      try {
        for await (const _chunk of await open(stop.signal)) {
          chunks++;
          count++;
        }
        streamsCompleted++;
        if (count !== command.expectChunks) shortStreams++;
      } catch (error) {
        if (stop.signal.aborted) break;
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, (_, i) => worker(i)));
  clearTimeout(limit);
  const elapsedMs = performance.now() - started;
  const cpu = readCpu() - cpuAtStart;
  const other = systemBusyUs() - systemAtStart - (readOwn() - ownAtStart);
  return {
    elapsedMs,
    chunks,
    streamsCompleted,
    shortStreams,
    errors,
    firstError,
    timedOut: stop.signal.aborted,
    cpuUs: command.cpuPid === undefined ? undefined : cpu,
    otherCores: Math.max(0, other) / (elapsedMs * 1000),
  };
}

interface Held {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

const held: Held[] = [];

async function openHeld(command: OpenCommand): Promise<OpenResult> {
  const open = openerFor(command.target, command.request);
  const started = performance.now();
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  for (let done = 0; done < command.count; ) {
    const size = Math.min(command.batch, command.count - done);
    const firstChunks = Array.from({ length: size }, async () => {
      const abort = new AbortController();
      let firstChunk: () => void = () => {};
      let failedFirst: (error: unknown) => void = () => {};
      const gotFirst = new Promise<void>((resolve, reject) => {
        firstChunk = resolve;
        failedFirst = reject;
      });
      const run = async () => {
        const stream = await open(abort.signal);
        const iterator = stream[Symbol.asyncIterator]();
        const first = await iterator.next();
        if (first.done === true) throw new Error("stream ended before its first chunk");
        firstChunk();
        if (command.stall) {
          // A stalled reader: no more reads until the stream is aborted.
          await new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
          await iterator.return?.();
          return;
        }
        while (!(await iterator.next()).done) {
          // A slow stream: keep one read pending, take whatever comes.
        }
      };
      const done = run().then(
        () => firstChunk(),
        (error: unknown) => failedFirst(error),
      );
      try {
        await gotFirst;
        opened++;
        held.push({ abort, done });
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
        abort.abort();
      }
    });
    await Promise.all(firstChunks);
    done += size;
  }
  return { opened, failed, firstError, held: held.length, ms: performance.now() - started };
}

async function closeHeld(): Promise<CloseResult> {
  const started = performance.now();
  const streams = held.splice(0);
  for (const stream of streams) stream.abort.abort();
  await Promise.race([Promise.allSettled(streams.map((s) => s.done)), sleep(30_000, undefined, { ref: false })]);
  return { closed: streams.length, ms: performance.now() - started };
}

/** Closes the HTTP/2 connections to a gateway, so that it can stop without waiting for us. */
function release(baseUrl: string): ReleaseResult {
  const managers = sessions.get(baseUrl) ?? [];
  for (const manager of managers) manager.abort();
  sessions.delete(baseUrl);
  for (const key of [...gatewayClients.keys()]) if (key.startsWith(`${baseUrl} `)) gatewayClients.delete(key);
  return { connections: managers.length };
}

async function handle(command: Command): Promise<ResultOf[keyof ResultOf]> {
  switch (command.kind) {
    case "closedLoop":
      return closedLoop(command);
    case "fixedRun":
      return fixedRun(command);
    case "open":
      return openHeld(command);
    case "close":
      return closeHeld();
    case "release":
      return release(command.baseUrl);
  }
}

// Aborted streams reject promises nobody awaits any more (e.g. SDK internals); they are expected here.
process.on("unhandledRejection", () => {});

process.on("message", (raw) => {
  const { id, command } = raw as CommandMessage;
  handle(command).then(
    (result) => process.send?.({ id, ok: true, result } satisfies ReplyMessage),
    (error: unknown) =>
      process.send?.({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ReplyMessage),
  );
});

// The orchestrator disconnects to stop us; held streams must not keep the process alive.
process.on("disconnect", () => {
  for (const stream of held) stream.abort.abort();
  setTimeout(() => process.exit(0), 200).unref();
});
