// grpcurl against a running gateway, with no proto files: everything it knows comes from server
// reflection. The commands are the ones docs/debugging.md gives, with the test server's port.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startHarness } from "../support/harness.ts";
import type { Harness } from "../support/harness.ts";
import { jsonDocuments, requestJson, run, textOf, tool } from "./support.ts";
import type { ChunkJson } from "./support.ts";

let harness: Harness;
let grpcurl: string;
let address: string;
beforeAll(async () => {
  grpcurl = tool("grpcurl");
  harness = await startHarness();
  address = new URL(harness.baseUrl).host;
});
afterAll(async () => {
  await harness?.close();
});

const grpcurlRun = (...args: string[]) => run(grpcurl, ["-plaintext", ...args]);

describe("grpcurl, by reflection", () => {
  it("lists every service the server exposes", async () => {
    const { code, stdout, stderr } = await grpcurlRun(address, "list");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim().split("\n")).toEqual([
      "geminiconnect.v1.FileService",
      "geminiconnect.v1.GenerativeService",
      "google.ai.generativelanguage.v1beta.GenerativeService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
  });

  it("describes the request message, fields from other files and json-named ones included", async () => {
    const { code, stdout } = await grpcurlRun(address, "describe", "geminiconnect.v1.GenerateContentRequest");
    expect(code).toBe(0);
    expect(stdout).toContain("geminiconnect.v1.GenerateContentRequest is a message:");
    expect(stdout).toContain("repeated .geminiconnect.v1.Content contents = 2;");
    expect(stdout).toContain("optional .geminiconnect.v1.GenerationConfig generation_config = 4;");
    expect(stdout).toContain("map<string, string> labels = 1002;");
  });

  it("describes a method by its symbol", async () => {
    const { code, stdout } = await grpcurlRun(address, "describe", "geminiconnect.v1.GenerativeService.StreamGenerateContent");
    expect(code).toBe(0);
    expect(stdout).toContain(
      "rpc StreamGenerateContent ( .geminiconnect.v1.GenerateContentRequest ) returns ( stream .geminiconnect.v1.GenerateContentResponse );",
    );
  });

  it("streams a Gemini answer chunk by chunk, the last one finished with its usage", async () => {
    const prompt = "grpcurl streams these six words";
    const { code, stdout, stderr } = await grpcurlRun(
      "-d",
      requestJson(prompt),
      address,
      "geminiconnect.v1.GenerativeService/StreamGenerateContent",
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const chunks = jsonDocuments(stdout) as ChunkJson[];
    expect(chunks).toHaveLength(5);
    expect(chunks.map(textOf).join("")).toBe(prompt);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe("STOP");
    expect(chunks.at(-1)?.usageMetadata?.totalTokenCount).toBe(10);
  });

  it("a deadline that expires ends the call with DeadlineExceeded, and the upstream call with it", async () => {
    harness.emulator.enqueue({ kind: "stall", afterChunks: 0 });
    const asked = harness.emulator.requests.length;
    const { code, stderr } = await grpcurlRun(
      "-max-time",
      "2",
      "-d",
      requestJson("nothing will come of this"),
      address,
      "geminiconnect.v1.GenerativeService/StreamGenerateContent",
    );
    expect(stderr).toContain("Code: DeadlineExceeded");
    expect(code).not.toBe(0);
    // The call reached Gemini (the emulator) and was left hanging there, until the deadline cut it.
    expect(harness.emulator.requests.length).toBe(asked + 1);
    await eventually(() => harness.emulator.openRequests === 0);
  });

  it("checks health", async () => {
    const { code, stdout } = await grpcurlRun("-d", '{"service": "geminiconnect.v1.GenerativeService"}', address, "grpc.health.v1.Health/Check");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
  });
});
