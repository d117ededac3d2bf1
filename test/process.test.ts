// The real process as `npm start` runs it: settings from the environment, the emulator fallback,
// start-up errors that name the variable, and a clean exit on SIGTERM.

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { startEmulator } from "../src/emulator/server.ts";

interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  stderr: () => string;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; stderr: () => string } {
  const child = spawn(process.execPath, ["src/main.ts"], {
    env: { PATH: process.env["PATH"] ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  let stderr = "";
  child.stdout?.on("data", (data: Buffer) => (output += data.toString()));
  child.stderr?.on("data", (data: Buffer) => {
    output += data.toString();
    stderr += data.toString();
  });
  return { child, output: () => output, stderr: () => stderr };
}

function logLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function start(env: Record<string, string>): Promise<Started> {
  const { child, output, stderr } = run(env);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const listening = output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg?: string; address?: string })
      .find((line) => line.msg === "gemini-connect listening");
    if (listening?.address !== undefined) return { child, port: Number(listening.address.split(":").at(-1)), output, stderr };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function streamText(port: number, text: string): Promise<string> {
  const client = createClient(GenerativeService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  const request = create(GenerateContentRequestSchema, {
    model: "models/gemini-2.5-flash",
    contents: [{ role: "user", parts: [{ data: { case: "text", value: text } }] }],
  });
  let answer = "";
  for await (const chunk of client.streamGenerateContent(request)) {
    for (const part of chunk.candidates[0]?.content?.parts ?? []) if (part.data.case === "text") answer += part.data.value;
  }
  return answer;
}

describe("npm start", () => {
  it("with no key, serves from the built-in emulator, says so loudly, and exits 0 on SIGTERM", async () => {
    const { child, port, output } = await start({});
    expect(await streamText(port, "hello from the emulator")).toBe("hello from the emulator");
    const warning = output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .find((line) => line.level === 40);
    expect(warning?.msg).toMatch(/NOT CALLING GEMINI/);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("with a key and a base URL, forwards to that server and never logs the key", async () => {
    const key = "AIzaSy-secret-process-test-key";
    const upstream = await startEmulator({ apiKey: key });
    try {
      const { child, port, output } = await start({ GEMINI_API_KEY: key, GEMINI_BASE_URL: upstream.url, LOG_LEVEL: "debug" });
      expect(await streamText(port, "through a real upstream")).toBe("through a real upstream");
      expect(upstream.requests).toHaveLength(1);
      child.kill("SIGTERM");
      await once(child, "exit");
      expect(output()).toContain('"backend":"gemini"');
      expect(output()).not.toContain(key);
      const listening = logLines(output()).find((line) => line["msg"] === "gemini-connect listening");
      expect(listening?.["settings"]).toMatchObject({ geminiApiKey: "(set)", backend: "gemini" });
    } finally {
      await upstream.close();
    }
  });

  it("says in its start-up line that no key is set, when none is", async () => {
    const { child, output } = await start({});
    child.kill("SIGTERM");
    await once(child, "exit");
    const listening = logLines(output()).find((line) => line["msg"] === "gemini-connect listening");
    expect(listening?.["settings"]).toMatchObject({ geminiApiKey: "(unset)", backend: "emulator" });
  });

  it("stops with one line naming the port and PORT when the port is taken, exit 2", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const { child, stderr } = run({ PORT: String(port) });
      const [code] = await once(child, "exit");
      expect(code).toBe(2);
      expect(stderr()).toBe(`gemini-connect: 127.0.0.1:${port} is already in use: stop what listens there, or set PORT to another port\n`);
    } finally {
      holder.close();
    }
  });

  it("logs Node's warnings as log lines, never as plain text on stderr", async () => {
    const { child, port, output, stderr } = await start({});
    // A deadline past what a Node timer holds: refused, and connect arms a timer Node warns about.
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/geminiconnect.v1.GenerativeService/GenerateContent",
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": "99999999H",
      });
      let status: unknown;
      // A trailers-only answer carries grpc-status in its headers; otherwise it comes in trailers.
      const noteStatus = (headers: http2.IncomingHttpHeaders) => (status ??= headers["grpc-status"]);
      stream.on("response", noteStatus).on("trailers", noteStatus);
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
      stream.resume();
      await once(stream, "close");
      expect(status).toBe("3");
    } finally {
      session.close();
    }
    const deadline = Date.now() + 5_000;
    while (!logLines(output()).some((line) => line["warning"] === "TimeoutOverflowWarning") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGTERM");
    await once(child, "exit");
    expect(logLines(output()).find((line) => line["warning"] === "TimeoutOverflowWarning")).toMatchObject({ level: 40, msg: "node warning" });
    expect(stderr()).toBe("");
  });

  it.each<{ env: Record<string, string>; names: string }>([
    { env: { NODE_ENV: "production" }, names: "GEMINI_API_KEY" },
    { env: { PORT: "eighty" }, names: "PORT" },
    { env: { GEMINI_BACKEND: "openai" }, names: "GEMINI_BACKEND" },
    { env: { GEMINI_API_KEY: "k", GEMINI_BASE_URL: "not a url" }, names: "GEMINI_BASE_URL" },
    { env: { LOG_LEVEL: "loud" }, names: "LOG_LEVEL" },
  ])("refuses to start on a bad setting, naming $names", async ({ env, names }) => {
    const { child, output } = run(env);
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    expect(output()).toContain(names);
  });
});
