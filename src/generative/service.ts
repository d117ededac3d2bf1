// geminiconnect.v1.GenerativeService: checks the caller's request, hands it to the upstream as
// Gemini REST JSON, and forwards every chunk the moment it arrives.

import { Code, ConnectError } from "@connectrpc/connect";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  CountTokensRequestSchema,
  CountTokensResponseSchema,
  GenerateContentRequestSchema,
  GenerativeService,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerateContentRequest, GenerateContentResponse } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { JsonObject, Upstream, UpstreamCall } from "../upstream/upstream.ts";
import { rpcSummaryKey } from "../ops/rpc-log.ts";
import { chunkFromRest, countTokensFromRest, toRestBody } from "./convert.ts";
import { toConnectError } from "./errors.ts";

export function createGenerativeService(upstream: Upstream): ServiceImpl<typeof GenerativeService> {
  return {
    async *streamGenerateContent(request, ctx) {
      const summary = ctx.values.get(rpcSummaryKey);
      const call = generateCall(request, ctx);
      let chunks: AsyncIterable<JsonObject>;
      try {
        chunks = await upstream.streamGenerateContent(call);
      } catch (error) {
        throw toConnectError(error, ctx.signal);
      }
      try {
        for await (const chunk of chunks) {
          yield chunkFromRest(chunk, summary);
        }
      } catch (error) {
        throw toConnectError(error, ctx.signal);
      }
      // The upstream may end quietly when our own signal fired; that is no complete answer.
      ctx.signal.throwIfAborted();
    },

    async generateContent(request, ctx): Promise<GenerateContentResponse> {
      const summary = ctx.values.get(rpcSummaryKey);
      try {
        return chunkFromRest(await upstream.generateContent(generateCall(request, ctx)), summary);
      } catch (error) {
        throw toConnectError(error, ctx.signal);
      }
    },

    async countTokens(request, ctx) {
      const model = checkModel(request.model, "model");
      const summary = ctx.values.get(rpcSummaryKey);
      if (summary !== undefined) summary.model = model;
      const nested = request.generateContentRequest;
      if (request.contents.length === 0 && nested === undefined) {
        throw new ConnectError("contents: set contents or generate_content_request", Code.InvalidArgument);
      }
      if (nested !== undefined) checkGenerateRequest(nested, "generate_content_request.");
      try {
        const body = toRestBody(CountTokensRequestSchema, request);
        const json = await upstream.countTokens({ model, body, signal: ctx.signal });
        return countTokensFromRest(CountTokensResponseSchema, json);
      } catch (error) {
        throw toConnectError(error, ctx.signal);
      }
    },
  };
}

function generateCall(request: GenerateContentRequest, ctx: HandlerContext): UpstreamCall {
  const model = checkGenerateRequest(request, "");
  const summary = ctx.values.get(rpcSummaryKey);
  if (summary !== undefined) summary.model = model;
  return { model, body: toRestBody(GenerateContentRequestSchema, request), signal: ctx.signal };
}

/** Caller mistakes, caught before any upstream call; `prefix` names where the request sits. */
function checkGenerateRequest(request: GenerateContentRequest, prefix: string): string {
  const model = checkModel(request.model, `${prefix}model`);
  if (request.contents.length === 0) {
    throw new ConnectError(`${prefix}contents: at least one Content is required`, Code.InvalidArgument);
  }
  return model;
}

// Gemini's own model names: `models/{id}`, `tunedModels/{id}`, or a bare id the SDK prefixes.
const modelName = /^(?:(?:models|tunedModels)\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkModel(model: string, field: string): string {
  if (model === "") throw new ConnectError(`${field}: required, e.g. "models/gemini-2.5-flash"`, Code.InvalidArgument);
  if (!modelName.test(model) || model.includes("..")) {
    throw new ConnectError(
      `${field}: "${model.slice(0, 100)}" is not a model name like "models/gemini-2.5-flash"`,
      Code.InvalidArgument,
    );
  }
  return model;
}
