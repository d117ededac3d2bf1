// `npm start` itself, as the README has a newcomer run it: npm in front, the gateway behind it. A
// signal to npm (`kill <pid>`) or to the terminal's process group (Ctrl-C) stops the gateway with its
// drain and exit 0, and leaves nothing listening behind npm's back.

import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "./interop/support.ts";

const started: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const npm of started.splice(0)) if (npm.exitCode === null && npm.pid !== undefined) process.kill(-npm.pid, "SIGKILL");
});

interface Running {
  readonly npm: ChildProcessWithoutNullStreams;
  /** The gateway's own pid and port, from its start-up line. */
  readonly gatewayPid: number;
  readonly port: number;
  readonly ended: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** `npm start` in a process group of its own, as a terminal runs it; resolves once the gateway listens. */
async function npmStart(): Promise<Running> {
  const npm = spawn("npm", ["start"], {
    cwd: repoRoot,
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0" },
    detached: true,
  });
  started.push(npm);
  let stdout = "";
  let stderr = "";
  npm.stdout.setEncoding("utf8").on("data", (data: string) => (stdout += data));
  npm.stderr.setEncoding("utf8").on("data", (data: string) => (stderr += data));
  const ended = once(npm, "close").then(([code]) => ({ code: code as number | null, stdout, stderr }));
  for await (const line of createInterface({ input: npm.stdout })) {
    const entry = line.startsWith("{") ? (JSON.parse(line) as { msg?: string; pid?: number; address?: string }) : {};
    if (entry.msg === "gemini-connect listening" && entry.pid !== undefined && entry.address !== undefined) {
      return { npm, gatewayPid: entry.pid, port: Number(entry.address.split(":").at(-1)), ended };
    }
  }
  throw new Error(`npm start ended before listening:\n${stdout}\n${stderr}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(socket.destroy() !== undefined));
    socket.once("error", () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("npm start", () => {
  it.each([
    ["kill <pid of npm start> (SIGTERM to npm)", (npm: ChildProcessWithoutNullStreams) => npm.kill("SIGTERM")],
    ["Ctrl-C (SIGINT to the whole process group)", (npm: ChildProcessWithoutNullStreams) => process.kill(-(npm.pid ?? 0), "SIGINT")],
  ])("%s drains and stops the gateway itself, exit 0, nothing left listening", async (_, stop) => {
    const { npm, gatewayPid, port, ended } = await npmStart();
    expect(gatewayPid).not.toBe(npm.pid);
    expect(await accepts(port)).toBe(true);
    stop(npm);
    const { code, stdout, stderr } = await ended;
    expect(code).toBe(0);
    expect(stdout).toContain('"msg":"stopped"');
    expect(stderr).toBe("");
    expect(alive(gatewayPid)).toBe(false);
    expect(await accepts(port)).toBe(false);
  }, 30_000);
});
