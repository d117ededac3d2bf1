// Everything that reaches the port but is not one of the router's RPCs: gRPC calls to a path no
// route serves (UNIMPLEMENTED), the Gemini REST API under /v1beta/ and /v1/, and then the rest
// (metrics, probes) to `otherwise`.

import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { createGrpcUnimplemented, isGrpcRequest } from "./grpc-unimplemented.ts";
import { createRestIngress } from "./rest/ingress.ts";
import { restPrefixes } from "./rest/routes.ts";

type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

export interface FallbackOptions {
  /** The router's handlers, every service registered. */
  readonly handlers: readonly UniversalHandler[];
  readonly maxRequestBytes: number;
  readonly otherwise: NodeHandler;
}

/** The adapter's fallback: what answers requests that match no RPC route. */
export function createFallback(options: FallbackOptions): NodeHandler {
  const unimplemented = createGrpcUnimplemented(options.handlers);
  const rest = createRestIngress({ handlers: options.handlers, maxRequestBytes: options.maxRequestBytes });
  return (req, res) => {
    if (isGrpcRequest(req.headers["content-type"])) return unimplemented(req, res);
    const path = req.url?.split("?", 1)[0] ?? "";
    if (restPrefixes.some((prefix) => path.startsWith(prefix))) return rest(req, res);
    return options.otherwise(req, res);
  };
}
