// The files core: uploads spooled to disk then handed to Gemini, per-caller ownership, watching a
// file until it is ready, and the ownership check of files named in a prompt. Transport-neutral:
// the surfaces pass in the caller's name, the messages and the RPC's signal. Owner undefined is the
// gateway running open (no callers file): everyone is then the one owner of every file.
import { setImmediate, setTimeout as sleep } from "node:timers/promises";
import { create, fromJson } from "@bufbuild/protobuf";
import type { JsonObject as ProtoJsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { FileSchema, File_State, ListFilesResponseSchema } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import type { File, ListFilesResponse, UploadFileRequest } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import { toConnectError } from "../generative/errors.ts";
import type { Redact } from "../generative/errors.ts";
import type { UpstreamFiles } from "../upstream/files.ts";
import { UpstreamError } from "../upstream/upstream.ts";
import type { JsonObject } from "../upstream/upstream.ts";
import { PageTokenError } from "./ownership.ts";
import type { OwnershipStore } from "./ownership.ts";
import type { Spool } from "./spool.ts";
import { fileReferences } from "./references.ts";
import type { ContentsRequest } from "./references.ts";

export interface FilesCoreOptions {
  readonly upstream: UpstreamFiles;
  readonly spool: Spool;
  readonly ownership: OwnershipStore;
  /** The largest file a caller may upload. */
  readonly maxFileBytes: number;
  /** Hosts (lowercase, with any port) whose URIs name Gemini files: Google's and the upstream base URL's. */
  readonly fileHosts: ReadonlySet<string>;
  /** WatchFile's first pause between two polls of Gemini; each next pause is 1.5 times longer, up to the max. */
  readonly watchIntervalMs: number;
  readonly maxWatchIntervalMs: number;
  /** Takes the upstream key out of Gemini's error texts before a caller or a log sees them. */
  readonly redact: Redact;
}

export interface FilesCore {
  /** Spools the upload, hands it to Gemini, records `owner` as its owner. */
  upload(owner: string | undefined, messages: AsyncIterable<UploadFileRequest>, signal: AbortSignal): Promise<File>;
  get(owner: string | undefined, name: string, signal: AbortSignal): Promise<File>;
  list(owner: string | undefined, pageSize: number, pageToken: string, signal: AbortSignal): Promise<ListFilesResponse>;
  delete(owner: string | undefined, name: string, signal: AbortSignal): Promise<void>;
  /** The file now, then at each change of state, until it is ACTIVE or FAILED. */
  watch(owner: string | undefined, name: string, signal: AbortSignal): AsyncGenerator<File>;
  /** NotFound for a prompt naming a file `owner` does not own; `prefix` leads the field path (e.g. "generate_content_request."). */
  checkReferences(owner: string | undefined, request: ContentsRequest, prefix?: string): Promise<void>;
  /** Makes the spool's directory: the gateway's start waits for it, so a bad FILES_SPOOL_DIR stops the start. */
  ready(): Promise<void>;
  /** Shutdown: aborts uploads in progress, waits for their clean-up, removes the spool. */
  close(): Promise<void>;
}

const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;
// Gemini keeps a file for 48 hours; used when its File carries no expiration_time.
const FILE_TTL_MS = 48 * 3_600_000;

/** The files core over one upstream, spool and ownership store. */
export function createFilesCore(options: FilesCoreOptions): FilesCore {
  const { upstream, spool, ownership, redact } = options;
  const shutdown = new AbortController();
  const uploads = new Set<Promise<unknown>>();

  async function upload(owner: string, messages: AsyncIterable<UploadFileRequest>, signal: AbortSignal): Promise<File> {
    const stop = AbortSignal.any([signal, shutdown.signal]);
    const iterator = messages[Symbol.asyncIterator]();
    const metadata = metadataOf(await nextOrAbort(iterator, stop));
    const size = Number(metadata.sizeBytes);
    if (size > options.maxFileBytes) {
      throw new ConnectError(
        `metadata.size_bytes is ${size}, over the largest file this gateway takes (${options.maxFileBytes} bytes)`,
        Code.InvalidArgument,
      );
    }
    const spooled = await spool.create(size);
    try {
      for (let next = await nextOrAbort(iterator, stop); next.done !== true; next = await nextOrAbort(iterator, stop)) {
        const payload = next.value.payload;
        if (payload.case !== "chunk") throw new ConnectError("only the first message may carry metadata; send chunk in the others", Code.InvalidArgument);
        if (spooled.written + payload.value.length > size) {
          throw new ConnectError(`metadata.size_bytes is ${size}, but the chunks carried more bytes`, Code.InvalidArgument);
        }
        await spooled.write(payload.value);
      }
      if (spooled.written !== size) {
        // A caller that cancels ends the request stream as if it were complete, and the RPC's signal
        // fires a turn later: give it that turn, so a cancel is reported as one, not as short data.
        await setImmediate();
        stop.throwIfAborted();
        throw new ConnectError(`metadata.size_bytes is ${size}, but the chunks carried ${spooled.written} bytes`, Code.InvalidArgument);
      }
      await spooled.finish();
      const json = await upstream.upload({ path: spooled.path, mimeType: metadata.mimeType, displayName: metadata.displayName || undefined, signal: stop });
      const file = fileFromRest(json);
      try {
        await ownership.claim(file.name, owner, expiresAt(file));
      } catch (error) {
        // Nobody could ever use a file without an owner: it goes.
        await upstream.delete({ name: file.name, signal: AbortSignal.timeout(30_000) }).catch(() => {});
        throw error;
      }
      return file;
    } catch (error) {
      throw toConnectError(error, stop, redact);
    } finally {
      await spooled.release();
    }
  }

  async function owned(owner: string, name: string): Promise<void> {
    if (!/^files\/[a-z0-9-]{1,40}$/.test(name)) {
      throw new ConnectError(`name must look like "files/abc-123", got "${name.slice(0, 100)}"`, Code.InvalidArgument);
    }
    if (!(await ownership.owns(owner, name))) throw notFound(name);
  }

  /** Gemini's view of a file already known to be `owner`'s; a file Gemini no longer has is NotFound. */
  async function current(name: string, signal: AbortSignal): Promise<File> {
    try {
      return fileFromRest(await upstream.get({ name, signal }));
    } catch (error) {
      if (!isGone(error)) throw toConnectError(error, signal, redact);
      await ownership.release(name);
      throw notFound(name);
    }
  }

  return {
    upload(owner, messages, signal) {
      const task = upload(ownerKey(owner), messages, signal);
      const settled = task.catch(() => {});
      uploads.add(settled);
      void settled.then(() => uploads.delete(settled));
      return task;
    },

    async get(owner, name, signal) {
      await owned(ownerKey(owner), name);
      return current(name, signal);
    },

    async list(owner, pageSize, pageToken, signal) {
      if (pageSize < 0) throw new ConnectError("page_size must not be negative", Code.InvalidArgument);
      const size = Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
      const page = await ownership.list(ownerKey(owner), size, pageToken).catch((error: unknown) => {
        throw error instanceof PageTokenError ? new ConnectError(error.message, Code.InvalidArgument) : error;
      });
      const files = await Promise.all(page.names.map((name) => current(name, signal).catch(skipGone)));
      return create(ListFilesResponseSchema, {
        files: files.filter((file): file is File => file !== undefined),
        nextPageToken: page.nextToken,
      });
    },

    async delete(owner, name, signal) {
      await owned(ownerKey(owner), name);
      try {
        await upstream.delete({ name, signal });
      } catch (error) {
        if (!isGone(error)) throw toConnectError(error, signal, redact);
      }
      await ownership.release(name);
    },

    async *watch(owner, name, signal) {
      await owned(ownerKey(owner), name);
      let file = await current(name, signal);
      yield file;
      let pause = options.watchIntervalMs;
      while (file.state !== File_State.ACTIVE && file.state !== File_State.FAILED) {
        try {
          await sleep(pause, undefined, { signal });
        } catch (error) {
          throw toConnectError(error, signal, redact);
        }
        pause = Math.min(pause * 1.5, options.maxWatchIntervalMs);
        const next = await current(name, signal);
        if (next.state !== file.state) yield next;
        file = next;
      }
    },

    async checkReferences(owner, request, prefix = "") {
      for (const reference of fileReferences(request, options.fileHosts)) {
        if (reference.name === undefined) {
          throw new ConnectError(
            `${prefix}${reference.field}: not a file URI this gateway can check; use the file's uri as UploadFile returned it`,
            Code.InvalidArgument,
          );
        }
        if (!(await ownership.owns(ownerKey(owner), reference.name))) {
          throw new ConnectError(`${prefix}${reference.field}: ${reference.name} was not found`, Code.NotFound);
        }
      }
    },

    ready: () => spool.ready(),

    async close() {
      shutdown.abort(new ConnectError("the gateway is shutting down", Code.Unavailable));
      await Promise.all(uploads);
      await spool.close();
      await ownership.close();
    },
  };
}

function ownerKey(owner: string | undefined): string {
  return owner ?? "";
}

function metadataOf(first: IteratorResult<UploadFileRequest>) {
  if (first.done === true || first.value.payload.case !== "metadata") {
    throw new ConnectError("the first message of an upload must carry metadata", Code.InvalidArgument);
  }
  const metadata = first.value.payload.value;
  if (metadata.mimeType === "") throw new ConnectError("metadata.mime_type is required", Code.InvalidArgument);
  if (!/^[\w.+-]{1,127}\/[\w.+-]{1,127}$/.test(metadata.mimeType)) {
    throw new ConnectError("metadata.mime_type must be a MIME type such as application/pdf", Code.InvalidArgument);
  }
  if (metadata.sizeBytes < 1n) throw new ConnectError("metadata.size_bytes must be at least 1", Code.InvalidArgument);
  if (metadata.displayName.length > 512) {
    throw new ConnectError("metadata.display_name is longer than 512 characters", Code.InvalidArgument);
  }
  return metadata;
}

/** The next message, or the abort's reason as soon as `signal` fires (a stalled sender must not hold the upload). */
async function nextOrAbort<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  signal.throwIfAborted();
  const { promise, reject } = Promise.withResolvers<never>();
  const onAbort = () => reject(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([iterator.next(), promise]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function fileFromRest(json: JsonObject): File {
  return fromJson(FileSchema, json as ProtoJsonObject, { ignoreUnknownFields: true });
}

function expiresAt(file: File): number {
  const seconds = file.expirationTime?.seconds;
  return seconds === undefined ? Date.now() + FILE_TTL_MS : Number(seconds) * 1000;
}

/** Gemini's answer for a file it does not have (it says PERMISSION_DENIED, so as not to tell which). */
function isGone(error: unknown): boolean {
  if (!(error instanceof UpstreamError) || error.rpcStatus === undefined) return false;
  const { code, message } = error.rpcStatus;
  return code === 404 || (code === 403 && message.startsWith("You do not have permission to access the File"));
}

function skipGone(error: unknown): undefined {
  if (error instanceof ConnectError && error.code === Code.NotFound) return undefined;
  throw error;
}

function notFound(name: string): ConnectError {
  return new ConnectError(`${name} was not found`, Code.NotFound);
}
