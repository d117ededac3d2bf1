// The cache key of a generate request: SHA-256 over the request's binary protobuf encoding, with
// the model as resolved (an alias replaced by the models that may answer it, in the order they are
// tried: routing decides among them only at the call), under the caller's namespace and the method
// (a unary answer is one message, a stream's is its chunks: they are different entries).
//
// Why binary protobuf is a sound key: protobuf-es writes fields in field-number order, whatever
// order they were set or received in, and only the oneof case that is set, so the same field
// values always give the same bytes. Maps (`labels`, Schema `properties`) and google.protobuf.Struct
// are written in the order of their JS object's keys, which is the order they arrived in (integer-
// like keys first). That order is not normalised on purpose: the upstream JSON is made from the
// same object in the same order, and order can matter to the model (a JSON schema's properties), so
// equal keys always mean equal upstream requests; the same map in another order is only a miss.
// Every field is in the key, also those that do not change the answer (labels), and unknown fields.

import { createHash } from "node:crypto";
import { toBinary } from "@bufbuild/protobuf";
import { GenerateContentRequestSchema } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentRequest } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

export type CachedMethod = "stream" | "unary";

export interface KeyParts {
  /** The caller's namespace: a name (letters, digits, '.', '_', '-'), never a colon. */
  readonly namespace: string;
  readonly method: CachedMethod;
  /** The model as resolved: Router.resolve's name of the models that may answer. */
  readonly model: string;
  readonly request: GenerateContentRequest;
}

/** `<namespace>:<method>:<sha256 hex>`; the namespace stays readable so one can be flushed on its own. */
export function cacheKey({ namespace, method, model, request }: KeyParts): string {
  // A shallow copy: the caller's message is not changed, and nothing below the top is copied.
  const sent = model === request.model ? request : { ...request, model };
  const digest = createHash("sha256").update(toBinary(GenerateContentRequestSchema, sent)).digest("hex");
  return `${namespace}:${method}:${digest}`;
}
