// Pure: which Gemini REST method an HTTP request line addresses.
import type { EmulatorMethod } from "./types.ts";

export interface Route {
  readonly method: EmulatorMethod;
  readonly apiVersion: string;
  readonly model: string;
  readonly query: URLSearchParams;
}

const PATH = /^\/(v1beta|v1)\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/;

export function parseRoute(httpMethod: string | undefined, rawUrl: string | undefined): Route | undefined {
  if (httpMethod !== "POST" || rawUrl === undefined) return undefined;
  const url = new URL(rawUrl, "http://emulator.invalid");
  const match = PATH.exec(url.pathname);
  const [, apiVersion, encodedModel, method] = match ?? [];
  if (apiVersion === undefined || encodedModel === undefined || !isMethod(method)) return undefined;
  let model: string;
  try {
    model = decodeURIComponent(encodedModel);
  } catch {
    return undefined;
  }
  return { method, apiVersion, model, query: url.searchParams };
}

function isMethod(value: string | undefined): value is EmulatorMethod {
  return value === "streamGenerateContent" || value === "generateContent" || value === "countTokens";
}
