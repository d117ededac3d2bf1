// Caller mistakes, caught before any upstream call: InvalidArgument naming the field, in the
// request's own (proto) field names.

import { Code, ConnectError } from "@connectrpc/connect";
import type { Content } from "../../gen/ts/geminiconnect/v1/content_pb.ts";
import type { CountTokensRequest, GenerateContentRequest } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

/** Returns the model, for the RPC's log line. */
export function checkGenerateRequest(request: GenerateContentRequest, prefix = ""): string {
  checkModel(request.model, `${prefix}model`);
  if (request.contents.length === 0) invalid(`${prefix}contents`, "at least one Content is required");
  checkContents(request.contents, `${prefix}contents`);
  if (request.systemInstruction !== undefined) checkContents([request.systemInstruction], `${prefix}system_instruction`);
  return request.model;
}

/** Checks a CountTokens request (and the GenerateContentRequest it may carry); returns the model. */
export function checkCountTokensRequest(request: CountTokensRequest): string {
  checkModel(request.model, "model");
  const nested = request.generateContentRequest;
  if (request.contents.length === 0 && nested === undefined) {
    invalid("contents", "set contents or generate_content_request");
  }
  checkContents(request.contents, "contents");
  if (nested !== undefined) checkGenerateRequest(nested, "generate_content_request.");
  return request.model;
}

// Gemini's own model names: `models/{id}`, `tunedModels/{id}`, or a bare id the SDK prefixes.
const modelName = /^(?:(?:models|tunedModels)\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/;

// Far above any real name; a longer one would only make Gemini's front end refuse the URL.
const maxModelLength = 256;

function checkModel(model: string, field: string): void {
  if (model === "") invalid(field, 'required, e.g. "models/gemini-2.5-flash"');
  if (model.length > maxModelLength || !modelName.test(model) || model.includes("..")) {
    invalid(field, `"${model.slice(0, 100)}" is not a model name like "models/gemini-2.5-flash"`);
  }
}

function checkContents(contents: readonly Content[], field: string): void {
  contents.forEach((content, i) => {
    if (content.parts.length === 0) invalid(`${field}[${i}].parts`, "at least one Part is required");
    content.parts.forEach((part, j) => {
      if (part.data.case === undefined) {
        invalid(`${field}[${i}].parts[${j}]`, "a Part needs data: text, inline_data, file_data, function_call, ...");
      }
    });
  });
}

/**
 * The error for a request whose REST JSON could not be made: JSON has no NaN or Infinity, which
 * binary protobuf can carry in a google.protobuf.Value or Struct. Names the first such field.
 */
export function notJsonError(message: object, cause: unknown): ConnectError {
  const at = nonFinitePath(message, "");
  const problem = at === undefined ? `cannot be sent to Gemini as JSON (${String(cause)})` : "NaN and Infinity cannot be sent to Gemini (JSON has no such numbers)";
  return new ConnectError(`${at ?? "request"}: ${problem}`, Code.InvalidArgument);
}

/** Walks a message in its own field names (snake_case), and JSON values (Struct) in theirs. */
function nonFinitePath(value: unknown, path: string): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : path;
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nonFinitePath(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const isMessage = "$typeName" in value;
  for (const [key, item] of Object.entries(value)) {
    if (key === "$typeName") continue;
    // A oneof is { case, value }: its path is the name of the case that is set.
    const oneof = isMessage && typeof item === "object" && item !== null && "case" in item && "value" in item;
    const name = isMessage ? snakeCase(oneof ? String(item.case) : key) : key;
    const found = nonFinitePath(oneof ? item.value : item, path === "" ? name : `${path}.${name}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function invalid(field: string, problem: string): never {
  throw new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}
