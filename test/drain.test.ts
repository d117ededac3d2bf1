// Graceful drain of the real process: on SIGTERM, streams that can finish within the grace
// period finish; the rest end with Unavailable (retryable); none is cut silently; exit code 0.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Candidate_FinishReason,
  GenerateContentRequestSchema,
  GenerativeService,
} from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator } from "../src/emulator/server.ts";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKey: "drain-key", chunkDelayMs: 100 });
});
afterAll(async () => {
  await emulator.close();
});

function startGateway() {
  const child = spawn(process.execPath, ["src/main.ts"], {
    env: {
      PATH: process.env["PATH"] ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      GEMINI_API_KEY: "drain-key",
      GEMINI_BASE_URL: emulator.url,
      SHUTDOWN_GRACE_MS: "1500",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  let onOutput = () => {};
  child.stdout.on("data", (data: Buffer) => {
    output += data.toString();
    onOutput();
  });
  const port = new Promise<number>((resolve, reject) => {
    onOutput = () => {
      const match = /"msg":"gemini-connect listening"/.test(output) ? /"address":"[^"]*:(\d+)"/.exec(output) : null;
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    };
    child.on("exit", () => reject(new Error(`gateway exited before listening:\n${output}`)));
  });
  /** Resolves once the process has logged "draining": its listener is closed by then (same tick). */
  const draining = port.then(
    () =>
      new Promise<void>((resolve) => {
        onOutput = () => {
          if (output.includes('"msg":"draining"')) resolve();
        };
        onOutput();
      }),
  );
  return { child, port, draining };
}

type Outcome = { kind: "completed"; text: string } | { kind: "failed"; code: Code; received: number } | { kind: "truncated" };

describe("SIGTERM with 100 streams in flight", () => {
  it("finishes what fits in the grace period, ends the rest with Unavailable, cuts none, exits 0", async () => {
    const { child, port } = startGateway();
    const baseUrl = `http://127.0.0.1:${await port}`;
    const client = createClient(GenerativeService, createGrpcTransport({ baseUrl }));
    const shortPrompt = "three short words";
    const longPrompt = Array.from({ length: 100 }, (_, i) => `word${i}`).join(" ");

    let started = 0;
    const allStarted = Promise.withResolvers<void>();
    const streams = Array.from({ length: 100 }, async (_, i): Promise<Outcome> => {
      const prompt = i % 2 === 0 ? shortPrompt : longPrompt;
      const request = create(GenerateContentRequestSchema, {
        model: "models/gemini-2.5-flash",
        contents: [{ role: "user", parts: [{ data: { case: "text", value: prompt } }] }],
      });
      let text = "";
      let received = 0;
      let finished = false;
      try {
        for await (const chunk of client.streamGenerateContent(request)) {
          if (received++ === 0 && ++started === 100) allStarted.resolve();
          const candidate = chunk.candidates[0];
          for (const part of candidate?.content?.parts ?? []) if (part.data.case === "text") text += part.data.value;
          finished ||= candidate?.finishReason === Candidate_FinishReason.STOP;
        }
      } catch (error) {
        return { kind: "failed", code: ConnectError.from(error).code, received };
      }
      return finished && text === prompt ? { kind: "completed", text } : { kind: "truncated" };
    });

    await allStarted.promise;
    child.kill("SIGTERM");
    const outcomes = await Promise.all(streams);
    const [exitCode] = await once(child, "exit");

    expect(outcomes.filter((o) => o.kind === "truncated")).toEqual([]);
    const completed = outcomes.filter((o) => o.kind === "completed");
    const failed = outcomes.filter((o) => o.kind === "failed");
    expect(completed).toHaveLength(50);
    expect(completed.every((o) => o.text === shortPrompt)).toBe(true);
    expect(failed).toHaveLength(50);
    expect(failed.every((o) => o.code === Code.Unavailable && o.received > 0)).toBe(true);
    expect(exitCode).toBe(0);
    expect(emulator.openRequests).toBe(0);
  });

  it("takes no new connection once draining", async () => {
    const { child, port, draining } = startGateway();
    const baseUrl = `http://127.0.0.1:${await port}`;
    const request = create(GenerateContentRequestSchema, {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ data: { case: "text", value: Array(30).fill("w").join(" ") } }] }],
    });
    // One long stream keeps the process draining while a new caller tries to connect.
    const inFlight = createClient(GenerativeService, createGrpcTransport({ baseUrl })).streamGenerateContent(request)[Symbol.asyncIterator]();
    await inFlight.next();
    child.kill("SIGTERM");
    await draining;
    const late = await createClient(GenerativeService, createGrpcTransport({ baseUrl }))
      .countTokens({ model: "models/m", contents: request.contents })
      .catch((e: unknown) => ConnectError.from(e));
    expect((late as ConnectError).code).toBe(Code.Unavailable);
    await (async () => {
      for (;;) if ((await inFlight.next()).done === true) return;
    })().catch(() => undefined);
    expect((await once(child, "exit"))[0]).toBe(0);
  });
});
