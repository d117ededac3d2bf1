// A gateway in a process of its own, as a replica runs (support/gateway-process.ts), with a gRPC
// client on its port.

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { startGatewayProcess } from "./gateway-process.ts";
import type { GatewayProcess } from "./gateway-process.ts";
import type { GenerativeClient } from "./harness.ts";

export interface Replica extends GatewayProcess {
  readonly client: GenerativeClient;
}

/** Starts `node src/main.ts` on a free port of 127.0.0.1 with `env`; resolves once it listens. */
export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const gateway = await startGatewayProcess(env);
  return { ...gateway, client: createClient(GenerativeService, createGrpcTransport({ baseUrl: gateway.baseUrl })) };
}

/** SIGTERM, and waits for the exit. */
export async function stopReplica(replica: Replica | undefined): Promise<void> {
  await replica?.stop();
}
