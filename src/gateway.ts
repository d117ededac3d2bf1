// Builds the gateway: routes, interceptors and the one cleartext port. Listens only when asked,
// so tests start it on port 0 and main.ts on the configured one.

import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Tracer } from "@opentelemetry/api";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createAuthInterceptor } from "./access/auth.ts";
import { createResponseCache } from "./cache/cache.ts";
import { createCachedCore } from "./cache/cached-core.ts";
import { createMemoryStore } from "./cache/memory-store.ts";
import type { MemoryStore } from "./cache/memory-store.ts";
import { createRedisStore } from "./cache/redis-store.ts";
import type { RedisStore } from "./cache/redis-store.ts";
import { createLimitStore } from "./access/limit-store.ts";
import { createLimitsInterceptor } from "./access/limits.ts";
import { noLimits } from "./config/callers-file.ts";
import type { Caller } from "./config/callers-file.ts";
import { defaultConnectionLimits } from "./config/settings.ts";
import type { CacheSettings, CallPolicy, ConnectionLimits, LimitSettings } from "./config/settings.ts";
import { createGenerativeCore } from "./generative/core.ts";
import { createHealthStatus, createProbeHandler, registerHealth } from "./grpc/health.ts";
import type { HealthStatus } from "./grpc/health.ts";
import { registerReflection } from "./grpc/reflection.ts";
import { createCleartextListener } from "./listener.ts";
import { createConnectionLog } from "./observe/connection-log.ts";
import type { Logger } from "./observe/logger.ts";
import { createMetrics, createMetricsEndpoint } from "./observe/metrics.ts";
import type { Metrics } from "./observe/metrics.ts";
import { createObserveInterceptor } from "./observe/observe.ts";
import { createRpcLogObserver } from "./observe/rpc-log.ts";
import { createTracingObserver } from "./observe/tracing.ts";
import { createFallback } from "./surfaces/fallback.ts";
import { createGenerativeService } from "./surfaces/generative-service.ts";
import { generativeServices, registerGenerativeServices } from "./surfaces/google-service.ts";
import type { Upstream } from "./upstream/upstream.ts";
import { createSingleRouter } from "./routing/router.ts";
import type { Router } from "./routing/router.ts";

/** What createGateway needs: the upstream, the logger, and the settings that shape the RPCs. */
export interface GatewayOptions {
  /** Where every call goes when there is no `router`. */
  readonly upstream?: Upstream | undefined;
  /** Routes calls over the upstreams and aliases of ROUTING_FILE. */
  readonly router?: Router | undefined;
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
  /** The response cache's bounds (its entries live in the limits' Redis when set); undefined: no cache. */
  readonly cache?: CacheSettings | undefined;
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
  const limits = options.limits ?? { global: noLimits, windowSeconds: 60, redis: undefined };
  const limitStore = createLimitStore({ redis: limits.redis, logger });
  const cacheStore = options.cache === undefined ? undefined : createCacheStore(options.cache, limits.redis, logger);
  const metrics = createMetrics({ cacheStore });
  const probes = createProbeHandler({ status: health });
  const metricsEndpoint = createMetricsEndpoint({ registry: metrics.registry });
  const router = routerOf(options);
  const uncached = createGenerativeCore({ router, policy: options.callPolicy });
  const core =
    cacheStore === undefined || options.cache === undefined
      ? uncached
      : createCachedCore({
          core: uncached,
          cache: createResponseCache({ store: cacheStore, maxEntryBytes: options.cache.maxEntryBytes }),
          router,
        });
  const guarded = generativeServices;
  const observers = [
    createRpcLogObserver({ logger }),
    metrics,
    ...(options.tracer === undefined ? [] : [createTracingObserver({ tracer: options.tracer })]),
  ];
  // Not an RPC: gRPC to unknown paths, the Gemini REST API, GET /metrics for Prometheus, /readyz
  // and /healthz for load balancers, 404 otherwise. Set once the routes are known.
  let fallback = probes;
  const handler = connectNodeAdapter({
    routes: (router) => {
      registerGenerativeServices(router, createGenerativeService({ core, cache: options.cache }));
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
      await Promise.all([limitStore.ready(), cacheStore !== undefined && "ready" in cacheStore ? cacheStore.ready() : undefined]);
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
        await Promise.all([limitStore.close(), cacheStore?.close()]);
      }
    },
  };
}

function routerOf(options: GatewayOptions): Router {
  if (options.router !== undefined) return options.router;
  if (options.upstream === undefined) throw new Error("createGateway needs an upstream or a router");
  return createSingleRouter(options.upstream);
}

/** The cache's store: the Redis the limits use, when set (shared by every replica), else this process's memory. */
function createCacheStore(
  settings: CacheSettings,
  redis: LimitSettings["redis"],
  logger: Logger,
): MemoryStore | RedisStore {
  return redis === undefined ? createMemoryStore({ maxBytes: settings.maxBytes }) : createRedisStore({ ...redis, logger });
}
