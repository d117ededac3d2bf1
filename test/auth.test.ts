// Caller authentication through real sockets: the three key headers, refusals before any upstream
// call, health staying open, the open mode, and the callers file's checks at start.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { CallOptions } from "@connectrpc/connect";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { ConfigError } from "../src/config/env.ts";
import { describeConfig, loadConfig } from "../src/config/settings.ts";
import { identify, presentedKey } from "../src/access/auth.ts";
import { CallersFileError, parseCallers } from "../src/config/callers-file.ts";
import { sha256, testCaller } from "./support/callers.ts";
import { docSection } from "./support/docs.ts";
import { protocols, startHarness, transportFor } from "./support/harness.ts";
import type { GenerativeClient, Harness } from "./support/harness.ts";

const request = create(GenerateContentRequestSchema, {
  model: "models/gemini-2.5-flash",
  contents: [{ role: "user", parts: [{ data: { case: "text", value: "hello there" } }] }],
});

async function streamText(client: GenerativeClient, options: CallOptions = {}): Promise<string> {
  let text = "";
  for await (const chunk of client.streamGenerateContent(request, options)) {
    for (const part of chunk.candidates[0]?.content?.parts ?? []) if (part.data.case === "text") text += part.data.value;
  }
  return text;
}

async function failure(run: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await run();
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail");
}

const alice = testCaller("alice");
const bob = testCaller("bob");
// Mid-rotation: two keys, one name.
const rotating = testCaller("rotating");
const rotatingNewKey = "ck-rotating-new-key-5d0e";
const rotatingCaller = { ...rotating.caller, keyDigests: [...rotating.caller.keyDigests, Buffer.from(sha256(rotatingNewKey), "hex")] };

describe("with callers", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ callers: [alice.caller, bob.caller, rotatingCaller] });
  });
  afterAll(async () => {
    await harness.close();
  });

  const lastRpcLog = () => harness.logs.findLast((line) => line["msg"] === "rpc" || line["msg"] === "rpc failed");

  describe.each(protocols)("over %s", (protocol) => {
    it.each(["authorization", "x-api-key", "x-goog-api-key"] as const)("lets a known caller in with its key in %s", async (header) => {
      expect(await streamText(harness.client(protocol), alice.options(header))).toBe("hello there");
      expect(lastRpcLog()).toMatchObject({ code: "ok", caller: "alice" });
    });

    it("refuses a call without a key with Unauthenticated, before any upstream call", async () => {
      const before = harness.emulator.requests.length;
      const error = await failure(() => streamText(harness.client(protocol)));
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).toMatch(/authorization: Bearer <key>.*x-api-key.*x-goog-api-key/);
      expect(harness.emulator.requests.length).toBe(before);
      expect(lastRpcLog()).toMatchObject({ code: "Unauthenticated", attempts: 0 });
      expect(lastRpcLog()?.["caller"]).toBeUndefined();
    });

    it("refuses an unknown key with Unauthenticated, without quoting it", async () => {
      const before = harness.emulator.requests.length;
      const wrong = `${alice.key}x`;
      const error = await failure(() => streamText(harness.client(protocol), { headers: { "x-api-key": wrong } }));
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).toBe("unknown caller key");
      expect(JSON.stringify([...error.metadata])).not.toContain(wrong);
      expect(harness.emulator.requests.length).toBe(before);
    });
  });

  it("guards the unary methods too", async () => {
    const client = harness.client("connect-h2");
    expect((await failure(() => client.generateContent(request))).code).toBe(Code.Unauthenticated);
    expect((await failure(() => client.countTokens({ model: request.model, contents: request.contents }))).code).toBe(Code.Unauthenticated);
    expect((await client.countTokens({ model: request.model, contents: request.contents }, bob.options("x-goog-api-key"))).totalTokens).toBe(2);
    expect(lastRpcLog()).toMatchObject({ method: "geminiconnect.v1.GenerativeService/CountTokens", caller: "bob" });
  });

  it("tells callers apart by their key", async () => {
    await streamText(harness.client("grpc"), bob.options("x-api-key"));
    expect(lastRpcLog()).toMatchObject({ caller: "bob" });
    await streamText(harness.client("grpc"), alice.options("x-api-key"));
    expect(lastRpcLog()).toMatchObject({ caller: "alice" });
  });

  it("accepts either key of a caller whose key is being rotated", async () => {
    await streamText(harness.client("grpc"), rotating.options());
    expect(lastRpcLog()).toMatchObject({ code: "ok", caller: "rotating" });
    await streamText(harness.client("grpc"), { headers: { authorization: `Bearer ${rotatingNewKey}` } });
    expect(lastRpcLog()).toMatchObject({ code: "ok", caller: "rotating" });
  });

  it("takes the Bearer scheme in any case, and skips an authorization of another scheme", async () => {
    await streamText(harness.client("grpc"), { headers: { authorization: `bEaReR ${alice.key}` } });
    expect(lastRpcLog()).toMatchObject({ code: "ok", caller: "alice" });
    await streamText(harness.client("grpc"), { headers: { authorization: "Basic cHJveHk6cGFzcw==", "x-goog-api-key": bob.key } });
    expect(lastRpcLog()).toMatchObject({ code: "ok", caller: "bob" });
  });

  it("never passes the caller's key on to Gemini", async () => {
    harness.emulator.requests.length = 0;
    await streamText(harness.client("grpc"), alice.options("x-goog-api-key"));
    const sent = JSON.stringify(harness.emulator.requests);
    expect(harness.emulator.requests.length).toBe(1);
    expect(sent).not.toContain(alice.key);
  });

  it("leaves health (and so reflection's neighbours) open: no key needed", async () => {
    const health = createClient(Health, transportFor("grpc", harness.baseUrl));
    expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});

describe("without callers (open)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  it("lets every call in, with or without a key, and logs no caller", async () => {
    expect(await streamText(harness.client("grpc"))).toBe("hello there");
    expect(await streamText(harness.client("grpc"), { headers: { "x-api-key": "anything" } })).toBe("hello there");
    const line = harness.logs.findLast((l) => l["msg"] === "rpc");
    expect(line).toMatchObject({ code: "ok" });
    expect(line?.["caller"]).toBeUndefined();
  });
});

describe("key checks", () => {
  it("reads the key from the three headers, Bearer first", () => {
    expect(presentedKey(new Headers({ authorization: "Bearer k1", "x-api-key": "k2" }))).toBe("k1");
    expect(presentedKey(new Headers({ "x-api-key": " k2 ", "x-goog-api-key": "k3" }))).toBe("k2");
    expect(presentedKey(new Headers({ "x-goog-api-key": "k3" }))).toBe("k3");
    expect(presentedKey(new Headers({ authorization: "Bearer" }))).toBeUndefined();
    expect(presentedKey(new Headers({ authorization: "Bearer a b" }))).toBeUndefined();
    expect(presentedKey(new Headers({ "x-api-key": "" }))).toBeUndefined();
  });

  it("matches a key to its caller by digest, and nothing else", () => {
    const callers = [alice.caller, bob.caller];
    expect(identify(callers, alice.key)?.name).toBe("alice");
    expect(identify(callers, bob.key)?.name).toBe("bob");
    expect(identify(callers, alice.key.slice(0, -1))).toBeUndefined();
    expect(identify(callers, sha256(alice.key))).toBeUndefined();
    expect(identify(callers, "")).toBeUndefined();
  });
});

describe("the callers file", () => {
  const digest = sha256("some key");
  const file = (callers: unknown) => JSON.stringify({ callers });
  const problem = (text: string): string => {
    try {
      parseCallers(text);
    } catch (error) {
      expect(error).toBeInstanceOf(CallersFileError);
      return (error as Error).message;
    }
    throw new Error("expected the file to be refused");
  };

  it("reads names, digests (one or a list) and limits", () => {
    const callers = parseCallers(
      file([
        { name: "search", keySha256: digest, limits: { requestsPerMinute: 60, tokensPerMinute: 100000, concurrentStreams: 4, startsPerSecond: 10 } },
        { name: "batch.jobs", keySha256: [sha256("old"), sha256("new").toUpperCase()] },
      ]),
    );
    expect(callers.map((c) => c.name)).toEqual(["search", "batch.jobs"]);
    expect(callers[0]?.limits).toEqual({ requestsPerMinute: 60, tokensPerMinute: 100000, concurrentStreams: 4, startsPerSecond: 10 });
    expect(callers[1]?.limits).toEqual({ requestsPerMinute: undefined, tokensPerMinute: undefined, concurrentStreams: undefined });
    expect(callers[1]?.keyDigests.map((d) => d.toString("hex"))).toEqual([sha256("old"), sha256("new")]);
  });

  it.each([
    ["{", /not valid JSON/],
    ["[]", /expected an object \{"callers": \[\.\.\.\]\}/],
    [JSON.stringify({ callers: [], extra: 1 }), /unknown field "extra"/],
    [file([]), /callers is empty \(unset CALLERS_FILE/],
    [file([{ keySha256: digest }]), /callers\[0\]\.name must be/],
    [file([{ name: "has space", keySha256: digest }]), /callers\[0\]\.name must be/],
    [file([{ name: "a", keySha256: "abc" }]), /callers\[0\] \("a"\)\.keySha256 must be 64 hex digits/],
    [file([{ name: "a", keySha256: [digest, 7] }]), /callers\[0\] \("a"\)\.keySha256\[1\] must be 64 hex digits/],
    [file([{ name: "a", key: "plain" }]), /callers\[0\] has "key": list the SHA-256 of the key as keySha256/],
    [file([{ name: "a", keySha256: digest, limit: {} }]), /callers\[0\] has an unknown field "limit"/],
    [file([{ name: "a", keySha256: digest, limits: { requestPerMinute: 1 } }]), /limits has an unknown field "requestPerMinute"/],
    [file([{ name: "a", keySha256: digest, limits: { concurrentStreams: 0 } }]), /limits\.concurrentStreams must be a whole number of at least 1/],
    [file([{ name: "a", keySha256: digest, limits: { tokensPerMinute: 1.5 } }]), /limits\.tokensPerMinute must be a whole number/],
    [file([{ name: "a", keySha256: digest }, { name: "a", keySha256: sha256("other") }]), /caller name "a" is listed twice/],
    [file([{ name: "a", keySha256: digest }, { name: "b", keySha256: digest }]), /callers "a" and "b" have the same key/],
  ])("refuses %s, naming the problem", (text, message) => {
    expect(problem(text)).toMatch(message);
  });

  it("takes the example callers file of docs/callers-and-limits.md as it is written", () => {
    const doc = docSection("docs/callers-and-limits.md", "The callers file");
    const example = /```json\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
    expect(parseCallers(example).map((c) => c.name)).toEqual(["search-frontend", "nightly-batch"]);
  });

  it("never quotes a digest that is wrong: it may be the key itself, pasted by mistake", () => {
    const pasted = "sk-live-0123456789abcdef";
    expect(problem(file([{ name: "a", keySha256: pasted }]))).not.toContain(pasted);
    expect(problem(file([{ name: "a", key: pasted }]))).not.toContain(pasted);
  });
});

describe("settings", () => {
  const base = { GEMINI_API_KEY: "k" };
  const problem = (env: Record<string, string>): string => {
    try {
      loadConfig({ ...base, ...env });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("expected the settings to be refused");
  };

  it("reads the limits and Redis settings, defaults when unset", () => {
    expect(loadConfig(base).limits).toEqual({
      global: { requestsPerMinute: undefined, tokensPerMinute: undefined, concurrentStreams: undefined },
      windowSeconds: 60,
      redis: undefined,
    });
    const config = loadConfig({
      ...base,
      LIMITS_REQUESTS_PER_MINUTE: "600",
      LIMITS_TOKENS_PER_MINUTE: "0",
      LIMITS_CONCURRENT_STREAMS: "50",
      LIMITS_STARTS_PER_SECOND: "25",
      LIMITS_WINDOW_SECONDS: "10",
      REDIS_URL: "redis://:pw@10.0.0.5:6380/2",
      REDIS_TIMEOUT_MS: "250",
    });
    expect(config.limits).toEqual({
      global: { requestsPerMinute: 600, tokensPerMinute: undefined, concurrentStreams: 50, startsPerSecond: 25 },
      windowSeconds: 10,
      redis: { url: "redis://:pw@10.0.0.5:6380/2", timeoutMs: 250 },
    });
    expect(JSON.stringify(describeConfig(config))).not.toContain("pw");
  });

  it("names a bad REDIS_URL without quoting it (it may hold a password)", () => {
    const message = problem({ REDIS_URL: "http://user:hunter2@127.0.0.1" });
    expect(message).toBe("REDIS_URL must be a redis:// or rediss:// URL");
  });

  it.each(["LIMITS_REQUESTS_PER_MINUTE", "LIMITS_TOKENS_PER_MINUTE", "LIMITS_CONCURRENT_STREAMS", "LIMITS_WINDOW_SECONDS", "REDIS_TIMEOUT_MS", "AUTH_ALLOW_OPEN"])(
    "names a bad %s",
    (name) => {
      expect(problem({ [name]: "-1" })).toMatch(new RegExp(`^${name} must be`));
    },
  );

  it("refuses to run open in production unless AUTH_ALLOW_OPEN=true", () => {
    expect(problem({ NODE_ENV: "production" })).toMatch(/^CALLERS_FILE is not set and NODE_ENV=production/);
    expect(loadConfig({ ...base, NODE_ENV: "production", AUTH_ALLOW_OPEN: "true" }).callers).toBeUndefined();
  });
});

describe("start-up", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "gemini-connect-auth-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `npm start`'s process until it exits (bad settings) or logs that it listens; then stops it. */
  async function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, ["src/main.ts"], {
      env: {
        PATH: process.env["PATH"] ?? "",
        HOST: "127.0.0.1",
        PORT: "0",
        // Production's metrics port is 9090: a free one instead, as other tests run alongside.
        METRICS_PORT: "0",
        GEMINI_API_KEY: "upstream-key-unused",
        GEMINI_BASE_URL: "http://127.0.0.1:9",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (data: Buffer) => (output += data.toString()));
    child.stderr.on("data", (data: Buffer) => (output += data.toString()));
    const deadline = Date.now() + 15_000;
    while (child.exitCode === null && !output.includes("gemini-connect listening") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      return { code: null, output };
    }
    return { code: child.exitCode, output };
  }

  it("stops on a bad callers file, naming CALLERS_FILE, the file and the problem", async () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, file([{ name: "a", keySha256: "nope" }]));
    const { code, output } = await run({ CALLERS_FILE: path });
    expect(code).toBe(2);
    expect(output).toContain(`bad setting: CALLERS_FILE ${path}: callers[0] ("a").keySha256 must be 64 hex digits`);
  });

  it("refuses to start open with NODE_ENV=production", async () => {
    const { code, output } = await run({ NODE_ENV: "production" });
    expect(code).toBe(2);
    expect(output).toMatch(/CALLERS_FILE is not set and NODE_ENV=production.*AUTH_ALLOW_OPEN=true/);
  });

  it("starts open in production when AUTH_ALLOW_OPEN=true says so, and warns", async () => {
    const { code, output } = await run({ NODE_ENV: "production", AUTH_ALLOW_OPEN: "true" });
    expect(code).toBeNull();
    expect(output).toContain("NO CALLER AUTHENTICATION");
  });

  it("starts with a good callers file, logging the callers' names only", async () => {
    const path = join(dir, "good.json");
    writeFileSync(path, JSON.stringify({ callers: [alice.entry, bob.entry] }));
    const { code, output } = await run({ NODE_ENV: "production", CALLERS_FILE: path });
    expect(code).toBeNull();
    expect(output).not.toContain("NO CALLER AUTHENTICATION");
    expect(output).toContain('"callers":["alice","bob"]');
    expect(output).not.toContain(alice.entry.keySha256);
  });

  function file(callers: unknown): string {
    return JSON.stringify({ callers });
  }
});
