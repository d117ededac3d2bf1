// Every setting the service reads, taken from the environment once, validated and typed.
// A bad value throws a ConfigError naming the variable, and main.ts stops the start with it.

import type { CallPolicy } from "./generative/policy.ts";
import { CallersFileError, loadCallersFile } from "./ops/callers.ts";
import type { Caller } from "./ops/callers.ts";
import type { LimitSettings } from "./ops/limits.ts";

export type Backend = "gemini" | "vertex" | "emulator";

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
  /** On SIGTERM, how long in-flight RPCs may run before they end with Unavailable. */
  readonly shutdownGraceMs: number;
  /** Set when OTEL_EXPORTER_OTLP_ENDPOINT is: traces on, under this service name. */
  readonly tracingServiceName: string | undefined;
  /** Pause between chunks of the in-process emulator, so a demo stream is visibly a stream. */
  readonly emulatorChunkDelayMs: number;
  /** Why the emulator was chosen, when it was chosen by default: main.ts says so loudly. */
  readonly emulatorReason: string | undefined;
  /** Who may call, from CALLERS_FILE; undefined runs open: everyone is let in, only global limits apply. */
  readonly callers: readonly Caller[] | undefined;
  /** Global limits, the rate window, and the Redis that shares the counters between replicas. */
  readonly limits: LimitSettings;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];
const backends: readonly Backend[] = ["gemini", "vertex", "emulator"];
const day = 86_400_000;

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  const production = env["NODE_ENV"] === "production";
  const apiKey = nonEmpty(env, "GEMINI_API_KEY") ?? nonEmpty(env, "GOOGLE_API_KEY");
  const explicitBackend = oneOf(env, "GEMINI_BACKEND", backends);
  const vertexProject = nonEmpty(env, "GOOGLE_CLOUD_PROJECT");
  const vertexLocation = nonEmpty(env, "GOOGLE_CLOUD_LOCATION");

  let backend: Backend;
  let emulatorReason: string | undefined;
  if (explicitBackend !== undefined) {
    backend = explicitBackend;
  } else if (apiKey !== undefined) {
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

  if (backend === "gemini" && apiKey === undefined) {
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
  const redisUrl = redis(env, "REDIS_URL");
  const redisTimeoutMs = integer(env, "REDIS_TIMEOUT_MS", 500, 1, 60_000);

  return {
    host: nonEmpty(env, "HOST") ?? "0.0.0.0",
    port: integer(env, "PORT", 8080, 0, 65535),
    backend,
    apiKey: backend === "emulator" ? undefined : apiKey,
    baseUrl: backend === "emulator" ? undefined : url(env, "GEMINI_BASE_URL"),
    vertexProject,
    vertexLocation,
    logLevel: oneOf(env, "LOG_LEVEL", logLevels) ?? "info",
    production,
    callPolicy: {
      firstChunkTimeoutMs: integer(env, "TIMEOUT_FIRST_CHUNK_MS", 180_000, 1, day),
      idleTimeoutMs: integer(env, "TIMEOUT_IDLE_MS", 60_000, 1, day),
      totalTimeoutMs: integer(env, "TIMEOUT_TOTAL_MS", 600_000, 1, day),
      retry: {
        maxAttempts: integer(env, "RETRY_MAX_ATTEMPTS", 5, 1, 10),
        initialBackoffMs: integer(env, "RETRY_INITIAL_BACKOFF_MS", 1_000, 0, 60_000),
        maxBackoffMs: integer(env, "RETRY_MAX_BACKOFF_MS", 10_000, 0, 600_000),
        backoffMultiplier: decimal(env, "RETRY_BACKOFF_MULTIPLIER", 1.3, 1, 10),
      },
    },
    maxRequestBytes: integer(env, "MAX_REQUEST_BYTES", 20 * 1024 * 1024, 1024, 2 ** 31 - 1),
    shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 10_000, 0, day),
    tracingServiceName:
      url(env, "OTEL_EXPORTER_OTLP_ENDPOINT") === undefined ? undefined : (nonEmpty(env, "OTEL_SERVICE_NAME") ?? "gemini-connect"),
    emulatorChunkDelayMs: integer(env, "EMULATOR_CHUNK_DELAY_MS", 0, 0, 60_000),
    emulatorReason,
    callers,
    limits: {
      global: {
        requestsPerMinute: limit(env, "LIMITS_REQUESTS_PER_MINUTE"),
        tokensPerMinute: limit(env, "LIMITS_TOKENS_PER_MINUTE"),
        concurrentStreams: limit(env, "LIMITS_CONCURRENT_STREAMS"),
      },
      windowSeconds: integer(env, "LIMITS_WINDOW_SECONDS", 60, 1, 3600),
      redis: redisUrl === undefined ? undefined : { url: redisUrl, timeoutMs: redisTimeoutMs },
    },
  };
}

/** The settings as they may be logged: secrets reduced to whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { apiKey, callers, limits, ...rest } = config;
  return {
    ...rest,
    apiKey: apiKey === undefined ? "(unset)" : "(set)",
    callers: callers === undefined ? "(open)" : callers.map((caller) => caller.name),
    limits: { ...limits, redis: limits.redis === undefined ? "(unset)" : { url: "(set)", timeoutMs: limits.redis.timeoutMs } },
  };
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  return numeric(env, name, fallback, min, max, "an integer");
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  return numeric(env, name, fallback, min, max, "a number");
}

function numeric(env: Env, name: string, fallback: number, min: number, max: number, kind: "an integer" | "a number"): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const wellFormed = kind === "an integer" ? Number.isInteger(value) : Number.isFinite(value);
  if (!wellFormed || value < min || value > max) {
    throw new ConfigError(`${name} must be ${kind} from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  const match = allowed.find((value) => value === raw);
  if (match === undefined) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return match;
}

function url(env: Env, name: string): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  return raw;
}

/** A limit from the environment: unset or 0 means none. */
function limit(env: Env, name: string): number | undefined {
  const value = integer(env, name, 0, 0, Number.MAX_SAFE_INTEGER);
  return value === 0 ? undefined : value;
}

function callersFile(env: Env, name: string): Caller[] | undefined {
  const path = nonEmpty(env, name);
  if (path === undefined) return undefined;
  try {
    return loadCallersFile(path);
  } catch (error) {
    if (error instanceof CallersFileError) throw new ConfigError(`${name} ${path}: ${error.message}`);
    throw error;
  }
}

function redis(env: Env, name: string): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    protocol = undefined;
  }
  // The value is not quoted: it may carry a password.
  if (protocol !== "redis:" && protocol !== "rediss:") throw new ConfigError(`${name} must be a redis:// or rediss:// URL`);
  return raw;
}
