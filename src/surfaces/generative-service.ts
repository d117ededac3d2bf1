// geminiconnect.v1.GenerativeService over Connect, gRPC and gRPC-Web: each method is one call to
// the core. What the call needs of the RPC comes from the context values the interceptors set;
// its report goes back out under callReportKey, for them to read when the RPC ends.

import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type {
  GenerateContentResponse_UsageMetadata,
  GenerativeService,
} from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { GenerativeCore } from "../generative/core.ts";
import type { CallContext } from "../generative/policy.ts";
import { cacheDirective } from "../cache/directive.ts";
import type { CacheCall } from "../cache/directive.ts";
import { callerKey, callReportKey, newCallReport, tokenCounts, upstreamHeadersKey } from "../observe/rpc-record.ts";

/** What createGenerativeService needs. */
export interface GenerativeServiceOptions {
  readonly core: GenerativeCore;
  /** Set when the core has the response cache in front: the cap of a request's x-gemini-cache-ttl for callers without their own. */
  readonly cache?: { readonly maxTtlSeconds: number } | undefined;
}

/** The Connect implementation of geminiconnect.v1.GenerativeService. */
export function createGenerativeService(options: GenerativeServiceOptions): ServiceImpl<typeof GenerativeService> {
  const { core } = options;
  const cacheCall = (ctx: HandlerContext) => (options.cache === undefined ? undefined : cacheCallOf(ctx, options.cache.maxTtlSeconds));
  return {
    streamGenerateContent(request, ctx) {
      const rpc = callContext(ctx, cacheCall(ctx), () => setUsageTrailers(ctx.responseTrailer, rpc.report.usage));
      return core.stream(request, rpc);
    },

    async generateContent(request, ctx) {
      const response = await core.generate(request, callContext(ctx, cacheCall(ctx)));
      setUsageTrailers(ctx.responseTrailer, response.usageMetadata);
      return response;
    },

    countTokens: (request, ctx) => core.countTokens(request, callContext(ctx, undefined)),
  };
}

function callContext(ctx: HandlerContext, cache: CacheCall | undefined, ended?: () => void): CallContext {
  const report = newCallReport();
  ctx.values.set(callReportKey, report);
  return {
    signal: ctx.signal,
    timeoutMs: () => ctx.timeoutMs(),
    upstreamHeaders: ctx.values.get(upstreamHeadersKey),
    caller: ctx.values.get(callerKey)?.name,
    report,
    ended,
    allowedModels: ctx.values.get(callerKey)?.models,
    // What served the call, before its first message goes out (documented in docs/routing.md).
    served: (choice) => {
      ctx.responseHeader.set("x-gemini-model", choice.model);
      ctx.responseHeader.set("x-gemini-upstream", choice.upstream);
    },
    cache,
  };
}

/** The cache's side of a generate RPC: its directive from the headers and caller, and the response headers it answers with. */
function cacheCallOf(ctx: HandlerContext, maxTtlSeconds: number): CacheCall | undefined {
  const directive = cacheDirective({ headers: ctx.requestHeader, caller: ctx.values.get(callerKey), maxTtlSeconds });
  if (directive === undefined) return undefined;
  return {
    directive,
    answered({ result, ageSeconds }) {
      ctx.responseHeader.set("x-gemini-cache", result);
      if (ageSeconds !== undefined) ctx.responseHeader.set("x-gemini-cache-age", String(ageSeconds));
    },
  };
}

/** The final usage also in trailers, for a caller that reads only those (docs/operating.md, "Usage in trailers"). */
function setUsageTrailers(trailer: Headers, usage: GenerateContentResponse_UsageMetadata | undefined): void {
  if (usage === undefined) return;
  const tokens = tokenCounts(usage);
  trailer.set("x-gemini-usage-prompt-tokens", String(tokens.prompt));
  trailer.set("x-gemini-usage-candidates-tokens", String(tokens.candidates));
  trailer.set("x-gemini-usage-thoughts-tokens", String(tokens.thoughts));
  trailer.set("x-gemini-usage-cached-tokens", String(tokens.cached));
  trailer.set("x-gemini-usage-tool-use-tokens", String(tokens.toolUse));
  trailer.set("x-gemini-usage-total-tokens", String(tokens.total));
}
