// Proto <-> Gemini REST JSON. Generic on purpose: our messages mirror Gemini's field for field, so
// proto3 JSON of a request is the REST body and a REST answer parses straight into our message.
// Nothing is mapped by hand, so nothing that both sides know can be dropped on the way. (A stream
// chunk is parsed in core.ts's loop, where drift is counted.)

import { fromJson, toJson } from "@bufbuild/protobuf";
import type { DescMessage, MessageShape, JsonObject as ProtoJsonObject } from "@bufbuild/protobuf";
import type { JsonObject } from "../upstream/upstream.ts";
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

/** A REST answer as our message, fields our proto does not know left out. */
export function fromRest<Desc extends DescMessage>(schema: Desc, json: JsonObject): MessageShape<Desc> {
  return fromJson(schema, json as ProtoJsonObject, { ignoreUnknownFields: true });
}
