// The gateway as its own process (src/main.ts), for what only a process shows: its memory, its
// stderr. Its JSON log lines are kept; everything else it prints is kept apart.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly port: number;
  /** Every JSON log line so far. */
  logs(): Record<string, unknown>[];
  /** Whatever it wrote that is not a JSON log line (stack traces, warnings). */
  otherOutput(): string;
  /** Resident memory now, from /proc. */
  rssBytes(): number;
  stop(): Promise<void>;
}

/** Starts `node src/main.ts` on a free port of 127.0.0.1 with `env`; resolves once it listens. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["src/main.ts"], {
    env: { PATH: process.env["PATH"] ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (data: Buffer) => (output += data.toString()));
  child.stderr.on("data", (data: Buffer) => (output += data.toString()));
  const lines = () => output.split("\n").filter((line) => line !== "");
  const logs = () => lines().filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const listening = logs().find((line) => line["msg"] === "gemini-connect listening");
    if (typeof listening?.["address"] === "string") {
      const port = Number(listening["address"].split(":").at(-1));
      return {
        child,
        port,
        baseUrl: `http://127.0.0.1:${port}`,
        logs,
        otherOutput: () => lines().filter((line) => !line.startsWith("{")).join("\n"),
        rssBytes: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]) * 1024,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = once(child, "exit");
          child.kill("SIGTERM");
          await exited;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`gateway did not start:\n${output}`);
    await sleep(20);
  }
}
