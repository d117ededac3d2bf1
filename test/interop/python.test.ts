// A Python grpcio client on the stubs in gen/python, against a running gateway: stream, unary,
// cancel mid-stream, an error with its typed details. The examples run in test/examples.test.ts.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startHarness } from "../support/harness.ts";
import type { Harness } from "../support/harness.ts";
import { collect, invalidKeyError, nextLine, python, repoRoot, run } from "./support.ts";

interface Report {
  texts: string[];
  finishReason?: string;
  totalTokens?: number;
  error?: { code: string; message: string; details: Record<string, unknown>[] };
}

let harness: Harness;
let py: ReturnType<typeof python>;
let address: string;
beforeAll(async () => {
  py = python();
  harness = await startHarness();
  address = new URL(harness.baseUrl).host;
});
afterAll(async () => {
  await harness?.close();
});

const client = join(repoRoot, "test/interop/python/client.py");

async function call(...args: string[]): Promise<Report> {
  const { code, stdout, stderr } = await run(py.command, [client, "--addr", address, ...args], { env: py.env });
  expect(stderr).toBe("");
  expect(code).toBe(0);
  return JSON.parse(stdout) as Report;
}

describe("a Python grpcio client", () => {
  it("streams a Gemini answer chunk by chunk, the last one finished with its usage", async () => {
    const report = await call("--call", "stream", "--prompt", "python streams five words");
    expect(report).toEqual({ texts: ["python ", "streams ", "five ", "words"], finishReason: "STOP", totalTokens: 8 });
  });

  it("makes a unary call", async () => {
    const report = await call("--call", "unary", "--prompt", "python asks once");
    expect(report).toEqual({ texts: ["python asks once"], finishReason: "STOP", totalTokens: 6 });
  });

  it("cancels mid-stream, and the gateway stops the upstream call at once", async () => {
    harness.emulator.enqueue({ kind: "paced", delayMs: 60_000 });
    const child = spawn(py.command, [client, "--addr", address, "--call", "cancel", "--prompt", "one two three"], { env: py.env });
    const ended = collect(child);
    expect(JSON.parse(await nextLine(child))).toEqual({ ready: true });
    // The first chunk is out and the next one a minute away: the upstream call is still open.
    expect(harness.emulator.openRequests).toBe(1);
    child.stdin.end("cancel\n");
    const { code, stdout } = await ended;
    expect(code).toBe(0);
    const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Report;
    expect(report.texts).toEqual(["one "]);
    expect(report.error?.code).toBe("CANCELLED");
    await eventually(() => harness.emulator.openRequests === 0);
  });

  it("decodes an error's code, message and typed details (google.rpc.ErrorInfo, BadRequest)", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 400, error: invalidKeyError });
    const report = await call("--call", "stream", "--prompt", "this key is bad");
    expect(report.texts).toEqual([]);
    expect(report.error).toEqual({
      code: "INVALID_ARGUMENT",
      message: invalidKeyError.message,
      details: [
        {
          "@type": "google.rpc.ErrorInfo",
          reason: "API_KEY_INVALID",
          domain: "googleapis.com",
          metadata: { service: "generativelanguage.googleapis.com" },
        },
        { "@type": "google.rpc.BadRequest", fieldViolations: [{ field: "key", description: "API key not valid" }] },
      ],
    });
  });
});
