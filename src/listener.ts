// One cleartext port for HTTP/2 (gRPC, Connect, gRPC-Web) and HTTP/1.1 (Connect, gRPC-Web, curl).
// Node's `allowHTTP1` only works behind TLS (it needs ALPN), so each new connection is sorted by
// its first bytes: the HTTP/2 client preface goes to the http2 server, anything else to http.
//
// Every stage of a connection has a deadline, so that silent or dripping clients cannot pile up
// until the process runs out of file descriptors: the first bytes (sorting), HTTP/1.1 headers and
// request, and an idle connection (HTTP/2 with no open stream, HTTP/1.1 between requests). The
// number of connections is capped in all and per peer address.

import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import type { ConnectionLimits } from "./config/settings.ts";

type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** Why the listener closed a connection itself: a refusal at the cap, or a stage that timed out. */
export type ConnectionCut =
  | { readonly kind: "refused"; readonly reason: "total" | "per_peer" }
  | { readonly kind: "timeout"; readonly stage: "first_bytes" | "headers" | "idle" };

export interface ListenerOptions {
  readonly handler: RequestHandler;
  readonly limits: ConnectionLimits;
  /** Told of each connection the listener cuts, for the log and metrics. */
  readonly onCut?: ((cut: ConnectionCut) => void) | undefined;
}

const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
// A session asked to close (GOAWAY) that still has not after this long is cut.
const closeGraceMs = 5_000;

export interface CleartextListener {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops taking connections and asks every open one to finish (GOAWAY, close when idle). */
  drain(): void;
  /** Cuts whatever is still open. */
  destroy(): void;
  /** Resolves once drained or destroyed and no connection is left. */
  readonly closed: Promise<void>;
}

/** The one cleartext port: sorts connections into HTTP/2 and HTTP/1.1, with deadlines and caps. */
export function createCleartextListener(options: ListenerOptions): CleartextListener {
  const { limits } = options;
  const cut = options.onCut ?? (() => {});
  const handler = endUnreadBodies(options.handler);
  const h1 = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      // Node checks the two deadlines above on this period: a tenth of the shorter, within reason.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 10))),
    },
    handler,
  );
  h1.on("clientError", (error: NodeJS.ErrnoException, socket: net.Socket) => {
    const timedOut = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
    if (timedOut) cut({ kind: "timeout", stage: "headers" });
    // What Node answers without this listener: 408 for a request too slow, 400 for one that does not parse.
    if (socket.writable && !socket.writableEnded) {
      socket.end(timedOut ? "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n" : "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    }
    socket.destroySoon();
  });
  // Node starts its header and request deadline checks when an http.Server starts listening. This
  // one never listens (connections are handed to it), so it is told it does.
  h1.emit("listening");
  // Node's default of 10 MB per session refuses new streams (ENHANCE_YOUR_CALM) past ~9,500 open
  // streams on one connection; a gateway multiplexes that many from one busy caller.
  const h2 = http2.createServer({ maxSessionMemory: 64 }, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  const perPeer = new Map<string, number>();
  let draining = false;

  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    // A session error is one connection's problem; without a listener it would crash the process.
    session.on("error", () => session.destroy());
    closeWhenIdle(session, limits.idleTimeoutMs, () => cut({ kind: "timeout", stage: "idle" }));
    if (draining) session.close();
  });

  const server = net.createServer((socket) => {
    const peer = socket.remoteAddress ?? "";
    const fromPeer = (perPeer.get(peer) ?? 0) + 1;
    if (sockets.size >= limits.maxConnections || fromPeer > limits.maxConnectionsPerPeer) {
      socket.destroy();
      cut({ kind: "refused", reason: sockets.size >= limits.maxConnections ? "total" : "per_peer" });
      return;
    }
    sockets.add(socket);
    perPeer.set(peer, fromPeer);
    socket.on("close", () => {
      sockets.delete(socket);
      const left = (perPeer.get(peer) ?? 1) - 1;
      if (left === 0) perPeer.delete(peer);
      else perPeer.set(peer, left);
    });
    socket.on("error", () => socket.destroy());
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    sortByProtocol(socket, limits.firstBytesTimeoutMs, {
      http2: () => h2.emit("connection", socket),
      http1: () => h1.emit("connection", socket),
      timedOut: () => cut({ kind: "timeout", stage: "first_bytes" }),
    });
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
    // Also ends the HTTP/1.1 server's deadline checks.
    closed: closed.then(() => void h1.close()),
  };
}

/**
 * Reads a new connection's first bytes and hands it to the server of its protocol, with those
 * bytes put back; a connection that has not said enough within `timeoutMs` is closed.
 */
function sortByProtocol(
  socket: net.Socket,
  timeoutMs: number,
  to: { http2(): void; http1(): void; timedOut(): void },
): void {
  let received: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => {
    socket.off("data", sort);
    socket.destroy();
    to.timedOut();
  }, timeoutMs);
  const sort = (data: Buffer) => {
    received = received.length === 0 ? data : Buffer.concat([received, data]);
    const compared = Math.min(received.length, http2Preface.length);
    const isHttp2 = received.subarray(0, compared).equals(http2Preface.subarray(0, compared));
    if (isHttp2 && received.length < http2Preface.length) return;
    clearTimeout(timer);
    socket.off("data", sort);
    socket.pause();
    socket.unshift(received);
    if (isHttp2) {
      // The session reads what was unshifted by itself; resuming here would lose the preface.
      to.http2();
    } else {
      to.http1();
      socket.resume();
    }
  };
  socket.on("data", sort);
  socket.once("close", () => clearTimeout(timer));
}

/**
 * Sends GOAWAY to a session that has had no open stream for `idleMs`, and cuts it if it has not
 * closed `closeGraceMs` later. A session waiting on a slow answer has an open stream, so only
 * connections nobody uses are closed.
 */
function closeWhenIdle(session: http2.ServerHttp2Session, idleMs: number, onIdle: () => void): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      onIdle();
      session.close();
      setTimeout(() => session.destroy(), closeGraceMs).unref();
    }, idleMs);
    timer.unref();
  };
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      if (--open === 0 && !session.closed) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
  arm();
}

/**
 * A response can be complete before its request is: a call refused on its headers, or an RPC
 * error after a first message that does not parse. HTTP/1.1 drops the rest of such a body by
 * itself (within CONNECTION_REQUEST_TIMEOUT_MS); HTTP/2 would leave the stream half-open with its
 * window full: the client could never finish sending, and the connection could never close.
 * A body never read (refused on its headers) gets a reset (RST_STREAM NO_ERROR, RFC 9113 §8.1)
 * once the response is out, which tells the client to stop sending: reading it only to drop it
 * would let a refused caller upload without end. A body read in part is read on and dropped.
 */
function endUnreadBodies(handler: RequestHandler): RequestHandler {
  return (req, res) => {
    if (res instanceof http2.Http2ServerResponse) {
      const stream = res.stream;
      stream.once("finish", () => {
        if (stream.readableEnded || !stream.readableDidRead) return;
        // Below the request object, which nothing reads any more: drop the bytes as they come.
        stream.removeAllListeners("data");
        stream.on("data", () => {});
        stream.resume();
      });
      res.once("finish", () => {
        if (!stream.destroyed && !stream.readableEnded && !stream.readableDidRead) stream.close(http2.constants.NGHTTP2_NO_ERROR);
      });
    }
    handler(req, res);
  };
}
