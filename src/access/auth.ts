// Who is calling: the caller's key, from any of the three headers Gemini-compatible clients send,
// checked against the callers file before the request body is read, and so before Gemini sees it. The
// caller's name is what the rest of the gateway knows it by; the key itself goes no further.

import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import { createHash, timingSafeEqual } from "node:crypto";
import type { Caller } from "../config/callers-file.ts";
import type { RequestGate } from "../observe/observe.ts";
import { callerKey } from "../observe/rpc-record.ts";

/**
 * Finds the caller whose key digest matches. Every listed digest is compared, in constant time,
 * whatever matched before, so the time taken tells nothing about which digest came close.
 */
export function identify(callers: readonly Caller[], key: string): Caller | undefined {
  const digest = createHash("sha256").update(key, "utf8").digest();
  let found: Caller | undefined;
  for (const caller of callers) {
    for (const known of caller.keyDigests) {
      if (timingSafeEqual(known, digest) && found === undefined) found = caller;
    }
  }
  return found;
}

/** The headers a caller's key may come in. */
export const keyHeaders = ["authorization", "x-api-key", "x-goog-api-key"] as const;

/** A key header the caller sent more than once, as the Node request's raw headers show (Node keeps one, or joins them). */
export const repeatedKeyHeaderKey = createContextKey<string | undefined>(undefined, { description: "a key header sent twice" });

/** The first key header that appears more than once in `rawHeaders` (name, value, name, value, ...). */
export function repeatedKeyHeader(rawHeaders: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? "").toLowerCase();
    if (!(keyHeaders as readonly string[]).includes(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/**
 * The key the caller presented: `authorization: Bearer`, else `x-api-key`, else `x-goog-api-key`.
 * An `authorization` of another scheme is skipped, as it may be meant for a proxy on the way.
 */
export function presentedKey(header: Headers): string | undefined {
  const bearer = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header.get("authorization") ?? "")?.[1];
  if (bearer !== undefined) return bearer;
  for (const name of ["x-api-key", "x-goog-api-key"]) {
    const value = header.get(name)?.trim();
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

/** What createAuthGate needs. */
export interface AuthGateOptions {
  readonly callers: readonly Caller[];
  /** The services only known callers may call; others (health, reflection) stay open. */
  readonly services: readonly DescService[];
}

/**
 * Lets in only known callers of the guarded services, and sets `callerKey` for the layers after it.
 * A gate, not an interceptor: it runs on the headers alone, so a refused call's body is never read.
 */
export function createAuthGate(options: AuthGateOptions): RequestGate {
  const { callers } = options;
  const guarded = new Set(options.services.map((service) => service.typeName));
  return (ctx) => {
    if (!guarded.has(ctx.service.typeName)) return;
    const repeated = ctx.values.get(repeatedKeyHeaderKey);
    if (repeated !== undefined) throw new ConnectError(`the '${repeated}' header was sent more than once: send one key`, Code.Unauthenticated);
    const key = presentedKey(ctx.requestHeader);
    if (key === undefined) {
      throw new ConnectError(
        "no caller key: send it as 'authorization: Bearer <key>', 'x-api-key' or 'x-goog-api-key'",
        Code.Unauthenticated,
      );
    }
    const caller = identify(callers, key);
    // The message must not quote the key: error messages reach logs and clients' logs.
    if (caller === undefined) throw new ConnectError("unknown caller key", Code.Unauthenticated);
    ctx.values.set(callerKey, caller);
  };
}
