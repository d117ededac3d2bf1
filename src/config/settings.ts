// Every setting the service reads, taken from the environment once, validated and typed.
// A bad value throws a ConfigError naming the variable, and main.ts stops the start with it.
// The shapes of the settings live here too, so config/ needs nothing from the rest of src/.

import { availableParallelism, tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { CallersFileError, loadCallersFile } from "./callers-file.ts";
import type { Caller, Limits } from "./callers-file.ts";
import { RoutingFileError, loadRoutingFile } from "./routing-file.ts";
import type { RoutingTable } from "./routing-file.ts";
import { ConfigError, decimal, httpUrl, integer, oneOf, redisUrl, text } from "./env.ts";
import type { Env } from "./env.ts";

/** When and how often a failed upstream attempt is tried again. */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 turns retries off. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
}

/** The rules every upstream call runs under. */
export interface CallPolicy {
  /** Streams only: how long an attempt may wait for its first chunk. */
  readonly firstChunkTimeoutMs: number;
  /** Streams only: the longest silence between two chunks. */
  readonly idleTimeoutMs: number;
  /** The whole RPC, retries included; the caller's own deadline still applies when shorter. */
  readonly totalTimeoutMs: number;
  readonly retry: RetryPolicy;
}

/** The gateway-wide limits and where their counters live. */
export interface LimitSettings {
  /** Limits on all callers together. */
  readonly global: Limits;
  /** The rate window; the per-minute budgets apply per window (60 s but in tests). Whole seconds. */
  readonly windowSeconds: number;
  /** Undefined keeps the counters in this process. */
  readonly redis: { readonly url: string; readonly timeoutMs: number } | undefined;
}

/** Uploads through FileService: the largest file, and the spool that holds uploads on their way to Gemini. */
export interface FilesSettings {
  readonly maxFileBytes: number;
  /** The spool makes a private directory inside it, and removes it on exit. */
  readonly spoolDir: string;
  /** The most bytes all uploads in progress may hold in the spool together. */
  readonly spoolMaxBytes: number;
}

/** Where GET /metrics is served apart from the service port (METRICS_PORT, METRICS_HOST). */
export interface MetricsListen {
  readonly port: number;
  readonly host: string;
}

/** Deadlines for each stage of a client connection, and caps on how many may be open. */
export interface ConnectionLimits {
  /** Until the protocol can be told (the HTTP/2 preface, or any other first bytes). */
  readonly firstBytesTimeoutMs: number;
  /** HTTP/1.1: until a request's headers are complete. */
  readonly headersTimeoutMs: number;
  /** HTTP/1.1: until a whole request (headers and body) is received. */
  readonly requestTimeoutMs: number;
  /** HTTP/2 with no open stream, HTTP/1.1 between requests: then GOAWAY, or close. */
  readonly idleTimeoutMs: number;
  /** Open connections in all; one more is closed at once. */
  readonly maxConnections: number;
  /** Open connections from one peer address. */
  readonly maxConnectionsPerPeer: number;
}

/** Far from anything a working client meets; what `CONNECTION_*` settings override. */
export const defaultConnectionLimits: ConnectionLimits = {
  firstBytesTimeoutMs: 10_000,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 120_000,
  idleTimeoutMs: 120_000,
  maxConnections: 4_096,
  maxConnectionsPerPeer: 512,
};

/** The request bytes all calls together may hold by default: a burst of large uploads stays well within a small container's memory. */
export const defaultRequestBytesInFlightMax = 256 * 1024 * 1024;

/** The response cache's bounds (docs/caching.md); its store is Redis when `LimitSettings.redis` is set. */
export interface CacheSettings {
  /** The in-memory store's bound: its entries and keys together. */
  readonly maxBytes: number;
  /** The largest answer stored; also the most one answer under way holds for the requests sharing it. */
  readonly maxEntryBytes: number;
  /** The most a request may ask with x-gemini-cache-ttl when its caller's entry sets no cache. */
  readonly maxTtlSeconds: number;
}

/** Which upstream the gateway calls. */
export type Backend = "gemini" | "vertex" | "emulator";

/** Every setting, validated. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly backend: Backend;
  /** The upstream key; undefined only for the emulator backend. Never logged, never returned. */
  readonly apiKey: string | undefined;
  /** The SDK's httpOptions.baseUrl; undefined means Google's own endpoint. */
  readonly baseUrl: string | undefined;
  /** Vertex AI only: the Google Cloud project and location. */
  readonly vertexProject: string | undefined;
  readonly vertexLocation: string | undefined;
  readonly logLevel: LogLevel;
  readonly production: boolean;
  /** Timeouts and retries of every upstream call. */
  readonly callPolicy: CallPolicy;
  /** The largest request message accepted (ResourceExhausted above it). */
  readonly maxRequestBytes: number;
  /** The request bytes all calls together may hold; a call past it is refused (ResourceExhausted). */
  readonly requestBytesInFlightMax: number;
  /** On SIGTERM, how long in-flight RPCs may run before they end with Unavailable. */
  readonly shutdownGraceMs: number;
  /** Processes serving the one port (node:cluster); 1 runs the gateway in this process alone. */
  readonly workers: number;
  /** Deadlines and caps of client connections. */
  readonly connections: ConnectionLimits;
  /** Set to serve GET /metrics on a port of its own, and not on the service port; the default in production. */
  readonly metrics: MetricsListen | undefined;
  /** Set when OTEL_EXPORTER_OTLP_ENDPOINT is: traces on, under this service name. */
  readonly tracingServiceName: string | undefined;
  /** Pause between chunks of the in-process emulator, so a demo stream is visibly a stream. */
  readonly emulatorChunkDelayMs: number;
  /** Why the emulator was chosen, when it was chosen by default: main.ts says so loudly. */
  readonly emulatorReason: string | undefined;
  /** Who may call, from CALLERS_FILE; undefined runs open: everyone is let in, only global limits apply. */
  readonly callers: readonly Caller[] | undefined;
  /** Global limits, the rate window, and the Redis that shares the counters (and file owners) between replicas. */
  readonly limits: LimitSettings;
  /** Upstreams and model aliases from ROUTING_FILE; undefined: one upstream, from GEMINI_API_KEY and GEMINI_BACKEND. */
  readonly routing: RoutingTable | undefined;
  readonly files: FilesSettings;
  readonly cache: CacheSettings;
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** A pino level, as LOG_LEVEL names it. */
export type LogLevel = (typeof logLevels)[number];
const backends: readonly Backend[] = ["gemini", "vertex", "emulator"];
const day = 86_400_000;
const gib = 1024 ** 3;

/** The settings from `env` (process.env by default); throws a ConfigError naming a bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const production = env["NODE_ENV"] === "production";
  const apiKey = text(env, "GEMINI_API_KEY") ?? text(env, "GOOGLE_API_KEY");
  const explicitBackend = oneOf(env, "GEMINI_BACKEND", backends);
  const vertexProject = text(env, "GOOGLE_CLOUD_PROJECT");
  const vertexLocation = text(env, "GOOGLE_CLOUD_LOCATION");
  const routing = routingFile(env, "ROUTING_FILE");

  let backend: Backend;
  let emulatorReason: string | undefined;
  if (explicitBackend !== undefined) {
    backend = explicitBackend;
  } else if (apiKey !== undefined || routing !== undefined) {
    backend = "gemini";
  } else if (production) {
    throw new ConfigError(
      "GEMINI_API_KEY is not set and NODE_ENV=production: refusing to start on the built-in emulator " +
        "(set GEMINI_API_KEY, or GEMINI_BACKEND=emulator to mean it)",
    );
  } else {
    backend = "emulator";
    emulatorReason = "GEMINI_API_KEY is not set";
  }

  if (backend === "gemini" && apiKey === undefined && routing === undefined) {
    throw new ConfigError("GEMINI_BACKEND=gemini needs GEMINI_API_KEY (or GOOGLE_API_KEY)");
  }
  if (backend === "vertex" && apiKey === undefined && (vertexProject === undefined || vertexLocation === undefined)) {
    throw new ConfigError(
      "GEMINI_BACKEND=vertex needs GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION (or an express-mode GEMINI_API_KEY)",
    );
  }

  const callers = callersFile(env, "CALLERS_FILE");
  const allowOpen = oneOf(env, "AUTH_ALLOW_OPEN", ["true", "false"]) === "true";
  if (callers === undefined && production && !allowOpen) {
    throw new ConfigError(
      "CALLERS_FILE is not set and NODE_ENV=production: refusing to start without caller authentication " +
        "(set CALLERS_FILE, or AUTH_ALLOW_OPEN=true to mean it)",
    );
  }
  const redis = redisUrl(env, "REDIS_URL");
  const cacheMaxBytes = integer(env, "CACHE_MAX_BYTES", 1024, Number.MAX_SAFE_INTEGER) ?? 256 * 1024 * 1024;
  const cacheMaxEntryBytes = integer(env, "CACHE_MAX_ENTRY_BYTES", 1024, 2 ** 31 - 1) ?? 1024 * 1024;
  if (cacheMaxEntryBytes > cacheMaxBytes) {
    throw new ConfigError(`CACHE_MAX_ENTRY_BYTES (${cacheMaxEntryBytes}) must not be more than CACHE_MAX_BYTES (${cacheMaxBytes})`);
  }
  const redisTimeoutMs = integer(env, "REDIS_TIMEOUT_MS", 1, 60_000) ?? 500;
  const host = text(env, "HOST") ?? "0.0.0.0";
  const port = integer(env, "PORT", 0, 65535) ?? 8080;

  return {
    host,
    port,
    backend,
    apiKey: backend === "emulator" ? undefined : apiKey,
    baseUrl: backend === "emulator" ? undefined : httpUrl(env, "GEMINI_BASE_URL"),
    vertexProject,
    vertexLocation,
    logLevel: oneOf(env, "LOG_LEVEL", logLevels) ?? "info",
    production,
    callPolicy: {
      firstChunkTimeoutMs: integer(env, "TIMEOUT_FIRST_CHUNK_MS", 1, day) ?? 180_000,
      idleTimeoutMs: integer(env, "TIMEOUT_IDLE_MS", 1, day) ?? 60_000,
      totalTimeoutMs: integer(env, "TIMEOUT_TOTAL_MS", 1, day) ?? 600_000,
      retry: {
        maxAttempts: integer(env, "RETRY_MAX_ATTEMPTS", 1, 10) ?? 5,
        initialBackoffMs: integer(env, "RETRY_INITIAL_BACKOFF_MS", 0, 60_000) ?? 1_000,
        maxBackoffMs: integer(env, "RETRY_MAX_BACKOFF_MS", 0, 600_000) ?? 10_000,
        backoffMultiplier: decimal(env, "RETRY_BACKOFF_MULTIPLIER", 1, 10) ?? 1.3,
      },
    },
    maxRequestBytes: integer(env, "MAX_REQUEST_BYTES", 1024, 2 ** 31 - 1) ?? 20 * 1024 * 1024,
    requestBytesInFlightMax: integer(env, "REQUEST_BYTES_IN_FLIGHT_MAX", 1024, Number.MAX_SAFE_INTEGER) ?? defaultRequestBytesInFlightMax,
    shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 0, day) ?? 10_000,
    // Without Redis, who owns an uploaded file and the cache's entries live in each process: one
    // worker by default then, so that a caller's next connection finds its files.
    workers: integer(env, "WORKERS", 1, 1024) ?? (redis === undefined ? 1 : availableParallelism()),
    connections: connectionLimits(env),
    metrics: metricsListen(env, production, host, port),
    tracingServiceName:
      httpUrl(env, "OTEL_EXPORTER_OTLP_ENDPOINT") === undefined ? undefined : (text(env, "OTEL_SERVICE_NAME") ?? "gemini-connect"),
    emulatorChunkDelayMs: integer(env, "EMULATOR_CHUNK_DELAY_MS", 0, 60_000) ?? 0,
    emulatorReason,
    callers,
    limits: {
      global: {
        requestsPerMinute: limit(env, "LIMITS_REQUESTS_PER_MINUTE"),
        tokensPerMinute: limit(env, "LIMITS_TOKENS_PER_MINUTE"),
        concurrentStreams: limit(env, "LIMITS_CONCURRENT_STREAMS"),
        startsPerSecond: limit(env, "LIMITS_STARTS_PER_SECOND"),
      },
      windowSeconds: integer(env, "LIMITS_WINDOW_SECONDS", 1, 3600) ?? 60,
      redis: redis === undefined ? undefined : { url: redis, timeoutMs: redisTimeoutMs },
    },
    routing,
    files: filesSettings(env),
    cache: {
      maxBytes: cacheMaxBytes,
      maxEntryBytes: cacheMaxEntryBytes,
      maxTtlSeconds: integer(env, "CACHE_MAX_TTL_SECONDS", 1, 2_592_000) ?? 86_400,
    },
  };
}

/** METRICS_PORT (9090 in production, where per-caller metrics stay off the service port) and METRICS_HOST. */
function metricsListen(env: Env, production: boolean, host: string, port: number): MetricsListen | undefined {
  const metricsPort = integer(env, "METRICS_PORT", 0, 65535) ?? (production ? 9090 : undefined);
  if (metricsPort === undefined) return undefined;
  if (metricsPort !== 0 && metricsPort === port) throw new ConfigError(`METRICS_PORT (${metricsPort}) must differ from PORT`);
  return { port: metricsPort, host: text(env, "METRICS_HOST") ?? host };
}

/** The settings as they may be logged: secrets reduced to whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { apiKey, callers, limits, routing, ...rest } = config;
  return {
    ...rest,
    // Not `apiKey`: the logger redacts that name, and the line is to say whether it is set.
    geminiApiKey: apiKey === undefined ? "(unset)" : "(set)",
    callers: callers === undefined ? "(open)" : callers.map((caller) => caller.name),
    limits: { ...limits, redis: limits.redis === undefined ? "(unset)" : { url: "(set)", timeoutMs: limits.redis.timeoutMs } },
    routing:
      routing === undefined
        ? "(unset)"
        : { upstreams: routing.upstreams.map((upstream) => upstream.name), aliases: [...routing.aliases.keys()] },
  };
}

function filesSettings(env: Env): FilesSettings {
  // Gemini takes files up to 2 GB; a larger cap would only move the refusal upstream.
  const maxFileBytes = integer(env, "FILES_MAX_BYTES", 1, 2 * gib) ?? 2 * gib;
  const spoolMaxBytes = integer(env, "FILES_SPOOL_MAX_BYTES", 1, Number.MAX_SAFE_INTEGER) ?? 4 * gib;
  if (spoolMaxBytes < maxFileBytes) {
    throw new ConfigError(
      `FILES_SPOOL_MAX_BYTES (${spoolMaxBytes}) must be at least FILES_MAX_BYTES (${maxFileBytes}), or the largest file could never be spooled`,
    );
  }
  const spoolDir = text(env, "FILES_SPOOL_DIR") ?? join(tmpdir(), "gemini-connect-spool");
  if (!isAbsolute(spoolDir)) throw new ConfigError(`FILES_SPOOL_DIR must be an absolute path, got "${spoolDir}"`);
  return { maxFileBytes, spoolDir, spoolMaxBytes };
}

function connectionLimits(env: Env): ConnectionLimits {
  const defaults = defaultConnectionLimits;
  return {
    firstBytesTimeoutMs: integer(env, "CONNECTION_FIRST_BYTES_TIMEOUT_MS", 1, day) ?? defaults.firstBytesTimeoutMs,
    headersTimeoutMs: integer(env, "CONNECTION_HEADERS_TIMEOUT_MS", 1, day) ?? defaults.headersTimeoutMs,
    requestTimeoutMs: integer(env, "CONNECTION_REQUEST_TIMEOUT_MS", 1, day) ?? defaults.requestTimeoutMs,
    idleTimeoutMs: integer(env, "CONNECTION_IDLE_TIMEOUT_MS", 1, day) ?? defaults.idleTimeoutMs,
    maxConnections: integer(env, "CONNECTION_LIMIT", 1, 1_000_000) ?? defaults.maxConnections,
    maxConnectionsPerPeer: integer(env, "CONNECTION_LIMIT_PER_PEER", 1, 1_000_000) ?? defaults.maxConnectionsPerPeer,
  };
}

/** A limit from the environment: unset or 0 means none. */
function limit(env: Env, name: string): number | undefined {
  const value = integer(env, name, 0, Number.MAX_SAFE_INTEGER) ?? 0;
  return value === 0 ? undefined : value;
}

function callersFile(env: Env, name: string): Caller[] | undefined {
  const path = text(env, name);
  if (path === undefined) return undefined;
  try {
    return loadCallersFile(path);
  } catch (error) {
    if (error instanceof CallersFileError) throw new ConfigError(`${name} ${path}: ${error.message}`);
    throw error;
  }
}

function routingFile(env: Env, name: string): RoutingTable | undefined {
  const path = text(env, name);
  if (path === undefined) return undefined;
  try {
    return loadRoutingFile(path, env);
  } catch (error) {
    if (error instanceof RoutingFileError) throw new ConfigError(`${name} ${path}: ${error.message}`);
    throw error;
  }
}
