// How the cache is asked for: the callers file's cache entry, the CACHE_* settings, and a
// request's headers, as plain functions.

import { describe, expect, it } from "vitest";
import { cacheDirective } from "../src/cache/directive.ts";
import { CallersFileError, parseCallers } from "../src/config/callers-file.ts";
import { ConfigError } from "../src/config/env.ts";
import { loadConfig } from "../src/config/settings.ts";
import { sha256, testCaller } from "./support/callers.ts";

describe("the callers file's cache entry", () => {
  const file = (cache: unknown) => JSON.stringify({ callers: [{ name: "search", keySha256: sha256("k"), cache }] });
  const problem = (text: string): string => {
    try {
      parseCallers(text);
    } catch (error) {
      expect(error).toBeInstanceOf(CallersFileError);
      return (error as Error).message;
    }
    throw new Error("expected the file to be refused");
  };

  it("reads ttlSeconds and namespace; the namespace is the caller's name unless given; no entry, no cache", () => {
    expect(parseCallers(file({ ttlSeconds: 600 }))[0]?.cache).toEqual({ ttlSeconds: 600, namespace: "search" });
    expect(parseCallers(file({ ttlSeconds: 60, namespace: "team-a" }))[0]?.cache).toEqual({ ttlSeconds: 60, namespace: "team-a" });
    expect(parseCallers(file(undefined))[0]?.cache).toBeUndefined();
  });

  it.each([
    [[600], /cache must be an object/],
    [{}, /cache\.ttlSeconds must be a whole number from 1 to 2592000, got undefined/],
    [{ ttlSeconds: 0 }, /cache\.ttlSeconds must be/],
    [{ ttlSeconds: 600_000_000 }, /cache\.ttlSeconds must be/],
    [{ ttlSeconds: 60, namespace: "has:colon" }, /cache\.namespace must be 1 to 64 letters/],
    [{ ttlSeconds: 60, ttl: 1 }, /cache has an unknown field "ttl"/],
  ])("refuses cache %j, naming the field", (cache, message) => {
    expect(problem(file(cache))).toMatch(message);
  });
});

describe("CACHE_* settings", () => {
  const base = { GEMINI_API_KEY: "k" };
  it("defaults to 256 MiB in memory, 1 MiB an answer, requests asking for at most a day", () => {
    expect(loadConfig(base).cache).toEqual({ maxBytes: 268_435_456, maxEntryBytes: 1_048_576, maxTtlSeconds: 86_400 });
    expect(loadConfig({ ...base, CACHE_MAX_BYTES: "10485760", CACHE_MAX_ENTRY_BYTES: "65536", CACHE_MAX_TTL_SECONDS: "60" }).cache).toEqual({
      maxBytes: 10_485_760,
      maxEntryBytes: 65_536,
      maxTtlSeconds: 60,
    });
  });

  it.each([
    [{ CACHE_MAX_BYTES: "lots" }, /CACHE_MAX_BYTES must be an integer/],
    [{ CACHE_MAX_ENTRY_BYTES: "0" }, /CACHE_MAX_ENTRY_BYTES must be an integer from 1024/],
    [{ CACHE_MAX_BYTES: "100000", CACHE_MAX_ENTRY_BYTES: "200000" }, /CACHE_MAX_ENTRY_BYTES \(200000\) must not be more than CACHE_MAX_BYTES \(100000\)/],
    [{ CACHE_MAX_TTL_SECONDS: "0" }, /CACHE_MAX_TTL_SECONDS must be an integer from 1/],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});

describe("a request's cache directive", () => {
  const withCache = testCaller("with-cache", {}, { ttlSeconds: 600 }).caller;
  const shared = testCaller("shared-member", {}, { ttlSeconds: 600, namespace: "shared" }).caller;
  const without = testCaller("without").caller;
  const directive = (caller: typeof without | undefined, headers: Record<string, string> = {}) =>
    cacheDirective({ headers: new Headers(headers), caller, maxTtlSeconds: 3600 });

  it("is off unless the caller's entry or the request asks", () => {
    expect(directive(without)).toBeUndefined();
    expect(directive(undefined)).toBeUndefined();
    expect(directive(without, { "x-gemini-cache": "no-cache" })).toBeUndefined();
  });

  it("takes the caller's TTL and namespace, a request's lower TTL, and caps a higher one", () => {
    expect(directive(withCache)).toEqual({ namespace: "with-cache", ttlSeconds: 600, read: true });
    expect(directive(shared)).toEqual({ namespace: "shared", ttlSeconds: 600, read: true });
    expect(directive(withCache, { "x-gemini-cache-ttl": "30" })).toEqual({ namespace: "with-cache", ttlSeconds: 30, read: true });
    expect(directive(withCache, { "x-gemini-cache-ttl": "99999" })).toEqual({ namespace: "with-cache", ttlSeconds: 600, read: true });
  });

  it("lets a request ask on its own, capped by CACHE_MAX_TTL_SECONDS, in its caller's namespace or the open one", () => {
    expect(directive(without, { "x-gemini-cache-ttl": "99999" })).toEqual({ namespace: "without", ttlSeconds: 3600, read: true });
    expect(directive(undefined, { "x-gemini-cache-ttl": "60" })).toEqual({ namespace: "-open", ttlSeconds: 60, read: true });
  });

  it("bypasses for no-store or a TTL of 0, and does not read for no-cache", () => {
    expect(directive(withCache, { "x-gemini-cache": "no-store" })).toBe("bypass");
    expect(directive(withCache, { "x-gemini-cache-ttl": "0" })).toBe("bypass");
    expect(directive(withCache, { "x-gemini-cache": "no-cache" })).toEqual({ namespace: "with-cache", ttlSeconds: 600, read: false });
  });

  it("refuses a bad header with InvalidArgument naming it", () => {
    expect(() => directive(withCache, { "x-gemini-cache": "maybe" })).toThrow(/x-gemini-cache: must be no-store or no-cache, got "maybe"/);
    expect(() => directive(withCache, { "x-gemini-cache-ttl": "1.5" })).toThrow(/x-gemini-cache-ttl: must be a whole number of seconds/);
  });
});
