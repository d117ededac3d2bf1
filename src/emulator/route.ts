// Pure: which Gemini REST method an HTTP request line addresses.
import type { EmulatorMethod } from "./types.ts";
import { parseVertexPath } from "./vertex.ts";
import type { VertexScope } from "./vertex.ts";

export interface Route {
  readonly method: EmulatorMethod;
  readonly apiVersion: string;
  readonly model: string;
  readonly query: URLSearchParams;
  /** Set when the path is Vertex AI's shape. */
  readonly vertex?: VertexScope | undefined;
}

const PATH = /^\/(v1beta|v1)\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/;

export function parseRoute(httpMethod: string | undefined, rawUrl: string | undefined): Route | undefined {
  if (httpMethod !== "POST" || rawUrl === undefined) return undefined;
  const url = new URL(rawUrl, "http://emulator.invalid");
  const vertexPath = parseVertexPath(url.pathname);
  const [, apiVersion, encodedModel, method] = PATH.exec(url.pathname) ?? [];
  const parts = vertexPath ?? { apiVersion, encodedModel, method };
  if (parts.apiVersion === undefined || parts.encodedModel === undefined || !isMethod(parts.method)) return undefined;
  let model: string;
  try {
    model = decodeURIComponent(parts.encodedModel);
  } catch {
    return undefined;
  }
  return { method: parts.method, apiVersion: parts.apiVersion, model, query: url.searchParams, vertex: vertexPath?.vertex };
}

function isMethod(value: string | undefined): value is EmulatorMethod {
  return value === "streamGenerateContent" || value === "generateContent" || value === "countTokens";
}
