// The bench's child processes (emulator, gateway, load generator) and what it reads about them
// from /proc. Nothing here adds code to the gateway: its CPU time and RSS are read from outside.

import { fork, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync, writeSync, openSync, closeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import type { CommandMessage, Command, ReplyMessage, ResultOf } from "./protocol.ts";

export const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux build that matters. */
const clockTicksPerSecond = 100;

/**
 * utime + stime of the whole process (all threads, as process.cpuUsage() counts it) and of its
 * live child processes (a gateway's workers, with --workers), in µs.
 */
export function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1_000_000) / clockTicksPerSecond + childPids(pid).reduce((sum, child) => sum + cpuUs(child), 0);
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "latin1").split(" ").filter(Boolean).map(Number);
  } catch {
    // The child ended between the two reads.
    return [];
  }
}

/** CPU time the whole machine spent busy (all cores; not idle or iowait), from /proc/stat, in µs. */
export function systemBusyUs(): number {
  const line = readFileSync("/proc/stat", "latin1").split("\n", 1)[0] ?? "";
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  const ticks = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return (ticks * 1_000_000) / clockTicksPerSecond;
}

/** Resident set size in KiB (VmRSS of /proc/<pid>/status). */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

// Children still running when the bench exits (an error, Ctrl-C) are killed with it, so no
// emulator or gateway is left behind holding ports and CPU.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => process.exit(130));
}

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

export interface Child {
  readonly pid: number;
  readonly url: string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface EmulatorSettings {
  readonly apiKey: string;
  readonly chunks: number;
  readonly chunkChars: number;
  readonly chunkDelayMs: number;
}

/** `npm run emulator` as a child: src/emulator/main.ts with its EMULATOR_* settings. */
export async function startEmulatorProcess(settings: EmulatorSettings): Promise<Child> {
  const child = track(spawn(process.execPath, [join(repoRoot, "src/emulator/main.ts")], {
    cwd: repoRoot,
    env: {
      ...process.env,
      EMULATOR_HOST: "127.0.0.1",
      EMULATOR_PORT: "0",
      EMULATOR_API_KEY: settings.apiKey,
      EMULATOR_CHUNKS: String(settings.chunks),
      EMULATOR_CHUNK_CHARS: String(settings.chunkChars),
      EMULATOR_CHUNK_DELAY_MS: String(settings.chunkDelayMs),
    },
    stdio: ["ignore", "pipe", "pipe"],
  }));
  const output = collect(child);
  const url = await waitFor(child, output, 10_000, (text) => /listening on (http:\/\/\S+)/.exec(text)?.[1]);
  return childHandle(child, url);
}

export interface GatewaySettings {
  readonly emulatorUrl: string;
  readonly apiKey: string;
  readonly logLevel: string;
  /** Where the gateway's stdout (its pino log) goes. */
  readonly logFile: string;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeFlags: readonly string[];
  /** The gateway's entry file; default src/main.ts (another path: a patched copy to compare). */
  readonly entry?: string | undefined;
  /** The gateway's WORKERS. */
  readonly workers: number;
}

/** `npm start` as a child: src/main.ts on a free port, upstream the emulator via the Gemini backend. */
export async function startGatewayProcess(settings: GatewaySettings): Promise<Child> {
  const log = openSync(settings.logFile, "w");
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith("GEMINI_") || name.startsWith("GOOGLE_") || name.startsWith("EMULATOR_") || name === "NODE_ENV") delete env[name];
  }
  const child = track(spawn(process.execPath, [...settings.nodeFlags, settings.entry ?? join(repoRoot, "src/main.ts")], {
    cwd: repoRoot,
    env: {
      ...env,
      // No caller authentication: the bench measures the stream path (issue 7 adds callers).
      AUTH_ALLOW_OPEN: "true",
      HOST: "127.0.0.1",
      PORT: "0",
      GEMINI_BACKEND: "gemini",
      GEMINI_API_KEY: settings.apiKey,
      GEMINI_BASE_URL: settings.emulatorUrl,
      LOG_LEVEL: settings.logLevel,
      WORKERS: String(settings.workers),
    },
    stdio: ["ignore", log, "pipe"],
  }));
  closeSync(log);
  const output = collect(child);
  const url = await waitFor(child, output, 10_000, () => {
    // The log is a file; the "listening" line names the port the gateway got.
    let text: string;
    try {
      text = readFileSync(settings.logFile, "utf8");
    } catch {
      return undefined;
    }
    const address = /"address":"(127\.0\.0\.1:\d+)"/.exec(text)?.[1];
    return address === undefined ? undefined : `http://${address}`;
  });
  return childHandle(child, url);
}

export interface LoadGenerator {
  readonly pid: number;
  run<C extends Command>(command: C): Promise<ResultOf[C["kind"]]>;
  stop(): Promise<void>;
}

/** bench/loadgen.ts as a child, so its CPU is not the gateway's and not the orchestrator's. */
export function startLoadGenerator(): LoadGenerator {
  const child = track(fork(join(repoRoot, "bench/loadgen.ts"), [], {
    cwd: repoRoot,
    execPath: process.execPath,
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  }));
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on("message", (raw) => {
    const reply = raw as ReplyMessage;
    const waiter = pending.get(reply.id);
    if (waiter === undefined) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new Error(`load generator: ${reply.error}`));
  });
  child.on("exit", (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load generator exited (${code ?? signal})`));
    pending.clear();
  });
  return {
    pid: child.pid ?? -1,
    run(command) {
      const id = nextId++;
      const message: CommandMessage = { id, command };
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send(message);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.disconnect();
      await exited(child, 5_000);
    },
  };
}

function childHandle(child: ChildProcess, url: string): Child {
  return {
    pid: child.pid ?? -1,
    url,
    stop: (graceMs = 5_000) => exited(child, graceMs, "SIGTERM"),
  };
}

/** Waits for the child to exit, sending `signal` first if given and SIGKILL after `graceMs`. */
async function exited(child: ChildProcess, graceMs: number, signal?: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (signal !== undefined) child.kill(signal);
  const inTime = await Promise.race([done.then(() => true), sleep(graceMs, false, { ref: false })]);
  if (!inTime) {
    child.kill("SIGKILL");
    await done;
  }
}

interface Output {
  text: string;
}

function collect(child: ChildProcess): Output {
  const output: Output = { text: "" };
  const add = (data: Buffer) => {
    // Keep the start (where startup problems show) and stay bounded.
    if (output.text.length < 64_000) output.text += data.toString("utf8");
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  return output;
}

async function waitFor(
  child: ChildProcess,
  output: Output,
  timeoutMs: number,
  ready: (text: string) => string | undefined,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = ready(output.text);
    if (found !== undefined) return found;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`child exited before it was ready (${child.exitCode ?? child.signalCode}):\n${output.text}`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`child not ready within ${timeoutMs} ms:\n${output.text}`);
    }
    await sleep(20);
  }
}

/** Appends a line to a file descriptor-less log (used for progress when stdout is a table). */
export function note(line: string): void {
  writeSync(2, `${line}\n`);
}
