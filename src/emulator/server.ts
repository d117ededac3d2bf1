// The emulator's HTTP server: routing, key check, request recording, script queue, lifecycle.
import { createServer } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import {
  errorBody,
  generateRequestProblem,
  invalidApiKey,
  invalidJson,
  missingApiKey,
  notFound,
  unsupportedAlt,
} from "./errors.ts";
import type { HttpError } from "./errors.ts";
import { isRecord } from "../config/json.ts";
import { createEmulatorFiles } from "./files.ts";
import { parseFilesRoute } from "./files-route.ts";
import type { FilesRoute } from "./files-route.ts";
import { countTokensResponse, planEcho, streamChunks, unaryResponse } from "./responses.ts";
import type { Chunking, EchoPlan } from "./responses.ts";
import { parseRoute } from "./route.ts";
import type { Route } from "./route.ts";
import { playStream, untilAborted } from "./sse.ts";
import { bearerProblem } from "./vertex.ts";
import type { StreamTarget } from "./sse.ts";
import type { Emulator, EmulatorOptions, EmulatorScript, RecordedRequest } from "./types.ts";

export type { Emulator, EmulatorMethod, EmulatorOptions, EmulatorScript, RecordedRequest, RpcError } from "./types.ts";

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const chunking = chunkingOf(options);
  const chunkDelayMs = nonNegative("chunkDelayMs", options.chunkDelayMs ?? 0);
  const scripts: EmulatorScript[] = [];
  const requests: RecordedRequest[] = [];
  let openRequests = 0;
  let arrivals = 0;
  let chunksSent = 0;
  let responseCount = 0;
  let whenIdle: (() => void) | undefined;
  let url = "";
  const files = createEmulatorFiles({
    baseUrl: () => url,
    processingMs: nonNegative("fileProcessingMs", options.fileProcessingMs ?? 0),
  });

  const server = createServer((req, res) => {
    arrivals++;
    openRequests++;
    const closed = new AbortController();
    res.once("close", () => {
      openRequests--;
      closed.abort();
      if (openRequests === 0) whenIdle?.();
    });
    handle(req, res, closed.signal).catch(() => {
      // A bug here must not take the test process down; the client sees a broken response instead.
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const filesRoute = parseFilesRoute(req.method, req.url);
    if (filesRoute !== undefined) return serveFiles(filesRoute, req, res);
    const route = parseRoute(req.method, req.url);
    if (route === undefined) {
      req.resume();
      return sendError(res, notFound(req.method ?? "", (req.url ?? "").split("?")[0] ?? ""));
    }
    const raw = await readBody(req);
    if (raw === undefined) return; // the client left while sending
    const admitted = admit(route, req.headers, raw, options);
    if ("httpStatus" in admitted) return sendError(res, admitted);
    const body = admitted.body;
    const fileProblem = files.referenceProblem(body);
    if (fileProblem !== undefined) return sendError(res, fileProblem);
    requests.push({ method: route.method, model: route.model, apiVersion: route.apiVersion, headers: req.headers, body, vertex: route.vertex });
    const script = scripts.shift();
    const target: StreamTarget = { res, signal, onChunk: () => chunksSent++ };
    if (route.method === "countTokens") return answerUnary(target, script, () => countTokensResponse(body));
    const plan = planEcho(body, { model: route.model, responseId: `emulator-${++responseCount}`, chunking });
    if (route.method === "generateContent") return answerUnary(target, script, () => unaryResponse(plan));
    return answerStream(target, script, plan);
  }

  async function serveFiles(route: FilesRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The upload URL is the session's credential, as at Google: its chunks carry no key of their own.
    const rejection = route.kind === "chunk" ? undefined : keyProblem(options.apiKey, req.headers, route.query);
    if (rejection !== undefined) {
      req.resume();
      return sendError(res, rejection);
    }
    const answer = await files.serve(route, req);
    if (answer === undefined) return; // the client left while sending
    if ("httpStatus" in answer) return sendError(res, answer);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  async function answerStream(target: StreamTarget, script: EmulatorScript | undefined, plan: EchoPlan): Promise<void> {
    switch (script?.kind) {
      case undefined:
        return playStream(target, streamChunks(plan), chunkDelayMs, { kind: "end" });
      case "paced":
        return playStream(target, streamChunks(plan), script.delayMs, { kind: "end" });
      case "chunks":
        return playStream(target, script.chunks, script.delayMs ?? chunkDelayMs, { kind: "end" });
      case "httpError":
        return sendError(target.res, { httpStatus: script.status, error: script.error }, script.contentType);
      case "cut":
        return playStream(target, streamChunks(plan, script.afterChunks), chunkDelayMs, { kind: "cut" });
      case "errorMidStream":
        return playStream(target, streamChunks(plan, script.afterChunks), chunkDelayMs, { kind: "error", error: script.error });
      case "malformed":
        return playStream(target, streamChunks(plan, script.afterChunks), chunkDelayMs, { kind: "malformed" });
      case "stall":
        return playStream(target, streamChunks(plan, script.afterChunks), chunkDelayMs, { kind: "stall" });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("emulator: expected a TCP address");
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  url = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    requests,
    files,
    get openRequests() {
      return openRequests;
    },
    get arrivals() {
      return arrivals;
    },
    get chunksSent() {
      return chunksSent;
    },
    enqueue(script) {
      scripts.push(script);
    },
    close() {
      closing ??= Promise.all([
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          // Destroying the sockets closes every response, which also ends stalled streams and pending pauses.
          server.closeAllConnections();
        }),
        // Responses report their close a little after their socket is gone; wait so openRequests reads 0.
        new Promise<void>((resolve) => {
          if (openRequests === 0) resolve();
          else whenIdle = resolve;
        }),
      ]).then(() => undefined);
      return closing;
    },
  };
}

/** Unary methods answer with one JSON body; stream-only script kinds map to their closest unary failure. */
async function answerUnary(target: StreamTarget, script: EmulatorScript | undefined, answer: () => object): Promise<void> {
  const { res } = target;
  switch (script?.kind) {
    case undefined:
    case "paced":
      return sendJson(res, 200, JSON.stringify(answer(), null, 2));
    case "chunks":
      return sendJson(res, 200, JSON.stringify(script.chunks[0] ?? {}, null, 2));
    case "httpError":
      return sendError(res, { httpStatus: script.status, error: script.error }, script.contentType);
    case "errorMidStream":
      return sendError(res, { httpStatus: script.error.code, error: script.error });
    case "malformed":
      return sendJson(res, 200, "{not json");
    case "cut":
      res.destroy();
      return;
    case "stall":
      return untilAborted(target.signal);
  }
}

/** The checks Google makes before a request reaches the model, in Google's order: key, JSON, fields. */
function admit(
  route: Route,
  headers: IncomingHttpHeaders,
  raw: string,
  options: EmulatorOptions,
): HttpError | { readonly body: Record<string, unknown> } {
  const rejection =
    options.bearerToken === undefined ? keyProblem(options.apiKey, headers, route.query) : bearerProblem(options.bearerToken, headers);
  if (rejection !== undefined) return rejection;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    return invalidJson(error instanceof Error ? error.message : String(error));
  }
  if (!isRecord(body)) return invalidJson('Unknown name "": Root element must be a message.');
  if (route.method === "streamGenerateContent" && route.query.get("alt") !== "sse") return unsupportedAlt();
  if (route.method !== "countTokens") {
    const problem = generateRequestProblem(body);
    if (problem !== undefined) return problem;
  }
  return { body };
}

function keyProblem(apiKey: string | undefined, headers: IncomingHttpHeaders, query: URLSearchParams): HttpError | undefined {
  if (apiKey === undefined) return undefined;
  const header = headers["x-goog-api-key"];
  const given = (Array.isArray(header) ? header[0] : header) ?? query.get("key") ?? undefined;
  if (given === undefined || given === "") return missingApiKey();
  return given === apiKey ? undefined : invalidApiKey();
}

function sendError(res: ServerResponse, error: HttpError, contentType = "application/json; charset=UTF-8"): void {
  sendBody(res, error.httpStatus, contentType, errorBody(error.error));
}

function sendJson(res: ServerResponse, status: number, json: string): void {
  sendBody(res, status, "application/json; charset=UTF-8", json);
}

function sendBody(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** The whole request body as text, or undefined if the client went away before sending it all. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const parts: Buffer[] = [];
  try {
    for await (const part of req) parts.push(part as Buffer);
  } catch {
    return undefined;
  }
  return Buffer.concat(parts).toString("utf8");
}

function chunkingOf(options: EmulatorOptions): Chunking {
  if (options.chunks === undefined) return { kind: "words" };
  return {
    kind: "fixed",
    chunks: positive("chunks", options.chunks),
    chunkChars: positive("chunkChars", options.chunkChars ?? 8),
  };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`emulator option ${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`emulator option ${name} must be >= 0, got ${value}`);
  return value;
}
