// geminiconnect.v1.GenerativeService: checks the caller's request, hands it to the upstream as
// Gemini REST JSON under the call policy (timeouts, retries), and forwards every chunk the
// moment it arrives.

import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  CountTokensRequestSchema,
  CountTokensResponseSchema,
  GenerateContentRequestSchema,
  GenerativeService,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type {
  GenerateContentResponse,
  GenerateContentResponse_UsageMetadata,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { Upstream } from "../upstream/upstream.ts";
import { newRpcSummary, rpcSummaryKey } from "../observe/rpc-record.ts";
import type { RpcSummary } from "../observe/rpc-record.ts";
import { chunkFromRest, countTokensFromRest, toRestBody } from "../generative/convert.ts";
import { streamWithPolicy, unaryWithPolicy } from "../generative/policy.ts";
import type { CallPolicy } from "../config/settings.ts";
import type { RpcHandle } from "../generative/policy.ts";
import { checkCountTokensRequest, checkGenerateRequest } from "../generative/validate.ts";

export function createGenerativeService(upstream: Upstream, policy: CallPolicy): ServiceImpl<typeof GenerativeService> {
  return {
    async *streamGenerateContent(request, ctx) {
      const rpc = rpcHandle(ctx, checkGenerateRequest(request));
      const call = { model: request.model, body: toRestBody(GenerateContentRequestSchema, request), headers: rpc.summary.traceHeaders };
      try {
        for await (const json of streamWithPolicy(upstream, call, rpc, policy)) {
          const chunk = chunkFromRest(json, rpc.summary);
          // Usage is a running total: the last one seen is the answer's, never a sum.
          if (chunk.usageMetadata !== undefined) rpc.summary.usage = chunk.usageMetadata;
          yield chunk;
        }
      } finally {
        setUsageTrailers(ctx.responseTrailer, rpc.summary.usage);
      }
    },

    async generateContent(request, ctx): Promise<GenerateContentResponse> {
      const rpc = rpcHandle(ctx, checkGenerateRequest(request));
      const body = toRestBody(GenerateContentRequestSchema, request);
      const headers = rpc.summary.traceHeaders;
      const json = await unaryWithPolicy(rpc, policy, (signal) => upstream.generateContent({ model: request.model, body, headers, signal }));
      const response = chunkFromRest(json, rpc.summary);
      rpc.summary.usage = response.usageMetadata;
      setUsageTrailers(ctx.responseTrailer, response.usageMetadata);
      return response;
    },

    async countTokens(request, ctx) {
      const rpc = rpcHandle(ctx, checkCountTokensRequest(request));
      const body = toRestBody(CountTokensRequestSchema, request);
      const headers = rpc.summary.traceHeaders;
      const json = await unaryWithPolicy(rpc, policy, (signal) => upstream.countTokens({ model: request.model, body, headers, signal }));
      return countTokensFromRest(CountTokensResponseSchema, json);
    },
  };
}

function rpcHandle(ctx: HandlerContext, model: string): RpcHandle & { summary: RpcSummary } {
  // Without the observing interceptor (unit tests of the handler) the summary goes nowhere.
  const summary = ctx.values.get(rpcSummaryKey) ?? newRpcSummary();
  summary.model = model;
  return { signal: ctx.signal, timeoutMs: () => ctx.timeoutMs(), summary };
}

/** The final usage also in trailers, for a caller that reads only those (documented in the README). */
function setUsageTrailers(trailer: Headers, usage: GenerateContentResponse_UsageMetadata | undefined): void {
  if (usage === undefined) return;
  trailer.set("x-gemini-usage-prompt-tokens", String(usage.promptTokenCount));
  trailer.set("x-gemini-usage-candidates-tokens", String(usage.candidatesTokenCount));
  trailer.set("x-gemini-usage-thoughts-tokens", String(usage.thoughtsTokenCount));
  trailer.set("x-gemini-usage-cached-tokens", String(usage.cachedContentTokenCount));
  trailer.set("x-gemini-usage-tool-use-tokens", String(usage.toolUsePromptTokenCount));
  trailer.set("x-gemini-usage-total-tokens", String(usage.totalTokenCount));
}
