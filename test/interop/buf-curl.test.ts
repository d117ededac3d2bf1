// buf curl against a running gateway over each protocol, with no --schema: the schema comes from
// server reflection. The commands are the ones docs/debugging.md gives, with the test server's port.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness } from "../support/harness.ts";
import type { Harness } from "../support/harness.ts";
import { jsonDocuments, requestJson, run, textOf, tool } from "./support.ts";
import type { ChunkJson } from "./support.ts";

let harness: Harness;
let buf: string;
beforeAll(async () => {
  buf = tool("buf");
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const method = (name: string) => `${harness.baseUrl}/geminiconnect.v1.GenerativeService/${name}`;

describe.each(["connect", "grpc", "grpcweb"])("buf curl --protocol %s", (protocol) => {
  it("streams a Gemini answer chunk by chunk, the last one finished with its usage", async () => {
    const prompt = `buf curl speaks ${protocol}`;
    const { code, stdout, stderr } = await run(buf, [
      "curl",
      "--protocol",
      protocol,
      "--http2-prior-knowledge",
      "-d",
      requestJson(prompt),
      method("StreamGenerateContent"),
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const chunks = jsonDocuments(stdout) as ChunkJson[];
    expect(chunks).toHaveLength(4);
    expect(chunks.map(textOf).join("")).toBe(prompt);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe("STOP");
    expect(chunks.at(-1)?.usageMetadata?.totalTokenCount).toBe(8);
  });

  it("answers a unary call", async () => {
    const { code, stdout } = await run(buf, ["curl", "--protocol", protocol, "--http2-prior-knowledge", "-d", requestJson("one answer"), method("GenerateContent")]);
    expect(code).toBe(0);
    expect(textOf(JSON.parse(stdout) as ChunkJson)).toBe("one answer");
  });
});

describe("buf curl, other paths", () => {
  it("a Connect call over HTTP/1.1 (no --http2-prior-knowledge) still finds the schema", async () => {
    const { code, stdout } = await run(buf, ["curl", "-d", requestJson("plain http one one"), method("GenerateContent")]);
    expect(code).toBe(0);
    expect(textOf(JSON.parse(stdout) as ChunkJson)).toBe("plain http one one");
  });

  it("lists every method through the v1alpha reflection service too", async () => {
    const { code, stdout } = await run(buf, ["curl", "--reflect-protocol", "grpc-v1alpha", "--list-methods", harness.baseUrl]);
    expect(code).toBe(0);
    expect(stdout.trim().split("\n")).toEqual([
      "geminiconnect.v1.FileService/DeleteFile",
      "geminiconnect.v1.FileService/GetFile",
      "geminiconnect.v1.FileService/ListFiles",
      "geminiconnect.v1.FileService/UploadFile",
      "geminiconnect.v1.FileService/WatchFile",
      "geminiconnect.v1.GenerativeService/CountTokens",
      "geminiconnect.v1.GenerativeService/GenerateContent",
      "geminiconnect.v1.GenerativeService/StreamGenerateContent",
      "google.ai.generativelanguage.v1beta.GenerativeService/CountTokens",
      "google.ai.generativelanguage.v1beta.GenerativeService/GenerateContent",
      "google.ai.generativelanguage.v1beta.GenerativeService/StreamGenerateContent",
      "grpc.health.v1.Health/Check",
      "grpc.health.v1.Health/List",
      "grpc.health.v1.Health/Watch",
      "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ]);
  });

  it("an error's gRPC code becomes the exit code (code << 3)", async () => {
    const { code, stderr } = await run(buf, ["curl", "--protocol", "grpc", "-d", '{"model": "models/gemini-2.5-flash"}', method("GenerateContent")]);
    expect(code).toBe(3 << 3); // InvalidArgument: no contents, caught before any upstream call
    expect(JSON.parse(stderr)).toMatchObject({ code: "invalid_argument" });
  });
});
