// GET /metrics when WORKERS > 1: any worker may get the scrape, and it answers with the sum over
// all workers. The worker asks the primary over the cluster's IPC channel; the primary collects
// every worker's registry with prom-client's AggregatorRegistry and answers with the text.

import cluster from "node:cluster";
import { AggregatorRegistry } from "prom-client";
import type { Registry } from "prom-client";

const channel = "gemini-connect:metrics";
// A worker busy with a long task answers late; a scrape is better failed than hung.
const scrapeTimeoutMs = 5_000;

interface MetricsRequest {
  readonly channel: typeof channel;
  readonly id: number;
}
interface MetricsAnswer extends MetricsRequest {
  readonly text?: string;
  readonly error?: string;
}

function isMessage(message: unknown): message is MetricsAnswer {
  return typeof message === "object" && message !== null && (message as { channel?: unknown }).channel === channel;
}

/** In the primary: answers each worker's request with every worker's metrics summed. */
export function startMetricsAggregator(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: unknown) => {
    if (!isMessage(message)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ channel, id: message.id, text } satisfies MetricsAnswer),
      (error: unknown) => worker.send({ channel, id: message.id, error: String(error) } satisfies MetricsAnswer),
    );
  });
}

/** In a worker: offers `registry` to the primary's collection, and returns how to get the cluster's sum. */
export function createClusterMetricsSource(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Its constructor is what makes this worker answer the primary's collection.
  new AggregatorRegistry();
  const pending = new Map<number, (answer: MetricsAnswer) => void>();
  let nextId = 0;
  process.on("message", (message: unknown) => {
    if (isMessage(message)) pending.get(message.id)?.(message);
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => settle({ channel, id, error: "the primary did not answer in time" }), scrapeTimeoutMs);
      const settle = (answer: MetricsAnswer) => {
        clearTimeout(timer);
        pending.delete(id);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(answer.error));
      };
      pending.set(id, settle);
      process.send?.({ channel, id } satisfies MetricsRequest);
    });
}
