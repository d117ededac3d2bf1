// Every failure of an RPC as a ConnectError with the code a caller can act on: Gemini's own status
// name, else its HTTP status, with its typed details; a cut connection is Unavailable, unparseable
// data Internal, and a cancel or deadline of the RPC wins over whatever the upstream call failed with.

import { createRegistry, fromJson } from "@bufbuild/protobuf";
import type { DescMessage, JsonObject as ProtoJsonObject, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { file_google_rpc_error_details } from "../../gen/ts/google/rpc/error_details_pb.ts";
import { UpstreamError } from "../upstream/upstream.ts";
import type { GoogleRpcStatus, JsonObject } from "../upstream/upstream.ts";

// The google.rpc detail types Gemini sends (RetryInfo, QuotaFailure, ErrorInfo, BadRequest, Help,
// LocalizedMessage, ...), so they reach the caller typed, as gRPC and Connect carry them.
const detailTypes = createRegistry(file_google_rpc_error_details);

// google.rpc.Code names, as Gemini puts them in `error.status`.
const codeByRpcStatus: Readonly<Record<string, Code>> = {
  CANCELLED: Code.Canceled,
  UNKNOWN: Code.Unknown,
  INVALID_ARGUMENT: Code.InvalidArgument,
  DEADLINE_EXCEEDED: Code.DeadlineExceeded,
  NOT_FOUND: Code.NotFound,
  ALREADY_EXISTS: Code.AlreadyExists,
  PERMISSION_DENIED: Code.PermissionDenied,
  RESOURCE_EXHAUSTED: Code.ResourceExhausted,
  FAILED_PRECONDITION: Code.FailedPrecondition,
  ABORTED: Code.Aborted,
  OUT_OF_RANGE: Code.OutOfRange,
  UNIMPLEMENTED: Code.Unimplemented,
  INTERNAL: Code.Internal,
  UNAVAILABLE: Code.Unavailable,
  DATA_LOSS: Code.DataLoss,
  UNAUTHENTICATED: Code.Unauthenticated,
};

// When Gemini sent no status name: the HTTP status, as google.rpc maps them.
const codeByHttpStatus: Readonly<Record<number, Code>> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.Aborted,
  429: Code.ResourceExhausted,
  499: Code.Canceled,
  500: Code.Internal,
  501: Code.Unimplemented,
  503: Code.Unavailable,
  504: Code.DeadlineExceeded,
};

/**
 * The error to end an RPC with. `signal` is the RPC's own: when it fired (cancel, deadline,
 * shutdown) its reason is the truth, whatever the upstream call failed with on the way down.
 */
export function toConnectError(error: unknown, signal: AbortSignal, redact: Redact): ConnectError {
  if (error instanceof ConnectError) return error;
  if (signal.aborted) return ConnectError.from(signal.reason, Code.Canceled);
  if (!(error instanceof UpstreamError)) {
    return new ConnectError("unparseable data from Gemini", Code.Internal, undefined, undefined, error);
  }
  const safe = redacted(error, redact);
  // The network failure's own message already says Gemini was unreachable, and why.
  const details = safe.failure === "status" ? detailsOf(safe.rpcStatus) : undefined;
  return new ConnectError(safe.message, upstreamCode(safe), undefined, details, safe);
}

/** Takes secrets out of a text before it reaches a caller or a log line. */
export type Redact = (text: string) => string;

/**
 * A redactor of the upstream key(s) in every form an error text may carry them: as they are,
 * URL-encoded, base64 and base64url; and of any `key=` value in a quoted URL (`key%3D` too), up to
 * its end, whatever key it is.
 */
export function createRedactor(secrets: readonly string[]): Redact {
  const forms = [
    ...new Set(
      secrets
        .filter((secret) => secret !== "")
        .flatMap((secret) => [
          secret,
          encodeURIComponent(secret),
          Buffer.from(secret).toString("base64"),
          Buffer.from(secret).toString("base64").replace(/=+$/, ""),
          Buffer.from(secret).toString("base64url"),
        ]),
    ),
  ].sort((a, b) => b.length - a.length);
  return (text) => {
    let safe = text.replace(/(key(?:=|%3D))[^&#\s"'<>\\]+/gi, "$1[redacted]");
    for (const form of forms) safe = safe.split(form).join("[redacted]");
    return safe;
  };
}

function redacted(error: UpstreamError, redact: Redact): UpstreamError {
  const status = error.rpcStatus;
  const details = status === undefined ? [] : (JSON.parse(redact(JSON.stringify(status.details))) as JsonObject[]);
  const safeStatus = status === undefined ? undefined : { ...status, message: redact(status.message), details };
  return new UpstreamError(error.failure, redact(error.message), safeStatus, error.cause);
}

/** The code of an upstream failure: Gemini's status name, else its HTTP status, else by kind. */
export function upstreamCode(error: UpstreamError): Code {
  switch (error.failure) {
    case "status": {
      const status = error.rpcStatus;
      return (
        (status?.status !== undefined ? codeByRpcStatus[status.status] : undefined) ??
        codeByHttpStatus[status?.code ?? 0] ??
        Code.Unknown
      );
    }
    case "network":
      return Code.Unavailable;
    case "malformed":
      return Code.Internal;
    case "rejected":
      return Code.InvalidArgument;
    case "aborted":
      return Code.Canceled;
  }
}

type OutgoingDetail = { desc: DescMessage; value: MessageShape<DescMessage> };

/** Gemini's typed details whose type we know; one we cannot read is left out, not guessed at. */
function detailsOf(status: GoogleRpcStatus | undefined): OutgoingDetail[] {
  const details: OutgoingDetail[] = [];
  for (const { "@type": typeUrl, ...fields } of status?.details ?? []) {
    const desc = typeof typeUrl === "string" ? detailTypes.getMessage(typeUrl.slice(typeUrl.lastIndexOf("/") + 1)) : undefined;
    if (desc === undefined) continue;
    try {
      details.push({ desc, value: fromJson(desc, fields as ProtoJsonObject, { ignoreUnknownFields: true }) });
    } catch {
      // Malformed detail: the code and message still tell the caller what happened.
    }
  }
  return details;
}
