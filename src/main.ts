// Process entry: config -> (workers) -> upstream -> gateway -> listen -> signals. Nothing else.

import cluster from "node:cluster";
import { ConfigError } from "./config/env.ts";
import { describeConfig, loadConfig } from "./config/settings.ts";
import type { Config } from "./config/settings.ts";
import { startEmulator } from "./emulator/server.ts";
import { createLogger } from "./observe/logger.ts";
import { startTracing } from "./observe/tracing.ts";
import { createGateway } from "./gateway.ts";
import { createGenaiUpstream } from "./upstream/genai.ts";
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
if (config.workers > 1 && cluster.isPrimary) await superviseWorkers({ workers: config.workers, logger });
const emulator =
  config.backend === "emulator"
    ? await startEmulator({ host: "127.0.0.1", port: 0, chunkDelayMs: config.emulatorChunkDelayMs })
    : undefined;
if (emulator !== undefined) {
  logger.warn(
    { emulator: emulator.url, reason: config.emulatorReason ?? "GEMINI_BACKEND=emulator" },
    "NOT CALLING GEMINI: answers come from the built-in emulator, which echoes the prompt. Set GEMINI_API_KEY to use Gemini.",
  );
}

const upstream = createGenaiUpstream(
  emulator === undefined
    ? config
    : { backend: "gemini", apiKey: "emulator-key", baseUrl: emulator.url },
);
const tracing = config.tracingServiceName === undefined ? undefined : startTracing({ serviceName: config.tracingServiceName });
const gateway = createGateway({
  upstream,
  logger,
  callPolicy: config.callPolicy,
  maxRequestBytes: config.maxRequestBytes,
  tracer: tracing?.tracer,
  callers: config.callers,
  limits: config.limits,
  connections: config.connections,
});
if (config.callers === undefined) {
  logger.warn(
    { setting: "CALLERS_FILE" },
    "NO CALLER AUTHENTICATION: every caller is let in and only global limits apply. Set CALLERS_FILE to name your callers.",
  );
}
const address = await gateway.start(config.port, config.host).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== "EADDRINUSE") throw error;
  process.stderr.write(`gemini-connect: ${config.host}:${config.port} is already in use: stop what listens there, or set PORT to another port\n`);
  process.exit(2);
});
logger.info({ address: `${address.address}:${address.port}`, settings: describeConfig(config) }, "gemini-connect listening");
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
