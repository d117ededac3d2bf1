// Google's gRPC service name on the gateway's port, through generated Connect-ES clients of it over
// gRPC, gRPC-Web and Connect: the same handler, interceptors and log line as geminiconnect.v1;
// an RPC to a path nobody serves answers UNIMPLEMENTED as a gRPC status; CountTokens with only
// generate_content_request reaches Gemini as sent.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { GenerativeService as GoogleGenerativeService } from "../gen/ts/google/ai/generativelanguage/v1beta/gateway_pb.ts";
import { testCaller } from "./support/callers.ts";
import { chatHistory } from "./support/google.ts";
import { protocols, startHarness, transportFor } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

const caller = testCaller("gapic-user");
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ callers: [caller.caller] });
});
afterAll(async () => {
  await harness?.close();
});

const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [...chatHistory, { role: "user", parts: [{ text: "three more words" }] }].map((content) => ({
    role: content.role,
    parts: content.parts.map((part) => ({ data: { case: "text" as const, value: part.text } })),
  })),
});

const textOf = (chunk: { candidates: { content?: { parts: { data: { case: string | undefined; value?: unknown } }[] } }[] }) =>
  (chunk.candidates[0]?.content?.parts ?? []).map((part) => (part.data.case === "text" ? String(part.data.value) : "")).join("");

describe("google.ai.generativelanguage.v1beta.GenerativeService", () => {
  it.each(protocols)("streams a multi-turn request over %s, with the caller's x-goog-api-key", async (protocol) => {
    const client = createClient(GoogleGenerativeService, transportFor(protocol, harness.baseUrl));
    const chunks = [];
    for await (const chunk of client.streamGenerateContent(request, caller.options("x-goog-api-key"))) chunks.push(chunk);
    expect(chunks.map(textOf)).toEqual(["three ", "more ", "words"]);
    expect(chunks.at(-1)?.usageMetadata?.promptTokenCount).toBe(9);
    expect(harness.logs.at(-1)).toMatchObject({
      msg: "rpc",
      method: "google.ai.generativelanguage.v1beta.GenerativeService/StreamGenerateContent",
      caller: "gapic-user",
      code: "ok",
      chunks: 3,
    });
  });

  it("answers GenerateContent and CountTokens, and refuses a call without a key as geminiconnect.v1 does", async () => {
    const client = createClient(GoogleGenerativeService, transportFor("grpc", harness.baseUrl));
    expect(textOf(await client.generateContent(request, caller.options()))).toBe("three more words");
    expect((await client.countTokens({ model: request.model, contents: request.contents }, caller.options())).totalTokens).toBe(9);
    const refused = await client.generateContent(request).catch((e: unknown) => ConnectError.from(e));
    expect(refused).toMatchObject({ code: Code.Unauthenticated });
  });

  it("counts tokens for a request given only as generate_content_request, sent to Gemini as it came", async () => {
    const client = createClient(GoogleGenerativeService, transportFor("grpc", harness.baseUrl));
    const counted = await client.countTokens({ model: request.model, generateContentRequest: request }, caller.options());
    expect(counted.totalTokens).toBe(9);
    expect(harness.emulator.requests.at(-1)?.body).toEqual({
      generateContentRequest: { model: request.model, contents: [...chatHistory, { role: "user", parts: [{ text: "three more words" }] }] },
    });
  });
});

/** A gRPC call over raw HTTP/2, to see exactly what the server answers. */
async function rawGrpc(path: string, contentType: string): Promise<Record<string, unknown>> {
  const session = connect(harness.baseUrl);
  try {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": contentType, te: "trailers" });
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
    const headers = await new Promise<Record<string, unknown>>((resolve) => stream.once("response", resolve));
    for await (const _ of stream) {
      // A trailers-only response has no body; drain whatever comes.
    }
    return headers;
  } finally {
    session.close();
  }
}

describe("an RPC to a path nobody serves", () => {
  it.each([
    [
      "Google's EmbedContent",
      "/google.ai.generativelanguage.v1beta.GenerativeService/EmbedContent",
      "method \"EmbedContent\" is not served by google.ai.generativelanguage.v1beta.GenerativeService; it serves GenerateContent, StreamGenerateContent, CountTokens",
    ],
    [
      "an unknown service",
      "/acme.v1.Nothing/Call",
      "service \"acme.v1.Nothing\" is not served; this gateway serves geminiconnect.v1.FileService, geminiconnect.v1.GenerativeService, google.ai.generativelanguage.v1beta.GenerativeService, grpc.health.v1.Health, grpc.reflection.v1.ServerReflection, grpc.reflection.v1alpha.ServerReflection",
    ],
  ])("answers %s with grpc-status 12 in a trailers-only gRPC response", async (_name, path, message) => {
    const headers = await rawGrpc(path, "application/grpc");
    expect(headers[":status"]).toBe(200);
    expect(headers["content-type"]).toBe("application/grpc+proto");
    expect(headers["grpc-status"]).toBe("12");
    expect(decodeURIComponent(String(headers["grpc-message"]))).toBe(message);
  });

  it("answers gRPC-Web over HTTP/1.1 the same way", async () => {
    const response = await fetch(`${harness.baseUrl}/google.ai.generativelanguage.v1beta.GenerativeService/BatchEmbedContents`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body: new Uint8Array(5),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("grpc-status")).toBe("12");
    expect(decodeURIComponent(response.headers.get("grpc-message") ?? "")).toMatch(/^method "BatchEmbedContents" is not served by /);
  });

  it("is UNIMPLEMENTED for a generated gRPC client", async () => {
    // Our own service's client, pointed at a method path that does not exist.
    const transport = transportFor("grpc", harness.baseUrl);
    const unknown = { ...GoogleGenerativeService.method.generateContent, name: "GenerateAnswer" };
    const error = await transport
      .unary(unknown, undefined, undefined, undefined, request)
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.Unimplemented });
  });
});
