// Raw transports for the fuzz test: h2c with prior knowledge (node:http2) and HTTP/1.1
// (node:http), no generated client in between. Each exchange is bounded by a hang timeout and
// reports exactly how it ended: complete, timed out, reset, or failed.

import * as http from "node:http";
import * as http2 from "node:http2";
import type { FuzzCase } from "./fuzz-inputs.ts";

export interface RawResponse {
  /** complete: the response ended normally. timeout: nothing ended it within the bound (a hang). */
  readonly outcome: "complete" | "timeout" | "reset" | "error" | "client-refused";
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly trailers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly rstCode?: number;
  readonly error?: string;
  readonly ms: number;
}

export interface RawTransport {
  send(c: FuzzCase, timeoutMs: number): Promise<RawResponse>;
  /** Connection-level trouble seen during the run (session errors, GOAWAY, ...). */
  readonly events: string[];
  close(): Promise<void>;
}

function flatten(headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders | NodeJS.Dict<string | string[]>) {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

/** h2c, prior knowledge, over a few sessions so streams spread like real clients' would. */
export function h2Transport(baseUrl: string, sessionCount = 4): RawTransport {
  const events: string[] = [];
  const sessions: (http2.ClientHttp2Session | undefined)[] = Array.from({ length: sessionCount }, () => undefined);
  let closing = false;
  let turn = 0;

  function session(): http2.ClientHttp2Session {
    const slot = turn++ % sessionCount;
    const existing = sessions[slot];
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const created = http2.connect(baseUrl);
    created.on("error", (error) => {
      if (!closing) events.push(`session error: ${String(error)}`);
    });
    created.on("goaway", (code, lastStreamId) => {
      if (!closing) events.push(`GOAWAY code ${code} (last stream ${lastStreamId})`);
    });
    created.on("close", () => {
      if (sessions[slot] === created) sessions[slot] = undefined;
      if (!closing) events.push(`session ${slot} closed by the server during the run`);
    });
    sessions[slot] = created;
    return created;
  }

  return {
    events,
    send(c, timeoutMs) {
      const started = performance.now();
      return new Promise<RawResponse>((resolve) => {
        let stream: http2.ClientHttp2Stream;
        try {
          stream = session().request({ ":method": c.method, ":path": c.path, ...c.headers }, { endStream: false });
        } catch (error) {
          resolve({ outcome: "client-refused", status: 0, headers: {}, trailers: {}, body: new Uint8Array(0), error: String(error), ms: 0 });
          return;
        }
        let status = 0;
        let headers: Record<string, string> = {};
        let trailers: Record<string, string> = {};
        const chunks: Buffer[] = [];
        let ended = false;
        let error: Error | undefined;
        let settled = false;
        const finish = (outcome: RawResponse["outcome"]) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const rstCode = stream.rstCode;
          resolve({
            outcome,
            status,
            headers,
            trailers,
            body: Buffer.concat(chunks),
            ...(rstCode === undefined ? {} : { rstCode }),
            ...(error === undefined ? {} : { error: String(error) }),
            ms: performance.now() - started,
          });
        };
        stream.on("response", (h) => {
          status = Number(h[":status"]);
          headers = flatten(h);
        });
        stream.on("trailers", (t) => {
          trailers = flatten(t);
        });
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          ended = true;
        });
        stream.on("error", (e) => {
          error = e;
        });
        // A hang: report it at once, then cancel the stream (its "close" may wait on the socket).
        const timer = setTimeout(() => {
          finish("timeout");
          stream.close(http2.constants.NGHTTP2_CANCEL);
        }, timeoutMs);
        stream.on("close", () => {
          const rstCode = stream.rstCode;
          const clean = rstCode === undefined || rstCode === http2.constants.NGHTTP2_NO_ERROR;
          finish(error !== undefined ? "error" : ended && clean ? "complete" : "reset");
        });
        stream.end(c.body);
      });
    },
    async close() {
      closing = true;
      // The client's GOAWAY closes a session once no stream is open on either side. One that stays
      // open while all our streams have ended means the server still holds a stream (one it
      // answered without reading the request to its end, say): reported, then destroyed.
      await Promise.all(
        sessions.map((s, slot) => {
          if (s === undefined || s.closed || s.destroyed) return undefined;
          return new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              events.push(`HTTP/2 session ${slot} did not close within 1 s of the client's GOAWAY with no stream open on the client side: the server still holds a stream open (one it answered before reading the request to its end?)`);
              s.destroy();
              resolve();
            }, 1000);
            s.close(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }),
      );
    },
  };
}

/** HTTP/1.1 with keep-alive, at most `maxSockets` connections. */
export function h1Transport(baseUrl: string, maxSockets = 16): RawTransport {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const events: string[] = [];
  return {
    events,
    send(c, timeoutMs) {
      const started = performance.now();
      return new Promise<RawResponse>((resolve) => {
        let settled = false;
        const finish = (response: Omit<RawResponse, "ms">) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ ...response, ms: performance.now() - started });
        };
        let status = 0;
        let headers: Record<string, string> = {};
        const chunks: Buffer[] = [];
        let req: http.ClientRequest;
        try {
          req = http.request({
            host: url.hostname,
            port: url.port,
            method: c.method,
            path: c.path,
            headers: { ...c.headers, "content-length": String(c.body.length) },
            agent,
          });
        } catch (error) {
          finish({ outcome: "client-refused", status: 0, headers: {}, trailers: {}, body: new Uint8Array(0), error: String(error) });
          return;
        }
        const timer = setTimeout(() => {
          finish({ outcome: "timeout", status, headers, trailers: {}, body: Buffer.concat(chunks) });
          req.destroy();
        }, timeoutMs);
        req.on("response", (res) => {
          status = res.statusCode ?? 0;
          headers = flatten(res.headers);
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            finish({ outcome: "complete", status, headers, trailers: flatten(res.trailers), body: Buffer.concat(chunks) });
          });
          res.on("error", (error) => {
            finish({ outcome: "error", status, headers, trailers: {}, body: Buffer.concat(chunks), error: String(error) });
          });
          res.on("close", () => {
            // Closed before "end": the response was cut.
            finish({ outcome: "reset", status, headers, trailers: {}, body: Buffer.concat(chunks), error: "response closed before its end" });
          });
        });
        req.on("error", (error) => {
          finish({ outcome: "error", status, headers, trailers: {}, body: Buffer.concat(chunks), error: String(error) });
        });
        req.end(c.body);
      });
    },
    async close() {
      agent.destroy();
    },
  };
}

/** Runs `work` over `items` with at most `limit` in flight, in order of index. */
export async function runPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
