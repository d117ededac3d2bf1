// The handlers and interceptors in memory: connect's router transport, a fake upstream, generated
// clients. Fast checks of what the socket suites check end to end: each method answers, usage
// reaches the trailers, mistakes and Gemini's failures get their codes, and the per-RPC record
// reaches the observers (and the trace headers the upstream request).

import { createSingleRouter } from "../src/routing/router.ts";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { RetryInfoSchema } from "../gen/ts/google/rpc/error_details_pb.ts";
import { createAuthGate } from "../src/access/auth.ts";
import { createGenerativeCore } from "../src/generative/core.ts";
import { createObserveInterceptor, createObservedGate } from "../src/observe/observe.ts";
import type { RequestGate, RpcEnd, RpcObserver, RpcStart } from "../src/observe/observe.ts";
import { createGenerativeService } from "../src/surfaces/generative-service.ts";
import { UpstreamError } from "../src/upstream/upstream.ts";
import { testCaller } from "./support/callers.ts";
import { fakeUpstream, textChunk } from "./support/fake-upstream.ts";
import type { Answer } from "./support/fake-upstream.ts";
import { testCallPolicy } from "./support/harness.ts";

const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: "hi" } }] }],
});

/** The error a call ended with; undefined when it succeeded. */
async function failure(call: Promise<unknown>): Promise<ConnectError | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

/** A client of the service over the router transport; `ended` collects what the observers saw. */
function setUp(answers: Answer[], interceptors: Interceptor[] = [], gate?: RequestGate) {
  const upstream = fakeUpstream(...answers);
  const ended: { rpc: RpcStart; end: RpcEnd }[] = [];
  const observer: RpcObserver = {
    started: () => ({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
    ended: (rpc, end) => ended.push({ rpc, end }),
  };
  const core = createGenerativeCore({ router: createSingleRouter(upstream), upstreamKeys: [], policy: { ...testCallPolicy, retry: { ...testCallPolicy.retry, maxAttempts: 1 } } });
  const transport = createRouterTransport((router) => router.service(GenerativeService, createGenerativeService({ core })), {
    router: {
      interceptors: [createObserveInterceptor({ observers: [observer] }), ...interceptors],
      ...(gate === undefined ? {} : { requestGate: createObservedGate({ gate, observers: [observer] }) }),
    },
  });
  return { client: createClient(GenerativeService, transport), upstream, ended };
}

describe("GenerativeService in memory", () => {
  it("streams every chunk, the final usage in the trailers, and reports the call to the observers", async () => {
    const { client, upstream, ended } = setUp([{ chunks: [textChunk("a"), textChunk("b", { prompt: 3, candidates: 4 })] }]);
    let trailer: Headers | undefined;
    const texts: unknown[] = [];
    for await (const chunk of client.streamGenerateContent(request, { onTrailer: (t) => (trailer = t) })) {
      texts.push(chunk.candidates[0]?.content?.parts[0]?.data.value);
    }
    expect(texts).toEqual(["a", "b"]);
    expect(trailer?.get("x-gemini-usage-prompt-tokens")).toBe("3");
    expect(trailer?.get("x-gemini-usage-total-tokens")).toBe("7");
    expect(upstream.calls[0]?.headers).toEqual({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    expect(upstream.calls[0]?.body["contents"]).toEqual([{ role: "user", parts: [{ text: "hi" }] }]);
    expect(ended).toHaveLength(1);
    expect(ended[0]?.rpc.method).toBe("StreamGenerateContent");
    expect(ended[0]?.end).toMatchObject({ error: undefined, messages: 2, call: { model: "models/gemini-2.5-flash", attempts: 1 } });
    expect(ended[0]?.end.call.usage?.totalTokenCount).toBe(7);
  });

  it("answers GenerateContent and CountTokens from the upstream's JSON", async () => {
    const { client } = setUp([{ chunks: [textChunk("whole", { prompt: 1, candidates: 1 })] }, { chunks: [{ totalTokens: 12 }] }]);
    let trailer: Headers | undefined;
    const response = await client.generateContent(request, { onTrailer: (t) => (trailer = t) });
    expect(response.candidates[0]?.content?.parts[0]?.data.value).toBe("whole");
    expect(trailer?.get("x-gemini-usage-total-tokens")).toBe("2");
    expect((await client.countTokens({ model: request.model, contents: request.contents })).totalTokens).toBe(12);
  });

  it("refuses a bad request with InvalidArgument naming the field, before any upstream call", async () => {
    const { client, upstream, ended } = setUp([{ chunks: [textChunk("never")] }]);
    const error = await failure(client.generateContent({ ...request, model: "" }));
    expect(error).toMatchObject({ code: Code.InvalidArgument, rawMessage: 'model: required, e.g. "models/gemini-2.5-flash"' });
    expect(upstream.calls).toHaveLength(0);
    expect(ended[0]?.end.call.attempts).toBe(0);
  });

  it("passes Gemini's failure on with its code and typed details", async () => {
    const retryInfo = { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "7s" };
    const quota = new UpstreamError("status", "quota", { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED", details: [retryInfo] });
    const { client } = setUp([{ reject: quota }]);
    const error = await failure(client.generateContent(request));
    expect(error).toMatchObject({ code: Code.ResourceExhausted, rawMessage: "quota" });
    expect(error?.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds).toBe(7n);
  });

  it("with callers: refuses a missing key, and the observers learn who called", async () => {
    const alice = testCaller("alice");
    const { client, ended } = setUp([{ chunks: [textChunk("hi")] }], [], createAuthGate({ callers: [alice.caller], services: [GenerativeService] }));
    const refused = await failure(client.generateContent(request));
    expect(refused?.code).toBe(Code.Unauthenticated);
    await client.generateContent(request, alice.options());
    expect(ended.map(({ end }) => end.caller)).toEqual([undefined, "alice"]);
  });
});
