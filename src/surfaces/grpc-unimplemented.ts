// A gRPC or gRPC-Web call to a service or method the gateway does not serve gets UNIMPLEMENTED as a
// gRPC status (HTTP 200, trailers-only), which gRPC clients read as such, rather than a plain HTTP
// 404 they report as a transport failure. The message says what is served instead: for Google's
// service name, that the gateway serves three of its methods, not EmbedContent and the others.

import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { Http2ServerResponse } from "node:http2";

type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

// The content types the router's gRPC and gRPC-Web handlers take (gRPC-Web-Text they refuse).
const grpcContentType = /^application\/grpc(-web)?(?:\+(?:(json)(?:; ?charset=utf-?8)?|proto))?$/i;

export function isGrpcRequest(contentType: string | undefined): boolean {
  return grpcContentType.test(contentType ?? "");
}

/** The handler for gRPC calls no route matched; `handlers` are the router's. */
export function createGrpcUnimplemented(handlers: readonly UniversalHandler[]): NodeHandler {
  const methodsByService = new Map<string, string[]>();
  for (const { service, method } of handlers) {
    methodsByService.set(service.typeName, [...(methodsByService.get(service.typeName) ?? []), method.name]);
  }
  const services = [...methodsByService.keys()].sort().join(", ");
  const messageFor = (path: string): string => {
    const [, service = "", method = ""] = /^\/([^/]*)\/([^/]*)$/.exec(path) ?? [];
    const methods = methodsByService.get(service);
    if (methods !== undefined) return `method "${method.slice(0, 100)}" is not served by ${service}; it serves ${methods.join(", ")}`;
    return `service "${service.slice(0, 200) || path.slice(0, 200)}" is not served; this gateway serves ${services}`;
  };
  return (req, res) => {
    const [, web = "", json] = grpcContentType.exec(req.headers["content-type"] ?? "") ?? [];
    const headers = {
      "content-type": `application/grpc${web}+${json === undefined ? "proto" : "json"}`,
      "grpc-status": "12",
      "grpc-message": encodeURIComponent(messageFor(req.url?.split("?", 1)[0] ?? "")),
    };
    if (res instanceof Http2ServerResponse) {
      // Trailers-only: one HEADERS frame that ends the stream. Node's compatibility API would
      // end it with an empty DATA frame instead, which gRPC clients read as trailers missing.
      res.stream.respond({ ":status": 200, ...headers }, { endStream: true });
      return;
    }
    // HTTP/1.1 has no trailers for gRPC-Web: its status in the headers, as gRPC-Web allows.
    res.writeHead(200, headers);
    res.end();
  };
}
