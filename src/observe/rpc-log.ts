// One log line per RPC, when it really ended. Error level only for server faults: a caller's
// mistake, a cancel or Gemini's own refusal is information, not an alarm.

import { Code } from "@connectrpc/connect";
import type { Logger } from "./logger.ts";
import type { RpcObserver } from "./observe.ts";
import { tokenCounts } from "./rpc-record.ts";

const serverFaults: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/** What createRpcLogObserver needs. */
export interface RpcLogObserverOptions {
  readonly logger: Logger;
}

/** Writes the RPC's log line at its end. */
export function createRpcLogObserver(options: RpcLogObserverOptions): RpcObserver {
  const { logger } = options;
  return {
    ended(rpc, end) {
      const { call, error, limits } = end;
      const line = {
        requestId: rpc.requestId,
        protocol: rpc.protocol,
        method: `${rpc.service}/${rpc.method}`,
        model: call.model,
        ...(call.upstream === undefined ? {} : { upstream: call.upstream }),
        code: error === undefined ? "ok" : Code[error.code],
        durationMs: roundMs(end.durationMs),
        attempts: call.attempts,
        ...(rpc.type === "server_stream" ? { chunks: end.messages, firstChunkMs: roundMs(end.firstMessageMs) } : {}),
        ...(call.usage === undefined ? {} : { tokens: tokenCounts(call.usage) }),
        ...(call.driftedChunks > 0 ? { driftedChunks: call.driftedChunks } : {}),
        ...(end.upload === undefined ? {} : { upload: end.upload }),
        ...(call.cache === undefined ? {} : { cache: call.cache }),
        ...(call.cacheAgeSeconds === undefined ? {} : { cacheAgeSeconds: call.cacheAgeSeconds }),
        ...(end.caller === undefined ? {} : { caller: end.caller }),
        ...(limits === undefined ? {} : { limit: limits.limit }),
        ...(limits?.store === undefined ? {} : { limitStore: limits.store }),
        ...(error === undefined ? {} : { error: error.rawMessage }),
      };
      if (error !== undefined && serverFaults.has(error.code)) {
        logger.error({ ...line, cause: error.cause }, "rpc failed");
      } else {
        logger.info(line, "rpc");
      }
    },
  };
}

function roundMs(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 1000) / 1000;
}
