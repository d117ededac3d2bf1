// Secret hygiene, end to end: a real gateway process at debug level, driven through successes,
// refusals and upstream errors whose text quotes a URL with `key=<the Gemini key>`. Neither the
// Gemini key, nor any caller's key, nor the Redis password may appear in anything the process
// wrote, in any error a caller got (message, details, metadata), or in any response header or
// trailer.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { CallOptions } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator, RpcError } from "../src/emulator/server.ts";
import { testCaller } from "./support/callers.ts";
import type { GenerativeClient } from "./support/harness.ts";
import { leakedSecretPieces } from "./support/secrets.ts";

// Shaped like real secrets, so a redaction that only knows their shape would be caught too; random
// inside, as real ones are, so that no 8 characters of them are words the gateway says anyway.
const geminiKey = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY";
const redisPassword = "Rp7fK2qX9mW4vT8zL3nH";
const alice = testCaller("alice");
const bob = testCaller("bob", { requestsPerMinute: 3, concurrentStreams: 1 });
const secrets = { geminiKey, aliceKey: alice.key, bobKey: bob.key, redisPassword };

const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: "tell me a secret" } }] }],
});
const leakyUrl = `https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=${geminiKey}`;

let emulator: Emulator;
let child: ChildProcess;
let output = "";
let dir: string;
let clients: Record<"grpc" | "connect" | "grpcWeb", GenerativeClient>;
/** Everything a caller was given back: error texts, details, headers and trailers. */
const seen: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: geminiKey });
  dir = mkdtempSync(join(tmpdir(), "gemini-connect-secrets-"));
  const callersFile = join(dir, "callers.json");
  writeFileSync(callersFile, JSON.stringify({ callers: [alice.entry, bob.entry] }));
  child = spawn(process.execPath, ["src/main.ts"], {
    env: {
      PATH: process.env["PATH"] ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "debug",
      GEMINI_API_KEY: geminiKey,
      GEMINI_BASE_URL: emulator.url,
      CALLERS_FILE: callersFile,
      // Nothing listens there: the Redis-down logs are part of the run.
      REDIS_URL: `redis://:${redisPassword}@127.0.0.1:9`,
      REDIS_TIMEOUT_MS: "100",
      RETRY_MAX_ATTEMPTS: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (data: Buffer) => (output += data.toString()));
  child.stderr?.on("data", (data: Buffer) => (output += data.toString()));
  const deadline = Date.now() + 15_000;
  let port: string | undefined;
  while (port === undefined) {
    port = /"address":"127\.0\.0\.1:(\d+)"/.exec(output)?.[1];
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`gateway did not start:\n${output}`);
    await sleep(20);
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  clients = {
    grpc: createClient(GenerativeService, createGrpcTransport({ baseUrl })),
    connect: createClient(GenerativeService, createConnectTransport({ baseUrl, httpVersion: "1.1" })),
    grpcWeb: createClient(GenerativeService, createGrpcWebTransport({ baseUrl, httpVersion: "2" })),
  };
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
  await emulator?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Options that record the response's headers and trailers into `seen`. */
function recording(options: CallOptions): CallOptions {
  return {
    ...options,
    onHeader: (header) => seen.push(JSON.stringify([...header])),
    onTrailer: (trailer) => seen.push(JSON.stringify([...trailer])),
  };
}

function record(error: unknown): ConnectError {
  const connectError = ConnectError.from(error);
  seen.push(connectError.message, JSON.stringify([...connectError.metadata]));
  for (const detail of connectError.details) {
    // Incoming details are raw bytes: a secret in any string field shows as its ASCII.
    seen.push("value" in detail && detail.value instanceof Uint8Array ? Buffer.from(detail.value).toString("latin1") : JSON.stringify(detail));
  }
  return connectError;
}

async function stream(client: GenerativeClient, options: CallOptions): Promise<ConnectError | undefined> {
  try {
    for await (const _chunk of client.streamGenerateContent(request, recording(options)));
    return undefined;
  } catch (error) {
    return record(error);
  }
}

async function unary(run: (options: CallOptions) => Promise<unknown>, options: CallOptions): Promise<ConnectError | undefined> {
  try {
    await run(recording(options));
    return undefined;
  } catch (error) {
    return record(error);
  }
}

const withKey = (code: number, status: string, message: string): RpcError => ({
  code,
  status,
  message,
  details: [
    {
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "API_KEY_INVALID",
      domain: "googleapis.com",
      metadata: { service: "generativelanguage.googleapis.com", url: leakyUrl },
    },
    { "@type": "type.googleapis.com/google.rpc.Help", links: [{ description: "the request", url: leakyUrl }] },
  ],
});

describe("secret hygiene", () => {
  it("a run full of errors leaves no secret in logs, errors, headers or trailers", async () => {
    const { grpc, connect, grpcWeb } = clients;
    // Served, with each way of presenting the key.
    expect(await stream(grpc, alice.options("authorization"))).toBeUndefined();
    expect(await stream(connect, alice.options("x-api-key"))).toBeUndefined();
    expect(await stream(grpcWeb, alice.options("x-goog-api-key"))).toBeUndefined();
    expect(await unary((o) => connect.generateContent(request, o), alice.options())).toBeUndefined();

    // Refused callers: no key, a near miss of a real key, a key in the wrong header shape.
    expect((await stream(grpc, {}))?.code).toBe(Code.Unauthenticated);
    expect((await stream(grpc, { headers: { "x-api-key": `${alice.key}0` } }))?.code).toBe(Code.Unauthenticated);
    expect((await stream(connect, { headers: { authorization: `Bearer ${bob.key.slice(1)}` } }))?.code).toBe(Code.Unauthenticated);
    expect((await stream(grpcWeb, { headers: { authorization: `Token ${alice.key}` } }))?.code).toBe(Code.Unauthenticated);

    // Gemini's errors quoting the key, through every path that builds an error.
    emulator.enqueue({ kind: "httpError", status: 400, error: withKey(400, "INVALID_ARGUMENT", `Bad request to ${leakyUrl}`) });
    const badRequest = await stream(grpc, alice.options());
    expect(badRequest?.code).toBe(Code.InvalidArgument);
    expect(badRequest?.rawMessage).toContain("key=[redacted]");

    emulator.enqueue({ kind: "httpError", status: 500, error: withKey(500, "INTERNAL", `Internal error while serving ${leakyUrl}`) });
    expect((await stream(connect, alice.options()))?.code).toBe(Code.Internal);

    emulator.enqueue({ kind: "errorMidStream", afterChunks: 1, error: withKey(500, "INTERNAL", `stream broke: ${leakyUrl}`) });
    expect((await stream(grpcWeb, alice.options()))?.code).toBe(Code.Internal);

    emulator.enqueue({ kind: "httpError", status: 403, error: withKey(403, "PERMISSION_DENIED", `API key not valid. key=${geminiKey}`) });
    expect((await unary((o) => grpc.generateContent(request, o), alice.options()))?.code).toBe(Code.PermissionDenied);

    emulator.enqueue({ kind: "httpError", status: 400, error: withKey(400, "INVALID_ARGUMENT", `countTokens: ${leakyUrl}`) });
    const count = await unary((o) => connect.countTokens({ model: request.model, contents: request.contents }, o), alice.options());
    expect(count?.code).toBe(Code.InvalidArgument);

    // Non-JSON error body with the key in it (the SDK keeps it as text).
    emulator.enqueue({
      kind: "httpError",
      status: 503,
      error: withKey(503, "UNAVAILABLE", `upstream connect error for ${leakyUrl}`),
      contentType: "text/plain",
    });
    expect((await stream(grpc, alice.options()))?.code).toBe(Code.Unavailable);

    // Limits: over the requests per minute, and over the open RPCs.
    emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const leave = new AbortController();
    const held = grpc.streamGenerateContent(request, bob.options("x-goog-api-key", { signal: leave.signal }))[Symbol.asyncIterator]();
    await held.next();
    expect((await stream(connect, bob.options()))?.code).toBe(Code.ResourceExhausted);
    leave.abort();
    await held.next().catch(() => undefined);
    let refused: ConnectError | undefined;
    for (let i = 0; i < 10 && refused?.code !== Code.ResourceExhausted; i++) refused = await stream(grpc, bob.options());
    expect(refused?.code).toBe(Code.ResourceExhausted);

    // Stop the process: once its pipes close, every line it wrote, the shutdown lines too, is in.
    const closed = once(child, "close");
    child.kill("SIGTERM");
    await closed;

    // The run did go through the paths that could leak.
    expect(output).toContain('"msg":"rpc failed"');
    expect(output).toContain("key=[redacted]");
    expect(output).toContain("REDIS UNREACHABLE");
    expect(output).toContain('"caller":"alice"');
    expect(output).toContain('"caller":"bob"');
    expect(seen.join("\n")).toContain("key=[redacted]");

    // Not a secret whole, nor any 8 characters of one (a redaction that misses part of a key).
    for (const [name, secret] of Object.entries(secrets)) {
      expect(leakedSecretPieces(output, [secret]), `${name} in the gateway's output`).toEqual([]);
      expect(leakedSecretPieces(seen.join("\n"), [secret]), `${name} in what callers got back`).toEqual([]);
    }
  });
});
