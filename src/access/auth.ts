// Who is calling: the caller's key, from any of the three headers Gemini-compatible clients send,
// checked against the callers file before the handler (and so Gemini) sees the request. The
// caller's name is what the rest of the gateway knows it by; the key itself goes no further.

import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { createHash, timingSafeEqual } from "node:crypto";
import type { Caller } from "../config/callers-file.ts";
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

/** What createAuthInterceptor needs. */
export interface AuthInterceptorOptions {
  readonly callers: readonly Caller[];
  /** The services only known callers may call; others (health, reflection) stay open. */
  readonly services: readonly DescService[];
}

/** Lets in only known callers of the guarded services, and sets `callerKey` for the layers after it. */
export function createAuthInterceptor(options: AuthInterceptorOptions): Interceptor {
  const { callers } = options;
  const guarded = new Set(options.services.map((service) => service.typeName));
  return (next) => async (req) => {
    if (!guarded.has(req.service.typeName)) return next(req);
    const key = presentedKey(req.header);
    if (key === undefined) {
      throw new ConnectError(
        "no caller key: send it as 'authorization: Bearer <key>', 'x-api-key' or 'x-goog-api-key'",
        Code.Unauthenticated,
      );
    }
    const caller = identify(callers, key);
    // The message must not quote the key: error messages reach logs and clients' logs.
    if (caller === undefined) throw new ConnectError("unknown caller key", Code.Unauthenticated);
    req.contextValues.set(callerKey, caller);
    return next(req);
  };
}
