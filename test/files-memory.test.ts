// A 300 MB upload over gRPC through the real gateway process: its memory stays flat (the file goes
// to disk and on to Gemini in pieces, never whole into memory), and the spool is empty afterwards.
// The client streams one reused 1 MiB buffer, so the test itself allocates no 300 MB either.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileService } from "../gen/ts/geminiconnect/v1/files_pb.ts";
import type { UploadFileRequestSchema } from "../gen/ts/geminiconnect/v1/files_pb.ts";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator } from "../src/emulator/server.ts";

const MiB = 1024 * 1024;
let emulator: Emulator;
let gateway: ChildProcess;
let spoolDir: string;
let files: ReturnType<typeof createClient<typeof FileService>>;

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: "k" });
  spoolDir = await mkdtemp(join(tmpdir(), "files-memory-"));
  gateway = spawn(process.execPath, ["src/main.ts"], {
    env: {
      PATH: process.env["PATH"] ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      GEMINI_API_KEY: "k",
      GEMINI_BASE_URL: emulator.url,
      FILES_SPOOL_DIR: spoolDir,
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await listeningPort(gateway);
  files = createClient(FileService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
}, 30_000);
afterAll(async () => {
  gateway?.kill("SIGKILL");
  await emulator?.close();
  if (spoolDir !== undefined) await rm(spoolDir, { recursive: true, force: true });
});

async function listeningPort(child: ChildProcess): Promise<number> {
  let output = "";
  for await (const data of child.stdout ?? []) {
    output += String(data);
    const line = output.split("\n").find((text) => text.includes('"msg":"gemini-connect listening"'));
    if (line !== undefined) return Number((JSON.parse(line) as { address: string }).address.split(":").at(-1));
  }
  throw new Error(`the gateway exited before listening:\n${output}`);
}

async function* upload(bytes: number): AsyncGenerator<MessageInitShape<typeof UploadFileRequestSchema>> {
  yield { payload: { case: "metadata", value: { displayName: "big.mp4", mimeType: "video/mp4", sizeBytes: BigInt(bytes) } } };
  const piece = new Uint8Array(MiB).fill(9);
  for (let sent = 0; sent < bytes; sent += MiB) yield { payload: { case: "chunk", value: piece.subarray(0, Math.min(MiB, bytes - sent)) } };
}

/** A figure of /proc/<pid>/status, in bytes: VmRSS (resident now) or VmHWM (the peak since the last reset). */
async function memory(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1];
  if (kib === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

describe("a 300 MB upload over gRPC", () => {
  it("grows the gateway's resident memory by less than 50 MB, and leaves the spool empty", async () => {
    const pid = gateway.pid ?? 0;
    // Warm up: the first upload loads and compiles the upload path, which is not the upload's memory.
    const warm = await files.uploadFile(upload(20 * MiB));
    await files.deleteFile({ name: warm.name });
    const baseline = await memory(pid, "VmRSS");
    // Writing 5 to clear_refs resets VmHWM to the current RSS: from here on it is the upload's peak.
    await writeFile(`/proc/${pid}/clear_refs`, "5");
    const received = emulator.files.bytesReceived;

    const file = await files.uploadFile(upload(300 * MiB), { timeoutMs: 300_000 });

    const peak = await memory(pid, "VmHWM");
    expect(file.sizeBytes).toBe(BigInt(300 * MiB));
    expect(emulator.files.bytesReceived - received).toBe(300 * MiB);
    process.stdout.write(`gateway RSS: ${(baseline / MiB).toFixed(1)} MiB before, peak ${(peak / MiB).toFixed(1)} MiB during the 300 MiB upload\n`);
    expect(peak - baseline).toBeLessThan(50 * 1000 * 1000);
    const spool = await readdir(spoolDir);
    expect((await Promise.all(spool.map((dir) => readdir(join(spoolDir, dir))))).flat()).toEqual([]);
  }, 300_000);
});
