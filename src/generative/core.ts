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
import type { FilesCore } from "../files/core.ts";
import type { CallReport } from "../observe/rpc-record.ts";
import type { Router } from "../routing/router.ts";
import type { JsonObject, UpstreamCall } from "../upstream/upstream.ts";
import { fromRest, toRestBody } from "./convert.ts";
import { createRedactor } from "./errors.ts";
import type { Redact } from "./errors.ts";
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
  /** Picks the model and upstream of each attempt. */
  readonly router: Router;
  readonly policy: CallPolicy;
  /** Set when the gateway serves files: a prompt may name only the caller's own. */
  readonly files?: Pick<FilesCore, "checkReferences"> | undefined;
  /** The upstream's key(s) (GEMINI_API_KEY; more with several upstreams): never in an error a caller or a log sees. */
  readonly upstreamKeys: readonly string[];
}

/** The longest one stream works through buffered chunks before yielding the event loop. */
const fairSliceMs = 2;

/** The core over the router's upstreams, under one call policy. */
export function createGenerativeCore(options: GenerativeCoreOptions): GenerativeCore {
  const { router, policy, files } = options;
  const redact = createRedactor(options.upstreamKeys);
  return {
    stream: (request, rpc) => stream(router, policy, files, redact, request, rpc),

    async generate(request, rpc) {
      rpc.report.model = checkGenerateRequest(request);
      await files?.checkReferences(rpc.caller, request);
      const route = router.route(request.model, rpc.allowedModels);
      const call = upstreamCall(toRestBody(GenerateContentRequestSchema, request), rpc);
      const json = await unaryWithPolicy(rpc, policy, route, redact, (signal, { client, model }) =>
        client.generateContent({ ...call, model, signal }),
      );
      const response = chunkFromJson(json, rpc.report);
      rpc.report.usage = response.usageMetadata;
      return response;
    },

    async countTokens(request, rpc) {
      rpc.report.model = checkCountTokensRequest(request);
      await files?.checkReferences(rpc.caller, request);
      const nested = request.generateContentRequest;
      if (nested !== undefined) await files?.checkReferences(rpc.caller, nested, "generate_content_request.");
      const route = router.route(request.model, rpc.allowedModels);
      const call = upstreamCall(toRestBody(CountTokensRequestSchema, request), rpc);
      const json = await unaryWithPolicy(rpc, policy, route, redact, (signal, { client, model }) =>
        client.countTokens({ ...call, model, signal }),
      );
      return fromRest(CountTokensResponseSchema, json);
    },
  };
}

async function* stream(
  router: Router,
  policy: CallPolicy,
  files: GenerativeCoreOptions["files"],
  redact: Redact,
  request: GenerateContentRequest,
  rpc: CallContext,
): AsyncGenerator<GenerateContentResponse> {
  rpc.report.model = checkGenerateRequest(request);
  await files?.checkReferences(rpc.caller, request);
  const route = router.route(request.model, rpc.allowedModels);
  const call = upstreamCall(toRestBody(GenerateContentRequestSchema, request), rpc);
  const scope = new CallScope(rpc, policy.totalTimeoutMs, redact);
  let completed = false;
  try {
    // Retried until the first chunk is in: after that, a retry would repeat what the caller has.
    const { source, first } = await scope.withRetries(policy.retry, route, async (signal, attempt, { client, model }) => {
      const disarm = attempt.arm(
        policy.firstChunkTimeoutMs,
        `no first chunk from Gemini within ${policy.firstChunkTimeoutMs} ms (TIMEOUT_FIRST_CHUNK_MS)`,
      );
      const source = await client.streamGenerateContent({ ...call, model, signal });
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
    route.end();
    rpc.ended?.();
  }
}

function upstreamCall(body: JsonObject, rpc: CallContext): Omit<UpstreamCall, "signal" | "model"> {
  return { body, headers: rpc.upstreamHeaders };
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
