// Routing over several upstreams, each a real emulator behind its own SDK client and key: weighted
// spread, cool-downs from a 429's RetryInfo, breaker and refused keys, an alias falling back to
// its next target before the first chunk (never after), caller permissions, and what the caller,
// the log line and the metrics learn about which model and upstream served.

import { create } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { noLimits } from "../src/config/callers-file.ts";
import type { Caller } from "../src/config/callers-file.ts";
import { parseRouting } from "../src/config/routing-file.ts";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator, RpcError } from "../src/emulator/server.ts";
import { createGateway } from "../src/gateway.ts";
import { createUpstreamClients } from "../src/routing/clients.ts";
import { createPoolRouter } from "../src/routing/router.ts";
import { captureLogs, readStream, testCallPolicy } from "./support/harness.ts";

interface Routed {
  readonly emulators: Record<string, Emulator>;
  readonly keys: string[];
  readonly logs: Record<string, unknown>[];
  readonly baseUrl: string;
  /** Moves the router's clock on. */
  advance(ms: number): void;
  stream(model: string, key?: string): Promise<Served>;
  metrics(): Promise<string>;
}

interface Served {
  readonly text: string;
  readonly chunks: number;
  readonly code: Code | undefined;
  readonly message: string | undefined;
  readonly headers: Headers;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const retryInfo429 = (delay: string): RpcError => ({
  code: 429,
  message: "You exceeded your current quota.",
  status: "RESOURCE_EXHAUSTED",
  details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: delay }],
});
const unavailable503: RpcError = { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" };

async function startRouted(
  upstreams: { name: string; weight?: number; wrongKey?: boolean; maxConcurrentStreams?: number }[],
  models: Record<string, { model: string; upstreams: string[] }[]>,
  callers?: Caller[],
  firstChunkTimeoutMs = testCallPolicy.firstChunkTimeoutMs,
): Promise<Routed> {
  const emulators: Record<string, Emulator> = {};
  const env: Record<string, string> = {};
  for (const upstream of upstreams) {
    const key = `AIzaSy-routing-${upstream.name}-secret`;
    emulators[upstream.name] = await startEmulator({ apiKey: key });
    closers.push(() => emulators[upstream.name]!.close());
    env[`KEY_${upstream.name.toUpperCase()}`] = upstream.wrongKey === true ? `${key}-revoked` : key;
  }
  const table = parseRouting(
    JSON.stringify({
      upstreams: upstreams.map(({ name, weight, maxConcurrentStreams }) => ({
        name,
        backend: "gemini",
        apiKeyEnv: `KEY_${name.toUpperCase()}`,
        baseUrl: emulators[name]!.url,
        ...(weight === undefined ? {} : { weight }),
        ...(maxConcurrentStreams === undefined ? {} : { maxConcurrentStreams }),
      })),
      models,
    }),
    env,
  );
  const { logger, logs } = captureLogs();
  let clock = 1_000_000;
  const router = createPoolRouter({
    table,
    clients: createUpstreamClients(table),
    logger,
    onMarked: (name, state) => gateway.metrics.upstreamMarked(name, state),
    now: () => clock,
  });
  const gateway = createGateway({ router, logger, callPolicy: { ...testCallPolicy, firstChunkTimeoutMs, retry: { ...testCallPolicy.retry, maxAttempts: 4 } }, maxRequestBytes: 1 << 20, callers });
  const address = await gateway.start(0, "127.0.0.1");
  closers.push(() => gateway.stop(1000));
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    emulators,
    keys: Object.values(env),
    logs,
    baseUrl,
    advance: (ms) => void (clock += ms),
    async stream(model, key) {
      const transport = createConnectTransport({ baseUrl, httpVersion: "1.1" });
      const client = createClient(GenerativeService, transport);
      const headers = new Headers();
      const request = create(GenerateContentRequestSchema, { model, contents: [{ role: "user", parts: [{ data: { case: "text", value: "route me please" } }] }] });
      const { chunks, error } = await readStream(client, request, {
        headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
        onHeader: (header) => header.forEach((value, name) => headers.set(name, value)),
      });
      const text = chunks.flatMap((chunk) => chunk.candidates[0]?.content?.parts ?? []).map((part) => String(part.data.value)).join("");
      return { text, chunks: chunks.length, code: error?.code, message: error?.rawMessage, headers };
    },
    async metrics() {
      return (await fetch(`${baseUrl}/metrics`)).text();
    },
  };
}

function served(routed: Routed): Record<string, number> {
  return Object.fromEntries(Object.entries(routed.emulators).map(([name, emulator]) => [name, emulator.requests.length]));
}

describe("weighted spread", () => {
  it("spreads an alias's traffic over its upstreams by weight", async () => {
    const routed = await startRouted(
      [
        { name: "alpha", weight: 3 },
        { name: "beta", weight: 2 },
        { name: "gamma", weight: 1 },
      ],
      { fast: [{ model: "gemini-2.5-flash", upstreams: ["alpha", "beta", "gamma"] }] },
    );
    for (let i = 0; i < 60; i++) expect((await routed.stream("fast")).code).toBeUndefined();
    // Smooth weighted round robin is exact over a whole cycle: 3:2:1 of 60.
    expect(served(routed)).toEqual({ alpha: 30, beta: 20, gamma: 10 });
    expect(Object.values(routed.emulators).every((emulator) => emulator.requests.every((r) => r.model === "gemini-2.5-flash"))).toBe(true);
  });

  it("sends a plain model to the default pool, every gemini upstream", async () => {
    const routed = await startRouted([{ name: "alpha" }, { name: "beta" }], {});
    for (let i = 0; i < 4; i++) expect((await routed.stream("models/gemini-2.5-pro")).code).toBeUndefined();
    expect(served(routed)).toEqual({ alpha: 2, beta: 2 });
  });
});

describe("stream caps", () => {
  it("sends nothing new to an upstream at its maxConcurrentStreams while another can take it", async () => {
    const routed = await startRouted([{ name: "capped", weight: 5, maxConcurrentStreams: 1 }, { name: "open" }], {
      fast: [{ model: "gemini-2.5-flash", upstreams: ["capped", "open"] }],
    });
    routed.emulators["capped"]!.enqueue({ kind: "paced", delayMs: 100 });
    const held = routed.stream("fast");
    await expect.poll(() => routed.emulators["capped"]!.requests.length).toBe(1);
    const during = await Promise.all([routed.stream("fast"), routed.stream("fast"), routed.stream("fast")]);
    expect(during.map((s) => s.headers.get("x-gemini-upstream"))).toEqual(["open", "open", "open"]);
    expect((await held).headers.get("x-gemini-upstream")).toBe("capped");
    expect((await routed.stream("fast")).headers.get("x-gemini-upstream")).toBe("capped");
  });
});

describe("cool-downs and failures", () => {
  it("steps around a 429 at once, and the cooled upstream gets nothing for that model until its delay passes", async () => {
    const routed = await startRouted([{ name: "limited" }, { name: "healthy" }], {
      fast: [{ model: "gemini-2.5-flash", upstreams: ["limited", "healthy"] }],
      other: [{ model: "gemini-2.5-pro", upstreams: ["limited"] }],
    });
    routed.emulators["limited"]!.enqueue({ kind: "httpError", status: 429, error: retryInfo429("30s") });
    const first = await routed.stream("fast");
    expect(first.code).toBeUndefined();
    expect(first.text).toBe("route me please");
    expect(first.headers.get("x-gemini-upstream")).toBe("healthy");
    for (let i = 0; i < 6; i++) expect((await routed.stream("fast")).headers.get("x-gemini-upstream")).toBe("healthy");
    expect(served(routed)).toEqual({ limited: 1, healthy: 7 });
    // The cool-down is for that model only.
    expect((await routed.stream("other")).headers.get("x-gemini-upstream")).toBe("limited");

    routed.advance(30_000);
    const after = await Promise.all([routed.stream("fast"), routed.stream("fast")]);
    expect(after.map((s) => s.headers.get("x-gemini-upstream")).sort()).toEqual(["healthy", "limited"]);
    expect(await routed.metrics()).toMatch(/gemini_upstream_marked_total\{upstream="limited",state="cooling"\} 1/);
  });

  it("opens the breaker after five server errors in a row and sends nothing until it half-opens", async () => {
    const routed = await startRouted([{ name: "broken" }, { name: "healthy" }], {
      fast: [{ model: "gemini-2.5-flash", upstreams: ["broken", "healthy"] }],
    });
    for (let i = 0; i < 5; i++) routed.emulators["broken"]!.enqueue({ kind: "httpError", status: 503, error: unavailable503 });
    for (let i = 0; i < 10; i++) expect((await routed.stream("fast")).code).toBeUndefined();
    // Alternating picks, each 503 stepping over to healthy: five 503s, then broken is left out.
    expect(routed.emulators["broken"]!.requests).toHaveLength(5);
    expect(routed.logs.some((line) => line["msg"] === "upstream failing: circuit breaker open" && line["upstream"] === "broken")).toBe(true);
    routed.advance(30_000);
    await routed.stream("fast");
    await routed.stream("fast");
    expect(routed.emulators["broken"]!.requests).toHaveLength(6);
  });

  it("sets aside an upstream whose key is refused, logs it as an error without the key, and serves from another", async () => {
    const routed = await startRouted([{ name: "revoked", wrongKey: true }, { name: "healthy" }], {
      fast: [{ model: "gemini-2.5-flash", upstreams: ["revoked", "healthy"] }],
    });
    for (let i = 0; i < 4; i++) expect((await routed.stream("fast")).headers.get("x-gemini-upstream")).toBe("healthy");
    const refused = routed.logs.filter((line) => line["state"] === "key-refused");
    expect(refused).toEqual([expect.objectContaining({ level: 50, upstream: "revoked" })]);
    expect(await routed.metrics()).toMatch(/gemini_upstream_marked_total\{upstream="revoked",state="key-refused"\} 1/);
    const everything = JSON.stringify(routed.logs) + (await routed.metrics());
    for (const key of routed.keys) expect(everything).not.toContain(key);
  });
});

describe("fallback", () => {
  it("falls back to the alias's second target when every upstream of the first fails, before the first chunk", async () => {
    const routed = await startRouted([{ name: "limited" }, { name: "broken" }, { name: "healthy" }], {
      smart: [
        { model: "gemini-2.5-pro", upstreams: ["limited", "broken"] },
        { model: "gemini-2.5-flash", upstreams: ["healthy"] },
      ],
    });
    routed.emulators["limited"]!.enqueue({ kind: "httpError", status: 429, error: retryInfo429("20s") });
    routed.emulators["broken"]!.enqueue({ kind: "httpError", status: 503, error: unavailable503 });
    const result = await routed.stream("smart");
    expect(result.code).toBeUndefined();
    expect(result.text).toBe("route me please");
    expect(result.headers.get("x-gemini-model")).toBe("gemini-2.5-flash");
    expect(result.headers.get("x-gemini-upstream")).toBe("healthy");
    expect(served(routed)).toEqual({ limited: 1, broken: 1, healthy: 1 });
    expect(routed.emulators["healthy"]!.requests[0]?.model).toBe("gemini-2.5-flash");

    const line = routed.logs.find((l) => l["msg"] === "rpc");
    expect(line).toMatchObject({ model: "gemini-2.5-flash", upstream: "healthy", attempts: 3, code: "ok" });
    const metrics = await routed.metrics();
    expect(metrics).toMatch(/gemini_upstream_requests_total\{model="gemini-2.5-flash",upstream="healthy",outcome="ok"\} 1/);
    expect(metrics).toMatch(/gemini_upstream_requests_total\{model="other",upstream="limited",outcome="ResourceExhausted"\} 1/);
    expect(metrics).toMatch(/gemini_upstream_requests_total\{model="other",upstream="broken",outcome="Unavailable"\} 1/);
    const everything = JSON.stringify(routed.logs) + metrics + JSON.stringify([...result.headers]);
    for (const key of routed.keys) expect(everything).not.toContain(key);
  });

  it("moves to the next upstream when the first chunk does not come in time", async () => {
    const routed = await startRouted([{ name: "stalled" }, { name: "healthy" }], { fast: [{ model: "gemini-2.5-flash", upstreams: ["stalled", "healthy"] }] }, undefined, 300);
    routed.emulators["stalled"]!.enqueue({ kind: "stall", afterChunks: 0 });
    const result = await routed.stream("fast");
    expect(result.code).toBeUndefined();
    expect(result.headers.get("x-gemini-upstream")).toBe("healthy");
    expect(routed.logs.find((l) => l["msg"] === "rpc")).toMatchObject({ attempts: 2, upstream: "healthy" });
    expect(await routed.metrics()).toMatch(/gemini_upstream_retries_total\{model="gemini-2.5-flash",code="DeadlineExceeded"\} 1/);
  });

  it("falls back for unary calls too", async () => {
    const routed = await startRouted([{ name: "broken" }, { name: "healthy" }], { fast: [{ model: "gemini-2.5-flash", upstreams: ["broken", "healthy"] }] });
    routed.emulators["broken"]!.enqueue({ kind: "httpError", status: 503, error: unavailable503 });
    const client = createClient(GenerativeService, createConnectTransport({ baseUrl: routed.baseUrl, httpVersion: "1.1" }));
    const headers = new Headers();
    const request = create(GenerateContentRequestSchema, { model: "fast", contents: [{ role: "user", parts: [{ data: { case: "text", value: "unary" } }] }] });
    const response = await client.generateContent(request, { onHeader: (h) => h.forEach((v, k) => headers.set(k, v)) });
    expect(response.candidates[0]?.content?.parts[0]?.data.value).toBe("unary");
    expect(headers.get("x-gemini-upstream")).toBe("healthy");
    expect(served(routed)).toEqual({ broken: 1, healthy: 1 });
  });

  it("retries nothing once a chunk went out", async () => {
    const routed = await startRouted([{ name: "first" }, { name: "second" }], {
      fast: [
        { model: "gemini-2.5-flash", upstreams: ["first", "second"] },
        { model: "gemini-2.5-pro", upstreams: ["second"] },
      ],
    });
    routed.emulators["first"]!.enqueue({ kind: "errorMidStream", afterChunks: 1, error: unavailable503 });
    const result = await routed.stream("fast");
    expect(result.chunks).toBe(1);
    expect(result.code).toBe(Code.Unavailable);
    expect(served(routed)).toEqual({ first: 1, second: 0 });
    expect(result.headers.get("x-gemini-upstream")).toBe("first");
  });

  it("ends with the last upstream error when every target fails, with no key in it", async () => {
    const routed = await startRouted([{ name: "limited" }], { fast: [{ model: "gemini-2.5-flash", upstreams: ["limited"] }] });
    routed.emulators["limited"]!.enqueue({ kind: "httpError", status: 429, error: retryInfo429("40s") });
    const result = await routed.stream("fast");
    expect(result.code).toBe(Code.ResourceExhausted);
    // Cooling: the next call fails at once, without a request.
    const next = await routed.stream("fast");
    expect(next.code).toBe(Code.Unavailable);
    expect(next.message).toMatch(/cooling down/);
    expect(served(routed)).toEqual({ limited: 1 });
    for (const key of routed.keys) expect(`${result.message} ${next.message}`).not.toContain(key);
  });
});

describe("caller permissions", () => {
  const key = "gck_routing_caller_key";
  const caller: Caller = {
    name: "team-a",
    keyDigests: [createHash("sha256").update(key).digest()],
    limits: noLimits,
    models: ["fast", "gemini-2.5-*"],
  };

  it("lets a caller use its aliases and patterns, and refuses anything else with PermissionDenied before any upstream call", async () => {
    const routed = await startRouted([{ name: "healthy" }], {
      fast: [{ model: "gemini-2.5-flash", upstreams: ["healthy"] }],
      smart: [{ model: "gemini-2.5-pro", upstreams: ["healthy"] }],
    }, [caller]);
    expect((await routed.stream("fast", key)).code).toBeUndefined();
    expect((await routed.stream("models/gemini-2.5-flash-lite", key)).code).toBeUndefined();
    const refused = [await routed.stream("smart", key), await routed.stream("gemini-3-pro", key)];
    expect(refused.map((r) => r.code)).toEqual([Code.PermissionDenied, Code.PermissionDenied]);
    expect(refused[0]?.message).toMatch(/may not use the model "smart"/);
    expect(served(routed)).toEqual({ healthy: 2 });
  });
});
