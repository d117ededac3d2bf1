// The emulator's Files API, as the @google/genai SDK uses it: the resumable upload protocol, get,
// list, delete, PROCESSING that turns ACTIVE after a set delay, and the errors a generate request
// gets for a file that is missing or not ready. Uploaded bytes are counted and hashed as they
// arrive, never kept: nothing the emulator answers depends on a file's content.
import { createHash, randomBytes } from "node:crypto";
import type { Hash } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { isRecord } from "../config/json.ts";
import type { HttpError } from "./errors.ts";
import { fileIdOfUri } from "./files-route.ts";
import type { FilesRoute } from "./files-route.ts";

export interface EmulatorFilesOptions {
  /** The emulator's base URL, for file URIs and upload URLs; known only once it listens. */
  readonly baseUrl: () => string;
  /** How long a new file stays PROCESSING before it is ACTIVE; 0 makes it ACTIVE at once. */
  readonly processingMs: number;
}

/** A successful answer; errors are HttpErrors. */
export interface FilesAnswer {
  readonly status: 200;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text, or undefined for an empty body. */
  readonly body: string | undefined;
}

export interface EmulatorFiles {
  /** Answers one Files API request; undefined when the client left while sending. */
  serve(route: FilesRoute, req: IncomingMessage): Promise<FilesAnswer | HttpError | undefined>;
  /** Gemini's answer to a generate request naming a file that does not exist or is not ACTIVE. */
  referenceProblem(body: Record<string, unknown>): HttpError | undefined;
  /** Ends a file's processing now, ACTIVE, whatever the processing delay. */
  finishProcessing(name: string): void;
  /** Ends a file's processing as FAILED (Gemini's verdict on, say, a corrupt video). */
  failProcessing(name: string): void;
  /** Files stored now (finalized, not deleted). */
  readonly stored: number;
  /** Bytes received by every upload so far, finished or not. */
  readonly bytesReceived: number;
  /** Upload sessions started and not finalized. */
  readonly openUploads: number;
}

interface StoredFile {
  readonly id: string;
  readonly sequence: number;
  readonly displayName: string | undefined;
  readonly mimeType: string;
  readonly sizeBytes: number;
  readonly sha256Hex: string;
  readonly createdAt: number;
  activeAt: number;
  failedAt: number | undefined;
}

interface UploadSession {
  readonly id: string | undefined;
  readonly displayName: string | undefined;
  readonly mimeType: string;
  readonly declaredBytes: number | undefined;
  readonly hash: Hash;
  received: number;
}

const FILE_TTL_MS = 48 * 3_600_000;
const MAX_START_BODY = 64 * 1024;
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;

export function createEmulatorFiles(options: EmulatorFilesOptions): EmulatorFiles {
  const files = new Map<string, StoredFile>();
  const uploads = new Map<string, UploadSession>();
  let sequence = 0;
  let bytesReceived = 0;

  function lookup(id: string): StoredFile | undefined {
    const file = files.get(id);
    if (file !== undefined && Date.now() >= file.createdAt + FILE_TTL_MS) files.delete(id);
    return files.get(id);
  }

  async function start(req: IncomingMessage): Promise<FilesAnswer | HttpError | undefined> {
    const protocol = header(req.headers, "x-goog-upload-protocol");
    const command = header(req.headers, "x-goog-upload-command");
    const raw = await readSmallBody(req);
    if (raw === undefined) return undefined;
    if (protocol !== "resumable" || command !== "start") return unsupportedUpload();
    let body: unknown;
    try {
      body = raw === "" ? {} : JSON.parse(raw);
    } catch {
      return badRequest("Invalid JSON payload received in the upload's start request.");
    }
    const file = isRecord(body) && isRecord(body["file"]) ? body["file"] : {};
    const mimeType = header(req.headers, "x-goog-upload-header-content-type") ?? stringOf(file["mimeType"]);
    if (mimeType === undefined || mimeType === "") return badRequest("Upload has no MIME type (X-Goog-Upload-Header-Content-Type).");
    const declared = header(req.headers, "x-goog-upload-header-content-length");
    const declaredBytes = declared === undefined ? undefined : Number(declared);
    if (declaredBytes !== undefined && !(Number.isSafeInteger(declaredBytes) && declaredBytes >= 0)) {
      return badRequest(`Invalid X-Goog-Upload-Header-Content-Length: "${declared}".`);
    }
    const id = requestedId(stringOf(file["name"]));
    if (id !== undefined && lookup(id) !== undefined) {
      return { httpStatus: 409, error: { code: 409, message: `File files/${id} already exists.`, status: "ALREADY_EXISTS" } };
    }
    const uploadId = randomBytes(16).toString("base64url");
    uploads.set(uploadId, {
      id,
      displayName: stringOf(file["displayName"]),
      mimeType,
      declaredBytes,
      hash: createHash("sha256"),
      received: 0,
    });
    const uploadUrl = `${options.baseUrl()}/upload/v1beta/files?upload_id=${uploadId}&upload_protocol=resumable`;
    return answer({ "x-goog-upload-url": uploadUrl, "x-goog-upload-status": "active" }, undefined);
  }

  async function chunk(uploadId: string, req: IncomingMessage): Promise<FilesAnswer | HttpError | undefined> {
    const session = uploads.get(uploadId);
    const commands = new Set((header(req.headers, "x-goog-upload-command") ?? "").split(",").map((part) => part.trim()));
    const offset = Number(header(req.headers, "x-goog-upload-offset"));
    const problem =
      session === undefined
        ? notFound(`No upload session ${uploadId}.`)
        : ![...commands].every((command) => command === "upload" || command === "finalize")
          ? badRequest("The Gemini emulator serves the upload commands upload and finalize only.")
          : offset !== session.received
            ? badRequest(`X-Goog-Upload-Offset is ${offset}, but the upload has ${session.received} bytes.`)
            : undefined;
    if (problem !== undefined || session === undefined) {
      req.resume();
      return problem;
    }
    try {
      for await (const part of req) {
        const bytes = part as Buffer;
        session.hash.update(bytes);
        session.received += bytes.length;
        bytesReceived += bytes.length;
      }
    } catch {
      return undefined;
    }
    if (session.declaredBytes !== undefined && session.received > session.declaredBytes) return sizeMismatch(session);
    if (!commands.has("finalize")) return answer({ "x-goog-upload-status": "active" }, undefined);
    if (session.declaredBytes !== undefined && session.received !== session.declaredBytes) return sizeMismatch(session);
    uploads.delete(uploadId);
    const file = store(session);
    return answer({ "x-goog-upload-status": "final", "content-type": "application/json; charset=UTF-8" }, { file: fileJson(file) });
  }

  function store(session: UploadSession): StoredFile {
    const now = Date.now();
    const file: StoredFile = {
      id: session.id ?? randomId(),
      sequence: ++sequence,
      displayName: session.displayName,
      mimeType: session.mimeType,
      sizeBytes: session.received,
      sha256Hex: session.hash.digest("hex"),
      createdAt: now,
      activeAt: now + options.processingMs,
      failedAt: undefined,
    };
    files.set(file.id, file);
    return file;
  }

  function list(query: URLSearchParams): FilesAnswer | HttpError {
    const pageSize = query.get("pageSize") ?? query.get("page_size");
    const size = pageSize === null ? DEFAULT_PAGE_SIZE : Number(pageSize);
    if (!Number.isInteger(size) || size < 0) return badRequest(`Invalid page size: "${pageSize}".`);
    const token = query.get("pageToken") ?? query.get("page_token") ?? "";
    const before = token === "" ? Infinity : Number(Buffer.from(token, "base64url").toString("utf8"));
    if (Number.isNaN(before)) return badRequest("Invalid page token.");
    const newestFirst = [...files.keys()]
      .map(lookup)
      .filter((file): file is StoredFile => file !== undefined && file.sequence < before)
      .sort((a, b) => b.sequence - a.sequence);
    const page = newestFirst.slice(0, Math.min(size || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE));
    const last = page.at(-1);
    const more = last !== undefined && newestFirst.length > page.length;
    return answer(jsonType, {
      ...(page.length === 0 ? {} : { files: page.map(fileJson) }),
      ...(more ? { nextPageToken: Buffer.from(String(last.sequence)).toString("base64url") } : {}),
    });
  }

  function fileJson(file: StoredFile): object {
    const now = Date.now();
    const state = file.failedAt !== undefined ? "FAILED" : now >= file.activeAt ? "ACTIVE" : "PROCESSING";
    const updatedAt = file.failedAt ?? (state === "ACTIVE" ? file.activeAt : file.createdAt);
    return {
      name: `files/${file.id}`,
      ...(file.displayName === undefined ? {} : { displayName: file.displayName }),
      mimeType: file.mimeType,
      sizeBytes: String(file.sizeBytes),
      createTime: new Date(file.createdAt).toISOString(),
      updateTime: new Date(updatedAt).toISOString(),
      expirationTime: new Date(file.createdAt + FILE_TTL_MS).toISOString(),
      // Gemini's sha256Hash is the base64 of the hex digest, not of the digest's bytes.
      sha256Hash: Buffer.from(file.sha256Hex).toString("base64"),
      uri: `${options.baseUrl()}/v1beta/files/${file.id}`,
      state,
      source: "UPLOADED",
      ...(state === "FAILED" ? { error: { code: 3, message: "The file could not be processed." } } : {}),
    };
  }

  function processing(name: string): StoredFile {
    const file = lookup(name.replace(/^files\//, ""));
    if (file === undefined) throw new Error(`emulator: no file ${name}`);
    return file;
  }

  return {
    async serve(route, req) {
      switch (route.kind) {
        case "start":
          return start(req);
        case "chunk":
          return chunk(route.uploadId, req);
        case "list":
          req.resume();
          return list(route.query);
        case "get": {
          req.resume();
          const file = lookup(route.id);
          return file === undefined ? noAccess(route.id) : answer(jsonType, fileJson(file));
        }
        case "delete":
          req.resume();
          if (lookup(route.id) === undefined) return noAccess(route.id);
          files.delete(route.id);
          return answer(jsonType, {});
      }
    },
    referenceProblem(body) {
      for (const uri of fileUris(body)) {
        const id = fileIdOfUri(uri);
        if (id === undefined) continue;
        const file = lookup(id);
        if (file === undefined) return noAccess(id);
        if (file.failedAt !== undefined || Date.now() < file.activeAt) return notActive(id);
      }
      return undefined;
    },
    finishProcessing(name) {
      const file = processing(name);
      file.activeAt = Math.min(file.activeAt, Date.now());
    },
    failProcessing(name) {
      processing(name).failedAt = Date.now();
    },
    get stored() {
      return files.size;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    get openUploads() {
      return uploads.size;
    },
  };
}

const jsonType = { "content-type": "application/json; charset=UTF-8" };

function answer(headers: Record<string, string>, body: object | undefined): FilesAnswer {
  return { status: 200, headers, body: body === undefined ? undefined : JSON.stringify(body, null, 2) };
}

/** Every `fileData.fileUri` of the request's contents and system instruction. */
function fileUris(body: Record<string, unknown>): string[] {
  const contents = Array.isArray(body["contents"]) ? body["contents"] : [];
  const uris: string[] = [];
  for (const content of [...contents, body["systemInstruction"]]) {
    if (!isRecord(content) || !Array.isArray(content["parts"])) continue;
    for (const part of content["parts"]) {
      const fileData = isRecord(part) ? part["fileData"] : undefined;
      const uri = isRecord(fileData) ? fileData["fileUri"] : undefined;
      if (typeof uri === "string") uris.push(uri);
    }
  }
  return uris;
}

/** Gemini answers a missing file, and anyone else's, the same way: it does not say which it is. */
function noAccess(id: string): HttpError {
  const message = `You do not have permission to access the File ${id} or it may not exist.`;
  return { httpStatus: 403, error: { code: 403, message, status: "PERMISSION_DENIED" } };
}

function notActive(id: string): HttpError {
  const message = `The File ${id} is not in an ACTIVE state and usage is not allowed.`;
  return { httpStatus: 400, error: { code: 400, message, status: "FAILED_PRECONDITION" } };
}

function sizeMismatch(session: UploadSession): HttpError {
  return badRequest(
    `The upload carried ${session.received} bytes, but X-Goog-Upload-Header-Content-Length said ${session.declaredBytes}.`,
  );
}

function unsupportedUpload(): HttpError {
  return badRequest("The Gemini emulator serves uploads with X-Goog-Upload-Protocol: resumable, starting with command start.");
}

function badRequest(message: string): HttpError {
  return { httpStatus: 400, error: { code: 400, message, status: "INVALID_ARGUMENT" } };
}

function notFound(message: string): HttpError {
  return { httpStatus: 404, error: { code: 404, message, status: "NOT_FOUND" } };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A name the uploader asked for ("files/abc" or "abc"), as Gemini's File.name allows. */
function requestedId(name: string | undefined): string | undefined {
  const id = name?.replace(/^files\//, "");
  return id !== undefined && /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(id) ? id : undefined;
}

/** Gemini's ids: 12 lowercase letters and digits. */
function randomId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(12), (byte) => alphabet[byte % alphabet.length]).join("");
}

/** The start request's JSON text, or undefined if the client left; an oversized body is cut, then fails to parse. */
async function readSmallBody(req: IncomingMessage): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of req) {
      size += (part as Buffer).length;
      if (size <= MAX_START_BODY) parts.push(part as Buffer);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(parts).toString("utf8");
}
