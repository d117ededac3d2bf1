// Nothing is read before the caller's key is checked, and the request bytes held in memory are
// bounded: keyless 20 MiB uploads are refused on their headers (gRPC trailers-only status 16 with
// the HTTP/2 stream reset; Connect HTTP 401, the HTTP/1.1 connection closed a second later), the gateway's
// memory stays where it was, and past REQUEST_BYTES_IN_FLIGHT_MAX a call is ResourceExhausted.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator } from "../src/emulator/server.ts";
import { testCaller } from "./support/callers.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import type { GatewayProcess } from "./support/gateway-process.ts";
import { upstreamKey } from "./support/harness.ts";

const uploadBytes = 20 * 1024 * 1024;
const chunk = Buffer.alloc(64 * 1024, 7);
const alice = testCaller("alice");

let emulator: Emulator;
let gateway: GatewayProcess;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: upstreamKey });
  dir = mkdtempSync(join(tmpdir(), "gemini-connect-body-"));
  const callersFile = join(dir, "callers.json");
  writeFileSync(callersFile, JSON.stringify({ callers: [alice.entry] }));
  gateway = await startGatewayProcess({
    GEMINI_BACKEND: "gemini",
    GEMINI_API_KEY: upstreamKey,
    GEMINI_BASE_URL: emulator.url,
    CALLERS_FILE: callersFile,
    REQUEST_BYTES_IN_FLIGHT_MAX: String(3 * 1024 * 1024),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await emulator?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Resolves on "close", whatever errors came before it (a write cut by the server is expected here). */
function closed(emitter: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => emitter.once("close", () => resolve()));
}

/** A keyless gRPC upload over HTTP/2: what came back, and how the stream ended. */
async function grpcUpload(session: http2.ClientHttp2Session) {
  const stream = session.request({
    ":method": "POST",
    ":path": "/geminiconnect.v1.GenerativeService/StreamGenerateContent",
    "content-type": "application/grpc",
    te: "trailers",
  });
  // Trailers-only or headers then trailers: the status is in one of them.
  let headers: http2.IncomingHttpHeaders = {};
  stream.on("response", (h) => (headers = { ...headers, ...h }));
  stream.on("trailers", (h) => (headers = { ...headers, ...h }));
  stream.on("error", () => {});
  stream.resume();
  const ended = closed(stream);
  for (let sent = 0; sent < uploadBytes && !stream.closed; sent += chunk.length) {
    if (!stream.write(chunk)) await Promise.race([once(stream, "drain").catch(() => {}), ended]);
  }
  if (!stream.closed) stream.end();
  await ended;
  return { status: headers["grpc-status"], message: headers["grpc-message"], rstCode: stream.rstCode };
}

/** A keyless Connect upload over HTTP/1.1: the status, and whether the connection was closed. */
async function connectUpload() {
  const req = http.request(`${gateway.baseUrl}/geminiconnect.v1.GenerativeService/GenerateContent`, {
    method: "POST",
    headers: { "content-type": "application/proto", "content-length": uploadBytes },
    agent: false,
  });
  req.on("error", () => {});
  const response = once(req, "response") as Promise<[http.IncomingMessage]>;
  let answered = false;
  void response.then(() => (answered = true));
  const gone = closed(req);
  for (let sent = 0; sent < uploadBytes && !answered && !req.destroyed; sent += chunk.length) {
    if (!req.write(chunk)) await Promise.race([once(req, "drain").catch(() => {}), response, gone]);
  }
  const [res] = await response;
  const answeredAt = performance.now();
  let body = "";
  res.on("data", (data: Buffer) => (body += data.toString()));
  await closed(req.socket ?? req);
  return { status: res.statusCode, body, closedAfterMs: performance.now() - answeredAt };
}

describe("a call without a key", () => {
  it("20 uploads of 20 MiB are refused on their headers; the gateway's memory stays where it was", async () => {
    const before = gateway.rssBytes();
    const session = http2.connect(gateway.baseUrl, { maxSessionMemory: 256 });
    const [grpc, connect] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, () => grpcUpload(session))),
      Promise.all(Array.from({ length: 10 }, () => connectUpload())),
    ]);
    // Refused on their headers: the gateway never asked for the bodies (no HTTP/2 window given).
    const uploaded = session.socket.bytesWritten;
    session.close();
    const after = gateway.rssBytes();
    expect(uploaded).toBeLessThan(uploadBytes);

    for (const answer of grpc) {
      expect(answer).toMatchObject({ status: "16", rstCode: http2.constants.NGHTTP2_NO_ERROR });
      expect(decodeURIComponent(String(answer.message))).toMatch(/^no caller key/);
    }
    for (const answer of connect) {
      expect(answer.status).toBe(401);
      // The rest of the body is dropped for a second at most, then the connection is closed.
      expect(answer.closedAfterMs).toBeLessThan(5_000);
      expect(JSON.parse(answer.body)).toMatchObject({ code: "unauthenticated" });
    }
    expect(after - before).toBeLessThan(100 * 1024 * 1024);
    // One log line each, counted as Unauthenticated.
    expect(gateway.logs().filter((line) => line["code"] === "Unauthenticated")).toHaveLength(20);
    const metrics = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    const handled = [...metrics.matchAll(/^grpc_server_handled_total\{.*grpc_code="Unauthenticated"\} (\d+)$/gm)];
    expect(handled.reduce((sum, match) => sum + Number(match[1]), 0)).toBe(20);
  });
});

describe("request bytes in flight", () => {
  const request = (bytes: number) =>
    create(GenerateContentRequestSchema, {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ data: { case: "text", value: "x".repeat(bytes) } }] }],
    });

  it("a call that would take the gateway past REQUEST_BYTES_IN_FLIGHT_MAX is ResourceExhausted; the bytes come back after", async () => {
    const client = createClient(GenerativeService, createGrpcTransport({ baseUrl: gateway.baseUrl }));
    const refused = await client.generateContent(request(4 * 1024 * 1024), alice.options()).catch((error: unknown) => ConnectError.from(error));
    expect(refused).toBeInstanceOf(ConnectError);
    expect(refused).toMatchObject({ code: Code.ResourceExhausted });
    expect((refused as ConnectError).rawMessage).toMatch(/REQUEST_BYTES_IN_FLIGHT_MAX/);
    // Within the budget, one after another: each gives its bytes back when it is done.
    for (let i = 0; i < 5; i++) {
      const answer = await client.generateContent(request(2 * 1024 * 1024), alice.options());
      expect(answer.candidates).toHaveLength(1);
    }
  });
});
