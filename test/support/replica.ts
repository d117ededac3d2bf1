// A gateway in a process of its own, as a replica runs (support/gateway-process.ts), with a gRPC
// client on its port; and two of them sharing one Redis, as a deployment runs them.

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { startEmulator } from "../../src/emulator/server.ts";
import type { Emulator } from "../../src/emulator/server.ts";
import type { TestCaller } from "./callers.ts";
import { startGatewayProcess } from "./gateway-process.ts";
import type { GatewayProcess } from "./gateway-process.ts";
import { upstreamKey } from "./harness.ts";
import type { GenerativeClient } from "./harness.ts";
import { startRedis } from "./redis.ts";
import type { RedisServer } from "./redis.ts";

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

/** Two replicas of one gateway sharing a real Redis, in front of one emulator, for `callers`. */
export interface ReplicaPair {
  readonly redis: RedisServer;
  readonly emulator: Emulator;
  readonly a: Replica;
  readonly b: Replica;
  close(): Promise<void>;
}

/** Starts Redis, the emulator and two replicas whose callers file lists `callers`. */
export async function startReplicaPair(callers: readonly TestCaller[]): Promise<ReplicaPair> {
  const redis = await startRedis();
  const emulator = await startEmulator({ apiKey: upstreamKey });
  const dir = mkdtempSync(join(tmpdir(), "gemini-connect-replicas-"));
  const callersFile = join(dir, "callers.json");
  writeFileSync(callersFile, JSON.stringify({ callers: callers.map((caller) => caller.entry) }));
  const env = {
    GEMINI_BACKEND: "gemini",
    GEMINI_API_KEY: upstreamKey,
    GEMINI_BASE_URL: emulator.url,
    CALLERS_FILE: callersFile,
    REDIS_URL: redis.url,
    REDIS_TIMEOUT_MS: "200",
    RETRY_MAX_ATTEMPTS: "1",
  };
  const [a, b] = await Promise.all([startReplica(env), startReplica(env)]);
  return {
    redis,
    emulator,
    a,
    b,
    async close() {
      await Promise.all([stopReplica(a), stopReplica(b)]);
      await redis.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
