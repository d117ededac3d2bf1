// A Go grpc-go client on the generated code in gen/go, against a running gateway: stream, unary,
// a deadline that expires, an error with its typed details. It is built once, up front (the Go build
// cache, warmed by scripts/install-tools.sh, makes it quick). The examples run in test/examples.test.ts.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startHarness } from "../support/harness.ts";
import type { Harness } from "../support/harness.ts";
import { goTool, invalidKeyError, repoRoot, run } from "./support.ts";

interface Report {
  texts: string[];
  finishReason?: string;
  totalTokens?: number;
  error?: { code: string; message: string; details: Record<string, unknown>[] };
}

let harness: Harness;
let binaries: string;
let address: string;

async function build(go: string, module: string, output: string): Promise<void> {
  // -mod=readonly: a go.mod or go.sum that needs changing fails here instead of being rewritten.
  const { code, stderr } = await run(go, ["build", "-mod=readonly", "-o", output, "."], {
    cwd: join(repoRoot, module),
    killAfterMs: 170_000,
  });
  if (code !== 0) throw new Error(`go build in ${module} failed (${code}): ${stderr}`);
}

beforeAll(async () => {
  const go = goTool();
  binaries = await mkdtemp(join(tmpdir(), "gemini-connect-go-"));
  await build(go, "test/interop/go", join(binaries, "interop-client"));
  harness = await startHarness();
  address = new URL(harness.baseUrl).host;
}, 180_000);
afterAll(async () => {
  await harness?.close();
  if (binaries !== undefined) await rm(binaries, { recursive: true, force: true });
});

async function call(...args: string[]): Promise<Report> {
  const { code, stdout, stderr } = await run(join(binaries, "interop-client"), ["-addr", address, ...args]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  return JSON.parse(stdout) as Report;
}

describe("a Go grpc-go client", () => {
  it("streams a Gemini answer chunk by chunk, the last one finished with its usage", async () => {
    const report = await call("-call", "stream", "-prompt", "go streams four words");
    expect(report).toEqual({ texts: ["go ", "streams ", "four ", "words"], finishReason: "STOP", totalTokens: 8 });
  });

  it("makes a unary call", async () => {
    const report = await call("-call", "unary", "-prompt", "go asks once");
    expect(report).toEqual({ texts: ["go asks once"], finishReason: "STOP", totalTokens: 6 });
  });

  it("a deadline that expires ends the call with DeadlineExceeded, and the upstream call with it", async () => {
    harness.emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const asked = harness.emulator.requests.length;
    const report = await call("-call", "stream", "-timeout", "1s", "-prompt", "one then nothing");
    expect(report.texts).toEqual(["one "]);
    expect(report.error?.code).toBe("DeadlineExceeded");
    expect(harness.emulator.requests.length).toBe(asked + 1);
    await eventually(() => harness.emulator.openRequests === 0);
  });

  it("decodes an error's code, message and typed details (google.rpc.ErrorInfo, BadRequest)", async () => {
    harness.emulator.enqueue({ kind: "httpError", status: 400, error: invalidKeyError });
    const report = await call("-call", "unary", "-prompt", "this key is bad");
    expect(report.error).toEqual({
      code: "InvalidArgument",
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
