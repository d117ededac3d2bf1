// Pure: which Files API request an HTTP request line addresses, as the @google/genai SDK sends them.

export type FilesRoute =
  /** `POST /upload/v1beta/files`: opens a resumable upload (X-Goog-Upload-Command: start). */
  | { readonly kind: "start"; readonly query: URLSearchParams }
  /** `POST` to the upload URL the start answered with: the next bytes, maybe the last. */
  | { readonly kind: "chunk"; readonly uploadId: string; readonly query: URLSearchParams }
  | { readonly kind: "get"; readonly id: string; readonly query: URLSearchParams }
  | { readonly kind: "list"; readonly query: URLSearchParams }
  | { readonly kind: "delete"; readonly id: string; readonly query: URLSearchParams };

const UPLOAD = /^\/upload\/(?:v1beta|v1)\/files$/;
const LIST = /^\/(?:v1beta|v1)\/files$/;
const ONE = /^\/(?:v1beta|v1)\/files\/([^/:]+)$/;

export function parseFilesRoute(httpMethod: string | undefined, rawUrl: string | undefined): FilesRoute | undefined {
  if (rawUrl === undefined) return undefined;
  const url = new URL(rawUrl, "http://emulator.invalid");
  const query = url.searchParams;
  if (httpMethod === "POST" && UPLOAD.test(url.pathname)) {
    const uploadId = query.get("upload_id");
    return uploadId === null ? { kind: "start", query } : { kind: "chunk", uploadId, query };
  }
  if (httpMethod === "GET" && LIST.test(url.pathname)) return { kind: "list", query };
  const id = ONE.exec(url.pathname)?.[1];
  if (id === undefined) return undefined;
  if (httpMethod === "GET") return { kind: "get", id, query };
  if (httpMethod === "DELETE") return { kind: "delete", id, query };
  return undefined;
}

const FILE_URI = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/]+\/(?:v1beta|v1)\/)?files\/([a-z0-9-]+)$/;

/** The file id a `fileData.fileUri` names, when it names a Files API file (not a web or gs:// URI). */
export function fileIdOfUri(uri: string): string | undefined {
  return FILE_URI.exec(uri)?.[1];
}
