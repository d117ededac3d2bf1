// Proto <-> Gemini REST JSON. Generic on purpose: our messages mirror Gemini's field for field, so
// proto3 JSON of a request is the REST body and a REST chunk parses straight into our message.
// Nothing is mapped by hand, so nothing that both sides know can be dropped on the way.

import { fromJson, toJson } from "@bufbuild/protobuf";
import type { JsonObject as ProtoJsonObject } from "@bufbuild/protobuf";
import { GenerateContentResponseSchema } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentResponse } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { JsonObject } from "../upstream/upstream.ts";
import type { RpcSummary } from "../observe/rpc-record.ts";
import { notJsonError } from "./validate.ts";

/** The REST body for a request message: its proto3 JSON without `model`, which goes in the URL. */
export function toRestBody<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): JsonObject {
  let json: ProtoJsonObject;
  try {
    json = toJson(schema, message) as ProtoJsonObject;
  } catch (error) {
    throw notJsonError(message, error);
  }
  const { model: _inUrl, ...body } = json;
  return body as JsonObject;
}

/**
 * A Gemini chunk as our message. The strict parse is the fast path; when Gemini sends a field or
 * enum value our proto does not know yet, the chunk is parsed again without it and counted, so
 * API drift shows in the RPC's log line instead of failing the stream.
 */
export function chunkFromRest(json: JsonObject, summary: RpcSummary | undefined): GenerateContentResponse {
  try {
    return fromJson(GenerateContentResponseSchema, json as ProtoJsonObject);
  } catch {
    if (summary !== undefined) summary.driftedChunks++;
    return fromJson(GenerateContentResponseSchema, json as ProtoJsonObject, { ignoreUnknownFields: true });
  }
}

export function countTokensFromRest<Desc extends DescMessage>(schema: Desc, json: JsonObject): MessageShape<Desc> {
  return fromJson(schema, json as ProtoJsonObject, { ignoreUnknownFields: true });
}
