// Builds the gateway: routes, interceptors and the one cleartext port. Listens only when asked,
// so tests start it on port 0 and main.ts on the configured one.

import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Tracer } from "@opentelemetry/api";
import cluster from "node:cluster";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { createAuthInterceptor } from "./access/auth.ts";
import { createLimitStore } from "./access/limit-store.ts";
import { createLimitsInterceptor } from "./access/limits.ts";
import { noLimits } from "./config/callers-file.ts";
import type { Caller } from "./config/callers-file.ts";
import { defaultConnectionLimits } from "./config/settings.ts";
import type { CallPolicy, ConnectionLimits, LimitSettings } from "./config/settings.ts";
import { createGenerativeCore } from "./generative/core.ts";
import { createHealthStatus, createProbeHandler, registerHealth } from "./grpc/health.ts";
import type { HealthStatus } from "./grpc/health.ts";
import { registerReflection } from "./grpc/reflection.ts";
import { createCleartextListener } from "./listener.ts";
import { createClusterMetricsSource } from "./observe/cluster-metrics.ts";
import { createConnectionLog } from "./observe/connection-log.ts";
import type { Logger } from "./observe/logger.ts";
import { createMetrics, createMetricsEndpoint } from "./observe/metrics.ts";
import type { Metrics } from "./observe/metrics.ts";
import { createObserveInterceptor } from "./observe/observe.ts";
import { createRpcLogObserver } from "./observe/rpc-log.ts";
import { createTracingObserver } from "./observe/tracing.ts";
import { createGenerativeService } from "./surfaces/generative-service.ts";
import type { Upstream } from "./upstream/upstream.ts";

/** What createGateway needs: the upstream, the logger, and the settings that shape the RPCs. */
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
  /** Connection deadlines and caps; undefined: the defaults. */
  readonly connections?: ConnectionLimits | undefined;
}

/** A built gateway: start it, stop it, read its health and metrics. */
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
}

// After the grace period, how long ended RPCs get to write their Unavailable before sockets close.
const errorFlushMs = 500;

/** The gateway over one upstream; it listens once started. */
export function createGateway(options: GatewayOptions): Gateway {
  const { logger } = options;
  const shutdown = new AbortController();
  const health = createHealthStatus();
  const metrics = createMetrics();
  const probes = createProbeHandler({ status: health });
  const metricsEndpoint = createMetricsEndpoint({
    registry: metrics.registry,
    render: cluster.isWorker ? createClusterMetricsSource(metrics.registry) : undefined,
  });
  const limits = options.limits ?? { global: noLimits, windowSeconds: 60, redis: undefined };
  const limitStore = createLimitStore({ redis: limits.redis, logger });
  const core = createGenerativeCore({ upstream: options.upstream, policy: options.callPolicy });
  const guarded = [GenerativeService];
  const observers = [
    createRpcLogObserver({ logger }),
    metrics,
    ...(options.tracer === undefined ? [] : [createTracingObserver({ tracer: options.tracer })]),
  ];
  const handler = connectNodeAdapter({
    routes: (router) => {
      router.service(GenerativeService, createGenerativeService({ core }));
      // Last: health reports on the services above, reflection describes them all and itself.
      registerHealth(router, health);
      registerReflection(router);
    },
    // Not an RPC: GET /metrics for Prometheus, /readyz and /healthz for load balancers, 404 otherwise.
    fallback: (req, res) => (req.url?.split("?", 1)[0] === "/metrics" ? metricsEndpoint(req, res) : probes(req, res)),
    interceptors: [
      createObserveInterceptor({ observers }),
      // Inside the observer, so refusals are logged and counted; auth first, as limits are per caller.
      ...(options.callers === undefined ? [] : [createAuthInterceptor({ callers: options.callers, services: guarded })]),
      createLimitsInterceptor({
        store: limitStore,
        limits,
        callers: options.callers ?? [],
        longestRpcMs: options.callPolicy.totalTimeoutMs,
        services: guarded,
      }),
    ],
    readMaxBytes: options.maxRequestBytes,
    // Node timers overflow above 2^31-1 ms and would expire a longer deadline at once; refuse
    // such a deadline (InvalidArgument) instead of failing the call for a reason the caller cannot see.
    maxTimeoutMs: 2 ** 31 - 1,
    shutdownSignal: shutdown.signal,
  });
  const connectionLog = createConnectionLog({ logger });
  const listener = createCleartextListener({
    handler,
    limits: options.connections ?? defaultConnectionLimits,
    onCut: (cut) => {
      metrics.connectionCut(cut);
      connectionLog(cut);
    },
  });

  return {
    health,
    metrics,
    async start(port, host) {
      await limitStore.ready();
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
        await limitStore.close();
      }
    },
  };
}
