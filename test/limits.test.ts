// Per-caller and global limits in one process (no Redis), through real sockets: requests and
// tokens per window, RPCs open at once, refusals with RetryInfo, and slots given back however an
// RPC ends. Windows are long (60 s) except where a test waits for one to pass, and then 1 s.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallOptions } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { QuotaFailureSchema, RetryInfoSchema } from "../gen/ts/google/rpc/error_details_pb.ts";
import { noLimits } from "../src/config/callers-file.ts";
import type { Limits } from "../src/config/callers-file.ts";
import { testCaller } from "./support/callers.ts";
import { startHarness } from "./support/harness.ts";
import type { GenerativeClient, Harness } from "./support/harness.ts";

// Six words: the emulator charges 6 prompt + 6 answer = 12 tokens for it.
const prompt = "one two three four five six";
const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: prompt } }] }],
});

interface Outcome {
  text: string;
  error: ConnectError | undefined;
}

async function stream(client: GenerativeClient, options: CallOptions): Promise<Outcome> {
  let text = "";
  try {
    for await (const chunk of client.streamGenerateContent(request, options)) {
      for (const part of chunk.candidates[0]?.content?.parts ?? []) if (part.data.case === "text") text += part.data.value;
    }
  } catch (error) {
    return { text, error: ConnectError.from(error) };
  }
  return { text, error: undefined };
}

async function unary(client: GenerativeClient, options: CallOptions, message = request): Promise<ConnectError | undefined> {
  try {
    await client.generateContent(message, options);
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

function retryDelayMs(error: ConnectError | undefined): number {
  const delay = error?.findDetails(RetryInfoSchema)[0]?.retryDelay;
  if (delay === undefined) throw new Error(`no RetryInfo on ${String(error)}`);
  return Number(delay.seconds) * 1000 + delay.nanos / 1e6;
}

const limits = (global: Partial<Limits> = {}, windowSeconds = 60) => ({
  global: { ...noLimits, ...global },
  windowSeconds,
  redis: undefined,
});

const rpcLogs = (harness: Harness) => harness.logs.filter((line) => line["msg"] === "rpc" || line["msg"] === "rpc failed");

describe("per-caller limits", () => {
  const twoPerMinute = testCaller("two-per-minute", { requestsPerMinute: 2 });
  const neighbour = testCaller("neighbour");
  const tokens = testCaller("tokens", { tokensPerMinute: 10 });
  const unaryTokens = testCaller("unary-tokens", { tokensPerMinute: 20 });
  const oneStream = testCaller("one-stream", { concurrentStreams: 1 });
  const twoStarts = testCaller("two-starts", { startsPerSecond: 2 });
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      callers: [twoPerMinute, neighbour, tokens, unaryTokens, oneStream, twoStarts].map((c) => c.caller),
      limits: limits(),
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  it("refuses a caller over its requests per minute with ResourceExhausted, RetryInfo and QuotaFailure, before Gemini", async () => {
    const client = harness.client("grpc");
    expect((await stream(client, twoPerMinute.options())).error).toBeUndefined();
    expect((await stream(client, twoPerMinute.options("x-api-key"))).error).toBeUndefined();
    const before = harness.emulator.requests.length;
    const { error } = await stream(client, twoPerMinute.options());
    expect(harness.emulator.requests.length).toBe(before);

    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toMatch(/^caller two-per-minute is over its limit of 2 requests per 60 s; retry in \d+\.\d s$/);
    const delay = retryDelayMs(error);
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(60_050);
    expect(error?.findDetails(QuotaFailureSchema)[0]?.violations[0]).toMatchObject({
      subject: "caller:two-per-minute",
      quotaId: "caller.requests",
      quotaValue: 2n,
    });
    expect(rpcLogs(harness).at(-1)).toMatchObject({ code: "ResourceExhausted", caller: "two-per-minute", limit: "caller.requests", attempts: 0 });
    expect(rpcLogs(harness).at(-2)).toMatchObject({ code: "ok", caller: "two-per-minute", limit: "ok" });
    const metrics = await harness.gateway.metrics.registry.getSingleMetricAsString("gemini_limit_refusals_total");
    expect(metrics).toContain('gemini_limit_refusals_total{limit="caller.requests",caller="two-per-minute"} 1');
  });

  it("does not let a caller over its limit starve another: the neighbour is served", async () => {
    const client = harness.client("connect-h2");
    expect((await stream(client, twoPerMinute.options())).error?.code).toBe(Code.ResourceExhausted);
    for (let i = 0; i < 5; i++) expect((await stream(client, neighbour.options())).text).toBe(prompt);
    // A refusal costs the refused caller nothing: still refused, still with the same window.
    expect((await unary(client, twoPerMinute.options()))?.code).toBe(Code.ResourceExhausted);
  });

  it("charges a stream's final usage to the caller's tokens, and refuses it once the budget is spent", async () => {
    const client = harness.client("grpc-web-h2");
    // 12 tokens against a budget of 10: let in (nothing spent yet), charged in full.
    expect((await stream(client, tokens.options())).text).toBe(prompt);
    expect(rpcLogs(harness).at(-1)).toMatchObject({ code: "ok", caller: "tokens", limit: "ok", tokens: { total: 12 } });
    const { error } = await stream(client, tokens.options());
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toMatch(/^caller tokens is over its limit of 10 tokens per 60 s/);
    expect(error?.findDetails(QuotaFailureSchema)[0]?.violations[0]?.quotaId).toBe("caller.tokens");
    expect(retryDelayMs(error)).toBeLessThanOrEqual(60_050);
    // Counting tokens spends none: it is still allowed.
    expect((await client.countTokens({ model: request.model, contents: request.contents }, tokens.options())).totalTokens).toBe(6);
  });

  it("charges a unary answer's usage too", async () => {
    const client = harness.client("connect-h1");
    expect(await unary(client, unaryTokens.options())).toBeUndefined();
    expect(await unary(client, unaryTokens.options())).toBeUndefined();
    // 24 of 20 spent.
    const error = await unary(client, unaryTokens.options());
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(rpcLogs(harness).at(-1)).toMatchObject({ limit: "caller.tokens", caller: "unary-tokens" });
  });

  it("refuses a caller over its starts per second before Gemini, and lets it in again the next second", async () => {
    const client = harness.client("grpc");
    const before = harness.emulator.requests.length;
    const outcomes = await Promise.all([1, 2, 3].map(() => stream(client, twoStarts.options())));
    const refused = outcomes.filter((outcome) => outcome.error !== undefined);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.error?.code).toBe(Code.ResourceExhausted);
    expect(refused[0]?.error?.rawMessage).toMatch(/^caller two-starts is over its limit of 2 starts per 1 s; retry in [01]\.\d s$/);
    expect(harness.emulator.requests.length).toBe(before + 2);
    expect(rpcLogs(harness).find((line) => line["limit"] === "caller.starts")).toMatchObject({ code: "ResourceExhausted", caller: "two-starts", attempts: 0 });
    await sleep(retryDelayMs(refused[0]?.error));
    expect((await stream(client, twoStarts.options())).error).toBeUndefined();
  });

  it("limits the RPCs a caller has open at once, and gives the slot back when the caller leaves", async () => {
    const client = harness.client("grpc");
    harness.emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const leave = new AbortController();
    const held = client.streamGenerateContent(request, oneStream.options("authorization", { signal: leave.signal }))[Symbol.asyncIterator]();
    await held.next();

    const refused = await stream(client, oneStream.options());
    expect(refused.error?.code).toBe(Code.ResourceExhausted);
    expect(refused.error?.rawMessage).toMatch(/^caller one-stream has 1 RPCs open, its limit; retry in 1\.0 s$/);
    expect(retryDelayMs(refused.error)).toBe(1000);
    expect(rpcLogs(harness).at(-1)).toMatchObject({ limit: "caller.streams" });
    // Unary RPCs hold a slot too.
    expect((await unary(client, oneStream.options()))?.code).toBe(Code.ResourceExhausted);

    leave.abort();
    await held.next().catch(() => undefined);
    const deadline = Date.now() + 5_000;
    let outcome = await stream(client, oneStream.options());
    while (outcome.error?.code === Code.ResourceExhausted && Date.now() < deadline) {
      await sleep(20);
      outcome = await stream(client, oneStream.options());
    }
    expect(outcome).toEqual({ text: prompt, error: undefined });
  });

  it("gives the slot back before the caller sees the end, whether the RPC succeeded or failed", async () => {
    const client = harness.client("grpc");
    for (let i = 0; i < 3; i++) expect((await stream(client, oneStream.options())).error).toBeUndefined();
    harness.emulator.enqueue({ kind: "httpError", status: 400, error: { code: 400, message: "bad", status: "INVALID_ARGUMENT" } });
    expect((await stream(client, oneStream.options())).error?.code).toBe(Code.InvalidArgument);
    harness.emulator.enqueue({ kind: "errorMidStream", afterChunks: 2, error: { code: 500, message: "oops", status: "INTERNAL" } });
    expect((await stream(client, oneStream.options())).error?.code).toBe(Code.Internal);
    // Caught by our own request checks, before the handler reaches Gemini.
    expect((await unary(client, oneStream.options(), create(GenerateContentRequestSchema, { model: "" })))?.code).toBe(Code.InvalidArgument);
    expect(await unary(client, oneStream.options())).toBeUndefined();
    expect((await stream(client, oneStream.options())).error).toBeUndefined();
  });
});

describe("global limits", () => {
  const a = testCaller("a");
  const b = testCaller("b");
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ callers: [a.caller, b.caller], limits: limits({ requestsPerMinute: 3 }) });
  });
  afterAll(async () => {
    await harness.close();
  });

  it("share one budget among all callers", async () => {
    const client = harness.client("grpc");
    expect((await stream(client, a.options())).error).toBeUndefined();
    expect((await stream(client, b.options())).error).toBeUndefined();
    expect((await stream(client, a.options())).error).toBeUndefined();
    const { error } = await stream(client, b.options());
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toMatch(/^the gateway as a whole is over its limit of 3 requests per 60 s/);
    expect(error?.findDetails(QuotaFailureSchema)[0]?.violations[0]).toMatchObject({ subject: "global", quotaId: "global.requests" });
    expect(rpcLogs(harness).at(-1)).toMatchObject({ caller: "b", limit: "global.requests" });
  });
});

describe("global limits without callers (open)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ limits: limits({ concurrentStreams: 1 }) });
  });
  afterAll(async () => {
    await harness.close();
  });

  it("still apply", async () => {
    const client = harness.client("grpc");
    harness.emulator.enqueue({ kind: "stall", afterChunks: 1 });
    const leave = new AbortController();
    const held = client.streamGenerateContent(request, { signal: leave.signal })[Symbol.asyncIterator]();
    await held.next();
    const { error } = await stream(client, {});
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toMatch(/^the gateway as a whole has 1 RPCs open, its limit/);
    leave.abort();
    await held.next().catch(() => undefined);
  });
});

describe("windows", () => {
  const burst = testCaller("burst", { requestsPerMinute: 1 });
  const spender = testCaller("spender", { tokensPerMinute: 1 });
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ callers: [burst.caller, spender.caller], limits: limits({}, 1) });
  });
  afterAll(async () => {
    await harness.close();
  });

  /**
   * The refusal of the second call in one window: the first must pass. The window is 1 s (the tests
   * wait one out); when both calls did not fit in 1 s on a busy machine, the window they may have
   * straddled is waited out and they are made again, rather than calling until something refuses.
   */
  async function refusedSecond(run: () => Promise<ConnectError | undefined>): Promise<ConnectError> {
    for (let tries = 0; tries < 3; tries++) {
      const start = performance.now();
      const first = await run();
      const second = await run();
      if (performance.now() - start < 1_000) {
        expect(first).toBeUndefined();
        expect(second).toBeDefined();
        return second!;
      }
      await sleep(1_100);
    }
    throw new Error("two calls never fitted in one 1 s window");
  }

  it("let a refused caller back in once the RetryInfo delay has passed", async () => {
    const client = harness.client("grpc");
    const error = await refusedSecond(async () => (await stream(client, burst.options())).error);
    expect(error.code).toBe(Code.ResourceExhausted);
    const delay = retryDelayMs(error);
    // The window left, and a little slack so that coming back after exactly this long is safe.
    expect(delay).toBeLessThanOrEqual(1_050);
    await sleep(delay);
    expect((await stream(client, burst.options())).error).toBeUndefined();
  });

  it("let a caller whose tokens are spent back in once the RetryInfo delay has passed", async () => {
    const client = harness.client("connect-h2");
    const error = await refusedSecond(async () => (await stream(client, spender.options())).error);
    expect(error.findDetails(QuotaFailureSchema)[0]?.violations[0]?.quotaId).toBe("caller.tokens");
    await sleep(retryDelayMs(error));
    expect((await stream(client, spender.options())).error).toBeUndefined();
  });
});
