// Secret hygiene with the gateway in this process (test/secrets.test.ts runs the real process):
// Gemini's errors quoting an API key, through each path that builds an error, and refused callers'
// keys leave no 8 characters of either in a log line or in what a caller gets back.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallOptions } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { RpcError } from "../../src/emulator/server.ts";
import { testCaller } from "../support/callers.ts";
import { readStream, startHarness, testCallPolicy } from "../support/harness.ts";
import type { Harness } from "../support/harness.ts";
import { leakedSecretPieces } from "../support/secrets.ts";

const quotedKey = "AIzaSyB-Qx7Lm2Vn9Rt4Wc8Ye1Uo6Pa3Sd5Fg0H";
const leakyUrl = `https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=${quotedKey}`;
const alice = testCaller("alice");
const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: "tell me a secret" } }] }],
});
const withKey = (code: number, status: string, message: string): RpcError => ({
  code,
  status,
  message,
  details: [
    { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com", metadata: { url: leakyUrl } },
    { "@type": "type.googleapis.com/google.rpc.Help", links: [{ description: "the request", url: leakyUrl }] },
  ],
});

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ callers: [alice.caller], callPolicy: { retry: { ...testCallPolicy.retry, maxAttempts: 1 } } });
});
afterAll(async () => {
  await harness.close();
});

/** An error as a caller sees all of it: code, message, details and metadata. */
function shown(error: ConnectError | undefined): string {
  if (error === undefined) return "";
  return JSON.stringify({ message: error.message, details: error.details, metadata: [...error.metadata.entries()] });
}

describe("secret hygiene in process", () => {
  it("no 8 characters of a quoted API key or of a caller's key reach the logs or the caller", async () => {
    const client = harness.client("grpc");
    const seen: string[] = [];
    const call = async (options: CallOptions) => {
      const { error } = await readStream(client, request, options);
      seen.push(shown(error));
      return error;
    };

    harness.emulator.enqueue({ kind: "httpError", status: 400, error: withKey(400, "INVALID_ARGUMENT", `Bad request to ${leakyUrl}`) });
    expect((await call(alice.options()))?.code).toBe(Code.InvalidArgument);
    harness.emulator.enqueue({ kind: "httpError", status: 500, error: withKey(500, "INTERNAL", `Internal error while serving ${leakyUrl}`) });
    expect((await call(alice.options()))?.code).toBe(Code.Internal);
    harness.emulator.enqueue({ kind: "errorMidStream", afterChunks: 1, error: withKey(500, "INTERNAL", `stream broke: ${leakyUrl}`) });
    expect((await call(alice.options()))?.code).toBe(Code.Internal);
    harness.emulator.enqueue({ kind: "httpError", status: 503, error: withKey(503, "UNAVAILABLE", `connect error for ${leakyUrl}`), contentType: "text/plain" });
    expect((await call(alice.options()))?.code).toBe(Code.Unavailable);
    expect((await call({ headers: { "x-api-key": `${alice.key}0` } }))?.code).toBe(Code.Unauthenticated);
    expect((await call({ headers: { authorization: `Bearer ${alice.key.slice(1)}` } }))?.code).toBe(Code.Unauthenticated);

    const logs = JSON.stringify(harness.logs);
    // The run went through the paths that could leak: every failure logged, with the caller's name.
    const rpcLines = harness.logs.filter((line) => line["msg"] === "rpc" || line["msg"] === "rpc failed");
    expect(rpcLines.map((line) => line["code"])).toEqual(["InvalidArgument", "Internal", "Internal", "Unavailable", "Unauthenticated", "Unauthenticated"]);
    // Server faults are logged with their (redacted) cause.
    expect(rpcLines.filter((line) => line["msg"] === "rpc failed")).toHaveLength(2);
    expect(logs).toContain('"caller":"alice"');
    expect(leakedSecretPieces(logs, [quotedKey, alice.key])).toEqual([]);
    expect(leakedSecretPieces(seen.join("\n"), [quotedKey, alice.key])).toEqual([]);
  });
});
