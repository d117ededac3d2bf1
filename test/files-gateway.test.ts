// FileService through the gateway, over real sockets: upload, watch until ACTIVE, a prompt that
// names the file, delete; callers who cannot see each other's files; refusals; cancel; the log
// line, the metric and the caller's limits.
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { File_State } from "../gen/ts/geminiconnect/v1/files_pb.ts";
import type { File, UploadFileRequestSchema } from "../gen/ts/geminiconnect/v1/files_pb.ts";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentRequest } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { noLimits } from "../src/config/callers-file.ts";
import { Redis } from "ioredis";
import { testCaller } from "./support/callers.ts";
import { eventually, protocols, readStream, startHarness } from "./support/harness.ts";
import type { FilesClient, Harness } from "./support/harness.ts";
import { startRedis } from "./support/redis.ts";

type UploadMessage = MessageInitShape<typeof UploadFileRequestSchema>;

const alice = testCaller("alice");
const bob = testCaller("bob");
const once = testCaller("once", { requestsPerMinute: 1 });
const spoolDir = join(tmpdir(), `files-gateway-test-${process.pid}`);
let harness: Harness;
let files: FilesClient;

beforeAll(async () => {
  harness = await startHarness({
    emulator: { fileProcessingMs: 60_000 },
    callers: [alice.caller, bob.caller, once.caller],
    limits: { global: noLimits, windowSeconds: 60, redis: undefined },
    files: { maxFileBytes: 4 * 1024 * 1024, spoolDir },
  });
  files = harness.files("grpc");
});
afterAll(async () => {
  await harness.close();
  await rm(spoolDir, { recursive: true, force: true });
});

async function* upload(size: number, declared = size, displayName = "quarterly-report.pdf"): AsyncGenerator<UploadMessage> {
  yield { payload: { case: "metadata", value: { displayName, mimeType: "application/pdf", sizeBytes: BigInt(declared) } } };
  const piece = new Uint8Array(64 * 1024).fill(7);
  for (let sent = 0; sent < size; sent += piece.length) yield { payload: { case: "chunk", value: piece.subarray(0, Math.min(piece.length, size - sent)) } };
}

async function refusal(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (error === undefined) throw new Error("expected the call to fail");
  return ConnectError.from(error);
}

async function spoolFiles(): Promise<string[]> {
  const dirs = await readdir(spoolDir).catch(() => []);
  return (await Promise.all(dirs.map((dir) => readdir(join(spoolDir, dir))))).flat();
}

function prompt(file: File, text = "summarize it"): GenerateContentRequest {
  return create(GenerateContentRequestSchema, {
    model: "models/gemini-2.5-flash",
    contents: [
      {
        role: "user",
        parts: [
          { data: { case: "fileData", value: { fileUri: file.uri, mimeType: file.mimeType } } },
          { data: { case: "text", value: text } },
        ],
      },
    ],
  });
}

/** Waits until an async condition holds, failing after 5 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met within 5000 ms");
    await sleep(5);
  }
}

async function sample(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${harness.baseUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("FileService", () => {
  it("uploads, watches until ACTIVE, streams a prompt that names the file, deletes it", async () => {
    const stored = harness.emulator.files.stored;
    const file = await files.uploadFile(upload(1_000_000), alice.options());
    expect(file).toMatchObject({ displayName: "quarterly-report.pdf", mimeType: "application/pdf", sizeBytes: 1_000_000n, state: File_State.PROCESSING });
    expect(file.uri).toBe(`${harness.emulator.url}/v1beta/${file.name}`);

    const states: number[] = [];
    for await (const update of files.watchFile({ name: file.name }, alice.options())) {
      states.push(update.state);
      if (update.state === File_State.PROCESSING) harness.emulator.files.finishProcessing(file.name);
    }
    expect(states).toEqual([File_State.PROCESSING, File_State.ACTIVE]);

    const asked = harness.emulator.requests.length;
    const { chunks, error } = await readStream(harness.client("grpc"), prompt(file, "summarize it"), alice.options());
    expect(error).toBeUndefined();
    expect(chunks.map((chunk) => chunk.candidates[0]?.content?.parts[0]?.data.value).join("")).toBe("summarize it");
    expect(harness.emulator.requests[asked]?.body).toMatchObject({ contents: [{ parts: [{ fileData: { fileUri: file.uri } }, { text: "summarize it" }] }] });

    expect((await files.listFiles({}, alice.options())).files.map((listed) => listed.name)).toContain(file.name);
    await files.deleteFile({ name: file.name }, alice.options());
    expect((await refusal(files.getFile({ name: file.name }, alice.options()))).code).toBe(Code.NotFound);
    expect(harness.emulator.files.stored).toBe(stored);
    expect(await spoolFiles()).toEqual([]);
  });

  it("gives another caller NotFound for the file in every RPC and in file_uri, before anything reaches Gemini", async () => {
    const file = await files.uploadFile(upload(1000), alice.options());
    const asked = harness.emulator.requests.length;
    const generative = harness.client("grpc");
    const attempts: Promise<unknown>[] = [
      files.getFile({ name: file.name }, bob.options()),
      files.deleteFile({ name: file.name }, bob.options()),
      (async () => {
        for await (const _ of files.watchFile({ name: file.name }, bob.options()));
      })(),
      generative.generateContent(prompt(file), bob.options()),
      readStream(generative, prompt(file), bob.options()).then(({ error }) => {
        if (error !== undefined) throw error;
      }),
      generative.countTokens({ model: "models/gemini-2.5-flash", contents: prompt(file).contents }, bob.options()),
    ];
    for (const attempt of attempts) {
      const error = await refusal(attempt);
      expect([error.code, error.rawMessage]).toEqual([Code.NotFound, expect.stringContaining(`${file.name} was not found`)]);
    }
    expect((await refusal(generative.generateContent(prompt(file), bob.options()))).rawMessage).toBe(
      `contents[0].parts[0].file_data.file_uri: ${file.name} was not found`,
    );
    expect((await files.listFiles({}, bob.options())).files).toEqual([]);
    expect(harness.emulator.requests.length).toBe(asked);
    expect((await files.getFile({ name: file.name }, alice.options())).name).toBe(file.name);
    await files.deleteFile({ name: file.name }, alice.options());
  });

  it("refuses a file over FILES_MAX_BYTES and a wrong size_bytes with InvalidArgument, leaving nothing behind", async () => {
    const stored = harness.emulator.files.stored;
    const tooBig = await refusal(files.uploadFile(upload(10, 5 * 1024 * 1024), alice.options()));
    expect([tooBig.code, tooBig.rawMessage]).toEqual([
      Code.InvalidArgument,
      "metadata.size_bytes is 5242880, over the largest file this gateway takes (4194304 bytes)",
    ]);
    const short = await refusal(files.uploadFile(upload(1000, 2000), alice.options()));
    expect([short.code, short.rawMessage]).toEqual([Code.InvalidArgument, "metadata.size_bytes is 2000, but the chunks carried 1000 bytes"]);
    const long = await refusal(files.uploadFile(upload(200_000, 100_000), alice.options()));
    expect([long.code, long.rawMessage]).toEqual([Code.InvalidArgument, "metadata.size_bytes is 100000, but the chunks carried more bytes"]);
    expect(harness.emulator.files.stored).toBe(stored);
    expect(await spoolFiles()).toEqual([]);
  });

  it("a cancelled upload leaves no spool file and no file at Gemini", async () => {
    const { stored, bytesReceived: received } = harness.emulator.files;
    const cancel = new AbortController();
    const sent = Promise.withResolvers<void>();
    async function* stalls(): AsyncGenerator<UploadMessage> {
      yield* upload(500_000, 1_000_000);
      sent.resolve();
      await new Promise<void>((resolve) => cancel.signal.addEventListener("abort", () => resolve()));
    }
    const call = refusal(files.uploadFile(stalls(), alice.options(undefined, { signal: cancel.signal })));
    await sent.promise;
    await until(async () => (await spoolFiles()).length === 1);
    cancel.abort();
    expect((await call).code).toBe(Code.Canceled);
    await eventually(() => harness.logs.some((line) => line["method"] === "geminiconnect.v1.FileService/UploadFile" && line["code"] === "Canceled"));
    expect(await spoolFiles()).toEqual([]);
    expect(harness.emulator.files).toMatchObject({ stored, bytesReceived: received });
  });

  it("logs one line per upload with its size and the display name's length, never the name; counts bytes by caller", async () => {
    const before = await sample("gemini_file_upload_bytes_total", { caller: "alice" });
    const file = await files.uploadFile(upload(3000, 3000, "secret-merger-plan.pdf"), alice.options());
    const lines = harness.logs.filter((line) => line["method"] === "geminiconnect.v1.FileService/UploadFile" && line["code"] === "ok");
    expect(lines.at(-1)).toMatchObject({ caller: "alice", upload: { bytes: 3000, displayNameLength: "secret-merger-plan.pdf".length } });
    expect(JSON.stringify(harness.logs)).not.toContain("secret-merger-plan");
    expect(await sample("gemini_file_upload_bytes_total", { caller: "alice" })).toBe(before + 3000);
    await files.deleteFile({ name: file.name }, alice.options());
  });

  it("counts an upload as a request for the caller's limits", async () => {
    const stored = harness.emulator.files.stored;
    const file = await files.uploadFile(upload(10), once.options());
    const refused = await refusal(files.uploadFile(upload(10), once.options()));
    expect(refused.code).toBe(Code.ResourceExhausted);
    expect(harness.emulator.files.stored).toBe(stored + 1);
    await files.deleteFile({ name: file.name }, alice.options()).catch(() => {});
  });

  it("takes uploads over Connect and gRPC-Web too, on HTTP/2 and from Node's HTTP/1.1 transports", async () => {
    for (const protocol of protocols) {
      const file = await harness.files(protocol).uploadFile(upload(5000), alice.options());
      expect(file.sizeBytes).toBe(5000n);
      await harness.files(protocol).deleteFile({ name: file.name }, alice.options());
    }
  });
});

describe("FileService with REDIS_URL", () => {
  it("keeps who owns which file in Redis, shared by the replicas, and still refuses other callers", async () => {
    const redis = await startRedis();
    const redisLimits = { global: noLimits, windowSeconds: 60, redis: { url: redis.url, timeoutMs: 2000 } };
    const first = await startHarness({ callers: [alice.caller, bob.caller], limits: redisLimits, files: { spoolDir } });
    try {
      const file = await first.files("grpc").uploadFile(upload(1000), alice.options());
      const client = new Redis(redis.url);
      expect(await client.get(`gemini-connect:file:${file.name}`)).toBe("alice");
      client.disconnect();
      expect((await refusal(first.files("grpc").getFile({ name: file.name }, bob.options()))).code).toBe(Code.NotFound);
      await first.files("grpc").deleteFile({ name: file.name }, alice.options());
    } finally {
      await first.close();
      await redis.close();
    }
  });
});
