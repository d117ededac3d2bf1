// Node's HTTP requests into Connect's router: connect-node's own adapter, with what a gateway in
// front of untrusted callers needs around it. The request bytes all calls hold are bounded
// (access/request-bytes.ts); the unread rest of a refused call's body is the listener's to end.
// A key header sent twice is found in the raw headers (Node keeps one or joins them) for the auth
// gate. A failed response write (the caller left)
// is already in the RPC's log line, so it is logged at debug level, not printed to stderr.

import { createConnectRouter, createContextValues } from "@connectrpc/connect";
import type { ConnectRouter, ConnectRouterOptions } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { repeatedKeyHeader, repeatedKeyHeaderKey } from "../access/auth.ts";
import type { HeldBytes, RequestBytes } from "../access/request-bytes.ts";
import type { Logger } from "../observe/logger.ts";

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
}

/** A Node request handler (HTTP/1.1 and HTTP/2) serving the routes' RPCs. */
export function createNodeAdapter(options: NodeAdapterOptions): NodeHandler {
  const { routes, fallback, requestBytes, logger, ...routerOptions } = options;
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...routerOptions });
  routes(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));
  return (req, res) => {
    const handler = handlers.get(req.url?.split("?", 1)[0] ?? "");
    if (handler === undefined) {
      fallback(req, res);
      return;
    }
    const held = requestBytes.open();
    res.once("close", () => held.release());
    const values = createContextValues().set(repeatedKeyHeaderKey, repeatedKeyHeader(req.rawHeaders));
    const universal = universalRequestFromNodeRequest(req, res, undefined, values);
    const body = universal.body as AsyncIterable<Uint8Array>;
    const streamed = handler.method.methodKind === "client_streaming" || handler.method.methodKind === "bidi_streaming";
    handler({ ...universal, body: held.meter(body, streamed) })
      .then((response) => {
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
