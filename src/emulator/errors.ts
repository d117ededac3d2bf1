// Pure: the google.rpc.Status errors the emulator answers with, worded and shaped like Google's.
import type { RpcError } from "./types.ts";

export interface HttpError {
  readonly httpStatus: number;
  readonly error: RpcError;
}

/** Google pretty-prints error bodies (two-space indent, trailing newline); clients that log them show that. */
export function errorBody(error: RpcError): string {
  return `${JSON.stringify({ error }, null, 2)}\n`;
}

export function notFound(method: string, path: string): HttpError {
  return {
    httpStatus: 404,
    error: { code: 404, message: `Method ${method} ${path} is not served by the Gemini emulator.`, status: "NOT_FOUND" },
  };
}

export function missingApiKey(): HttpError {
  return {
    httpStatus: 403,
    error: {
      code: 403,
      message:
        "Method doesn't allow unregistered callers (callers without established identity). " +
        "Please use API Key or other form of API consumer identity to call this API.",
      status: "PERMISSION_DENIED",
    },
  };
}

export function invalidApiKey(): HttpError {
  const message = "API key not valid. Please pass a valid API key.";
  // Google has sent the LocalizedMessage after the ErrorInfo since 2025; clients read details[0].
  return invalidArgument(message, [
    {
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "API_KEY_INVALID",
      domain: "googleapis.com",
      metadata: { service: "generativelanguage.googleapis.com" },
    },
    { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message },
  ]);
}

export function invalidJson(reason: string): HttpError {
  const message = `Invalid JSON payload received. ${reason}`;
  return invalidArgument(message, [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ description: message }] }]);
}

/** The one request check the emulator shares with Google: a generate call needs contents. */
export function generateRequestProblem(body: Record<string, unknown>): HttpError | undefined {
  const contents = body["contents"];
  if (Array.isArray(contents) && contents.length > 0) return undefined;
  return invalidArgument("* GenerateContentRequest.contents: contents is not specified\n");
}

/** Google also streams a JSON array without `alt=sse`; the SDK never asks for it, so neither does the emulator. */
export function unsupportedAlt(): HttpError {
  return invalidArgument("The Gemini emulator serves streamGenerateContent with alt=sse only.");
}

function invalidArgument(message: string, details?: RpcError["details"]): HttpError {
  return { httpStatus: 400, error: { code: 400, message, status: "INVALID_ARGUMENT", ...(details === undefined ? {} : { details }) } };
}
