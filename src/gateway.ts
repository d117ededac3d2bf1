// Builds the gateway: routes, interceptors and the one cleartext port. Listens only when asked,
// so tests start it on port 0 and main.ts on the configured one.

import { Code, ConnectError } from "@connectrpc/connect";
import type { Tracer } from "@opentelemetry/api";
import cluster from "node:cluster";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { FileService } from "../gen/ts/geminiconnect/v1/files_pb.ts";
import { createAuthGate } from "./access/auth.ts";
import { createResponseCache } from "./cache/cache.ts";
import { createCachedCore } from "./cache/cached-core.ts";
import { createMemoryStore } from "./cache/memory-store.ts";
import type { MemoryStore } from "./cache/memory-store.ts";
import { createRedisStore } from "./cache/redis-store.ts";
import type { RedisStore } from "./cache/redis-store.ts";
import { createLimitStore } from "./access/limit-store.ts";
import { createLimitsInterceptor } from "./access/limits.ts";
import { createRequestBytes } from "./access/request-bytes.ts";
import { noLimits } from "./config/callers-file.ts";
import type { Caller } from "./config/callers-file.ts";
import { ConfigError } from "./config/env.ts";
import { defaultConnectionLimits, defaultRequestBytesInFlightMax } from "./config/settings.ts";
import type { CacheSettings, CallPolicy, ConnectionLimits, FilesSettings, LimitSettings, MetricsListen } from "./config/settings.ts";
import { createFilesCore } from "./files/core.ts";
import type { FilesCore } from "./files/core.ts";
import { createMemoryOwnership } from "./files/ownership.ts";
import { createRedisOwnership } from "./files/ownership-redis.ts";
import { createSpool } from "./files/spool.ts";
import { GEMINI_FILES_HOST } from "./files/uri.ts";
import { createGenerativeCore } from "./generative/core.ts";
import { createRedactor } from "./generative/errors.ts";
import type { Redact } from "./generative/errors.ts";
import { createHealthStatus, createProbeHandler, registerHealth } from "./grpc/health.ts";
import type { HealthStatus } from "./grpc/health.ts";
import { registerReflection } from "./grpc/reflection.ts";
import { createCleartextListener } from "./listener.ts";
import { createClusterMetricsSource } from "./observe/cluster-metrics.ts";
import { createConnectionLog } from "./observe/connection-log.ts";
import type { Logger } from "./observe/logger.ts";
import { createMetrics, createMetricsEndpoint } from "./observe/metrics.ts";
import type { Metrics } from "./observe/metrics.ts";
import { startMetricsServer } from "./observe/metrics-server.ts";
import type { MetricsServer } from "./observe/metrics-server.ts";
import { createObserveInterceptor, createObservedGate, createRejectionObserver } from "./observe/observe.ts";
import { createRpcLogObserver } from "./observe/rpc-log.ts";
import { createTracingObserver } from "./observe/tracing.ts";
import { createFallback } from "./surfaces/fallback.ts";
import { createGenerativeService } from "./surfaces/generative-service.ts";
import { generativeServices, registerGenerativeServices } from "./surfaces/google-service.ts";
import { createFileService } from "./surfaces/file-service.ts";
import type { UpstreamFiles } from "./upstream/files.ts";
import { createNodeAdapter } from "./surfaces/node-adapter.ts";
import type { Upstream } from "./upstream/upstream.ts";
import { createSingleRouter } from "./routing/router.ts";
import type { Router } from "./routing/router.ts";

/** What createGateway needs: the upstream, the logger, and the settings that shape the RPCs. */
export interface GatewayOptions {
  /** Where every call goes when there is no `router`. */
  readonly upstream?: Upstream | undefined;
  /** Routes calls over the upstreams and aliases of ROUTING_FILE. */
  readonly router?: Router | undefined;
  /** The upstreams' key(s), redacted from every error text; undefined: none (the emulator). */
  readonly upstreamKeys?: readonly string[] | undefined;
  readonly logger: Logger;
  readonly callPolicy: CallPolicy;
  readonly maxRequestBytes: number;
  /** Request bytes all calls together may hold (REQUEST_BYTES_IN_FLIGHT_MAX); undefined: the default. */
  readonly requestBytesInFlightMax?: number | undefined;
  /** Set when tracing is on: one span per RPC. */
  readonly tracer?: Tracer | undefined;
  /** Who may call GenerativeService; undefined lets everyone in (health and reflection are always open). */
  readonly callers?: readonly Caller[] | undefined;
  /** Global limits, the rate window and Redis; undefined: no global limits, in-process counters. */
  readonly limits?: LimitSettings | undefined;
  /** Connection deadlines and caps; undefined: the defaults. */
  readonly connections?: ConnectionLimits | undefined;
  /** Serves GET /metrics there and not on the service port (METRICS_PORT); undefined: on the service port. */
  readonly metricsListen?: MetricsListen | undefined;
  /** Set to serve FileService (Gemini's Files API; Vertex AI has none). File owners live in the limits' Redis. */
  readonly files?: GatewayFiles | undefined;
  /** The response cache's bounds (its entries live in the limits' Redis when set); undefined: no cache. */
  readonly cache?: CacheSettings | undefined;
}

/** What FileService needs: Gemini's Files API, the upload settings, and the upstream's base URL. */
export interface GatewayFiles {
  readonly upstream: UpstreamFiles;
  readonly settings: FilesSettings;
  /** GEMINI_BASE_URL, whose host serves file URIs as Google's does; undefined for Google's own. */
  readonly baseUrl: string | undefined;
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
  /** Where GET /metrics listens once started, when it has a port of its own. */
  readonly metricsAddress: AddressInfo | undefined;
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
  const files = options.files === undefined ? undefined : filesCore(options.files, limits, createRedactor(options.upstreamKeys ?? []));
  const cacheStore = options.cache === undefined ? undefined : createCacheStore(options.cache, limits.redis, logger);
  const metrics = createMetrics({ cacheStore });
  const probes = createProbeHandler({ status: health });
  const metricsEndpoint = createMetricsEndpoint({
    registry: metrics.registry,
    render: cluster.isWorker ? createClusterMetricsSource(metrics.registry) : undefined,
  });
  const router = routerOf(options);
  const uncached = createGenerativeCore({ router, upstreamKeys: options.upstreamKeys ?? [], policy: options.callPolicy, files });
  const core =
    cacheStore === undefined || options.cache === undefined
      ? uncached
      : createCachedCore({
          core: uncached,
          cache: createResponseCache({ store: cacheStore, maxEntryBytes: options.cache.maxEntryBytes }),
          router,
        });
  const guarded = files === undefined ? generativeServices : [...generativeServices, FileService];
  const observers = [
    createRpcLogObserver({ logger }),
    metrics,
    ...(options.tracer === undefined ? [] : [createTracingObserver({ tracer: options.tracer })]),
  ];
  // Not an RPC: gRPC to unknown paths, the Gemini REST API, GET /metrics for Prometheus, /readyz
  // and /healthz for load balancers, 404 otherwise. Set once the routes are known.
  let fallback = probes;
  const handler = createNodeAdapter({
    logger,
    onRejected: createRejectionObserver({ observers }),
    requestBytes: createRequestBytes({ maxBytes: options.requestBytesInFlightMax ?? defaultRequestBytesInFlightMax }),
    routes: (router) => {
      registerGenerativeServices(router, createGenerativeService({ core, cache: options.cache }));
      if (files !== undefined) router.service(FileService, createFileService({ files }));
      // Last: health reports on the services above, reflection describes them all and itself.
      registerHealth(router, health);
      registerReflection(router);
      fallback = createFallback({
        handlers: router.handlers,
        maxRequestBytes: options.maxRequestBytes,
        otherwise: (req, res) =>
          options.metricsListen === undefined && req.url?.split("?", 1)[0] === "/metrics" ? metricsEndpoint(req, res) : probes(req, res),
      });
    },
    fallback: (req, res) => fallback(req, res),
    // On the headers alone, before the body is read; its refusals are logged and counted as RPCs.
    ...(options.callers === undefined
      ? {}
      : { requestGate: createObservedGate({ gate: createAuthGate({ callers: options.callers, services: guarded }), observers }) }),
    interceptors: [
      createObserveInterceptor({ observers }),
      // Inside the observer, so refusals are logged and counted.
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

  let metricsServer: MetricsServer | undefined;

  return {
    health,
    metrics,
    get metricsAddress() {
      return metricsServer?.address;
    },
    async start(port, host) {
      await Promise.all([limitStore.ready(), cacheStore !== undefined && "ready" in cacheStore ? cacheStore.ready() : undefined]);
      await files?.ready().catch((error: unknown) => {
        throw new ConfigError(`FILES_SPOOL_DIR ${options.files?.settings.spoolDir}: ${error instanceof Error ? error.message : String(error)}`);
      });
      const address = await listener.listen(port, host);
      if (options.metricsListen !== undefined) metricsServer = await startMetricsServer({ endpoint: metricsEndpoint, ...options.metricsListen });
      return address;
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
        // After the listener: uploads still running were ended with it, and their spool files go here.
        await files?.close();
        // Last: Prometheus sees the drain to its end.
        await Promise.all([limitStore.close(), cacheStore?.close(), metricsServer?.close()]);
      }
    },
  };
}

function routerOf(options: GatewayOptions): Router {
  if (options.router !== undefined) return options.router;
  if (options.upstream === undefined) throw new Error("createGateway needs an upstream or a router");
  return createSingleRouter(options.upstream);
}

/** The files core: uploads spooled under FILES_SPOOL_DIR, owners in Redis when the limits have one. */
function filesCore(files: GatewayFiles, limits: LimitSettings, redact: Redact): FilesCore {
  const { settings } = files;
  const hosts = [GEMINI_FILES_HOST, ...(files.baseUrl === undefined ? [] : [new URL(files.baseUrl).host])];
  return createFilesCore({
    upstream: files.upstream,
    spool: createSpool({ dir: settings.spoolDir, maxBytes: settings.spoolMaxBytes }),
    ownership: limits.redis === undefined ? createMemoryOwnership() : createRedisOwnership(limits.redis),
    maxFileBytes: settings.maxFileBytes,
    fileHosts: new Set(hosts.map((host) => host.toLowerCase())),
    watchIntervalMs: 1_000,
    maxWatchIntervalMs: 10_000,
    redact,
  });
}

/** The cache's store: the Redis the limits use, when set (shared by every replica), else this process's memory. */
function createCacheStore(
  settings: CacheSettings,
  redis: LimitSettings["redis"],
  logger: Logger,
): MemoryStore | RedisStore {
  return redis === undefined ? createMemoryStore({ maxBytes: settings.maxBytes }) : createRedisStore({ ...redis, logger });
}
