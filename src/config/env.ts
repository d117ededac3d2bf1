// Readers of single environment variables: each returns undefined when the variable is unset or
// blank, and throws a ConfigError naming the variable when its value is not what it must be.

/** The environment, or a stand-in for it in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A setting that stops the start: the message names the variable and never quotes a secret. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The trimmed value; undefined when unset or blank. */
export function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** A whole number from `min` to `max`. */
export function integer(env: Env, name: string, min: number, max: number): number | undefined {
  return numeric(env, name, min, max, "an integer");
}

/** A finite number from `min` to `max`. */
export function decimal(env: Env, name: string, min: number, max: number): number | undefined {
  return numeric(env, name, min, max, "a number");
}

function numeric(env: Env, name: string, min: number, max: number, kind: "an integer" | "a number"): number | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const wellFormed = kind === "an integer" ? Number.isInteger(value) : Number.isFinite(value);
  if (!wellFormed || value < min || value > max) {
    throw new ConfigError(`${name} must be ${kind} from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** One of `allowed`, exactly. */
export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const match = allowed.find((value) => value === raw);
  if (match === undefined) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return match;
}

/** An absolute http(s) URL. */
export function httpUrl(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  if (!hasProtocol(raw, ["http:", "https:"])) throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  return raw;
}

/** A redis:// or rediss:// URL; the value is not quoted in the error, as it may carry a password. */
export function redisUrl(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  if (!hasProtocol(raw, ["redis:", "rediss:"])) throw new ConfigError(`${name} must be a redis:// or rediss:// URL`);
  return raw;
}

function hasProtocol(raw: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(raw).protocol);
  } catch {
    return false;
  }
}
