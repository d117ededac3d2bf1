// Whether and how the response cache serves one request: from the caller's entry in the callers
// file and the request's own headers (docs/caching.md). Without either asking, nothing changes.
//
//   x-gemini-cache-ttl: <seconds>   cache this request: keep its answer this long, and accept no
//                                   older one; capped by the caller's ttlSeconds (or, for a caller
//                                   without one, CACHE_MAX_TTL_SECONDS); 0 is no-store
//   x-gemini-cache: no-store        neither read nor write the cache (nor share an answer under way)
//   x-gemini-cache: no-cache        do not read it (a fresh answer from Gemini), but store the answer

import { Code, ConnectError } from "@connectrpc/connect";
import type { Caller } from "../config/callers-file.ts";

/** How the cache serves one request, or "bypass" when the request refused it. */
export type CacheDirective =
  | {
      readonly namespace: string;
      readonly ttlSeconds: number;
      /** False for no-cache: the answer comes from Gemini, and is stored. */
      readonly read: boolean;
    }
  | "bypass";

/** What the core needs of a cached call: the directive, and whom to tell how it was answered. */
export interface CacheCall {
  readonly directive: CacheDirective;
  /** Told before the first chunk goes out (the surface sets its response headers). */
  readonly answered: (answer: { readonly result: "hit" | "miss" | "coalesced"; readonly ageSeconds: number | undefined }) => void;
}

/** What cacheDirective needs. */
export interface DirectiveOptions {
  readonly headers: Headers;
  /** Undefined when the gateway runs open: every request shares one namespace. */
  readonly caller: Caller | undefined;
  /** The cap for a request whose caller's entry sets no cache. */
  readonly maxTtlSeconds: number;
}

// Not a valid caller name (those start with a letter or digit), so no caller's namespace can be it.
const openNamespace = "-open";
const ttlPattern = /^\d{1,10}$/;

/** The request's directive; undefined when the cache is off for it. Throws InvalidArgument on a bad header. */
export function cacheDirective(options: DirectiveOptions): CacheDirective | undefined {
  const { headers, caller } = options;
  const mode = headers.get("x-gemini-cache");
  if (mode !== null && mode !== "no-store" && mode !== "no-cache") {
    throw new ConnectError(`x-gemini-cache: must be no-store or no-cache, got "${mode.slice(0, 40)}"`, Code.InvalidArgument);
  }
  const asked = headers.get("x-gemini-cache-ttl");
  if (asked !== null && !ttlPattern.test(asked)) {
    throw new ConnectError(`x-gemini-cache-ttl: must be a whole number of seconds, got "${asked.slice(0, 40)}"`, Code.InvalidArgument);
  }
  if (caller?.cache === undefined && asked === null) return undefined;

  const cap = caller?.cache?.ttlSeconds ?? options.maxTtlSeconds;
  const ttlSeconds = Math.min(asked === null ? cap : Number(asked), cap);
  if (mode === "no-store" || ttlSeconds === 0) return "bypass";
  return {
    namespace: caller?.cache?.namespace ?? caller?.name ?? openNamespace,
    ttlSeconds,
    read: mode !== "no-cache",
  };
}
