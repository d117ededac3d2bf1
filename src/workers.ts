// WORKERS=N: this process becomes the primary of N workers that each run the whole gateway on
// the one port (node:cluster hands each new connection to a worker in turn). The primary serves
// no RPC; it keeps the workers' shared state: the limits' counters when Redis is not set
// (rate-limiter-flexible's cluster master), and the sum of their metrics for GET /metrics.

import cluster from "node:cluster";
import type { Worker } from "node:cluster";
import { RateLimiterClusterMaster } from "rate-limiter-flexible";
import { startMetricsAggregator } from "./observe/cluster-metrics.ts";
import type { Logger } from "./observe/logger.ts";

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

  cluster.on("listening", (worker) => listened.add(worker));
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info("stopped");
        logger.flush();
        process.exit(0);
      }
      return;
    }
    if (!listened.has(worker)) {
      logger.error({ pid: worker.process.pid, code, signal }, "a worker failed to start: stopping");
      stopAll("SIGTERM");
      process.exitCode = code ?? 1;
      return;
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
  for (let i = 0; i < options.workers; i++) cluster.fork();
  logger.info({ workers: options.workers }, "gemini-connect primary: workers started");
  // The primary's work is all in the handlers above; it ends with process.exit.
  return new Promise<never>(() => {});
}
