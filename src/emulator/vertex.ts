// Pure: Vertex AI's side of the emulator. The URL shapes the SDK sends for Vertex (with a project
// and location, or express mode's bare publisher path), and the OAuth bearer token check of a
// service account's requests.
import type { IncomingHttpHeaders } from "node:http";
import type { HttpError } from "./errors.ts";

/** Where a Vertex request was addressed: the project and location, or neither in express mode. */
export interface VertexScope {
  readonly project: string | undefined;
  readonly location: string | undefined;
}

const VERTEX_PATH =
  /^\/(v1beta1|v1)\/(?:projects\/([^/]+)\/locations\/([^/]+)\/)?publishers\/google\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/;

/** A Vertex path as the Gemini route's parts (version, model, method), with its scope; undefined if not one. */
export function parseVertexPath(
  pathname: string,
): { apiVersion: string; encodedModel: string; method: string; vertex: VertexScope } | undefined {
  const [, apiVersion, project, location, encodedModel, method] = VERTEX_PATH.exec(pathname) ?? [];
  if (apiVersion === undefined || encodedModel === undefined || method === undefined) return undefined;
  return { apiVersion, encodedModel, method, vertex: { project, location } };
}

/** Vertex's answer to a request without the expected `Authorization: Bearer` token. */
export function bearerProblem(expected: string, headers: IncomingHttpHeaders): HttpError | undefined {
  if (headers.authorization === `Bearer ${expected}`) return undefined;
  return {
    httpStatus: 401,
    error: {
      code: 401,
      message:
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
      status: "UNAUTHENTICATED",
    },
  };
}
