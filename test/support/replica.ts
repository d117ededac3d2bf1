// A gateway in a process of its own (`node src/main.ts`), as a replica runs: its settings from the
// environment, its JSON log lines read from its output, a gRPC client on its port.

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerativeClient } from "./harness.ts";

export interface Replica {
  readonly child: ChildProcess;
  readonly client: GenerativeClient;
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** Every JSON log line the process wrote so far. */
  logs(): Record<string, unknown>[];
}

/** Starts `node src/main.ts` on a free port of 127.0.0.1 with `env`; resolves once it listens. */
export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, ["src/main.ts"], {
    env: { PATH: process.env["PATH"] ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (data: Buffer) => (output += data.toString()));
  child.stderr.on("data", (data: Buffer) => (output += data.toString()));
  const logs = () =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const listening = logs().find((line) => line["msg"] === "gemini-connect listening");
    if (typeof listening?.["address"] === "string") {
      const baseUrl = `http://127.0.0.1:${listening["address"].split(":").at(-1)}`;
      const client = createClient(GenerativeService, createGrpcTransport({ baseUrl }));
      return { child, client, baseUrl, logs };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`gateway did not start:\n${output}`);
    await sleep(20);
  }
}

/** SIGTERM, and waits for the exit. */
export async function stopReplica(replica: Replica | undefined): Promise<void> {
  if (replica === undefined || replica.child.exitCode !== null) return;
  const exited = once(replica.child, "exit");
  replica.child.kill("SIGTERM");
  await exited;
}
