// Node's HTTP requests into Connect's router: connect-node's own adapter, with what a gateway in
// front of untrusted callers needs around it. The request bytes all calls hold are bounded
// (access/request-bytes.ts); the unread rest of a refused call's body is the listener's to end.
// A key header sent twice is found in the raw headers (Node keeps one or joins them) for the auth
// gate. A failed response write (the caller left)
// is already in the RPC's log line, so it is logged at debug level, not printed to stderr.
// An RPC answered before the interceptors ran (its request unparsable, too large, or beyond the
// bytes in flight: connect reads the first message before it calls them) is handed to
// `onRejected` once its response is written, with the error connect answered.

import { Code, ConnectError, createConnectRouter, createContextKey, createContextValues } from "@connectrpc/connect";
import type { ConnectRouter, ConnectRouterOptions, HandlerContext } from "@connectrpc/connect";
import { codeFromHttpStatus } from "@connectrpc/connect/protocol-connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { repeatedKeyHeader, repeatedKeyHeaderKey } from "../access/auth.ts";
import type { HeldBytes, RequestBytes } from "../access/request-bytes.ts";
import type { Logger } from "../observe/logger.ts";
import { asCallersMistake, observedKey } from "../observe/observe.ts";
import type { Rejection } from "../observe/observe.ts";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
type NodeHandler = (req: NodeRequest, res: NodeResponse) => void;

/** What createNodeAdapter needs: the router's options and routes, and what is not an RPC. */
export interface NodeAdapterOptions extends ConnectRouterOptions {
  readonly routes: (router: ConnectRouter) => void;
  /** Any other path. */
  readonly fallback: NodeHandler;
  readonly requestBytes: RequestBytes;
  readonly logger: Logger;
  /** Told of each RPC answered with an error before it reached the interceptors. */
  readonly onRejected: (rejection: Rejection) => void;
}

// Where the request gate leaves the error the call was ended with, for `onRejected`.
const answerKey = createContextKey<{ error?: unknown; status?: number } | undefined>(undefined, { description: "the error an RPC was answered" });

/** A Node request handler (HTTP/1.1 and HTTP/2) serving the routes' RPCs. */
export function createNodeAdapter(options: NodeAdapterOptions): NodeHandler {
  const { routes, fallback, requestBytes, logger, onRejected, requestGate, ...routerOptions } = options;
  const router = createConnectRouter({
    acceptCompression: [compressionGzip, compressionBrotli],
    ...routerOptions,
    requestGate: async (ctx) => {
      watchAnswer(ctx);
      await requestGate?.(ctx);
    },
  });
  routes(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));
  return (req, res) => {
    const handler = handlers.get(req.url?.split("?", 1)[0] ?? "");
    if (handler === undefined) {
      fallback(req, res);
      return;
    }
    const started = performance.now();
    const held = requestBytes.open();
    const answer: { error?: unknown; status?: number } = {};
    const values = createContextValues().set(repeatedKeyHeaderKey, repeatedKeyHeader(req.rawHeaders)).set(answerKey, answer);
    const universal = universalRequestFromNodeRequest(req, res, undefined, values);
    // "close", not the end of the write: connect-node's write of an HTTP/1.1 response never resolves.
    res.once("close", () => {
      held.release();
      if (values.get(observedKey)) return;
      onRejected({ method: handler.method, header: universal.header, values, error: answerOf(answer), durationMs: performance.now() - started });
    });
    const body = universal.body as AsyncIterable<Uint8Array>;
    const streamed = handler.method.methodKind === "client_streaming" || handler.method.methodKind === "bidi_streaming";
    handler({ ...universal, body: held.meter(body, streamed) })
      .then((response) => {
        answer.status = response.status;
        // Given back as the last of the response body is taken, before the caller sees the end:
        // a caller's next call never finds this one's bytes still counted.
        const body = response.body === undefined ? undefined : releasedAtEnd(response.body, held);
        return universalResponseToNodeResponse({ ...response, body }, res);
      })
      .catch((reason: unknown) => {
        logger.debug({ method: `${handler.service.typeName}/${handler.method.name}`, reason: String(reason) }, "response not written");
      });
  };
}

async function* releasedAtEnd(body: AsyncIterable<Uint8Array>, held: HeldBytes): AsyncIterable<Uint8Array> {
  try {
    yield* body;
  } finally {
    held.release();
  }
}

// connect aborts the call with the error it is about to answer, before it serializes it.
function watchAnswer(ctx: HandlerContext): void {
  const answer = ctx.values.get(answerKey);
  if (answer === undefined) return;
  ctx.signal.addEventListener("abort", () => (answer.error = asCallersMistake(ctx.signal.reason)), { once: true });
}

// Refused before the gate ran (a content type or HTTP method no protocol takes): only the status
// tells. Neither: the caller left before it was answered.
function answerOf(answer: { error?: unknown; status?: number }): ConnectError {
  if (answer.error !== undefined) return ConnectError.from(answer.error);
  if (answer.status !== undefined) return new ConnectError(`HTTP ${answer.status}`, codeFromHttpStatus(answer.status));
  return new ConnectError("caller went away before it was answered", Code.Canceled);
}
