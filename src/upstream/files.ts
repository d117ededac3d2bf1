// The small interface the files core uses to reach Gemini's Files API. Files travel as Gemini REST
// JSON of `File` (name, displayName, mimeType, sizeBytes, state, uri, ...), as the SDK returns them.
import type { JsonObject } from "./upstream.ts";

export interface UpstreamUpload {
  /** A local file holding exactly the bytes to upload. */
  readonly path: string;
  readonly mimeType: string;
  readonly displayName: string | undefined;
  /** Aborting stops the upload; no file is left at Gemini once the promise has settled. */
  readonly signal: AbortSignal;
}

export interface UpstreamFileCall {
  /** `files/{id}`. */
  readonly name: string;
  readonly signal: AbortSignal;
}

export interface UpstreamFiles {
  /** Resolves with the new File once Gemini has all of it (it may still be PROCESSING). */
  upload(upload: UpstreamUpload): Promise<JsonObject>;
  get(call: UpstreamFileCall): Promise<JsonObject>;
  delete(call: UpstreamFileCall): Promise<void>;
}
