// Upload throughput through the gateway against the SDK uploading straight to the emulator, in one
// run: emulator and gateway are child processes (as `npm run emulator` and `npm start`), the two
// clients live here, and the rounds alternate so both see the same machine.
//   npm run bench:files -- [--mb 200] [--rounds 3]
// Through the gateway: a gRPC UploadFile streamed from disk in 1 MiB chunks; the gateway spools it,
// then its SDK uploads the spool file to the emulator. Directly: the SDK's files.upload of the same
// file. Figures: MB/s per round and the median; the gateway's CPU time per MB uploaded through it.

import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GoogleGenAI } from "@google/genai";
import { FileService } from "../gen/ts/geminiconnect/v1/files_pb.ts";
import type { UploadFileRequestSchema } from "../gen/ts/geminiconnect/v1/files_pb.ts";
import { cpuUs, startEmulatorProcess, startGatewayProcess } from "./procs.ts";

const { values } = parseArgs({ options: { mb: { type: "string", default: "200" }, rounds: { type: "string", default: "3" } } });
const megabytes = Number(values.mb);
const rounds = Number(values.rounds);
if (!(megabytes > 0) || !(rounds > 0)) throw new Error("--mb and --rounds must be positive numbers");
const size = Math.round(megabytes * 1_000_000);
const apiKey = "bench-files-key";

const work = await mkdtemp(join(tmpdir(), "bench-files-"));
const path = join(work, "upload.bin");
await writeFile(path, Buffer.alloc(size, 7));
const emulator = await startEmulatorProcess({ apiKey, chunks: 1, chunkChars: 8, chunkDelayMs: 0 });
const gateway = await startGatewayProcess({ emulatorUrl: emulator.url, apiKey, logLevel: "info", logFile: join(work, "gateway.log"), nodeFlags: [], workers: 1 });

const sdk = new GoogleGenAI({ apiKey, vertexai: false, apiVersion: "v1beta", httpOptions: { baseUrl: emulator.url } });
const files = createClient(FileService, createGrpcTransport({ baseUrl: gateway.url }));

async function* messages(): AsyncGenerator<MessageInitShape<typeof UploadFileRequestSchema>> {
  yield { payload: { case: "metadata", value: { displayName: "bench", mimeType: "video/mp4", sizeBytes: BigInt(size) } } };
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) yield { payload: { case: "chunk", value: chunk as Buffer } };
}

async function timed(upload: () => Promise<string>): Promise<number> {
  const start = performance.now();
  const name = await upload();
  const seconds = (performance.now() - start) / 1000;
  await sdk.files.delete({ name });
  return size / 1_000_000 / seconds;
}

const direct: number[] = [];
const through: number[] = [];
let gatewayCpuUs = 0;
try {
  // One small upload each first, so neither side pays for loading code in a measured round.
  await sdk.files.delete({ name: (await files.uploadFile(messages())).name });
  await sdk.files.delete({ name: (await sdk.files.upload({ file: path, config: { mimeType: "video/mp4" } })).name ?? "" });
  for (let round = 0; round < rounds; round++) {
    direct.push(await timed(async () => (await sdk.files.upload({ file: path, config: { mimeType: "video/mp4" } })).name ?? ""));
    const cpuBefore = cpuUs(gateway.pid);
    through.push(await timed(async () => (await files.uploadFile(messages(), { timeoutMs: 600_000 })).name));
    gatewayCpuUs += cpuUs(gateway.pid) - cpuBefore;
  }
} finally {
  await gateway.stop();
  await emulator.stop();
  await rm(work, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fixed = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
process.stdout.write(
  [
    `upload of ${megabytes} MB, ${rounds} rounds, alternating`,
    `SDK straight to the emulator: ${fixed(direct)} MB/s (median ${median(direct).toFixed(0)})`,
    `gRPC UploadFile through the gateway: ${fixed(through)} MB/s (median ${median(through).toFixed(0)})`,
    `ratio (gateway / direct): ${(median(through) / median(direct)).toFixed(2)}`,
    `gateway CPU: ${(gatewayCpuUs / 1000 / (megabytes * rounds)).toFixed(2)} ms per MB`,
    "",
  ].join("\n"),
);
