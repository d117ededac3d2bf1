// The callers file: who may call the gateway, known by the SHA-256 of their key, their limits and
// their response cache.
// Read and checked once at start; a file with a mistake stops the start with a message naming the
// entry and field, and never quoting a value that could be a key pasted by mistake.

import { readFileSync } from "node:fs";
import { isRecord } from "./json.ts";

/** One set of limits; undefined means no limit of that kind. */
export interface Limits {
  readonly requestsPerMinute: number | undefined;
  readonly tokensPerMinute: number | undefined;
  readonly concurrentStreams: number | undefined;
  /** RPCs started per second, each a request to Gemini: bounds a flood of calls cancelled as soon as sent. */
  readonly startsPerSecond: number | undefined;
}

/** No limit of any kind. */
export const noLimits: Limits = { requestsPerMinute: undefined, tokensPerMinute: undefined, concurrentStreams: undefined, startsPerSecond: undefined };

/** A caller's response cache (docs/caching.md): on for its generate requests. */
export interface CallerCache {
  /** How long an answer is kept; also the most a request's x-gemini-cache-ttl may ask. */
  readonly ttlSeconds: number;
  /** Whose answers it shares: its own name unless the entry names another namespace. */
  readonly namespace: string;
}

/** A caller as the gateway knows it, from the callers file. */
export interface Caller {
  /** The caller's identity in logs, limits and metrics; never its key. */
  readonly name: string;
  /** SHA-256 digests (32 bytes each) of the keys it may present; two during a key rotation. */
  readonly keyDigests: readonly Buffer[];
  readonly limits: Limits;
  /** The aliases and model patterns (`*` matches any run of characters) it may ask for; undefined: any. */
  readonly models: readonly string[] | undefined;
  /** Undefined: its requests are cached only when they ask (x-gemini-cache-ttl). */
  readonly cache?: CallerCache | undefined;
}

/** A mistake in the callers file: names the entry and field, never quotes a value that could be a key. */
export class CallersFileError extends Error {
  override name = "CallersFileError";
}

// Names go into log lines, Redis keys and metric labels: keep them plain.
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const digestPattern = /^[0-9a-fA-F]{64}$/;
const callerFields = new Set(["name", "keySha256", "limits", "models", "cache"]);
const modelPatternPattern = /^[A-Za-z0-9*][A-Za-z0-9._*/-]{0,127}$/;
const limitFields = new Set(["requestsPerMinute", "tokensPerMinute", "concurrentStreams", "startsPerSecond"]);
const cacheFields = new Set(["ttlSeconds", "namespace"]);
// 30 days: longer is more likely a unit mistake (milliseconds) than a wish.
const maxCacheTtlSeconds = 2_592_000;

/** Reads and checks the callers file at `path`; throws a CallersFileError on any mistake. */
export function loadCallersFile(path: string): Caller[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CallersFileError(`cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseCallers(text);
}

/** Checks the callers file's text: every caller well formed, no name or key listed twice. */
export function parseCallers(text: string): Caller[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CallersFileError(`not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(json) || !Array.isArray(json["callers"])) {
    throw new CallersFileError('expected an object {"callers": [...]}');
  }
  const extra = Object.keys(json).filter((key) => key !== "callers");
  if (extra.length > 0) throw new CallersFileError(`unknown field "${extra[0]}" (expected only "callers")`);
  const entries: unknown[] = json["callers"];
  if (entries.length === 0) {
    throw new CallersFileError("callers is empty (unset CALLERS_FILE to run without authentication)");
  }

  const callers = entries.map((entry, index) => parseCaller(entry, `callers[${index}]`));
  const names = new Set<string>();
  const digests = new Map<string, string>();
  for (const caller of callers) {
    if (names.has(caller.name)) throw new CallersFileError(`caller name "${caller.name}" is listed twice`);
    names.add(caller.name);
    for (const digest of caller.keyDigests) {
      const other = digests.get(digest.toString("hex"));
      // One key, two names: the identity (and so the limits) of that key would be a guess.
      if (other !== undefined) throw new CallersFileError(`callers "${other}" and "${caller.name}" have the same key`);
      digests.set(digest.toString("hex"), caller.name);
    }
  }
  return callers;
}

function parseCaller(entry: unknown, at: string): Caller {
  if (!isRecord(entry)) throw new CallersFileError(`${at} must be an object`);
  for (const key of Object.keys(entry)) {
    if (key === "key" || key === "apiKey") {
      throw new CallersFileError(`${at} has "${key}": list the SHA-256 of the key as keySha256, never the key itself`);
    }
    if (!callerFields.has(key)) throw new CallersFileError(`${at} has an unknown field "${key}"`);
  }
  const name = entry["name"];
  if (typeof name !== "string" || !namePattern.test(name)) {
    throw new CallersFileError(`${at}.name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  const where = `${at} ("${name}")`;
  const raw = entry["keySha256"];
  const hexes = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : undefined;
  if (hexes === undefined || hexes.length === 0) {
    throw new CallersFileError(`${where}.keySha256 must be a SHA-256 hex digest, or a list of them`);
  }
  const keyDigests = hexes.map((hex, index) => {
    // The value is not quoted: a wrong one is often the key itself, pasted by mistake.
    if (typeof hex !== "string" || !digestPattern.test(hex)) {
      const which = Array.isArray(raw) ? `[${index}]` : "";
      throw new CallersFileError(`${where}.keySha256${which} must be 64 hex digits (the SHA-256 of the key)`);
    }
    return Buffer.from(hex, "hex");
  });
  return {
    name,
    keyDigests,
    limits: parseLimits(entry["limits"], `${where}.limits`),
    models: parseModels(entry["models"], `${where}.models`),
    cache: parseCache(entry["cache"], `${where}.cache`, name),
  };
}

function parseModels(value: unknown, at: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) throw new CallersFileError(`${at} must be a non-empty list of aliases and model patterns`);
  return value.map((pattern: unknown, index) => {
    if (typeof pattern !== "string" || !modelPatternPattern.test(pattern)) {
      throw new CallersFileError(`${at}[${index}] must be an alias or a model pattern like "gemini-2.5-*"`);
    }
    return pattern.replace(/^models\//, "");
  });
}

function parseCache(value: unknown, at: string, name: string): CallerCache | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new CallersFileError(`${at} must be an object like {"ttlSeconds": 600}`);
  for (const key of Object.keys(value)) {
    if (!cacheFields.has(key)) {
      throw new CallersFileError(`${at} has an unknown field "${key}" (known: ${[...cacheFields].join(", ")})`);
    }
  }
  const ttlSeconds = value["ttlSeconds"];
  if (typeof ttlSeconds !== "number" || !Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxCacheTtlSeconds) {
    throw new CallersFileError(`${at}.ttlSeconds must be a whole number from 1 to ${maxCacheTtlSeconds}, got ${JSON.stringify(ttlSeconds)}`);
  }
  const namespace = value["namespace"] ?? name;
  // Namespaces go into cache keys (and Redis keys): as plain as caller names.
  if (typeof namespace !== "string" || !namePattern.test(namespace)) {
    throw new CallersFileError(`${at}.namespace must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return { ttlSeconds, namespace };
}

function parseLimits(value: unknown, at: string): Limits {
  if (value === undefined) return noLimits;
  if (!isRecord(value)) throw new CallersFileError(`${at} must be an object`);
  for (const key of Object.keys(value)) {
    if (!limitFields.has(key)) {
      throw new CallersFileError(`${at} has an unknown field "${key}" (known: ${[...limitFields].join(", ")})`);
    }
  }
  return {
    requestsPerMinute: positiveInteger(value["requestsPerMinute"], `${at}.requestsPerMinute`),
    tokensPerMinute: positiveInteger(value["tokensPerMinute"], `${at}.tokensPerMinute`),
    concurrentStreams: positiveInteger(value["concurrentStreams"], `${at}.concurrentStreams`),
    startsPerSecond: positiveInteger(value["startsPerSecond"], `${at}.startsPerSecond`),
  };
}

function positiveInteger(value: unknown, at: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new CallersFileError(`${at} must be a whole number of at least 1 (leave it out for no limit), got ${JSON.stringify(value)}`);
  }
  return value;
}
