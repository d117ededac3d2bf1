// gRPC server reflection (grpc.reflection.v1 and v1alpha) over the descriptors that protoc-gen-es
// embeds in gen/ts: grpcurl, buf curl and Postman call the server without proto files. No package
// does this for Connect-ES (connect-es#507), so it is written here, after grpc-go's server.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescEnum, DescExtension, DescFile, DescMessage, DescService, MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/ts/grpc/reflection/v1/reflection_pb.ts";
import type { ServerReflectionRequest } from "../../gen/ts/grpc/reflection/v1/reflection_pb.ts";
import {
  ServerReflection as ServerReflectionV1alpha,
  ServerReflectionRequestSchema as ServerReflectionRequestSchemaV1alpha,
  ServerReflectionResponseSchema as ServerReflectionResponseSchemaV1alpha,
} from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";

type Response = MessageInitShape<typeof ServerReflectionResponseSchema>;

/**
 * What reflection knows: the services, the files that declare them with every file those depend
 * on (well-known types included), keyed by the name they are imported by, and every symbol in
 * those files.
 */
export interface Descriptors {
  readonly serviceNames: readonly string[];
  /** By file name as imported, e.g. "geminiconnect/v1/content.proto" (not DescFile.name). */
  readonly files: ReadonlyMap<string, DescFile>;
  /**
   * Fully-qualified name to the file that declares it: packages' services, methods, messages,
   * fields, oneofs, enums, enum values and extensions, nested ones included.
   */
  readonly symbols: ReadonlyMap<string, DescFile>;
  readonly extensions: readonly DescExtension[];
}

/** What reflection knows of `services`. */
export function describeServices(services: readonly DescService[]): Descriptors {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const extensions: DescExtension[] = [];

  const addMessage = (file: DescFile, message: DescMessage) => {
    symbols.set(message.typeName, file);
    for (const field of message.fields) symbols.set(`${message.typeName}.${field.name}`, file);
    for (const oneof of message.oneofs) symbols.set(`${message.typeName}.${oneof.name}`, file);
    for (const nested of message.nestedMessages) addMessage(file, nested);
    for (const nested of message.nestedEnums) addEnum(file, nested, message.typeName);
    for (const extension of message.nestedExtensions) addExtension(file, extension);
  };
  // Enum values are scoped like their enum (siblings of it), as protobuf name resolution has it.
  const addEnum = (file: DescFile, enumeration: DescEnum, scope: string) => {
    symbols.set(enumeration.typeName, file);
    for (const value of enumeration.values) symbols.set(scope === "" ? value.name : `${scope}.${value.name}`, file);
  };
  const addExtension = (file: DescFile, extension: DescExtension) => {
    symbols.set(extension.typeName, file);
    extensions.push(extension);
  };
  const addFile = (file: DescFile) => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const dependency of file.dependencies) addFile(dependency);
    for (const message of file.messages) addMessage(file, message);
    for (const enumeration of file.enums) addEnum(file, enumeration, file.proto.package);
    for (const extension of file.extensions) addExtension(file, extension);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
  };
  for (const service of services) addFile(service.file);
  const serviceNames = [...new Set(services.map((service) => service.typeName))].sort();
  return { serviceNames, files, symbols, extensions };
}

/**
 * Answers one reflection stream. As grpc-go does, a file is always sent when asked for, while the
 * files it depends on are sent only once per stream.
 */
export function createReflectionSession(options: { readonly descriptors: Descriptors }): (request: ServerReflectionRequest) => Response {
  const { descriptors } = options;
  const sent = new Set<string>();

  const withDependencies = (file: DescFile): Uint8Array[] => {
    const out: Uint8Array[] = [];
    const visit = (next: DescFile, requested: boolean) => {
      if (!requested && sent.has(next.proto.name)) return;
      sent.add(next.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, next.proto));
      for (const dependency of next.dependencies) visit(dependency, false);
    };
    visit(file, true);
    return out;
  };
  const files = (file: DescFile): Response["messageResponse"] => ({
    case: "fileDescriptorResponse",
    value: { fileDescriptorProto: withDependencies(file) },
  });
  const notFound = (message: string): Response["messageResponse"] => ({
    case: "errorResponse",
    value: { errorCode: Code.NotFound, errorMessage: message },
  });

  const answer = (question: ServerReflectionRequest["messageRequest"]): Response["messageResponse"] => {
    switch (question.case) {
      case "listServices":
        return {
          case: "listServicesResponse",
          value: { service: descriptors.serviceNames.map((name) => ({ name })) },
        };
      case "fileByFilename": {
        const file = descriptors.files.get(question.value);
        return file === undefined ? notFound(`file "${question.value}" not found`) : files(file);
      }
      case "fileContainingSymbol": {
        const file = descriptors.symbols.get(question.value.replace(/^\./, ""));
        return file === undefined ? notFound(`symbol "${question.value}" not found`) : files(file);
      }
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = question.value;
        const extension = descriptors.extensions.find(
          (e) => e.extendee.typeName === containingType && e.number === extensionNumber,
        );
        return extension === undefined
          ? notFound(`no extension ${extensionNumber} of "${containingType}"`)
          : files(extension.file);
      }
      case "allExtensionNumbersOfType": {
        const typeName = question.value;
        if (!descriptors.symbols.has(typeName)) return notFound(`type "${typeName}" not found`);
        const numbers = descriptors.extensions.filter((e) => e.extendee.typeName === typeName).map((e) => e.number);
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: typeName, extensionNumber: numbers } };
      }
      case undefined:
        throw new ConnectError("reflection request without a message_request", Code.InvalidArgument);
    }
  };

  return (request) => ({
    validHost: request.host,
    originalRequest: request,
    messageResponse: answer(request.messageRequest),
  });
}

/**
 * Registers grpc.reflection.v1 and v1alpha on the router. They describe every service the router
 * serves, those registered after this call included, and themselves.
 */
export function registerReflection(router: ConnectRouter): void {
  let descriptors: Descriptors | undefined;
  // Built at the first request, when every route is in place; the routes never change after.
  const known = () => (descriptors ??= describeServices(router.handlers.map((handler) => handler.service)));

  router.service(ServerReflection, {
    async *serverReflectionInfo(requests) {
      const session = createReflectionSession({ descriptors: known() });
      for await (const request of requests) yield session(request);
    },
  });
  // v1alpha is wire-identical to v1 (only the package differs): bytes in, bytes out.
  router.service(ServerReflectionV1alpha, {
    async *serverReflectionInfo(requests) {
      const session = createReflectionSession({ descriptors: known() });
      for await (const request of requests) {
        const v1 = fromBinary(ServerReflectionRequestSchema, toBinary(ServerReflectionRequestSchemaV1alpha, request));
        const response = toBinary(ServerReflectionResponseSchema, create(ServerReflectionResponseSchema, session(v1)));
        yield fromBinary(ServerReflectionResponseSchemaV1alpha, response);
      }
    },
  });
}
