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
import type { GenerateContentResponse } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { Upstream } from "../upstream/upstream.ts";
import { rpcSummaryKey } from "../ops/rpc-log.ts";
import { chunkFromRest, countTokensFromRest, toRestBody } from "./convert.ts";
import { streamWithPolicy, unaryWithPolicy } from "./policy.ts";
import type { CallPolicy, RpcHandle } from "./policy.ts";
import { checkCountTokensRequest, checkGenerateRequest } from "./validate.ts";

export function createGenerativeService(upstream: Upstream, policy: CallPolicy): ServiceImpl<typeof GenerativeService> {
  return {
    async *streamGenerateContent(request, ctx) {
      const rpc = rpcHandle(ctx, checkGenerateRequest(request));
      const body = toRestBody(GenerateContentRequestSchema, request);
      for await (const chunk of streamWithPolicy(upstream, { model: request.model, body }, rpc, policy)) {
        yield chunkFromRest(chunk, rpc.summary);
      }
    },

    async generateContent(request, ctx): Promise<GenerateContentResponse> {
      const rpc = rpcHandle(ctx, checkGenerateRequest(request));
      const body = toRestBody(GenerateContentRequestSchema, request);
      const json = await unaryWithPolicy(rpc, policy, (signal) => upstream.generateContent({ model: request.model, body, signal }));
      return chunkFromRest(json, rpc.summary);
    },

    async countTokens(request, ctx) {
      const rpc = rpcHandle(ctx, checkCountTokensRequest(request));
      const body = toRestBody(CountTokensRequestSchema, request);
      const json = await unaryWithPolicy(rpc, policy, (signal) => upstream.countTokens({ model: request.model, body, signal }));
      return countTokensFromRest(CountTokensResponseSchema, json);
    },
  };
}

function rpcHandle(ctx: HandlerContext, model: string): RpcHandle {
  const summary = ctx.values.get(rpcSummaryKey);
  if (summary !== undefined) summary.model = model;
  return { signal: ctx.signal, timeoutMs: () => ctx.timeoutMs(), summary };
}
