// The emulator's Files API as the real @google/genai SDK uses it, over real sockets.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiError, GoogleGenAI } from "@google/genai";
import type { File as GenaiFile } from "@google/genai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator, EmulatorOptions } from "../src/emulator/server.ts";

const MODEL = "gemini-2.5-flash";
const running: Emulator[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "emulator-files-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

async function emulator(options: EmulatorOptions = {}): Promise<{ emu: Emulator; ai: GoogleGenAI }> {
  const emu = await startEmulator({ apiKey: "test-key", ...options });
  running.push(emu);
  const ai = new GoogleGenAI({ apiKey: "test-key", vertexai: false, apiVersion: "v1beta", httpOptions: { baseUrl: emu.url } });
  return { emu, ai };
}

async function localFile(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

function promptWith(file: GenaiFile) {
  return {
    model: MODEL,
    contents: [{ role: "user", parts: [{ fileData: { fileUri: file.uri ?? "", mimeType: file.mimeType ?? "" } }, { text: "summarize" }] }],
  };
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe("upload", () => {
  it("takes a file in several 8 MiB chunks through the resumable protocol and describes it as Gemini does", async () => {
    const { emu, ai } = await emulator();
    const bytes = Buffer.alloc(20 * 1024 * 1024, 7);
    const path = await localFile("big.pdf", bytes);

    const file = await ai.files.upload({ file: path, config: { mimeType: "application/pdf", displayName: "Big report" } });

    expect(file).toMatchObject({
      displayName: "Big report",
      mimeType: "application/pdf",
      sizeBytes: String(bytes.length),
      state: "ACTIVE",
      source: "UPLOADED",
    });
    expect(file.name).toMatch(/^files\/[a-z0-9]{12}$/);
    expect(file.uri).toBe(`${emu.url}/v1beta/${file.name}`);
    const hex = (await import("node:crypto")).createHash("sha256").update(bytes).digest("hex");
    expect(Buffer.from(file.sha256Hash ?? "", "base64").toString()).toBe(hex);
    expect(Date.parse(file.expirationTime ?? "") - Date.parse(file.createTime ?? "")).toBe(48 * 3_600_000);
    expect(emu.files).toMatchObject({ stored: 1, bytesReceived: bytes.length, openUploads: 0 });
  });

  it("refuses an upload without the resumable protocol, and a chunk at the wrong offset", async () => {
    const { emu } = await emulator();
    const plain = await fetch(`${emu.url}/upload/v1beta/files`, { method: "POST", headers: { "x-goog-api-key": "test-key" }, body: "x" });
    expect(plain.status).toBe(400);
    expect(await plain.json()).toMatchObject({ error: { status: "INVALID_ARGUMENT" } });

    const start = await fetch(`${emu.url}/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": "test-key",
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": "4",
        "x-goog-upload-header-content-type": "text/plain",
      },
      body: JSON.stringify({ file: { displayName: "four" } }),
    });
    const uploadUrl = start.headers.get("x-goog-upload-url") ?? "";
    expect(start.headers.get("x-goog-upload-status")).toBe("active");
    const chunk = (offset: number, command: string, body: string) =>
      fetch(uploadUrl, { method: "POST", headers: { "x-goog-upload-command": command, "x-goog-upload-offset": String(offset) }, body });

    const wrongOffset = await chunk(2, "upload", "ab");
    expect(wrongOffset.status).toBe(400);
    expect(((await wrongOffset.json()) as { error: { message: string } }).error.message).toBe("X-Goog-Upload-Offset is 2, but the upload has 0 bytes.");
    expect((await chunk(0, "upload", "ab")).headers.get("x-goog-upload-status")).toBe("active");
    const short = await chunk(2, "upload, finalize", "c");
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: { message: string } }).error.message).toBe("The upload carried 3 bytes, but X-Goog-Upload-Header-Content-Length said 4.");
    expect(emu.files).toMatchObject({ stored: 0, openUploads: 1 });
  });

  it("asks for the key on start, as every other Gemini call", async () => {
    const { emu } = await emulator();
    const ai = new GoogleGenAI({ apiKey: "wrong", vertexai: false, apiVersion: "v1beta", httpOptions: { baseUrl: emu.url } });
    const path = await localFile("a.txt", Buffer.from("hello"));
    expect((await apiError(ai.files.upload({ file: path }))).status).toBe(400);
    expect(emu.files.stored).toBe(0);
  });
});

describe("get, list, delete", () => {
  it("lists newest first, a page at a time, and forgets a deleted file", async () => {
    const { emu, ai } = await emulator();
    const names: string[] = [];
    for (const index of [1, 2, 3]) {
      const path = await localFile(`f${index}.txt`, Buffer.from(`file ${index}`));
      names.push((await ai.files.upload({ file: path, config: { displayName: `f${index}` } })).name ?? "");
    }

    const pager = await ai.files.list({ config: { pageSize: 2 } });
    expect(pager.page.map((file) => file.name)).toEqual([names[2], names[1]]);
    expect(pager.hasNextPage()).toBe(true);
    expect((await pager.nextPage()).map((file) => file.name)).toEqual([names[0]]);
    expect(pager.hasNextPage()).toBe(false);

    expect((await ai.files.get({ name: names[1] ?? "" })).displayName).toBe("f2");
    await ai.files.delete({ name: names[1] ?? "" });
    const gone = await apiError(ai.files.get({ name: names[1] ?? "" }));
    expect(gone.status).toBe(403);
    expect(JSON.parse(gone.message).error).toEqual({
      code: 403,
      message: `You do not have permission to access the File ${names[1]?.slice("files/".length)} or it may not exist.`,
      status: "PERMISSION_DENIED",
    });
    expect((await apiError(ai.files.delete({ name: names[1] ?? "" }))).status).toBe(403);
    expect(emu.files.stored).toBe(2);
  });
});

describe("processing and use in a prompt", () => {
  it("keeps a new file PROCESSING for the set delay: a prompt naming it fails as at Gemini, then works once ACTIVE", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { emu, ai } = await emulator({ fileProcessingMs: 60_000 });
    const path = await localFile("clip.mp4", Buffer.alloc(1000, 1));
    const file = await ai.files.upload({ file: path, config: { mimeType: "video/mp4" } });
    expect(file.state).toBe("PROCESSING");

    const early = await apiError(ai.models.generateContent(promptWith(file)));
    expect(early.status).toBe(400);
    expect(JSON.parse(early.message).error).toEqual({
      code: 400,
      message: `The File ${file.name?.slice("files/".length)} is not in an ACTIVE state and usage is not allowed.`,
      status: "FAILED_PRECONDITION",
    });
    expect(emu.requests).toHaveLength(0);

    vi.setSystemTime(Date.now() + 60_000);
    const ready = await ai.files.get({ name: file.name ?? "" });
    expect(ready.state).toBe("ACTIVE");
    expect(Date.parse(ready.updateTime ?? "")).toBeGreaterThan(Date.parse(ready.createTime ?? ""));
    const stream = await ai.models.generateContentStream(promptWith(file));
    let text = "";
    for await (const chunk of stream) text += chunk.text ?? "";
    expect(text).toBe("summarize");
  });

  it("answers a prompt naming a missing file with PERMISSION_DENIED, and a FAILED file with FAILED_PRECONDITION", async () => {
    const { emu, ai } = await emulator();
    const missing = await apiError(
      ai.models.generateContent(promptWith({ uri: `${emu.url}/v1beta/files/nosuchfile12`, mimeType: "application/pdf" })),
    );
    expect(missing.status).toBe(403);
    expect(JSON.parse(missing.message).error.message).toBe(
      "You do not have permission to access the File nosuchfile12 or it may not exist.",
    );

    const path = await localFile("bad.mp4", Buffer.alloc(10));
    const file = await ai.files.upload({ file: path });
    emu.files.failProcessing(file.name ?? "");
    expect(await ai.files.get({ name: file.name ?? "" })).toMatchObject({ state: "FAILED", error: { code: 3 } });
    expect((await apiError(ai.models.countTokens(promptWith(file)))).status).toBe(400);
  });

  it("lets web and gs:// URIs through: they are not Files API files", async () => {
    const { ai } = await emulator();
    const response = await ai.models.generateContent(
      promptWith({ uri: "https://www.youtube.com/watch?v=abc", mimeType: "video/mp4" }),
    );
    expect(response.text).toBe("summarize");
  });
});
