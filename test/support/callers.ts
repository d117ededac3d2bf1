// Callers for tests: a name, a key made up on the spot, and the entry the callers file would hold.

import { createHash, randomBytes } from "node:crypto";
import type { CallOptions } from "@connectrpc/connect";
import { noLimits } from "../../src/config/callers-file.ts";
import type { Caller, CallerCache, Limits } from "../../src/config/callers-file.ts";

export interface TestCaller {
  readonly name: string;
  readonly key: string;
  /** As the gateway holds it. */
  readonly caller: Caller;
  /** As the callers file lists it. */
  readonly entry: { name: string; keySha256: string; limits: Partial<Limits>; cache?: Partial<CallerCache> };
  /** Call options that present the key, by default as `authorization: Bearer`. */
  options(header?: "authorization" | "x-api-key" | "x-goog-api-key", extra?: CallOptions): CallOptions;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** A caller with `limits`, and with `cache` its response cache is on (namespace: its name unless given). */
export function testCaller(name: string, limits: Partial<Limits> = {}, cache?: { ttlSeconds: number; namespace?: string }): TestCaller {
  const key = `ck-${name}-${randomBytes(12).toString("hex")}`;
  const keySha256 = sha256(key);
  return {
    name,
    key,
    caller: {
      name,
      keyDigests: [Buffer.from(keySha256, "hex")],
      limits: { ...noLimits, ...limits },
      models: undefined,
      cache: cache === undefined ? undefined : { namespace: name, ...cache },
    },
    entry: { name, keySha256, limits, ...(cache === undefined ? {} : { cache }) },
    options(header = "authorization", extra = {}) {
      const value = header === "authorization" ? `Bearer ${key}` : key;
      const headers = new Headers(extra.headers);
      headers.set(header, value);
      return { ...extra, headers };
    },
  };
}
