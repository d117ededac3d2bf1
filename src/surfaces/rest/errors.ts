// Errors as Gemini's REST API answers them: a google.rpc.Status body,
// `{"error": {"code", "message", "status", "details": [{"@type", ...}]}}`, with the HTTP status
// Google uses for each code (not Connect's table: Google answers 429 for RESOURCE_EXHAUSTED, 400
// for FAILED_PRECONDITION and OUT_OF_RANGE, 409 for ABORTED, 499 for CANCELLED).

import { createRegistry, toJson } from "@bufbuild/protobuf";
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { file_google_rpc_error_details } from "../../../gen/ts/google/rpc/error_details_pb.ts";

const detailTypes = createRegistry(file_google_rpc_error_details);

// google.rpc.Code: its HTTP status and name, after google/rpc/code.proto.
const googleStatus: Readonly<Record<Code, readonly [number, string]>> = {
  [Code.Canceled]: [499, "CANCELLED"],
  [Code.Unknown]: [500, "UNKNOWN"],
  [Code.InvalidArgument]: [400, "INVALID_ARGUMENT"],
  [Code.DeadlineExceeded]: [504, "DEADLINE_EXCEEDED"],
  [Code.NotFound]: [404, "NOT_FOUND"],
  [Code.AlreadyExists]: [409, "ALREADY_EXISTS"],
  [Code.PermissionDenied]: [403, "PERMISSION_DENIED"],
  [Code.ResourceExhausted]: [429, "RESOURCE_EXHAUSTED"],
  [Code.FailedPrecondition]: [400, "FAILED_PRECONDITION"],
  [Code.Aborted]: [409, "ABORTED"],
  [Code.OutOfRange]: [400, "OUT_OF_RANGE"],
  [Code.Unimplemented]: [501, "UNIMPLEMENTED"],
  [Code.Internal]: [500, "INTERNAL"],
  [Code.Unavailable]: [503, "UNAVAILABLE"],
  [Code.DataLoss]: [500, "DATA_LOSS"],
  [Code.Unauthenticated]: [401, "UNAUTHENTICATED"],
};

export interface GoogleError {
  readonly httpStatus: number;
  /** `{"error": {...}}`, as Gemini sends it. */
  readonly body: { readonly error: JsonObject };
}

/** The Google error for a ConnectError; its typed details as JSON with their `@type`. */
export function googleError(error: ConnectError): GoogleError {
  const [httpStatus, status] = googleStatus[error.code];
  const details = error.findDetails(detailTypes).map((detail) => {
    const schema = detailTypes.getMessage(detail.$typeName);
    return { "@type": `type.googleapis.com/${detail.$typeName}`, ...(schema === undefined ? {} : (toJson(schema, detail) as JsonObject)) };
  });
  return {
    httpStatus,
    body: { error: { code: httpStatus, message: error.rawMessage, status, ...(details.length === 0 ? {} : { details }) } },
  };
}

/** A caller mistake the gateway catches before any RPC: 400 INVALID_ARGUMENT, or 404 NOT_FOUND. */
export function requestError(code: Code.InvalidArgument | Code.NotFound, message: string): GoogleError {
  return googleError(new ConnectError(message, code));
}
