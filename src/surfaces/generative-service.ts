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
import { callReportKey, newCallReport, tokenCounts, upstreamHeadersKey } from "../observe/rpc-record.ts";

/** What createGenerativeService needs. */
export interface GenerativeServiceOptions {
  readonly core: GenerativeCore;
}

/** The Connect implementation of geminiconnect.v1.GenerativeService. */
export function createGenerativeService(options: GenerativeServiceOptions): ServiceImpl<typeof GenerativeService> {
  const { core } = options;
  return {
    streamGenerateContent(request, ctx) {
      const rpc = callContext(ctx, () => setUsageTrailers(ctx.responseTrailer, rpc.report.usage));
      return core.stream(request, rpc);
    },

    async generateContent(request, ctx) {
      const response = await core.generate(request, callContext(ctx));
      setUsageTrailers(ctx.responseTrailer, response.usageMetadata);
      return response;
    },

    countTokens: (request, ctx) => core.countTokens(request, callContext(ctx)),
  };
}

function callContext(ctx: HandlerContext, ended?: () => void): CallContext {
  const report = newCallReport();
  ctx.values.set(callReportKey, report);
  return { signal: ctx.signal, timeoutMs: () => ctx.timeoutMs(), upstreamHeaders: ctx.values.get(upstreamHeadersKey), report, ended };
}

/** The final usage also in trailers, for a caller that reads only those (documented in the README). */
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
