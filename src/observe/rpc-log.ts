// One log line per RPC, when it really ended. Error level only for server faults: a caller's
// mistake, a cancel or Gemini's own refusal is information, not an alarm.

import { Code } from "@connectrpc/connect";
import type { Logger } from "./logger.ts";
import type { RpcEnd, RpcObserver } from "./observe.ts";

const serverFaults: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

export function rpcLog(logger: Logger): RpcObserver {
  return {
    ended(rpc: RpcEnd) {
      const { summary, error } = rpc;
      const usage = summary.usage;
      const line = {
        requestId: rpc.requestId,
        protocol: rpc.protocol,
        method: `${rpc.service}/${rpc.method}`,
        model: summary.model,
        code: error === undefined ? "ok" : Code[error.code],
        durationMs: roundMs(rpc.durationMs),
        attempts: summary.attempts,
        ...(rpc.type === "server_stream" ? { chunks: rpc.messages, firstChunkMs: roundMs(rpc.firstMessageMs) } : {}),
        ...(usage === undefined
          ? {}
          : {
              tokens: {
                prompt: usage.promptTokenCount,
                candidates: usage.candidatesTokenCount,
                thoughts: usage.thoughtsTokenCount,
                cached: usage.cachedContentTokenCount,
                toolUse: usage.toolUsePromptTokenCount,
                total: usage.totalTokenCount,
              },
            }),
        ...(summary.driftedChunks > 0 ? { driftedChunks: summary.driftedChunks } : {}),
        ...(summary.caller === undefined ? {} : { caller: summary.caller }),
        ...(summary.limit === undefined ? {} : { limit: summary.limit }),
        ...(summary.limitStore === undefined ? {} : { limitStore: summary.limitStore }),
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
