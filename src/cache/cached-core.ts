// The generative core with the response cache in front of its two generate calls, for the calls
// whose context carries a cache directive; every other call goes straight through, untouched.
//
// Gemini is asked under a context of the answer's own, not the first caller's: its signal aborts
// only when nobody reads the answer any more (the coalescer decides), and no caller's deadline
// bounds it (each caller's own deadline still ends that caller's RPC; the call policy's total
// timeout bounds the answer). The first caller's report is the one filled with the attempts and
// retries, so its log line shows the work done; the others report a hit or coalesced, with no
// upstream attempt, and so no tokens of theirs are counted or charged.

import { Code, ConnectError } from "@connectrpc/connect";
import type { GenerateContentRequest, GenerateContentResponse } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerativeCore } from "../generative/core.ts";
import type { CallContext } from "../generative/policy.ts";
import type { Router } from "../routing/router.ts";
import { checkGenerateRequest } from "../generative/validate.ts";
import type { CacheAnswer, ResponseCache } from "./cache.ts";
import type { CachedMethod } from "./key.ts";
import type { CacheDirective } from "./directive.ts";

/** What createCachedCore needs. */
export interface CachedCoreOptions {
  readonly core: GenerativeCore;
  readonly cache: ResponseCache;
  /** The core's router: what a request's model resolves to, and whether the caller may use it. */
  readonly router: Router;
}

/** `core` with the response cache in front of stream() and generate(). */
export function createCachedCore(options: CachedCoreOptions): GenerativeCore {
  const { core, cache, router } = options;
  return {
    stream(request, rpc) {
      const directive = rpc.cache?.directive;
      if (directive === undefined) return core.stream(request, rpc);
      if (directive === "bypass") {
        rpc.report.cache = "bypass";
        return core.stream(request, rpc);
      }
      return cachedStream({ cache, router }, core, request, rpc, directive);
    },

    async generate(request, rpc) {
      const directive = rpc.cache?.directive;
      if (directive === undefined) return core.generate(request, rpc);
      if (directive === "bypass") {
        rpc.report.cache = "bypass";
        return core.generate(request, rpc);
      }
      const answer = await ask({ cache, router }, request, rpc, directive, "unary", (signal) =>
        once(() => core.generate(request, answerContext(rpc, signal))),
      );
      let response: GenerateContentResponse | undefined;
      for await (const chunk of answer.chunks) response = chunk;
      if (response === undefined) throw new ConnectError("the cached answer was empty", Code.Internal);
      rpc.report.usage = response.usageMetadata;
      return response;
    },

    countTokens: (request, rpc) => core.countTokens(request, rpc),
  };
}

async function* cachedStream(
  cache: Cache,
  core: GenerativeCore,
  request: GenerateContentRequest,
  rpc: CallContext,
  directive: Exclude<CacheDirective, "bypass">,
): AsyncGenerator<GenerateContentResponse> {
  try {
    const answer = await ask(cache, request, rpc, directive, "stream", (signal) => core.stream(request, answerContext(rpc, signal)));
    for await (const chunk of answer.chunks) {
      // The running total as this caller has seen it (the answer's own context may be ahead).
      if (chunk.usageMetadata !== undefined) rpc.report.usage = chunk.usageMetadata;
      yield chunk;
    }
  } finally {
    rpc.ended?.();
  }
}

/** The cache and what keys it. */
interface Cache {
  readonly cache: ResponseCache;
  readonly router: Router;
}

/**
 * Checks the request as the core would (a hit must not answer a request Gemini would refuse, nor
 * serve a model the caller may not use), then asks the cache, keyed on the models that may answer.
 */
async function ask(
  { cache, router }: Cache,
  request: GenerateContentRequest,
  rpc: CallContext,
  directive: Exclude<CacheDirective, "bypass">,
  method: CachedMethod,
  generate: (signal: AbortSignal) => AsyncIterable<GenerateContentResponse>,
): Promise<CacheAnswer> {
  rpc.report.model = checkGenerateRequest(request);
  const model = router.resolve(request.model, rpc.allowedModels);
  const answer = await cache.answer({ ...directive, method, model, request, signal: rpc.signal }, generate);
  rpc.report.cache = answer.result;
  rpc.report.cacheAgeSeconds = answer.ageSeconds;
  if (answer.usage !== undefined) rpc.report.usage = answer.usage;
  rpc.cache?.answered({ result: answer.result, ageSeconds: answer.ageSeconds });
  return answer;
}

/** The context Gemini is asked under for a shared answer: see the top of this file. */
function answerContext(rpc: CallContext, signal: AbortSignal): CallContext {
  return {
    signal,
    timeoutMs: () => undefined,
    upstreamHeaders: rpc.upstreamHeaders,
    report: rpc.report,
    served: rpc.served,
    allowedModels: rpc.allowedModels,
  };
}

/** A unary answer as a stream of one, asked only when read. */
async function* once(run: () => Promise<GenerateContentResponse>): AsyncGenerator<GenerateContentResponse> {
  yield await run();
}
