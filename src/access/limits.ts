// The limits interceptor: admits or refuses each RPC of the guarded services (admission.ts), and
// when it ends, however it ends, gives back its slots and charges the tokens it used. Comes after
// the auth interceptor, as limits are per caller.

import type { DescService } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { GenerateContentResponseSchema } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import type { Caller } from "../config/callers-file.ts";
import type { LimitSettings } from "../config/settings.ts";
import { callerKey, callReportKey, limitDecisionKey } from "../observe/rpc-record.ts";
import type { CallReport } from "../observe/rpc-record.ts";
import { createAdmission } from "./admission.ts";
import type { LimitStore } from "./limit-store.ts";

/** What createLimitsInterceptor needs. */
export interface LimitsInterceptorOptions {
  readonly store: LimitStore;
  /** The global limits and the rate window. */
  readonly limits: Pick<LimitSettings, "global" | "windowSeconds">;
  readonly callers: readonly Caller[];
  /** The longest an RPC may legitimately run: how long a crashed replica's open RPCs keep their slots. */
  readonly longestRpcMs: number;
  /** The services whose RPCs the limits apply to. */
  readonly services: readonly DescService[];
}

/** Applies the per-caller and global limits to RPCs of the guarded services. */
export function createLimitsInterceptor(options: LimitsInterceptorOptions): Interceptor {
  const admission = createAdmission({
    store: options.store,
    global: options.limits.global,
    windowSeconds: options.limits.windowSeconds,
    callers: options.callers,
    longestRpcMs: options.longestRpcMs,
  });
  const guarded = new Set(options.services.map((service) => service.typeName));
  return (next) => async (req) => {
    if (!guarded.has(req.service.typeName)) return next(req);
    const generates = req.method.output.typeName === GenerateContentResponseSchema.typeName;
    const admitted = await admission.admit(req.contextValues.get(callerKey), generates);
    // Unlimited: the stream is not wrapped, so it costs nothing per chunk.
    if (admitted === undefined) return next(req);
    req.contextValues.set(limitDecisionKey, admitted.decision);
    if (admitted.refusal !== undefined) throw admitted.refusal;
    const { ticket } = admitted;

    // At the RPC's real end, not when its caller leaves: a cancelled call holds its slot until its
    // request to Gemini has ended too (the handler returns once it has), or a flood of calls
    // cancelled at once would start request after request upstream.
    // Awaited before the RPC ends, so a caller's next RPC already sees this one's tokens and slot.
    const end = () => ticket.settle(tokensUsed(req.contextValues.get(callReportKey)));

    let res;
    try {
      res = await next(req);
    } catch (error) {
      await end();
      throw error;
    }
    if (!res.stream) {
      await end();
      return res;
    }
    const source = res.message;
    async function* watched() {
      try {
        yield* source;
      } finally {
        await end();
      }
    }
    return { ...res, message: watched() };
  };
}

/** The tokens an RPC spent of Gemini's: none when the cache answered it, from the store or an identical call's answer. */
function tokensUsed(report: CallReport | undefined): number {
  if (report?.cache === "hit" || report?.cache === "coalesced") return 0;
  return report?.usage?.totalTokenCount ?? 0;
}
