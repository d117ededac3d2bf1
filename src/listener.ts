// One cleartext port for HTTP/2 (gRPC, Connect, gRPC-Web) and HTTP/1.1 (Connect, gRPC-Web, curl).
// Node's `allowHTTP1` only works behind TLS (it needs ALPN), so each new connection is sorted by
// its first bytes: the HTTP/2 client preface goes to the http2 server, anything else to http.

import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";

type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export interface CleartextListener {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops taking connections and asks every open one to finish (GOAWAY, close when idle). */
  drain(): void;
  /** Cuts whatever is still open. */
  destroy(): void;
  /** Resolves once drained or destroyed and no connection is left. */
  readonly closed: Promise<void>;
}

export function createCleartextListener(handler: RequestHandler): CleartextListener {
  // A response can be complete before its request is: an RPC error after a first message that
  // does not parse. HTTP/1.1 drops the rest of such a body by itself; HTTP/2 would leave the
  // stream half-open with its window full: the client could never finish sending, and the
  // connection could never close. So once our side of the stream is done, read and drop the rest.
  const drainingHandler: RequestHandler = (req, res) => {
    if (res instanceof http2.Http2ServerResponse) {
      const stream = res.stream;
      stream.once("finish", () => {
        if (stream.readableEnded) return;
        // Below the request object, which nothing reads any more: drop the bytes as they come.
        stream.removeAllListeners("data");
        stream.on("data", () => {});
        stream.resume();
      });
    }
    handler(req, res);
  };
  const h1 = http.createServer(drainingHandler);
  // Node's default of 10 MB per session refuses new streams (ENHANCE_YOUR_CALM) past ~9,500 open
  // streams on one connection; a gateway multiplexes that many from one busy caller.
  const h2 = http2.createServer({ maxSessionMemory: 64 }, drainingHandler);
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  let draining = false;

  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    // A session error is one connection's problem; without a listener it would crash the process.
    session.on("error", () => session.destroy());
    if (draining) session.close();
  });

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    let received: Buffer = Buffer.alloc(0);
    const sort = (data: Buffer) => {
      received = received.length === 0 ? data : Buffer.concat([received, data]);
      const compared = Math.min(received.length, http2Preface.length);
      const isHttp2 = received.subarray(0, compared).equals(http2Preface.subarray(0, compared));
      if (isHttp2 && received.length < http2Preface.length) return;
      socket.off("data", sort);
      socket.pause();
      socket.unshift(received);
      if (isHttp2) {
        // The session reads what was unshifted by itself; resuming here would lose the preface.
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", sort);
  });

  // net.Server emits "close" only after its last connection ended, handed-off ones included.
  const closed = new Promise<void>((resolve) => server.on("close", resolve));

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    drain() {
      draining = true;
      server.close();
      for (const session of sessions) session.close();
      h1.closeIdleConnections();
      // HTTP/1.1 connections that are busy now close once their response is done.
      h1.on("request", (_req, res: http.ServerResponse) => res.shouldKeepAlive = false);
    },
    destroy() {
      server.close();
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    },
    closed,
  };
}
