// UpstreamFiles over the @google/genai SDK's files API (Gemini Developer API only: Vertex AI has no
// Files API).
//
// Cancelling an upload: 3.1.0's `files.upload` declares `config.abortSignal` but passes it to none
// of its requests, so each upload gets a client of its own whose `httpOptions.fetch` carries the
// upload's signal. The last chunk (`upload, finalize`) is let through even when the signal has
// fired: a finalize cut in flight could leave a file at Gemini whose name never reaches us. Once it
// lands, the file is deleted, so a cancelled upload leaves nothing behind.
import { openAsBlob } from "node:fs";
import { GoogleGenAI } from "@google/genai";
import type { File as GenaiFile } from "@google/genai";
import type { UpstreamFiles } from "./files.ts";
import { toUpstreamError } from "./genai.ts";
import { UpstreamError } from "./upstream.ts";
import type { JsonObject } from "./upstream.ts";

export interface GenaiFilesOptions {
  readonly apiKey: string | undefined;
  readonly baseUrl: string | undefined;
}

// How long the clean-up delete of a cancelled upload's file may take: nobody waits for it.
const CLEANUP_TIMEOUT_MS = 30_000;

/** UpstreamFiles over the SDK's `ai.files`. */
export function createGenaiFiles(options: GenaiFilesOptions): UpstreamFiles {
  const client = (fetchFn?: typeof fetch) =>
    new GoogleGenAI({
      vertexai: false,
      apiKey: options.apiKey,
      // The 3.x SDK defaults to v1; the Files API is v1beta's.
      apiVersion: "v1beta",
      httpOptions: { baseUrl: options.baseUrl, ...(fetchFn === undefined ? {} : { fetch: fetchFn }) },
    });
  const ai = client();

  async function remove(name: string, signal: AbortSignal): Promise<void> {
    try {
      await ai.files.delete({ name, config: { abortSignal: signal } });
    } catch (error) {
      throw toUpstreamError(error, signal, "request");
    }
  }

  return {
    async upload(upload) {
      const uploader = client(fetchAbortedBy(upload.signal));
      let file: GenaiFile;
      try {
        file = await uploader.files.upload({
          // A Blob backed by the file, not the path: the SDK reads a path 8 MiB at a time into fresh
          // buffers (and copies each into a Blob), where slices of a file-backed Blob stream from disk.
          // It also keeps the spool file's name out of the request (X-Goog-Upload-File-Name).
          file: await openAsBlob(upload.path, { type: upload.mimeType }),
          config: { mimeType: upload.mimeType, ...(upload.displayName === undefined ? {} : { displayName: upload.displayName }) },
        });
      } catch (error) {
        throw toUpstreamError(error, upload.signal, "request");
      }
      if (upload.signal.aborted) {
        // Best effort: a file that cannot be deleted now still expires at Gemini after 48 hours.
        if (file.name !== undefined) await remove(file.name, AbortSignal.timeout(CLEANUP_TIMEOUT_MS)).catch(() => {});
        throw new UpstreamError("aborted", "the upstream upload was aborted");
      }
      return file as JsonObject;
    },

    async get(call) {
      try {
        return (await ai.files.get({ name: call.name, config: { abortSignal: call.signal } })) as JsonObject;
      } catch (error) {
        throw toUpstreamError(error, call.signal, "request");
      }
    },

    delete(call) {
      return remove(call.name, call.signal);
    },
  };
}

/** A fetch whose requests `signal` aborts, except the one that finalizes an upload. */
function fetchAbortedBy(signal: AbortSignal): typeof fetch {
  return (input, init) => {
    const command = new Headers(init?.headers).get("x-goog-upload-command") ?? "";
    if (command.includes("finalize")) return fetch(input, init);
    const signals = init?.signal ? [init.signal, signal] : [signal];
    return fetch(input, { ...init, signal: AbortSignal.any(signals) });
  };
}
