// One log line per RPC, written when the RPC really ends. For a server stream that is when the
// last message went out, the stream failed, or the caller went away: `next()` resolves at the
// first message, so the interceptor wraps the response stream to see its end.

import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "./logger.ts";

/** What a handler tells the log line about its RPC; the interceptor creates one per RPC. */
export interface RpcSummary {
  model: string | undefined;
  chunks: number;
  /** Upstream chunks that carried fields or enum values our proto does not know (API drift). */
  driftedChunks: number;
  /** Upstream attempts made; more than 1 when retried. 0 when the RPC never reached Gemini. */
  attempts: number;
  /** Time from the RPC's start to the first chunk from Gemini. */
  firstChunkMs: number | undefined;
}

export const rpcSummaryKey = createContextKey<RpcSummary | undefined>(undefined, {
  description: "the RPC's summary for its log line",
});

// Codes that mean the server, not the caller or Gemini, is at fault.
const serverFaults: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

export function rpcLogInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const summary: RpcSummary = { model: undefined, chunks: 0, driftedChunks: 0, attempts: 0, firstChunkMs: undefined };
    req.contextValues.set(rpcSummaryKey, summary);
    const started = performance.now();
    const method = `${req.service.typeName}/${req.method.name}`;

    const finish = (error: unknown) => {
      const connectError = error === undefined ? undefined : ConnectError.from(error);
      const code = connectError === undefined ? "ok" : Code[connectError.code];
      const line = {
        method,
        model: summary.model,
        code,
        durationMs: roundMs(performance.now() - started),
        attempts: summary.attempts,
        ...(req.stream ? { chunks: summary.chunks, firstChunkMs: roundMs(summary.firstChunkMs) } : {}),
        ...(summary.driftedChunks > 0 ? { driftedChunks: summary.driftedChunks } : {}),
        ...(connectError === undefined ? {} : { error: connectError.rawMessage }),
      };
      if (connectError !== undefined && serverFaults.has(connectError.code)) {
        logger.error({ ...line, cause: connectError.cause }, "rpc failed");
      } else {
        logger.info(line, "rpc");
      }
    };

    let res;
    try {
      res = await next(req);
    } catch (error) {
      finish(error);
      throw error;
    }
    if (!res.stream) {
      finish(undefined);
      return res;
    }
    return { ...res, message: watchStream(res.message, summary, req.signal, finish) };
  };
}

async function* watchStream<T>(
  messages: AsyncIterable<T>,
  summary: RpcSummary,
  signal: AbortSignal,
  finish: (error: unknown) => void,
): AsyncGenerator<T> {
  let outcome: { error: unknown } | undefined;
  try {
    for await (const message of messages) {
      summary.chunks++;
      yield message;
    }
    outcome = { error: undefined };
  } catch (error) {
    outcome = { error };
    throw error;
  } finally {
    // Neither completed nor failed: the caller stopped reading (cancel, deadline, disconnect).
    finish(outcome === undefined ? (signal.reason ?? new ConnectError("caller went away", Code.Canceled)) : outcome.error);
  }
}

function roundMs(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 1000) / 1000;
}
