// What one upstream's recent answers say about it: cooling down for a model (a 429 and its
// RetryInfo, or a per-day quota until its reset), failed (a refused key, retried after a back-off
// that doubles), or a circuit breaker opened by consecutive server errors and connection failures.

import { isPerDayQuota, retryInfoDelayMs } from "../generative/retry.ts";
import { UpstreamError } from "../upstream/upstream.ts";

/** How an attempt on an upstream went, as far as the upstream's health goes. */
export type Verdict =
  /** Gemini said it is out of quota (429) for the model. */
  | { readonly kind: "cooldown"; readonly ms: number }
  /** The key or credentials were refused (401, 403, an invalid key). */
  | { readonly kind: "auth" }
  /** A server error, a connection failure, or no first chunk in time. */
  | { readonly kind: "fault" }
  /** The request itself was at fault (400, 404...): the upstream answered, it is healthy. */
  | { readonly kind: "answered" };

const breakerThreshold = 5;
const breakerOpenMs = 30_000;
const authBackoffMs = { first: 30_000, max: 600_000 };
const defaultCooldownMs = 10_000;
const dayMs = 86_400_000;

/** The health-relevant meaning of an attempt's failure; `timedOut`: its first-chunk timeout fired. */
export function verdictOf(error: unknown, timedOut: boolean, now: number): Verdict {
  if (timedOut) return { kind: "fault" };
  if (!(error instanceof UpstreamError)) return { kind: "answered" };
  if (error.failure === "network") return { kind: "fault" };
  if (error.failure !== "status" || error.rpcStatus === undefined) return { kind: "answered" };
  const { code, status, details } = error.rpcStatus;
  if (code === 429 || status === "RESOURCE_EXHAUSTED") {
    if (isPerDayQuota(details)) return { kind: "cooldown", ms: msUntilPacificMidnight(now) };
    return { kind: "cooldown", ms: retryInfoDelayMs(details) ?? defaultCooldownMs };
  }
  const invalidKey = details.some((detail) => detail["reason"] === "API_KEY_INVALID");
  if (code === 401 || code === 403 || invalidKey || status === "UNAUTHENTICATED" || status === "PERMISSION_DENIED") {
    return { kind: "auth" };
  }
  if (code >= 500 || status === "UNAVAILABLE" || status === "INTERNAL") return { kind: "fault" };
  return { kind: "answered" };
}

/** Gemini's per-day quotas reset at midnight Pacific time. */
export function msUntilPacificMidnight(now: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: "America/Los_Angeles",
    hourCycle: "h23",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(now));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const sinceMidnight = (part("hour") * 3600 + part("minute") * 60 + part("second")) * 1000 + (now % 1000);
  // Bounded: a day with a daylight-saving change is an hour off, never more than a day.
  return Math.min(Math.max(dayMs - sinceMidnight, 1000), dayMs);
}

/** One upstream's state. All times are `now()` values. */
export class UpstreamHealth {
  readonly name: string;
  readonly weight: number;
  readonly maxInFlight: number;
  inFlight = 0;
  /** Smooth weighted round robin's running weight. */
  currentWeight = 0;
  readonly #cooledUntil = new Map<string, number>();
  #failures = 0;
  #openUntil = 0;
  #trialInFlight = false;
  #authFailedUntil = 0;
  #authBackoffMs = 0;

  constructor(name: string, weight: number, maxInFlight: number | undefined) {
    this.name = name;
    this.weight = weight;
    this.maxInFlight = maxInFlight ?? Infinity;
  }

  /** Whether it can take a request for `model` now. */
  available(model: string, now: number): boolean {
    if (this.inFlight >= this.maxInFlight || now < this.#authFailedUntil) return false;
    if ((this.#cooledUntil.get(model) ?? 0) > now) return false;
    if (this.#failures < breakerThreshold) return true;
    // Open, then half-open: one trial request at a time until one succeeds.
    return now >= this.#openUntil && !this.#trialInFlight;
  }

  /** Takes a request: counts it in flight; a half-open breaker lets it through as its one trial. */
  take(): void {
    this.inFlight++;
    if (this.#failures >= breakerThreshold) this.#trialInFlight = true;
  }

  release(): void {
    this.inFlight--;
    this.#trialInFlight = false;
  }

  /** Records an attempt's outcome; returns what changed, for the log, or undefined. */
  record(model: string, verdict: Verdict, now: number): "cooling" | "key-refused" | "breaker-open" | undefined {
    switch (verdict.kind) {
      case "answered":
        this.#failures = 0;
        this.#authBackoffMs = 0;
        return undefined;
      case "cooldown":
        this.#cooledUntil.set(model, now + verdict.ms);
        return "cooling";
      case "auth":
        this.#authBackoffMs = Math.min(Math.max(this.#authBackoffMs * 2, authBackoffMs.first), authBackoffMs.max);
        this.#authFailedUntil = now + this.#authBackoffMs;
        return "key-refused";
      case "fault":
        this.#failures++;
        if (this.#failures < breakerThreshold) return undefined;
        this.#openUntil = now + breakerOpenMs;
        return "breaker-open";
    }
  }
}
