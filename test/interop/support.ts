// What the interop suites share: where the tools of other languages are (installed by
// scripts/install-tools.sh), a missing one failing loudly rather than skipping, and a way to run a
// command and keep everything it printed.

import { spawn, spawnSync } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

const install = "run scripts/install-tools.sh (it installs grpcurl, the protoc plugins and the Python packages into .tools/)";

export const toolPaths = {
  grpcurl: join(repoRoot, ".tools/bin/grpcurl"),
  python: join(repoRoot, ".tools/venv/bin/python"),
  buf: join(repoRoot, "node_modules/.bin/buf"),
} as const;

/** The path of an installed tool; throws, naming the fix, when it is not there. */
export function tool(name: keyof typeof toolPaths): string {
  const path = toolPaths[name];
  if (!existsSync(path)) throw new Error(`${name} not found at ${path}: ${install}`);
  return path;
}

/** `go` from PATH; throws, naming the fix, when there is none. */
export function goTool(): string {
  const probe = spawnSync("go", ["version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(`go is not on PATH (Go >= 1.26 is needed), then ${install}`);
  }
  return "go";
}

/** Python with grpcio, protobuf and grpcio-status importable, and gen/python on its path. */
export function python(): { command: string; env: NodeJS.ProcessEnv } {
  const command = tool("python");
  const env = { ...process.env, PYTHONPATH: join(repoRoot, "gen/python"), PYTHONDONTWRITEBYTECODE: "1" };
  const probe = spawnSync(command, ["-c", "import grpc, grpc_status, google.protobuf, google.rpc.error_details_pb2"], {
    encoding: "utf8",
    env,
  });
  if (probe.status !== 0) throw new Error(`${command} cannot import grpcio/grpcio-status/protobuf (${probe.stderr.trim()}): ${install}`);
  return { command, env };
}

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to its end and returns its exit code and output, whatever the code. `killAfterMs`
 * only bounds a command that hangs, so that a broken server fails the test instead of stalling it.
 */
export async function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; killAfterMs?: number } = {},
): Promise<Ran> {
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd ?? repoRoot });
  child.stdin.end();
  return collect(child, options.killAfterMs ?? 30_000);
}

/** Waits for a spawned command to end, with everything it printed. */
export function collect(child: ChildProcessWithoutNullStreams, killAfterMs = 30_000): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (data: string) => (stdout += data));
  child.stderr.setEncoding("utf8").on("data", (data: string) => (stderr += data));
  const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  return new Promise((resolve, reject) => {
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The next line a child prints on stdout. */
export function nextLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    lines.once("line", (line) => {
      lines.close();
      resolve(line);
    });
    child.once("close", (code) => reject(new Error(`exited with ${code} before printing a line`)));
  });
}

/** JSON documents printed one after another (grpcurl and buf curl pretty-print each message). */
export function jsonDocuments(text: string): unknown[] {
  const documents: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0) {
      documents.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return documents;
}

/** A chunk as proto3 JSON, as grpcurl and buf curl print it. */
export interface ChunkJson {
  candidates?: { content?: { parts?: { text?: string }[] }; finishReason?: string }[];
  usageMetadata?: { totalTokenCount?: number };
}

export function textOf(chunk: ChunkJson): string {
  return (chunk.candidates?.[0]?.content?.parts ?? []).map((part) => part.text ?? "").join("");
}

/** The JSON body of a GenerateContentRequest with one user turn. */
export function requestJson(prompt: string): string {
  return JSON.stringify({ model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: prompt }] }] });
}

/** An upstream error as Gemini sends it, with typed details, for the error-details cases. */
export const invalidKeyError = {
  code: 400,
  message: "API key not valid. Please pass a valid API key.",
  status: "INVALID_ARGUMENT",
  details: [
    {
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "API_KEY_INVALID",
      domain: "googleapis.com",
      metadata: { service: "generativelanguage.googleapis.com" },
    },
    {
      "@type": "type.googleapis.com/google.rpc.BadRequest",
      fieldViolations: [{ field: "key", description: "API key not valid" }],
    },
  ],
} as const;
