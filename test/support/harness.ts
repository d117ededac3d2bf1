// A real gateway on a real port, its upstream the real SDK talking to a real emulator, and
// clients for each protocol: what every integration suite starts from.

import { ConnectError, createClient } from "@connectrpc/connect";
import type { CallOptions, Client, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { FileService } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentRequest, GenerateContentResponse } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { startEmulator } from "../../src/emulator/server.ts";
import type { Emulator, EmulatorOptions } from "../../src/emulator/server.ts";
import { createLogger } from "../../src/observe/logger.ts";
import type { Logger } from "../../src/observe/logger.ts";
import { createGateway } from "../../src/gateway.ts";
import type { Caller } from "../../src/config/callers-file.ts";
import type { Gateway } from "../../src/gateway.ts";
import type { CacheSettings, CallPolicy, ConnectionLimits, FilesSettings, LimitSettings } from "../../src/config/settings.ts";
import type { Tracer } from "@opentelemetry/api";
import { createGenaiFiles } from "../../src/upstream/genai-files.ts";
import { createGenaiUpstream } from "../../src/upstream/genai.ts";

// Like a real key, and sharing no 8 characters with anything a log line says of its own.
export const upstreamKey = "AIzaTk7Qw3Zp9Xv2Lm6Rb8Nc4Hj";

export type GenerativeClient = Client<typeof GenerativeService>;
export type FilesClient = Client<typeof FileService>;

export interface Harness {
  readonly emulator: Emulator;
  readonly gateway: Gateway;
  readonly baseUrl: string;
  /** Every log line the gateway wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  client(protocol: Protocol): GenerativeClient;
  files(protocol: Protocol): FilesClient;
  close(): Promise<void>;
}

export const protocols = ["connect-h1", "connect-h2", "grpc", "grpc-web-h1", "grpc-web-h2"] as const;
export type Protocol = (typeof protocols)[number];

/** Short enough for tests to see every timeout and retry fire. */
export const testCallPolicy: CallPolicy = {
  firstChunkTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  retry: { maxAttempts: 3, initialBackoffMs: 20, maxBackoffMs: 50, backoffMultiplier: 1.3 },
};

export interface HarnessOptions {
  readonly emulator?: EmulatorOptions;
  readonly callPolicy?: Partial<CallPolicy>;
  readonly maxRequestBytes?: number;
  /** REQUEST_BYTES_IN_FLIGHT_MAX; undefined: the default. */
  readonly requestBytesInFlightMax?: number;
  readonly tracer?: Tracer;
  /** Callers file contents (undefined: open) and limits, as CALLERS_FILE and LIMITS_* would give. */
  readonly callers?: readonly Caller[];
  readonly limits?: LimitSettings;
  /** Connection deadlines and caps, as CONNECTION_* would give; undefined: the defaults. */
  readonly connections?: ConnectionLimits;
  /** FileService's settings; the spool goes under the OS temporary directory unless said otherwise. */
  readonly files?: Partial<FilesSettings>;
  /** The response cache's bounds, as CACHE_* would give; undefined: no cache. */
  readonly cache?: CacheSettings;
}

const gib = 1024 ** 3;

/** A debug-level logger whose lines are kept, parsed, in `logs`. */
export function captureLogs(): { logger: Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(line: Buffer, _encoding, done) {
      logs.push(JSON.parse(line.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: "debug", destination: sink }), logs };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulatorOptions = options.emulator ?? {};
  const emulator = await startEmulator({ apiKey: upstreamKey, ...emulatorOptions });
  const { logger, logs } = captureLogs();
  const upstream = createGenaiUpstream({ backend: "gemini", apiKey: upstreamKey, baseUrl: emulator.url });
  const gateway = createGateway({
    upstream,
    upstreamKeys: [upstreamKey],
    logger,
    callPolicy: { ...testCallPolicy, ...options.callPolicy },
    maxRequestBytes: options.maxRequestBytes ?? 20 * 1024 * 1024,
    requestBytesInFlightMax: options.requestBytesInFlightMax,
    tracer: options.tracer,
    callers: options.callers,
    limits: options.limits,
    connections: options.connections,
    files: {
      upstream: createGenaiFiles({ apiKey: upstreamKey, baseUrl: emulator.url }),
      settings: { maxFileBytes: 2 * gib, spoolDir: join(tmpdir(), "gemini-connect-test-spool"), spoolMaxBytes: 4 * gib, ...options.files },
      baseUrl: emulator.url,
    },
    cache: options.cache,
  });
  const address = await gateway.start(0, "127.0.0.1");
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    emulator,
    gateway,
    baseUrl,
    logs,
    client: (protocol) => createClient(GenerativeService, transportFor(protocol, baseUrl)),
    files: (protocol) => createClient(FileService, transportFor(protocol, baseUrl)),
    async close() {
      await gateway.stop(1000);
      await emulator.close();
    },
  };
}

export function transportFor(protocol: Protocol, baseUrl: string): Transport {
  switch (protocol) {
    case "connect-h1":
      return createConnectTransport({ baseUrl, httpVersion: "1.1" });
    case "connect-h2":
      return createConnectTransport({ baseUrl, httpVersion: "2" });
    case "grpc":
      return createGrpcTransport({ baseUrl });
    case "grpc-web-h1":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
    case "grpc-web-h2":
      return createGrpcWebTransport({ baseUrl, httpVersion: "2" });
  }
}

/** Reads a whole stream: the chunks that arrived, and the error it ended with (undefined: OK). */
export async function readStream(
  client: GenerativeClient,
  request: GenerateContentRequest,
  options: CallOptions = {},
): Promise<{ chunks: GenerateContentResponse[]; error: ConnectError | undefined }> {
  const chunks: GenerateContentResponse[] = [];
  try {
    for await (const chunk of client.streamGenerateContent(request, options)) chunks.push(chunk);
  } catch (error) {
    return { chunks, error: ConnectError.from(error) };
  }
  return { chunks, error: undefined };
}

/** Waits until `condition` holds, failing after `timeoutMs`: for effects that land asynchronously. */
export async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
