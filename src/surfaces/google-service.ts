// Google's gRPC service name, google.ai.generativelanguage.v1beta.GenerativeService, answered by
// the very handler of geminiconnect.v1.GenerativeService. Its methods carry our messages, which
// are wire-identical to Google's, so Google's generated clients (GAPIC) get the same handler,
// interceptors, limits, metrics and log line with no conversion in between.

import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { GenerativeService as GoogleGenerativeService } from "../../gen/ts/google/ai/generativelanguage/v1beta/gateway_pb.ts";

export { GoogleGenerativeService };

/** Both names of the generative service: what the caller checks and the limits guard. */
export const generativeServices = [GenerativeService, GoogleGenerativeService] as const;

/** Registers the one implementation under both names. */
export function registerGenerativeServices(router: ConnectRouter, impl: ServiceImpl<typeof GenerativeService>): void {
  router.service(GenerativeService, impl);
  router.service(GoogleGenerativeService, impl);
}
