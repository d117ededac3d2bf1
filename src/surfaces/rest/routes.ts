// Pure: which Gemini REST method a request addresses. The gateway serves Gemini's three generate
// methods under both API versions, `POST /{v1beta,v1}/models/{model}:{method}`, as Google does.

export type RestMethod = "streamGenerateContent" | "generateContent" | "countTokens";

export interface RestRoute {
  readonly method: RestMethod;
  /** As the RPC's request carries it: `models/{id}`. */
  readonly model: string;
  /** `?alt=sse`: Server-Sent Events; otherwise a stream is one JSON array, as Google sends it. */
  readonly sse: boolean;
  /** `?key=`, the key Google's REST clients may send in the URL instead of a header. */
  readonly key: string | undefined;
}

export type RestRequestLine =
  | { readonly kind: "route"; readonly route: RestRoute }
  /** Not a method the gateway serves; the message says what is. */
  | { readonly kind: "notFound"; readonly message: string };

/** Every REST path the gateway claims starts with one of these; other paths are not Gemini's. */
export const restPrefixes = ["/v1beta/", "/v1/"] as const;

const path = /^\/(?:v1beta|v1)\/(models\/[^/:]+):(streamGenerateContent|generateContent|countTokens)$/;

const served = "POST /v1beta/models/{model}:streamGenerateContent, :generateContent and :countTokens (and the same under /v1/)";

export function parseRestRequestLine(httpMethod: string | undefined, rawUrl: string): RestRequestLine {
  const url = new URL(rawUrl, "http://gateway.invalid");
  // Only the path is ever quoted back (the query may hold a key), and never at any length.
  const shown = url.pathname.slice(0, 200);
  const match = path.exec(url.pathname);
  const [, encodedModel, method] = match ?? [];
  if (encodedModel === undefined || !isRestMethod(method)) {
    return { kind: "notFound", message: `${shown} is not a Gemini API method this gateway serves; it serves ${served}` };
  }
  if (httpMethod !== "POST") {
    return { kind: "notFound", message: `${shown} is served for POST only, not ${httpMethod ?? "this method"}` };
  }
  let model: string;
  try {
    model = decodeURIComponent(encodedModel);
  } catch {
    return { kind: "notFound", message: `${shown}: the model name is not valid percent-encoding` };
  }
  const key = url.searchParams.get("key") ?? undefined;
  return { kind: "route", route: { method, model, sse: url.searchParams.get("alt") === "sse", key: key === "" ? undefined : key } };
}

function isRestMethod(value: string | undefined): value is RestMethod {
  return value === "streamGenerateContent" || value === "generateContent" || value === "countTokens";
}
