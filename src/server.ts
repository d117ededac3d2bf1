// Builds the gateway: routes, interceptors and the one cleartext port. Listens only when asked,
// so tests start it on port 0 and main.ts on the configured one.

import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { CallPolicy } from "./generative/policy.ts";
import { createGenerativeService } from "./generative/service.ts";
import { createCleartextListener } from "./listener.ts";
import { createFallback } from "./surfaces/fallback.ts";
import { generativeServices, registerGenerativeServices } from "./surfaces/google-service.ts";
import { authInterceptor } from "./ops/auth.ts";
import type { Caller } from "./ops/callers.ts";
import { createLimiter, noLimits } from "./ops/limits.ts";
import type { LimitSettings, LimitStats } from "./ops/limits.ts";
import { createHealthStatus, createProbeHandler, registerHealth } from "./ops/health.ts";
import type { HealthStatus } from "./ops/health.ts";
import type { Logger } from "./ops/logger.ts";
import { registerReflection } from "./ops/reflection.ts";
import { createMetrics, createMetricsEndpoint } from "./ops/metrics.ts";
import type { Metrics } from "./ops/metrics.ts";
import { observeRpcs } from "./ops/observe.ts";
import { rpcLog } from "./ops/rpc-log.ts";
import { tracingObserver } from "./ops/tracing.ts";
import type { Tracer } from "@opentelemetry/api";
import type { Upstream } from "./upstream/upstream.ts";

export interface GatewayOptions {
  readonly upstream: Upstream;
  readonly logger: Logger;
  readonly callPolicy: CallPolicy;
  readonly maxRequestBytes: number;
  /** Set when tracing is on: one span per RPC. */
  readonly tracer?: Tracer | undefined;
  /** Who may call GenerativeService; undefined lets everyone in (health and reflection are always open). */
  readonly callers?: readonly Caller[] | undefined;
  /** Global limits, the rate window and Redis; undefined: no global limits, in-process counters. */
  readonly limits?: LimitSettings | undefined;
}

export interface Gateway {
  start(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops taking new connections and lets in-flight RPCs finish for `graceMs`; RPCs still running
   * then end with Unavailable (retryable), never with a silent cut.
   */
  stop(graceMs: number): Promise<void>;
  /** What grpc.health.v1 and GET /readyz report; stop() turns it all NOT_SERVING before anything else. */
  readonly health: HealthStatus;
  /** Served at GET /metrics. */
  readonly metrics: Metrics;
  /** Refusals and Redis fallbacks, for the metrics. */
  readonly limits: LimitStats;
}

// After the grace period, how long ended RPCs get to write their Unavailable before sockets close.
const errorFlushMs = 500;

export function createGateway(options: GatewayOptions): Gateway {
  const shutdown = new AbortController();
  const health = createHealthStatus();
  const metrics = createMetrics();
  const probes = createProbeHandler(health);
  const metricsEndpoint = createMetricsEndpoint(metrics.registry);
  const guarded = generativeServices;
  const limiter = createLimiter({
    ...(options.limits ?? { global: noLimits, windowSeconds: 60, redis: undefined }),
    callers: options.callers ?? [],
    longestRpcMs: options.callPolicy.totalTimeoutMs,
    logger: options.logger,
  });
  // Not an RPC: gRPC to unknown paths, the Gemini REST API, GET /metrics for Prometheus, /readyz
  // and /healthz for load balancers, 404 otherwise. Set once the routes are known.
  let fallback = probes;
  const handler = connectNodeAdapter({
    routes: (router) => {
      registerGenerativeServices(router, createGenerativeService(options.upstream, options.callPolicy));
      // Last: health reports on the services above, reflection describes them all and itself.
      registerHealth(router, health);
      registerReflection(router);
      fallback = createFallback({
        handlers: router.handlers,
        maxRequestBytes: options.maxRequestBytes,
        otherwise: (req, res) => (req.url?.split("?", 1)[0] === "/metrics" ? metricsEndpoint(req, res) : probes(req, res)),
      });
    },
    fallback: (req, res) => fallback(req, res),
    interceptors: [
      observeRpcs([rpcLog(options.logger), metrics, ...(options.tracer === undefined ? [] : [tracingObserver(options.tracer)])]),
      // Inside the observer, so refusals are logged and counted; auth first, as limits are per caller.
      ...(options.callers === undefined ? [] : [authInterceptor(options.callers, guarded)]),
      limiter.interceptor(guarded),
    ],
    readMaxBytes: options.maxRequestBytes,
    // Node timers overflow above 2^31-1 ms and would expire a longer deadline at once; refuse
    // such a deadline (InvalidArgument) instead of failing the call for a reason the caller cannot see.
    maxTimeoutMs: 2 ** 31 - 1,
    shutdownSignal: shutdown.signal,
  });
  const listener = createCleartextListener(handler);

  return {
    health,
    metrics,
    limits: limiter.stats,
    async start(port, host) {
      await limiter.ready();
      return listener.listen(port, host);
    },
    async stop(graceMs) {
      try {
        health.drain();
        listener.drain();
        const drained = await Promise.race([listener.closed.then(() => true), sleep(graceMs, false)]);
        if (drained) return;
        shutdown.abort(new ConnectError("server shutting down", Code.Unavailable));
        if (await Promise.race([listener.closed.then(() => true), sleep(errorFlushMs, false)])) return;
        listener.destroy();
        await listener.closed;
      } finally {
        await limiter.close();
      }
    },
  };
}
