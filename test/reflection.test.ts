// Server reflection through a real socket (v1 and v1alpha, over gRPC and Connect on HTTP/2), and
// the symbol and extension lookups on descriptors made up for the purpose.

import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import {
  DescriptorProtoSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  file_google_protobuf_descriptor,
} from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../gen/ts/grpc/reflection/v1/reflection_pb.ts";
import type { ServerReflectionRequest, ServerReflectionResponse } from "../gen/ts/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { createReflectionSession, describeServices } from "../src/grpc/reflection.ts";
import { startHarness, transportFor } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

type Question = MessageInitShape<typeof ServerReflectionRequestSchema>["messageRequest"];

/** Asks each question in turn on one reflection stream, as grpcurl does. */
async function ask(questions: Question[], version: "v1" | "v1alpha" = "v1", protocol: "grpc" | "connect-h2" = "grpc") {
  const transport = transportFor(protocol, harness.baseUrl);
  const requests = createWritableIterable<MessageInitShape<typeof ServerReflectionRequestSchema>>();
  const responses: ServerReflectionResponse[] = [];
  const stream =
    version === "v1"
      ? createClient(ServerReflection, transport).serverReflectionInfo(requests)
      : // v1alpha is wire-identical to v1: the same plain objects serve as its requests.
        createClient(ServerReflectionV1alpha, transport).serverReflectionInfo(requests as AsyncIterable<never>);
  const reading = (async () => {
    for await (const response of stream) {
      // v1alpha is wire-identical: read both as v1.
      responses.push(response as unknown as ServerReflectionResponse);
    }
  })();
  for (const messageRequest of questions) await requests.write({ host: "gateway.test", messageRequest });
  requests.close();
  await reading;
  return responses;
}

function fileNames(response: ServerReflectionResponse | undefined): string[] {
  if (response?.messageResponse.case !== "fileDescriptorResponse") throw new Error(`no files in ${response?.messageResponse.case}`);
  return response.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

const serviceNames = [
  "geminiconnect.v1.FileService",
  "geminiconnect.v1.GenerativeService",
  "google.ai.generativelanguage.v1beta.GenerativeService",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

describe.each([
  ["v1", "grpc"],
  ["v1alpha", "grpc"],
  ["v1", "connect-h2"],
] as const)("reflection %s over %s", (version, protocol) => {
  it("lists every service, reflection and health included, and echoes host and request", async () => {
    const [response] = await ask([{ case: "listServices", value: "" }], version, protocol);
    expect(response?.validHost).toBe("gateway.test");
    expect(response?.originalRequest?.messageRequest).toEqual({ case: "listServices", value: "" });
    expect(response?.messageResponse.case).toBe("listServicesResponse");
    const names = response?.messageResponse.case === "listServicesResponse" ? response.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual(serviceNames);
  });

  it("resolves a method symbol to its file, sent with every file it depends on", async () => {
    const [response] = await ask([{ case: "fileContainingSymbol", value: "geminiconnect.v1.GenerativeService.StreamGenerateContent" }], version, protocol);
    const names = fileNames(response);
    expect(names[0]).toBe("geminiconnect/v1/generative_service.proto");
    expect(new Set(names)).toEqual(
      new Set([
        "geminiconnect/v1/generative_service.proto",
        "geminiconnect/v1/citation.proto",
        "geminiconnect/v1/content.proto",
        "geminiconnect/v1/safety.proto",
        "google/protobuf/duration.proto",
        "google/protobuf/struct.proto",
        "google/protobuf/timestamp.proto",
        "google/type/interval.proto",
        "google/type/latlng.proto",
      ]),
    );
  });
});

describe("reflection answers", () => {
  it("are complete: the files sent for the service build a registry that knows every message", async () => {
    const [response] = await ask([{ case: "fileContainingSymbol", value: "geminiconnect.v1.GenerativeService" }]);
    if (response?.messageResponse.case !== "fileDescriptorResponse") throw new Error("no files");
    const files = new Map(
      response.messageResponse.value.fileDescriptorProto
        .map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes))
        .map((file) => [file.name, file]),
    );
    // Dependencies first, as a FileDescriptorSet must be; a file that was not sent fails here.
    const ordered: FileDescriptorProto[] = [];
    const visit = (name: string) => {
      const file = files.get(name);
      if (file === undefined) throw new Error(`${name} was not sent`);
      if (ordered.includes(file)) return;
      file.dependency.forEach(visit);
      ordered.push(file);
    };
    visit("geminiconnect/v1/generative_service.proto");
    expect(ordered).toHaveLength(files.size);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
    const service = registry.getService("geminiconnect.v1.GenerativeService");
    expect(service?.methods.map((m) => m.name)).toEqual(["StreamGenerateContent", "GenerateContent", "CountTokens"]);
    // Same field numbers and json names as the descriptors the server itself runs on.
    const request = registry.getMessage("geminiconnect.v1.GenerateContentRequest");
    const ours = GenerativeService.method.streamGenerateContent.input;
    expect(request?.fields.map((f) => [f.name, f.number, f.jsonName])).toEqual(ours.fields.map((f) => [f.name, f.number, f.jsonName]));
  });

  it("send a file's dependencies once per stream, the file asked for always", async () => {
    const [first, second, third] = await ask([
      { case: "fileByFilename", value: "geminiconnect/v1/generative_service.proto" },
      { case: "fileByFilename", value: "geminiconnect/v1/content.proto" },
      { case: "fileByFilename", value: "geminiconnect/v1/generative_service.proto" },
    ]);
    expect(fileNames(first)).toContain("geminiconnect/v1/content.proto");
    expect(fileNames(second)).toEqual(["geminiconnect/v1/content.proto"]);
    expect(fileNames(third)).toEqual(["geminiconnect/v1/generative_service.proto"]);
  });

  it.each([
    "geminiconnect.v1.Candidate",
    "geminiconnect.v1.Candidate.FinishReason",
    "geminiconnect.v1.Candidate.STOP",
    "geminiconnect.v1.GenerateContentRequest.contents",
    "geminiconnect.v1.Part.data",
  ])("resolve the symbol %s (nested types, enum values, fields, oneofs)", async (symbol) => {
    const [response] = await ask([{ case: "fileContainingSymbol", value: symbol }]);
    expect(fileNames(response)[0]).toMatch(/^geminiconnect\/v1\//);
  });

  it("for what is unknown, are NOT_FOUND errors that leave the stream open", async () => {
    const responses = await ask([
      { case: "fileContainingSymbol", value: "geminiconnect.v1.Nope" },
      { case: "fileByFilename", value: "nope.proto" },
      { case: "fileContainingExtension", value: { containingType: "geminiconnect.v1.Part", extensionNumber: 100 } },
      { case: "allExtensionNumbersOfType", value: "geminiconnect.v1.Nope" },
      { case: "fileByFilename", value: "google/protobuf/struct.proto" },
    ]);
    expect(responses.slice(0, 4).map((r) => r.messageResponse.case === "errorResponse" && r.messageResponse.value.errorCode)).toEqual([
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
    ]);
    expect(fileNames(responses[4])).toEqual(["google/protobuf/struct.proto"]);
  });

  it("list no extension numbers for a message nobody extends", async () => {
    const [response] = await ask([{ case: "allExtensionNumbersOfType", value: "geminiconnect.v1.Part" }]);
    expect(response?.messageResponse).toEqual({
      case: "allExtensionNumbersResponse",
      value: expect.objectContaining({ baseTypeName: "geminiconnect.v1.Part", extensionNumber: [] }),
    });
  });

  it("end the stream with InvalidArgument for a request that asks nothing", async () => {
    const failure = await ask([{ case: undefined }]).catch((e: unknown) => ConnectError.from(e));
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
  });
});

describe("extension lookups (on a made-up file that extends descriptor.proto)", () => {
  // extend google.protobuf.MessageOptions { string ext_note = 50001; } plus a service using it.
  const fileProto = create(FileDescriptorProtoSchema, {
    name: "ext/v1/ext.proto",
    package: "ext.v1",
    syntax: "proto3",
    dependency: ["google/protobuf/descriptor.proto"],
    messageType: [create(DescriptorProtoSchema, { name: "Ping" })],
    extension: [
      {
        name: "ext_note",
        number: 50001,
        label: FieldDescriptorProto_Label.OPTIONAL,
        type: FieldDescriptorProto_Type.STRING,
        extendee: ".google.protobuf.MessageOptions",
        jsonName: "extNote",
      },
    ],
    service: [{ name: "PingService", method: [{ name: "Ping", inputType: ".ext.v1.Ping", outputType: ".ext.v1.Ping" }] }],
  });
  const registry = createFileRegistry(fileProto, (name) => (name === "google/protobuf/descriptor.proto" ? file_google_protobuf_descriptor : undefined));
  const service = registry.getService("ext.v1.PingService");
  if (service === undefined) throw new Error("made-up service missing");
  const descriptors = describeServices([service]);
  // A new stream for each question.
  const answer = (question: ServerReflectionRequest) => createReflectionSession({ descriptors })(question);
  const request = (messageRequest: Question): ServerReflectionRequest =>
    create(ServerReflectionRequestSchema, { messageRequest });

  it("find the file that declares an extension, by extendee and number", () => {
    const response = answer(request({ case: "fileContainingExtension", value: { containingType: "google.protobuf.MessageOptions", extensionNumber: 50001 } }));
    expect(fileNames(create(ServerReflectionResponseSchema, response))[0]).toBe("ext/v1/ext.proto");
  });

  it("list the extension numbers of the extended message", () => {
    const response = answer(request({ case: "allExtensionNumbersOfType", value: "google.protobuf.MessageOptions" }));
    expect(response.messageResponse).toEqual({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "google.protobuf.MessageOptions", extensionNumber: [50001] },
    });
  });

  it("resolve the extension's own name as a symbol", () => {
    const response = answer(request({ case: "fileContainingSymbol", value: "ext.v1.ext_note" }));
    const message = create(ServerReflectionResponseSchema, response);
    expect(fileNames(message)).toEqual(["ext/v1/ext.proto", "google/protobuf/descriptor.proto"]);
    expect(fromBinary(ServerReflectionResponseSchema, toBinary(ServerReflectionResponseSchema, message))).toEqual(message);
  });
});
