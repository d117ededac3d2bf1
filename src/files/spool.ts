// Temporary files that hold an upload between the caller's stream and the SDK's upload (which reads
// from a path). Bytes go to disk as they arrive, never gathered in memory. Each spool file reserves
// its declared size up front, so the spool's total stays under its cap even while uploads run side
// by side, and a full spool is refused before a byte is written.
import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";

export interface SpoolOptions {
  /** A directory of the spool's own is made inside it, and removed by `close`. */
  readonly dir: string;
  /** The most bytes all spool files together may hold. */
  readonly maxBytes: number;
}

export interface SpoolFile {
  readonly path: string;
  /** Bytes written so far. */
  readonly written: number;
  /** Appends bytes; resolves once the disk has them, so a slow disk slows the sender. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the file for writing; its bytes stay until `release`. */
  finish(): Promise<void>;
  /** Deletes the file and frees its reservation; safe to call more than once. */
  release(): Promise<void>;
}

export interface Spool {
  /** Makes the spool's directory; the gateway's start calls it, so a bad directory stops the start. */
  ready(): Promise<void>;
  /** A new spool file that may hold `bytes` bytes; ResourceExhausted when the spool has no room. */
  create(bytes: number): Promise<SpoolFile>;
  /** Bytes reserved by spool files not yet released. */
  readonly reservedBytes: number;
  /** Deletes every spool file, released or not, and the spool's directory. */
  close(): Promise<void>;
}

/** A spool in a directory of its own under `options.dir`, made by `ready` or the first `create`. */
export function createSpool(options: SpoolOptions): Spool {
  const dir = join(options.dir, `spool-${process.pid}-${randomBytes(4).toString("hex")}`);
  let made: Promise<void> | undefined;
  const ready = () => (made ??= mkdir(dir, { recursive: true, mode: 0o700 }).then(() => undefined));
  const live = new Set<SpoolFile>();
  let reservedBytes = 0;
  let closed = false;

  return {
    ready,
    async create(bytes) {
      if (closed) throw new ConnectError("the gateway is shutting down", Code.Unavailable);
      if (reservedBytes + bytes > options.maxBytes) {
        throw new ConnectError(
          `the upload spool is full (${reservedBytes} of ${options.maxBytes} bytes held by uploads in progress); try again later`,
          Code.ResourceExhausted,
        );
      }
      reservedBytes += bytes;
      const path = join(dir, randomBytes(12).toString("hex"));
      let handle: FileHandle;
      try {
        await ready();
        handle = await open(path, "wx", 0o600);
      } catch (error) {
        reservedBytes -= bytes;
        throw error;
      }
      const file = spoolFile(path, handle, () => {
        reservedBytes -= bytes;
        live.delete(file);
      });
      live.add(file);
      return file;
    },
    get reservedBytes() {
      return reservedBytes;
    },
    async close() {
      closed = true;
      await Promise.all([...live].map((file) => file.release()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function spoolFile(path: string, handle: FileHandle, onRelease: () => void): SpoolFile {
  let written = 0;
  let closing: Promise<void> | undefined;
  let releasing: Promise<void> | undefined;
  const closeHandle = () => (closing ??= handle.close());
  return {
    path,
    get written() {
      return written;
    },
    async write(bytes) {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
      written += bytes.length;
    },
    finish: closeHandle,
    release() {
      releasing ??= (async () => {
        try {
          await closeHandle().catch(() => {});
          await rm(path, { force: true });
        } finally {
          onRelease();
        }
      })();
      return releasing;
    },
  };
}
