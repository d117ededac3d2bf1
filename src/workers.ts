// WORKERS=N: this process becomes the primary of N workers that each run the whole gateway on
// the one port (node:cluster hands each new connection to a worker in turn). The primary serves
// no RPC; it keeps the workers' shared state: the limits' counters when Redis is not set
// (rate-limiter-flexible's cluster master), and the sum of their metrics for GET /metrics.

import cluster from "node:cluster";
import type { Worker } from "node:cluster";
import { RateLimiterClusterMaster } from "rate-limiter-flexible";
import { startMetricsAggregator } from "./observe/cluster-metrics.ts";
import type { Logger } from "./observe/logger.ts";

const listeningMessage = "gemini-connect:listening";

/** In a worker: tells the primary that this worker's gateway listens. */
export function tellPrimaryListening(): void {
  if (cluster.isWorker) process.send?.(listeningMessage);
}

/** What superviseWorkers needs. */
export interface WorkersOptions {
  readonly workers: number;
  readonly logger: Logger;
}

/**
 * Forks the workers and keeps them at N: a worker that dies is logged and replaced. SIGTERM or
 * SIGINT is passed to every worker (each drains as a lone gateway would); the primary exits 0
 * when all have. A worker that dies before it ever listened (a bad port, say) stops them all.
 */
export function superviseWorkers(options: WorkersOptions): Promise<never> {
  const { logger } = options;
  new RateLimiterClusterMaster();
  startMetricsAggregator();
  const listened = new WeakSet<Worker>();
  let stopping = false;
  let allForked = false;

  // Not cluster's "listening" event: a worker's own emulator (GEMINI_BACKEND=emulator) fires it too.
  cluster.on("message", (worker, message: unknown) => {
    if (message !== listeningMessage) return;
    // The first worker listens before the others start: a port that cannot be had fails once.
    if (!allForked && !stopping) for (let i = 1; i < options.workers; i++) cluster.fork();
    allForked = true;
    listened.add(worker);
  });
  const exitWhenAllGone = () => {
    if (Object.keys(cluster.workers ?? {}).length > 0) return;
    logger.info("stopped");
    logger.flush();
    // 0, or the code of a worker that failed to start.
    process.exit();
  };
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return exitWhenAllGone();
    if (!listened.has(worker)) {
      logger.error({ pid: worker.process.pid, code, signal }, "a worker failed to start: stopping");
      process.exitCode = code ?? 1;
      stopAll("SIGTERM");
      return exitWhenAllGone();
    }
    logger.error({ worker: worker.process.pid, code, signal }, "worker died: starting another");
    cluster.fork();
  });
  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, "draining workers");
      stopAll("SIGTERM");
    });
  }
  cluster.fork();
  logger.info({ workers: options.workers }, "gemini-connect primary: starting workers");
  // The primary's work is all in the handlers above; it ends with process.exit.
  return new Promise<never>(() => {});
}
