// Pure: which `file_data.file_uri` values name a Files API file. The check leans to caution: any URI
// on a host that serves Gemini files must name one plainly (`https://{host}/v1beta/files/{id}`, or
// `files/{id}`), so no spelling Gemini might still resolve can slip past the ownership check. URIs
// on other hosts (YouTube, gs://, the web) are not files of ours and pass as they are.

/** Google's own host for Gemini files; the upstream base URL's host is added to it. */
export const GEMINI_FILES_HOST = "generativelanguage.googleapis.com";

export type FileUriMeaning =
  | { readonly kind: "file"; readonly name: string }
  | { readonly kind: "other" }
  | { readonly kind: "unclear" };

const BARE = /^files\/([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)$/;
const PATH = /^\/(?:v1beta|v1|v1alpha)\/(files\/[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)$/;

/** What `uri` names, given the hosts (lowercase, with any port) that serve Gemini files. */
export function fileUriMeaning(uri: string, fileHosts: ReadonlySet<string>): FileUriMeaning {
  if (BARE.test(uri)) return { kind: "file", name: uri };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return uri.toLowerCase().includes("files/") ? { kind: "unclear" } : { kind: "other" };
  }
  if (!fileHosts.has(url.host.toLowerCase())) return { kind: "other" };
  const name = url.search === "" && url.hash === "" ? PATH.exec(url.pathname)?.[1] : undefined;
  return name === undefined ? { kind: "unclear" } : { kind: "file", name };
}
