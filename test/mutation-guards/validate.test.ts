// Request checks in memory (generative/validate.ts): every mistake is InvalidArgument naming the
// field in the request's own field names, before any upstream call.

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CountTokensRequestSchema, GenerateContentRequestSchema } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentRequest } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { checkCountTokensRequest, checkGenerateRequest, notJsonError } from "../../src/generative/validate.ts";

const hi = { role: "user", parts: [{ data: { case: "text" as const, value: "hi" } }] };
type GenerateInit = MessageInitShape<typeof GenerateContentRequestSchema>;
type CountInit = MessageInitShape<typeof CountTokensRequestSchema>;
/** A valid request, with `init`'s fields instead. */
const generate = (init: object) => create(GenerateContentRequestSchema, { model: "models/gemini-2.5-flash", contents: [hi], ...init } as GenerateInit);

/** The message of the InvalidArgument `check` throws; fails when it throws anything else or nothing. */
function refusal(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    return (error as ConnectError).rawMessage;
  }
  throw new Error("accepted");
}

describe("the model name", () => {
  it("accepts Gemini's forms and returns the model", () => {
    for (const model of ["models/gemini-2.5-flash", "tunedModels/my-model.v2_1", "gemini-2.5-flash", "9b"]) {
      expect(checkGenerateRequest(generate({ model }))).toBe(model);
    }
  });

  it("requires one", () => {
    expect(refusal(() => checkGenerateRequest(generate({ model: "" })))).toBe('model: required, e.g. "models/gemini-2.5-flash"');
  });

  it("refuses what is not a model name, quoting at most 100 characters of it", () => {
    for (const model of ["models/", "files/abc", "models/-leading-dash", "models/a b", "models/a/b", "models/a..b", "x-models/a", "a\nb"]) {
      expect(refusal(() => checkGenerateRequest(generate({ model })))).toBe(`model: "${model}" is not a model name like "models/gemini-2.5-flash"`);
    }
    const long = `models/${"m".repeat(300)}`;
    expect(refusal(() => checkGenerateRequest(generate({ model: long })))).toBe(`model: "${long.slice(0, 100)}" is not a model name like "models/gemini-2.5-flash"`);
  });

  it("takes 256 characters and refuses 257", () => {
    const at = (length: number) => `models/${"m".repeat(length - "models/".length)}`;
    expect(checkGenerateRequest(generate({ model: at(256) }))).toBe(at(256));
    expect(refusal(() => checkGenerateRequest(generate({ model: at(257) })))).toMatch(/^model: "models\/m+" is not a model name/);
  });
});

describe("contents", () => {
  it("requires a Content, a Part in each, and data in each Part", () => {
    expect(refusal(() => checkGenerateRequest(generate({ contents: [] })))).toBe("contents: at least one Content is required");
    expect(refusal(() => checkGenerateRequest(generate({ contents: [hi, { role: "user", parts: [] }] })))).toBe(
      "contents[1].parts: at least one Part is required",
    );
    expect(refusal(() => checkGenerateRequest(generate({ contents: [{ role: "user", parts: [hi.parts[0]!, {}] }] })))).toBe(
      "contents[0].parts[1]: a Part needs data: text, inline_data, file_data, function_call, ...",
    );
  });

  it("checks the system instruction as a Content of its own", () => {
    expect(checkGenerateRequest(generate({ systemInstruction: hi }))).toBe("models/gemini-2.5-flash");
    expect(refusal(() => checkGenerateRequest(generate({ systemInstruction: { parts: [] } })))).toBe(
      "system_instruction[0].parts: at least one Part is required",
    );
    expect(refusal(() => checkGenerateRequest(generate({ systemInstruction: { parts: [{}] } })))).toMatch(/^system_instruction\[0\]\.parts\[0\]: a Part needs data/);
  });
});

describe("CountTokens", () => {
  const count = (init: object) => create(CountTokensRequestSchema, { model: "models/gemini-2.5-flash", ...init } as CountInit);

  it("takes contents, or a GenerateContentRequest, and returns the model", () => {
    expect(checkCountTokensRequest(count({ contents: [hi] }))).toBe("models/gemini-2.5-flash");
    expect(checkCountTokensRequest(count({ generateContentRequest: generate({}) }))).toBe("models/gemini-2.5-flash");
  });

  it("refuses neither, a bad model, bad contents, and names the nested request's fields by their path", () => {
    expect(refusal(() => checkCountTokensRequest(count({})))).toBe("contents: set contents or generate_content_request");
    expect(refusal(() => checkCountTokensRequest(count({ model: "", contents: [hi] })))).toBe('model: required, e.g. "models/gemini-2.5-flash"');
    expect(refusal(() => checkCountTokensRequest(count({ contents: [{ parts: [] }] })))).toBe("contents[0].parts: at least one Part is required");
    expect(refusal(() => checkCountTokensRequest(count({ generateContentRequest: generate({ model: "" }) })))).toBe(
      'generate_content_request.model: required, e.g. "models/gemini-2.5-flash"',
    );
    expect(refusal(() => checkCountTokensRequest(count({ generateContentRequest: generate({ contents: [] }) })))).toBe(
      "generate_content_request.contents: at least one Content is required",
    );
  });
});

describe("notJsonError", () => {
  const withArgs = (args: Record<string, unknown>): GenerateContentRequest =>
    generate({ contents: [hi, { role: "model", parts: [hi.parts[0]!, { data: { case: "functionCall", value: { name: "f", args: args as never } } }] }] });

  it("names the first NaN or Infinity by its path: proto fields in snake_case, JSON keys as they are", () => {
    const error = notJsonError(withArgs({ someKey: [1, "x", { deep: Number.NaN }], later: Number.POSITIVE_INFINITY }), new Error("x"));
    expect(error).toMatchObject({ code: Code.InvalidArgument });
    expect(error.rawMessage).toBe("contents[1].parts[1].function_call.args.someKey[2].deep: NaN and Infinity cannot be sent to Gemini (JSON has no such numbers)");
    expect(notJsonError(withArgs({ a: 1, b: Number.NEGATIVE_INFINITY }), undefined).rawMessage).toMatch(/^contents\[1\]\.parts\[1\]\.function_call\.args\.b: NaN/);
  });

  it("walks past JSON nulls, and names an empty JSON key as it is", () => {
    expect(notJsonError(withArgs({ a: null, b: [null, Number.NaN] }), undefined).rawMessage).toMatch(/^contents\[1\]\.parts\[1\]\.function_call\.args\.b\[1\]: NaN/);
    expect(notJsonError(withArgs({ "": Number.NaN }), undefined).rawMessage).toMatch(/^contents\[1\]\.parts\[1\]\.function_call\.args\.: NaN/);
  });

  it("names a proto field of its own, too", () => {
    const error = notJsonError(generate({ generationConfig: { temperature: Number.NaN } }), undefined);
    expect(error.rawMessage).toMatch(/^generation_config\.temperature: NaN and Infinity/);
  });

  it("without such a number, says the request could not be made JSON and why", () => {
    expect(notJsonError(withArgs({ a: [1, 2] }), new Error("boom")).rawMessage).toBe("request: cannot be sent to Gemini as JSON (Error: boom)");
  });
});
