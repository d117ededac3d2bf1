// The files core over the real SDK and the emulator: upload through the spool, ownership per caller,
// watching until ACTIVE, prompts naming files, and nothing left behind by a failed or cancelled upload.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ContentSchema } from "../../gen/ts/geminiconnect/v1/content_pb.ts";
import { File_State, UploadFileRequestSchema } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import type { File, UploadFileRequest } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import { startEmulator } from "../../src/emulator/server.ts";
import type { Emulator } from "../../src/emulator/server.ts";
import { createRedactor } from "../../src/generative/errors.ts";
import { createFilesCore } from "../../src/files/core.ts";
import type { FilesCore } from "../../src/files/core.ts";
import { createMemoryOwnership } from "../../src/files/ownership.ts";
import { createSpool } from "../../src/files/spool.ts";
import type { Spool } from "../../src/files/spool.ts";
import { createGenaiFiles } from "../../src/upstream/genai-files.ts";

let base: string;
let emu: Emulator;
let spool: Spool;
let core: FilesCore;

async function setUp(options: { fileProcessingMs?: number; spoolBytes?: number; maxFileBytes?: number } = {}) {
  emu = await startEmulator({ apiKey: "k", fileProcessingMs: options.fileProcessingMs ?? 0 });
  spool = createSpool({ dir: base, maxBytes: options.spoolBytes ?? 1 << 30 });
  core = createFilesCore({
    upstream: createGenaiFiles({ apiKey: "k", baseUrl: emu.url }),
    spool,
    ownership: createMemoryOwnership(),
    maxFileBytes: options.maxFileBytes ?? 1 << 30,
    fileHosts: new Set([new URL(emu.url).host]),
    watchIntervalMs: 10,
    maxWatchIntervalMs: 50,
    redact: createRedactor(["k"]),
  });
}

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "files-core-"));
});
afterEach(async () => {
  await core.close();
  await emu.close();
  await rm(base, { recursive: true, force: true });
});

const never = new AbortController().signal;

function metadata(sizeBytes: number, mimeType = "application/pdf"): UploadFileRequest {
  return create(UploadFileRequestSchema, {
    payload: { case: "metadata", value: { displayName: "report", mimeType, sizeBytes: BigInt(sizeBytes) } },
  });
}

function chunk(bytes: Uint8Array): UploadFileRequest {
  return create(UploadFileRequestSchema, { payload: { case: "chunk", value: bytes } });
}

async function* messages(size: number, chunkBytes = 64 * 1024, declared = size): AsyncGenerator<UploadFileRequest> {
  yield metadata(declared);
  const piece = new Uint8Array(chunkBytes).fill(42);
  for (let sent = 0; sent < size; sent += chunkBytes) yield chunk(piece.subarray(0, Math.min(chunkBytes, size - sent)));
}

async function spoolFiles(): Promise<string[]> {
  const dirs = await readdir(base);
  return (await Promise.all(dirs.map((dir) => readdir(join(base, dir))))).flat();
}

async function refusal(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(error)}`);
  return error;
}

function prompt(uri: string) {
  return { contents: [create(ContentSchema, { role: "user", parts: [{ data: { case: "fileData", value: { fileUri: uri } } }] })] };
}

describe("upload", () => {
  it("spools, hands the file to Gemini, leaves no spool file, and the uploader owns it", async () => {
    await setUp();
    const file = await core.upload("alice", messages(1_000_000), never);
    expect(file).toMatchObject({ displayName: "report", mimeType: "application/pdf", sizeBytes: 1_000_000n, state: File_State.ACTIVE });
    expect(emu.files).toMatchObject({ stored: 1, bytesReceived: 1_000_000 });
    expect(await spoolFiles()).toEqual([]);
    expect(spool.reservedBytes).toBe(0);
    expect((await core.get("alice", file.name, never)).name).toBe(file.name);
  });

  it.each([
    ["more bytes than size_bytes", messages(100, 40, 90), "metadata.size_bytes is 90, but the chunks carried more bytes"],
    ["fewer bytes than size_bytes", messages(80, 40, 90), "metadata.size_bytes is 90, but the chunks carried 80 bytes"],
  ])("refuses %s with InvalidArgument, sending nothing to Gemini", async (_case, upload, message) => {
    await setUp();
    const error = await refusal(core.upload("alice", upload, never));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
    expect(emu.files).toMatchObject({ stored: 0, bytesReceived: 0, openUploads: 0 });
    expect(await spoolFiles()).toEqual([]);
  });

  it("refuses a file over the cap before reading it, and a full spool with ResourceExhausted", async () => {
    await setUp({ maxFileBytes: 1000, spoolBytes: 500 });
    const tooBig = await refusal(core.upload("alice", messages(1001), never));
    expect([tooBig.code, tooBig.rawMessage]).toEqual([
      Code.InvalidArgument,
      "metadata.size_bytes is 1001, over the largest file this gateway takes (1000 bytes)",
    ]);
    const full = await refusal(core.upload("alice", messages(600), never));
    expect(full.code).toBe(Code.ResourceExhausted);
  });

  it.each([
    ["no metadata first", (async function* () { yield chunk(new Uint8Array(1)); })(), "the first message of an upload must carry metadata"],
    ["no MIME type", (async function* () { yield metadata(1, ""); })(), "metadata.mime_type is required"],
    ["an empty file", (async function* () { yield metadata(0); })(), "metadata.size_bytes must be at least 1"],
    ["metadata twice", (async function* () { yield metadata(1); yield metadata(1); })(), "only the first message may carry metadata; send chunk in the others"],
  ])("refuses %s with InvalidArgument", async (_case, upload, message) => {
    await setUp();
    const error = await refusal(core.upload("alice", upload, never));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
    expect(await spoolFiles()).toEqual([]);
  });

  it("cancelled while the caller is still sending: no spool file, nothing at Gemini", async () => {
    await setUp();
    const cancel = new AbortController();
    async function* stalls() {
      yield metadata(1000);
      yield chunk(new Uint8Array(500));
      cancel.abort(new ConnectError("the caller went away", Code.Canceled));
      await new Promise(() => {});
    }
    const error = await refusal(core.upload("alice", stalls(), cancel.signal));
    expect(error.code).toBe(Code.Canceled);
    expect(await spoolFiles()).toEqual([]);
    expect(emu.files).toMatchObject({ stored: 0, bytesReceived: 0 });
  });

  it("cancelled while the file goes to Gemini: the upload stops and no file is left there", async () => {
    await setUp();
    const cancel = new AbortController();
    const upload = core.upload("alice", messages(40 * 1024 * 1024, 1024 * 1024), cancel.signal);
    const poll = setInterval(() => {
      if (emu.files.bytesReceived > 0) cancel.abort(new ConnectError("the caller went away", Code.Canceled));
    }, 1);
    const error = await refusal(upload);
    clearInterval(poll);
    expect(error.code).toBe(Code.Canceled);
    expect(emu.files.stored).toBe(0);
    expect(emu.files.bytesReceived).toBeLessThan(40 * 1024 * 1024);
    expect(await spoolFiles()).toEqual([]);
  });

  it("on shutdown, ends uploads in progress with Unavailable and removes the spool", async () => {
    await setUp();
    const started = Promise.withResolvers<void>();
    async function* stalls() {
      yield metadata(1000);
      yield chunk(new Uint8Array(10));
      started.resolve();
      await new Promise(() => {});
    }
    const upload = refusal(core.upload("alice", stalls(), never));
    await started.promise;
    await core.close();
    expect((await upload).code).toBe(Code.Unavailable);
    expect(await readdir(base)).toEqual([]);
  });
});

describe("ownership", () => {
  it("shows a file to its owner only: anyone else gets NotFound in get, delete, watch, list and prompts", async () => {
    await setUp();
    const file = await core.upload("alice", messages(10), never);
    for (const attempt of [
      core.get("bob", file.name, never),
      core.delete("bob", file.name, never),
      core.watch("bob", file.name, never).next(),
      core.checkReferences("bob", prompt(file.uri)),
    ]) {
      expect((await refusal(attempt)).code).toBe(Code.NotFound);
    }
    expect((await refusal(core.checkReferences("bob", prompt(file.uri)))).rawMessage).toBe(
      `contents[0].parts[0].file_data.file_uri: ${file.name} was not found`,
    );
    expect((await core.list("bob", 10, "", never)).files).toEqual([]);
    await core.checkReferences("alice", prompt(file.uri));
    expect((await core.list("alice", 10, "", never)).files.map((listed) => listed.name)).toEqual([file.name]);
    expect(emu.files.stored).toBe(1);
  });

  it("refuses a file URI it cannot read plainly, and lets other URIs through", async () => {
    await setUp();
    const error = await refusal(core.checkReferences("alice", prompt(`${emu.url}/v1beta/files/abc?alt=media`)));
    expect([error.code, error.rawMessage]).toEqual([
      Code.InvalidArgument,
      "contents[0].parts[0].file_data.file_uri: not a file URI this gateway can check; use the file's uri as UploadFile returned it",
    ]);
    await core.checkReferences("alice", prompt("https://www.youtube.com/watch?v=abc"));
  });

  it("deletes a file at Gemini and forgets it; a file Gemini no longer has is NotFound", async () => {
    await setUp();
    const kept = await core.upload("alice", messages(10), never);
    const deleted = await core.upload("alice", messages(10), never);
    await core.delete("alice", deleted.name, never);
    expect(emu.files.stored).toBe(1);
    expect((await refusal(core.get("alice", deleted.name, never))).code).toBe(Code.NotFound);
    expect((await core.list("alice", 10, "", never)).files.map((file) => file.name)).toEqual([kept.name]);
  });

  it("refuses a malformed name and a bad page token with InvalidArgument", async () => {
    await setUp();
    expect((await refusal(core.get("alice", "../etc/passwd", never))).code).toBe(Code.InvalidArgument);
    expect((await refusal(core.list("alice", 10, "bogus", never))).code).toBe(Code.InvalidArgument);
  });
});

describe("watch", () => {
  it("sends the file PROCESSING, then once ACTIVE, and ends", async () => {
    await setUp({ fileProcessingMs: 60_000 });
    const file = await core.upload("alice", messages(10), never);
    expect(file.state).toBe(File_State.PROCESSING);
    const watch = core.watch("alice", file.name, never);
    expect((await watch.next()).value?.state).toBe(File_State.PROCESSING);
    emu.files.finishProcessing(file.name);
    expect((await watch.next()).value?.state).toBe(File_State.ACTIVE);
    expect((await watch.next()).done).toBe(true);
  });

  it("ends with the file FAILED when processing fails", async () => {
    await setUp({ fileProcessingMs: 60_000 });
    const file = await core.upload("alice", messages(10), never);
    const watch = core.watch("alice", file.name, never);
    expect((await watch.next()).value?.state).toBe(File_State.PROCESSING);
    emu.files.failProcessing(file.name);
    const last = await watch.next();
    expect(last.value).toMatchObject({ state: File_State.FAILED, error: { code: 3 } });
    expect((await watch.next()).done).toBe(true);
  });

  it("stops polling at once when the caller leaves", async () => {
    await setUp({ fileProcessingMs: 60_000 });
    const file = await core.upload("alice", messages(10), never);
    const leave = new AbortController();
    const watch = core.watch("alice", file.name, leave.signal);
    await watch.next();
    const next = watch.next();
    leave.abort(new ConnectError("gone", Code.Canceled));
    expect((await refusal(next)).code).toBe(Code.Canceled);
  });
});
