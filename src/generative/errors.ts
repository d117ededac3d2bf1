// Every failure of an RPC as a ConnectError with the code a caller can act on (DESIGN §5).

import { Code, ConnectError } from "@connectrpc/connect";
import { UpstreamError } from "../upstream/upstream.ts";

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
export function toConnectError(error: unknown, signal: AbortSignal): ConnectError {
  if (error instanceof ConnectError) return error;
  if (signal.aborted) return ConnectError.from(signal.reason, Code.Canceled);
  if (!(error instanceof UpstreamError)) {
    return new ConnectError("unparseable data from Gemini", Code.Internal, undefined, undefined, error);
  }
  switch (error.failure) {
    case "status": {
      const status = error.rpcStatus;
      const code =
        (status?.status !== undefined ? codeByRpcStatus[status.status] : undefined) ??
        codeByHttpStatus[status?.code ?? 0] ??
        Code.Unknown;
      return new ConnectError(error.message, code, undefined, undefined, error);
    }
    case "network":
      return new ConnectError(`Gemini unreachable: ${error.message}`, Code.Unavailable, undefined, undefined, error);
    case "malformed":
      return new ConnectError(error.message, Code.Internal, undefined, undefined, error);
    case "rejected":
      return new ConnectError(error.message, Code.InvalidArgument, undefined, undefined, error);
    case "aborted":
      return new ConnectError("the upstream request was aborted", Code.Canceled, undefined, undefined, error);
  }
}
