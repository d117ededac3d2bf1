// The routing file: each mistake named by entry and field, never a key in the message; and the
// real process, which refuses to start on a bad file and serves through a good one.

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { parseCallers } from "../src/config/callers-file.ts";
import { parseRouting, routingKeys } from "../src/config/routing-file.ts";
import { startEmulator } from "../src/emulator/server.ts";

const env = { KEY_A: "AIzaSy-routing-file-key-a", KEY_B: "AIzaSy-routing-file-key-b" };
const upstreamA = { name: "a", backend: "gemini", apiKeyEnv: "KEY_A" };

describe("parseRouting", () => {
  it("reads upstreams, aliases and the default pool, with keys from the environment", () => {
    const table = parseRouting(
      JSON.stringify({
        upstreams: [upstreamA, { name: "b", backend: "gemini", apiKeyEnv: "KEY_B", weight: 3, maxConcurrentStreams: 10 }, { name: "v", backend: "vertex", project: "p", location: "us-central1" }],
        models: { fast: [{ model: "gemini-2.5-flash", upstreams: ["b", "a"] }, { model: "gemini-2.5-flash-lite", upstreams: ["v"] }] },
      }),
      env,
    );
    expect(table.defaultPool).toEqual(["a", "b"]);
    expect(table.aliases.get("fast")?.map((target) => target.model)).toEqual(["gemini-2.5-flash", "gemini-2.5-flash-lite"]);
    expect(table.upstreams[1]).toMatchObject({ name: "b", weight: 3, maxConcurrentStreams: 10, apiKey: env.KEY_B });
    expect(routingKeys(table)).toEqual([env.KEY_A, env.KEY_B]);
  });

  it.each<{ file: unknown; message: RegExp }>([
    { file: { upstreams: [] }, message: /upstreams is empty/ },
    { file: { upstreams: [{ ...upstreamA, apiKey: "AIzaSy-pasted" }] }, message: /upstreams\[0\] has "apiKey": name the environment variable/ },
    { file: { upstreams: [{ ...upstreamA, apiKeyEnv: "KEY_MISSING" }] }, message: /upstreams\[0\] \("a"\)\.apiKeyEnv: the environment variable KEY_MISSING is not set/ },
    { file: { upstreams: [{ ...upstreamA, apiKeyEnv: "AIzaSy-pasted" }] }, message: /apiKeyEnv must name an environment variable/ },
    { file: { upstreams: [{ ...upstreamA, backend: "openai" }] }, message: /upstreams\[0\] \("a"\)\.backend must be "gemini" or "vertex"/ },
    { file: { upstreams: [upstreamA, upstreamA] }, message: /upstream name "a" is listed twice/ },
    { file: { upstreams: [{ ...upstreamA, weight: 0 }] }, message: /\("a"\)\.weight must be a whole number/ },
    { file: { upstreams: [{ ...upstreamA, project: "p" }] }, message: /\("a"\)\.project is for vertex upstreams only/ },
    { file: { upstreams: [{ name: "v", backend: "vertex" }] }, message: /\("v"\) \(vertex\) needs apiKeyEnv/ },
    { file: { upstreams: [{ name: "v", backend: "vertex", project: "p", location: "l", credentialsFile: "/nonexistent/sa.json" }] }, message: /credentialsFile: cannot read the service-account file \(ENOENT\)/ },
    { file: { upstreams: [upstreamA], models: { fast: [{ model: "gemini-2.5-flash", upstreams: ["z"] }] } }, message: /models\["fast"\]\[0\]\.upstreams names "z", which is not an upstream/ },
    { file: { upstreams: [upstreamA], models: { fast: [] } }, message: /models\["fast"\] must be a non-empty list/ },
    { file: { upstreams: [upstreamA], extra: 1 }, message: /unknown field "extra"/ },
  ])("refuses $message", ({ file, message }) => {
    expect(() => parseRouting(JSON.stringify(file), env)).toThrow(message);
    try {
      parseRouting(JSON.stringify(file), env);
    } catch (error) {
      expect((error as Error).message).not.toContain("AIzaSy");
    }
  });
});

describe("a caller's models", () => {
  const digest = "a".repeat(64);
  it("are aliases and patterns, checked", () => {
    expect(parseCallers(JSON.stringify({ callers: [{ name: "c", keySha256: digest, models: ["fast", "gemini-2.5-*"] }] }))[0]?.models).toEqual(["fast", "gemini-2.5-*"]);
    expect(() => parseCallers(JSON.stringify({ callers: [{ name: "c", keySha256: digest, models: [] }] }))).toThrow(/callers\[0\] \("c"\)\.models must be a non-empty list/);
    expect(() => parseCallers(JSON.stringify({ callers: [{ name: "c", keySha256: digest, models: ["bad pattern!"] }] }))).toThrow(/models\[0\] must be an alias or a model pattern/);
  });
});

describe("the process with ROUTING_FILE", () => {
  const dir = mkdtempSync(join(tmpdir(), "gc-routing-"));
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(extraEnv: Record<string, string>) {
    const child = spawn(process.execPath, ["src/main.ts"], {
      env: { PATH: process.env["PATH"] ?? "", HOST: "127.0.0.1", PORT: "0", ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout?.on("data", (data: Buffer) => (output += data.toString()));
    child.stderr?.on("data", (data: Buffer) => (output += data.toString()));
    return { child, output: () => output };
  }

  function writeFile(name: string, content: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  }

  it("refuses to start on a bad routing file, naming the variable, the entry and the field", async () => {
    const path = writeFile("bad.json", { upstreams: [{ ...upstreamA, apiKeyEnv: "KEY_UNSET" }] });
    const { child, output } = run({ ROUTING_FILE: path });
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    expect(output()).toContain(`bad setting: ROUTING_FILE ${path}: upstreams[0] ("a").apiKeyEnv: the environment variable KEY_UNSET is not set`);
  });

  it("serves an alias through the file's upstream, naming it in the headers, and never logs its key", async () => {
    const emulator = await startEmulator({ apiKey: env.KEY_A });
    try {
      const path = writeFile("good.json", {
        upstreams: [{ ...upstreamA, baseUrl: emulator.url }],
        models: { fast: [{ model: "gemini-2.5-flash", upstreams: ["a"] }] },
      });
      const { child, output } = run({ ROUTING_FILE: path, KEY_A: env.KEY_A, LOG_LEVEL: "debug" });
      const deadline = Date.now() + 15_000;
      let port: number | undefined;
      while (port === undefined) {
        const match = /"address":"127\.0\.0\.1:(\d+)"/.exec(output());
        if (match?.[1] !== undefined) port = Number(match[1]);
        else if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${output()}`);
        else await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const client = createClient(GenerativeService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      const headers = new Headers();
      const request = create(GenerateContentRequestSchema, { model: "fast", contents: [{ role: "user", parts: [{ data: { case: "text", value: "routed" } }] }] });
      let answer = "";
      for await (const chunk of client.streamGenerateContent(request, { onHeader: (h) => h.forEach((v, k) => headers.set(k, v)) })) {
        for (const part of chunk.candidates[0]?.content?.parts ?? []) if (part.data.case === "text") answer += part.data.value;
      }
      expect(answer).toBe("routed");
      expect(headers.get("x-gemini-model")).toBe("gemini-2.5-flash");
      expect(headers.get("x-gemini-upstream")).toBe("a");
      expect(emulator.requests.map((r) => r.model)).toEqual(["gemini-2.5-flash"]);
      child.kill("SIGTERM");
      await once(child, "exit");
      expect(output()).toContain('"routing":{"upstreams":["a"],"aliases":["fast"]}');
      expect(output()).not.toContain(env.KEY_A);
    } finally {
      await emulator.close();
    }
  });
});
