// Process entry: config -> (workers) -> upstream -> gateway -> listen -> signals. Nothing else.

import cluster from "node:cluster";
import { ConfigError } from "./config/env.ts";
import { routingKeys } from "./config/routing-file.ts";
import { describeConfig, loadConfig } from "./config/settings.ts";
import type { Config } from "./config/settings.ts";
import { startEmulator } from "./emulator/server.ts";
import { createLogger } from "./observe/logger.ts";
import { startTracing } from "./observe/tracing.ts";
import { createGateway } from "./gateway.ts";
import { createGenaiFiles } from "./upstream/genai-files.ts";
import { createGenaiUpstream } from "./upstream/genai.ts";
import { createUpstreamClients } from "./routing/clients.ts";
import { createPoolRouter } from "./routing/router.ts";
import { superviseWorkers, tellPrimaryListening } from "./workers.ts";

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`gemini-connect: bad setting: ${error.message}\n`);
  process.exit(2);
}

const logger = createLogger({ level: config.logLevel });
// Node prints its warnings (TimeoutOverflowWarning, deprecations) as plain text on stderr; here
// they become log lines like everything else.
process.removeAllListeners("warning");
process.on("warning", (warning) => logger.warn({ warning: warning.name, detail: warning.message }, "node warning"));
// WORKERS > 1: this process only supervises; each worker runs what follows.
if (config.workers > 1 && cluster.isPrimary) {
  if (config.limits.redis === undefined) {
    logger.warn(
      { setting: "WORKERS", workers: config.workers },
      "WORKERS > 1 without REDIS_URL: each worker knows only the files uploaded through it and keeps its own response cache",
    );
  }
  await superviseWorkers({ workers: config.workers, logger });
}
const emulator =
  config.backend === "emulator" && config.routing === undefined
    ? await startEmulator({ host: "127.0.0.1", port: 0, chunkDelayMs: config.emulatorChunkDelayMs })
    : undefined;
if (emulator !== undefined) {
  logger.warn(
    { emulator: emulator.url, reason: config.emulatorReason ?? "GEMINI_BACKEND=emulator" },
    "NOT CALLING GEMINI: answers come from the built-in emulator, which echoes the prompt. Set GEMINI_API_KEY to use Gemini.",
  );
}

const upstreamOptions = emulator === undefined ? config : { backend: "gemini" as const, apiKey: "emulator-key", baseUrl: emulator.url };
const upstream = config.routing === undefined ? createGenaiUpstream(upstreamOptions) : undefined;
const router =
  config.routing === undefined
    ? undefined
    : createPoolRouter({
        table: config.routing,
        clients: createUpstreamClients(config.routing),
        logger,
        onMarked: (name, state) => gateway.metrics.upstreamMarked(name, state),
      });
// A file lives in one Gemini project: FileService is served with one Gemini Developer API
// upstream (or the emulator), not over a routing file's pools, and Vertex AI has no Files API.
const files =
  config.routing !== undefined || upstreamOptions.backend === "vertex"
    ? undefined
    : { upstream: createGenaiFiles(upstreamOptions), settings: config.files, baseUrl: upstreamOptions.baseUrl };
const tracing = config.tracingServiceName === undefined ? undefined : startTracing({ serviceName: config.tracingServiceName });
const gateway = createGateway({
  upstream,
  router,
  // Every upstream key the gateway holds, so none can reach a caller or a log in an error text.
  upstreamKeys: config.routing === undefined ? (config.apiKey === undefined ? [] : [config.apiKey]) : routingKeys(config.routing),
  logger,
  callPolicy: config.callPolicy,
  maxRequestBytes: config.maxRequestBytes,
  requestBytesInFlightMax: config.requestBytesInFlightMax,
  tracer: tracing?.tracer,
  callers: config.callers,
  limits: config.limits,
  connections: config.connections,
  metricsListen: config.metrics,
  files,
  cache: config.cache,
});
if (config.callers === undefined) {
  logger.warn(
    { setting: "CALLERS_FILE" },
    "NO CALLER AUTHENTICATION: every caller is let in and only global limits apply. Set CALLERS_FILE to name your callers.",
  );
}
const address = await gateway.start(config.port, config.host).catch((error: NodeJS.ErrnoException & { port?: number }) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`gemini-connect: bad setting: ${error.message}\n`);
    process.exit(2);
  }
  if (error.code !== "EADDRINUSE") throw error;
  const metricsPortTaken = config.metrics !== undefined && error.port === config.metrics.port && error.port !== config.port;
  const [where, setting] = metricsPortTaken ? [`${config.metrics?.host}:${error.port}`, "METRICS_PORT"] : [`${config.host}:${config.port}`, "PORT"];
  process.stderr.write(`gemini-connect: ${where} is already in use: stop what listens there, or set ${setting} to another port\n`);
  process.exit(2);
});
const metricsAt = gateway.metricsAddress === undefined ? {} : { metrics: `${gateway.metricsAddress.address}:${gateway.metricsAddress.port}` };
logger.info({ address: `${address.address}:${address.port}`, ...metricsAt, settings: describeConfig(config) }, "gemini-connect listening");
tellPrimaryListening();

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, "draining");
    void gateway
      .stop(config.shutdownGraceMs)
      .then(() => Promise.all([emulator?.close(), tracing?.shutdown()]))
      .then(() => {
        logger.info("stopped");
        logger.flush();
        process.exit(0);
      });
  });
}
