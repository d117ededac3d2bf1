// The core every surface calls: checks a request, calls Gemini under the call policy (policy.ts),
// and turns Gemini's JSON into our messages. A stream's per-chunk loop is here, top to bottom:
// the SDK's chunk -> Gemini's JSON -> our message -> usage -> idle timer -> a turn for others.

import { fromJson } from "@bufbuild/protobuf";
import type { JsonObject as ProtoJsonObject } from "@bufbuild/protobuf";
import { setImmediate } from "node:timers/promises";
import {
  CountTokensRequestSchema,
  CountTokensResponseSchema,
  GenerateContentRequestSchema,
  GenerateContentResponseSchema,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type {
  CountTokensRequest,
  CountTokensResponse,
  GenerateContentRequest,
  GenerateContentResponse,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { CallPolicy } from "../config/settings.ts";
import type { CallReport } from "../observe/rpc-record.ts";
import type { JsonObject, Upstream, UpstreamCall } from "../upstream/upstream.ts";
import { fromRest, toRestBody } from "./convert.ts";
import { CallScope, unaryWithPolicy } from "./policy.ts";
import type { CallContext } from "./policy.ts";
import { checkCountTokensRequest, checkGenerateRequest } from "./validate.ts";

/** The three calls of GenerativeService, on our proto messages, for any surface. */
export interface GenerativeCore {
  /** Every chunk as soon as Gemini sends it; the last carries the finish reason and final usage. */
  stream(request: GenerateContentRequest, rpc: CallContext): AsyncGenerator<GenerateContentResponse>;
  generate(request: GenerateContentRequest, rpc: CallContext): Promise<GenerateContentResponse>;
  countTokens(request: CountTokensRequest, rpc: CallContext): Promise<CountTokensResponse>;
}

/** What createGenerativeCore needs. */
export interface GenerativeCoreOptions {
  readonly upstream: Upstream;
  readonly policy: CallPolicy;
}

/** The longest one stream works through buffered chunks before yielding the event loop. */
const fairSliceMs = 2;

/** The core over one upstream, under one call policy. */
export function createGenerativeCore(options: GenerativeCoreOptions): GenerativeCore {
  const { upstream, policy } = options;
  return {
    stream: (request, rpc) => stream(upstream, policy, request, rpc),

    async generate(request, rpc) {
      rpc.report.model = checkGenerateRequest(request);
      const call = upstreamCall(request, toRestBody(GenerateContentRequestSchema, request), rpc);
      const json = await unaryWithPolicy(rpc, policy, (signal) => upstream.generateContent({ ...call, signal }));
      const response = chunkFromJson(json, rpc.report);
      rpc.report.usage = response.usageMetadata;
      return response;
    },

    async countTokens(request, rpc) {
      rpc.report.model = checkCountTokensRequest(request);
      const call = upstreamCall(request, toRestBody(CountTokensRequestSchema, request), rpc);
      const json = await unaryWithPolicy(rpc, policy, (signal) => upstream.countTokens({ ...call, signal }));
      return fromRest(CountTokensResponseSchema, json);
    },
  };
}

async function* stream(
  upstream: Upstream,
  policy: CallPolicy,
  request: GenerateContentRequest,
  rpc: CallContext,
): AsyncGenerator<GenerateContentResponse> {
  rpc.report.model = checkGenerateRequest(request);
  const call = upstreamCall(request, toRestBody(GenerateContentRequestSchema, request), rpc);
  const scope = new CallScope(rpc, policy.totalTimeoutMs);
  let completed = false;
  try {
    // Retried until the first chunk is in: after that, a retry would repeat what the caller has.
    const { source, first } = await scope.withRetries(policy.retry, async (signal, attempt) => {
      const disarm = attempt.arm(
        policy.firstChunkTimeoutMs,
        `no first chunk from Gemini within ${policy.firstChunkTimeoutMs} ms (TIMEOUT_FIRST_CHUNK_MS)`,
      );
      const source = await upstream.streamGenerateContent({ ...call, signal });
      const first = await source.chunks.next().catch((error: unknown) => {
        throw source.toError(error);
      });
      disarm();
      return { source, first };
    });
    if (first.done === true) {
      completed = true;
      return;
    }
    const idle = scope.idleTimer(policy.idleTimeoutMs);
    let sliceStart = performance.now();
    let next: IteratorResult<object> = first;
    while (next.done !== true) {
      const chunk = chunkFromJson(source.toJson(next.value), rpc.report);
      // Usage is a running total: the last one seen is the answer's, never a sum.
      if (chunk.usageMetadata !== undefined) rpc.report.usage = chunk.usageMetadata;
      yield chunk;

      const now = performance.now();
      // When Gemini's data is already buffered, every await here resolves at once, and one stream
      // could hold the event loop for seconds: other streams, and cancels, get a turn now and then.
      if (now - sliceStart >= fairSliceMs) {
        await setImmediate();
        sliceStart = performance.now();
      }
      // Only time spent waiting on Gemini counts as idle; a slow reader is not Gemini's silence.
      idle.waiting(now);
      try {
        next = await source.chunks.next();
      } catch (error) {
        throw source.toError(error);
      }
      idle.received();
    }
    // An upstream that ends quietly because our own signal fired has not given a complete answer.
    scope.signal.throwIfAborted();
    completed = true;
  } catch (error) {
    throw scope.explain(error);
  } finally {
    scope.end(completed);
    rpc.ended?.();
  }
}

function upstreamCall(request: { model: string }, body: JsonObject, rpc: CallContext): Omit<UpstreamCall, "signal"> {
  return { model: request.model, body, headers: rpc.upstreamHeaders };
}

/**
 * A Gemini chunk as our message. The strict parse is the fast path; when Gemini sends a field or
 * enum value our proto does not know yet, the chunk is parsed again without it and counted, so
 * API drift shows in the RPC's log line instead of failing the stream.
 */
function chunkFromJson(json: JsonObject, report: CallReport): GenerateContentResponse {
  try {
    return fromJson(GenerateContentResponseSchema, json as ProtoJsonObject);
  } catch {
    report.driftedChunks++;
    return fromJson(GenerateContentResponseSchema, json as ProtoJsonObject, { ignoreUnknownFields: true });
  }
}
