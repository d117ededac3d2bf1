// The routing file: named upstreams (Gemini keys, Vertex projects) and model aliases, each an
// ordered list of targets. Read and checked once at start; a mistake stops the start naming the
// entry and field. It never holds a secret: an upstream names the environment variable that holds
// its key, or the path of a service-account file.

import { readFileSync } from "node:fs";
import type { Env } from "./env.ts";
import { isRecord } from "./json.ts";

/** One upstream: a Gemini key, or a Vertex AI project (express key or service account). */
export interface UpstreamSpec {
  /** Its identity in headers, logs and metrics; never its key. */
  readonly name: string;
  readonly backend: "gemini" | "vertex";
  /** Taken from the variable `apiKeyEnv` names. Never logged, never returned. */
  readonly apiKey: string | undefined;
  /** Vertex with a service account: the path of its JSON key file. */
  readonly credentialsFile: string | undefined;
  readonly baseUrl: string | undefined;
  readonly project: string | undefined;
  readonly location: string | undefined;
  /** Its share of the traffic of a target, relative to the others'. */
  readonly weight: number;
  /** Requests it may have in flight at once; undefined: no cap. */
  readonly maxConcurrentStreams: number | undefined;
}

/** One step of an alias: this model, on these upstreams. */
export interface RouteTarget {
  readonly model: string;
  readonly upstreams: readonly string[];
}

/** The routing file, checked: every upstream a target names exists. */
export interface RoutingTable {
  readonly upstreams: readonly UpstreamSpec[];
  /** Alias -> its targets, tried in order. */
  readonly aliases: ReadonlyMap<string, readonly RouteTarget[]>;
  /** Where a model that is not an alias goes: every `gemini` upstream (every upstream when none is). */
  readonly defaultPool: readonly string[];
}

/** A mistake in the routing file: names the entry and field, never quotes a key. */
export class RoutingFileError extends Error {
  override name = "RoutingFileError";
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const modelPattern = /^(models\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const envNamePattern = /^[A-Z_][A-Z0-9_]*$/;
const upstreamFields = new Set([
  "name",
  "backend",
  "apiKeyEnv",
  "credentialsFile",
  "baseUrl",
  "project",
  "location",
  "weight",
  "maxConcurrentStreams",
]);

/** Reads and checks the routing file at `path`, taking keys from `env`; throws a RoutingFileError. */
export function loadRoutingFile(path: string, env: Env): RoutingTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new RoutingFileError(`cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseRouting(text, env);
}

/** Checks the routing file's text; keys come from `env`. */
export function parseRouting(text: string, env: Env): RoutingTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RoutingFileError(`not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(json) || !Array.isArray(json["upstreams"])) {
    throw new RoutingFileError('expected an object {"upstreams": [...], "models": {...}}');
  }
  const extra = Object.keys(json).filter((key) => key !== "upstreams" && key !== "models");
  if (extra.length > 0) throw new RoutingFileError(`unknown field "${extra[0]}" (expected "upstreams" and "models")`);
  const entries: unknown[] = json["upstreams"];
  if (entries.length === 0) throw new RoutingFileError("upstreams is empty (unset ROUTING_FILE to use GEMINI_API_KEY alone)");
  const upstreams = entries.map((entry, index) => parseUpstream(entry, `upstreams[${index}]`, env));
  const names = new Set<string>();
  for (const upstream of upstreams) {
    if (names.has(upstream.name)) throw new RoutingFileError(`upstream name "${upstream.name}" is listed twice`);
    names.add(upstream.name);
  }
  const gemini = upstreams.filter((upstream) => upstream.backend === "gemini").map((upstream) => upstream.name);
  return {
    upstreams,
    aliases: parseAliases(json["models"] ?? {}, names),
    defaultPool: gemini.length > 0 ? gemini : [...names],
  };
}

/** Every key the routing file's upstreams hold, for the redactor. */
export function routingKeys(table: RoutingTable): string[] {
  return table.upstreams.flatMap((upstream) => (upstream.apiKey === undefined ? [] : [upstream.apiKey]));
}

function parseUpstream(entry: unknown, at: string, env: Env): UpstreamSpec {
  if (!isRecord(entry)) throw new RoutingFileError(`${at} must be an object`);
  for (const key of Object.keys(entry)) {
    if (key === "apiKey" || key === "key") {
      throw new RoutingFileError(`${at} has "${key}": name the environment variable that holds the key as apiKeyEnv, never the key itself`);
    }
    if (!upstreamFields.has(key)) throw new RoutingFileError(`${at} has an unknown field "${key}"`);
  }
  const name = entry["name"];
  if (typeof name !== "string" || !namePattern.test(name)) {
    throw new RoutingFileError(`${at}.name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  const where = `${at} ("${name}")`;
  const backend = entry["backend"];
  if (backend !== "gemini" && backend !== "vertex") throw new RoutingFileError(`${where}.backend must be "gemini" or "vertex"`);
  const apiKey = keyFrom(entry["apiKeyEnv"], `${where}.apiKeyEnv`, env);
  const project = optionalText(entry["project"], `${where}.project`);
  const location = optionalText(entry["location"], `${where}.location`);
  const credentialsFile = optionalText(entry["credentialsFile"], `${where}.credentialsFile`);
  if (backend === "gemini") {
    if (apiKey === undefined) throw new RoutingFileError(`${where} (gemini) needs apiKeyEnv`);
    const vertexOnly = ["project", "location", "credentialsFile"].find((key) => entry[key] !== undefined);
    if (vertexOnly !== undefined) throw new RoutingFileError(`${where}.${vertexOnly} is for vertex upstreams only`);
  } else if (apiKey !== undefined) {
    if (project !== undefined || credentialsFile !== undefined) {
      throw new RoutingFileError(`${where} (vertex): give apiKeyEnv (express mode) or project, location and credentialsFile, not both`);
    }
  } else {
    if (project === undefined || location === undefined) {
      throw new RoutingFileError(`${where} (vertex) needs apiKeyEnv (express mode), or project and location`);
    }
    if (credentialsFile !== undefined) checkCredentialsFile(credentialsFile, `${where}.credentialsFile`);
  }
  return {
    name,
    backend,
    apiKey,
    credentialsFile,
    baseUrl: optionalUrl(entry["baseUrl"], `${where}.baseUrl`),
    project,
    location,
    weight: positiveInteger(entry["weight"], `${where}.weight`) ?? 1,
    maxConcurrentStreams: positiveInteger(entry["maxConcurrentStreams"], `${where}.maxConcurrentStreams`),
  };
}

function parseAliases(value: unknown, upstreams: ReadonlySet<string>): Map<string, RouteTarget[]> {
  if (!isRecord(value)) throw new RoutingFileError("models must be an object of alias -> targets");
  const aliases = new Map<string, RouteTarget[]>();
  for (const [alias, targets] of Object.entries(value)) {
    const at = `models["${alias}"]`;
    if (!modelPattern.test(alias)) throw new RoutingFileError(`${at}: an alias is letters, digits, '.', '_' or '-'`);
    if (!Array.isArray(targets) || targets.length === 0) throw new RoutingFileError(`${at} must be a non-empty list of targets`);
    aliases.set(
      alias.replace(/^models\//, ""),
      targets.map((target: unknown, index) => parseTarget(target, `${at}[${index}]`, upstreams)),
    );
  }
  return aliases;
}

function parseTarget(target: unknown, at: string, upstreams: ReadonlySet<string>): RouteTarget {
  if (!isRecord(target)) throw new RoutingFileError(`${at} must be an object {"model": ..., "upstreams": [...]}`);
  const unknown = Object.keys(target).find((key) => key !== "model" && key !== "upstreams");
  if (unknown !== undefined) throw new RoutingFileError(`${at} has an unknown field "${unknown}"`);
  const model = target["model"];
  if (typeof model !== "string" || !modelPattern.test(model)) throw new RoutingFileError(`${at}.model must be a model name`);
  const names = target["upstreams"];
  if (!Array.isArray(names) || names.length === 0) throw new RoutingFileError(`${at}.upstreams must be a non-empty list of upstream names`);
  for (const name of names) {
    if (typeof name !== "string" || !upstreams.has(name)) {
      throw new RoutingFileError(`${at}.upstreams names ${JSON.stringify(name)}, which is not an upstream of the file`);
    }
  }
  return { model, upstreams: names as string[] };
}

function keyFrom(value: unknown, at: string, env: Env): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !envNamePattern.test(value)) {
    throw new RoutingFileError(`${at} must name an environment variable (UPPER_CASE), not hold a key`);
  }
  const key = env[value];
  if (key === undefined || key === "") throw new RoutingFileError(`${at}: the environment variable ${value} is not set`);
  return key;
}

function checkCredentialsFile(path: string, at: string): void {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const why = error instanceof SyntaxError ? "not valid JSON" : ((error as NodeJS.ErrnoException).code ?? "error");
    throw new RoutingFileError(`${at}: cannot read the service-account file (${why})`);
  }
  if (!isRecord(json) || typeof json["client_email"] !== "string" || typeof json["private_key"] !== "string") {
    throw new RoutingFileError(`${at}: not a service-account key file (client_email and private_key expected)`);
  }
}

function optionalText(value: unknown, at: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw new RoutingFileError(`${at} must be a non-empty string`);
  return value;
}

function optionalUrl(value: unknown, at: string): string | undefined {
  const text = optionalText(value, at);
  if (text === undefined) return undefined;
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) throw new RoutingFileError(`${at} must be an http(s) URL`);
  return text;
}

function positiveInteger(value: unknown, at: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RoutingFileError(`${at} must be a whole number of at least 1, got ${JSON.stringify(value)}`);
  }
  return value;
}
