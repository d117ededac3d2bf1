// Every request rejected while it is read (before any interceptor sees it) gets one log line and
// one count in grpc_server_handled_total with the code it was answered, over each protocol; a
// protobuf message the gateway cannot parse is the caller's mistake, InvalidArgument, not Internal.

import { toBinary } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { concat, envelope, utf8 } from "./support/fuzz-inputs.ts";
import type { FuzzCase } from "./support/fuzz-inputs.ts";
import { h1Transport, h2Transport } from "./support/fuzz-wire.ts";
import type { RawResponse, RawTransport } from "./support/fuzz-wire.ts";
import { eventually, startHarness } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

const maxRequestBytes = 64 * 1024;
const service = "geminiconnect.v1.GenerativeService";
const valid = toBinary(
  GenerateContentRequestSchema,
  create(GenerateContentRequestSchema, { model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ data: { case: "text", value: "hi" } }] }] }),
);

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  for (; v >= 0x80; v >>>= 7) out.push((v & 0x7f) | 0x80);
  out.push(v);
  return out;
}
const lenField = (field: number, bytes: Uint8Array) => concat(Uint8Array.from([...varint(field * 8 + 2), ...varint(bytes.length)]), bytes);

/** tools[0].function_declarations[0].parameters with Schema.items nested `depth` deep: past protobuf's recursion limit of 100. */
function nested(depth: number): Uint8Array {
  let schema: Uint8Array = Uint8Array.from([0x08, 1]);
  for (let i = 0; i < depth; i++) schema = lenField(6, schema);
  return concat(valid, lenField(5, lenField(1, concat(lenField(1, utf8("f")), lenField(3, schema)))));
}

/** Messages the gateway cannot take, with the code each is answered. */
const bad: Record<string, { body: Uint8Array; code: string }> = {
  "malformed protobuf": { body: Uint8Array.from([0x0a, 0x10, 0x61]), code: "InvalidArgument" },
  "invalid UTF-8 in a string": { body: Uint8Array.from([0x0a, 0x02, 0xff, 0xfe]), code: "InvalidArgument" },
  "a wrong wire type": { body: Uint8Array.from([0x0f, 0x00]), code: "InvalidArgument" },
  "nesting too deep": { body: nested(150), code: "InvalidArgument" },
  "a message over MAX_REQUEST_BYTES": { body: concat(valid, lenField(15, new Uint8Array(maxRequestBytes))), code: "ResourceExhausted" },
};

const grpcStatus: Record<string, string> = { InvalidArgument: "3", ResourceExhausted: "8" };
const httpStatus: Record<string, number> = { InvalidArgument: 400, ResourceExhausted: 429 };
const connectCode: Record<string, string> = { InvalidArgument: "invalid_argument", ResourceExhausted: "resource_exhausted" };

let harness: Harness;
let h2: RawTransport;
let h1: RawTransport;

beforeAll(async () => {
  harness = await startHarness({ maxRequestBytes });
  h2 = h2Transport(harness.baseUrl, 1);
  h1 = h1Transport(harness.baseUrl, 1);
});

afterAll(async () => {
  await h2?.close();
  await h1?.close();
  await harness?.close();
});

function request(method: string, contentType: string, body: Uint8Array): FuzzCase {
  return {
    family: "grpc",
    index: 0,
    seed: 0,
    inputClass: "bytes",
    rpc: method as FuzzCase["rpc"],
    method: "POST",
    path: `/${service}/${method}`,
    headers: { "content-type": contentType, ...(contentType.startsWith("application/grpc") ? { te: "trailers" } : {}) },
    body,
    notes: [],
  };
}

/** grpc_server_handled_total for `method` and `code`, read from the gateway's /metrics. */
async function handled(method: string, code: string): Promise<number> {
  const text = await (await fetch(`${harness.baseUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("grpc_server_handled_total{") && l.includes(`grpc_method="${method}"`) && l.includes(`grpc_code="${code}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Sends one rejected request; expects exactly one new log line and one new count, with `code`. */
async function rejected(transport: RawTransport, c: FuzzCase, code: string): Promise<RawResponse> {
  const method = c.path.slice(c.path.lastIndexOf("/") + 1);
  const countBefore = await handled(method, code);
  const logsBefore = harness.logs.length;
  const response = await transport.send(c, 5000);
  const lines = () => harness.logs.slice(logsBefore).filter((line) => line.msg === "rpc");
  await eventually(() => lines().length > 0);
  // Anything else about this RPC would have been logged by now: its response is out.
  expect(await handled(method, code)).toBe(countBefore + 1);
  expect(lines()).toHaveLength(1);
  expect(lines()[0]).toMatchObject({ method: `${service}/${method}`, code });
  return response;
}

/** The code a gRPC-Web response carries in its trailer frame. */
function grpcWebStatus(body: Uint8Array): string | undefined {
  return /grpc-status:\s*(\d+)/.exec(Buffer.from(body).toString("latin1"))?.[1];
}

describe.each(Object.entries(bad))("%s", (_kind, { body, code }) => {
  it("over gRPC: the status, one log line, one count", async () => {
    const response = await rejected(h2, request("StreamGenerateContent", "application/grpc", envelope(0, body)), code);
    expect(response.trailers["grpc-status"] ?? response.headers["grpc-status"]).toBe(grpcStatus[code]);
  });

  it("over gRPC-Web (HTTP/1.1): the status, one log line, one count", async () => {
    const response = await rejected(h1, request("GenerateContent", "application/grpc-web+proto", envelope(0, body)), code);
    expect(response.headers["grpc-status"] ?? grpcWebStatus(response.body)).toBe(grpcStatus[code]);
  });

  it("over Connect unary: the HTTP status, one log line, one count", async () => {
    const response = await rejected(h1, request("GenerateContent", "application/proto", body), code);
    expect(response.status).toBe(httpStatus[code]);
    expect(JSON.parse(Buffer.from(response.body).toString())).toMatchObject({ code: connectCode[code] });
  });

  it("over Connect streaming (HTTP/2): the end-stream error, one log line, one count", async () => {
    const response = await rejected(h2, request("StreamGenerateContent", "application/connect+proto", envelope(0, body)), code);
    expect(Buffer.from(response.body).toString()).toContain(`"code":"${connectCode[code]}"`);
  });
});

describe("invalid JSON", () => {
  it("over Connect unary is InvalidArgument (HTTP 400), with one log line and one count", async () => {
    const response = await rejected(h1, request("GenerateContent", "application/json", utf8('{"model": ')), "InvalidArgument");
    expect(response.status).toBe(400);
  });

  it("over Connect streaming is InvalidArgument, with one log line and one count", async () => {
    const response = await rejected(h2, request("StreamGenerateContent", "application/connect+json", envelope(0, utf8("{]"))), "InvalidArgument");
    expect(Buffer.from(response.body).toString()).toContain('"code":"invalid_argument"');
  });
});

describe("a request that reached the handler", () => {
  it("is still logged and counted once", async () => {
    const response = await rejected(h2, request("GenerateContent", "application/grpc", envelope(0, utf8(""))), "InvalidArgument");
    expect(response.trailers["grpc-status"] ?? response.headers["grpc-status"]).toBe("3");
  });
});

describe("over REQUEST_BYTES_IN_FLIGHT_MAX", () => {
  let small: Harness;
  let transport: RawTransport;
  beforeAll(async () => {
    small = await startHarness({ requestBytesInFlightMax: 16 * 1024 });
    transport = h2Transport(small.baseUrl, 1);
  });
  afterAll(async () => {
    await transport?.close();
    await small?.close();
  });

  it("is ResourceExhausted with one log line and one count", async () => {
    const logsBefore = small.logs.length;
    const c = request("StreamGenerateContent", "application/grpc", envelope(0, concat(valid, lenField(15, new Uint8Array(48 * 1024)))));
    const response = await transport.send(c, 5000);
    expect(response.trailers["grpc-status"] ?? response.headers["grpc-status"]).toBe("8");
    const lines = () => small.logs.slice(logsBefore).filter((line) => line.msg === "rpc");
    await eventually(() => lines().length > 0);
    const text = await (await fetch(`${small.baseUrl}/metrics`)).text();
    expect(text).toMatch(/^grpc_server_handled_total\{[^}]*grpc_method="StreamGenerateContent"[^}]*grpc_code="ResourceExhausted"[^}]*\} 1$/m);
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ method: `${service}/StreamGenerateContent`, code: "ResourceExhausted" });
  });
});
