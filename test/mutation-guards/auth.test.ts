// Who is calling (access/auth.ts), in memory: which header's key counts, which caller it is, and
// that a guarded service refuses without one while the others stay open.

import { Code, ConnectError, createClient, createContextValues, createHandlerContext, createRouterTransport } from "@connectrpc/connect";
import type { CallOptions } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { createAuthGate, identify, presentedKey, repeatedKeyHeader, repeatedKeyHeaderKey } from "../../src/access/auth.ts";
import { noLimits } from "../../src/config/callers-file.ts";
import type { Caller } from "../../src/config/callers-file.ts";
import { callerKey } from "../../src/observe/rpc-record.ts";
import { sha256, testCaller } from "../support/callers.ts";
import { leakedSecretPieces } from "../support/secrets.ts";

const key = (headers: Record<string, string>) => presentedKey(new Headers(headers));

describe("presentedKey", () => {
  it("reads `authorization: Bearer` in any case, with spaces or tabs around the key", () => {
    expect(key({ authorization: "Bearer k-1" })).toBe("k-1");
    expect(key({ authorization: "BEARER k-2" })).toBe("k-2");
    expect(key({ authorization: "bearer \t k-3 \t" })).toBe("k-3");
    expect(key({ authorization: "Bearer\tk-4" })).toBe("k-4");
  });

  it("skips an authorization that is not one Bearer key, and falls back to x-api-key, then x-goog-api-key", () => {
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearerk-1", "Bearer a b", "xBearer k-1"]) {
      expect([authorization, key({ authorization, "x-goog-api-key": "goog" })]).toEqual([authorization, "goog"]);
    }
    expect(key({ authorization: "Basic x", "x-api-key": " api ", "x-goog-api-key": "goog" })).toBe("api");
    expect(key({ "x-api-key": " \t", "x-goog-api-key": "  goog  " })).toBe("goog");
    expect(key({ "x-goog-api-key": " " })).toBeUndefined();
    expect(key({})).toBeUndefined();
  });
});

describe("identify", () => {
  const caller = (name: string, ...keys: string[]): Caller => ({ name, keyDigests: keys.map((k) => Buffer.from(sha256(k), "hex")), limits: noLimits, models: undefined });

  it("finds the caller by any of its keys, the first listed when two share one, and nobody for an unknown key", () => {
    const callers = [caller("alice", "a-old", "a-new"), caller("bob", "b"), caller("bob-again", "b")];
    expect(identify(callers, "a-old")?.name).toBe("alice");
    expect(identify(callers, "a-new")?.name).toBe("alice");
    expect(identify(callers, "b")?.name).toBe("bob");
    expect(identify(callers, "c")).toBeUndefined();
    expect(identify([], "a-old")).toBeUndefined();
  });
});

describe("the gate", () => {
  const alice = testCaller("alice");

  /** A client whose countTokens answers with the number of letters of the caller's name the handler saw. */
  function client(guarded: boolean) {
    const transport = createRouterTransport(
      (router) =>
        router.service(GenerativeService, {
          countTokens: (_request, context) => ({ totalTokens: context.values.get(callerKey)?.name.length ?? 0 }),
        }),
      { router: { requestGate: createAuthGate({ callers: [alice.caller], services: guarded ? [GenerativeService] : [] }) } },
    );
    return createClient(GenerativeService, transport);
  }
  const count = (guarded: boolean, options: CallOptions = {}) =>
    client(guarded)
      .countTokens({ model: "models/m" }, options)
      .then((response) => response.totalTokens)
      .catch((error: unknown) => ConnectError.from(error));

  it("lets a known caller in, and the handler knows who called", async () => {
    expect(await count(true, alice.options())).toBe(5);
    expect(await count(true, alice.options("x-goog-api-key"))).toBe(5);
  });

  it("refuses a missing key, saying how to send one", async () => {
    expect(await count(true)).toMatchObject({
      code: Code.Unauthenticated,
      rawMessage: "no caller key: send it as 'authorization: Bearer <key>', 'x-api-key' or 'x-goog-api-key'",
    });
  });

  it("refuses an unknown key without quoting any piece of it", async () => {
    const stranger = testCaller("stranger");
    const refused = await count(true, stranger.options());
    expect(refused).toMatchObject({ code: Code.Unauthenticated, rawMessage: "unknown caller key" });
    expect(leakedSecretPieces(String(refused), [stranger.key])).toEqual([]);
  });

  it("leaves services it does not guard open, with no caller known", async () => {
    expect(await count(false)).toBe(0);
    expect(await count(false, testCaller("stranger").options())).toBe(0);
  });
});

describe("repeatedKeyHeader", () => {
  it("names the first key header sent twice, in any letter case, and only a key header", () => {
    expect(repeatedKeyHeader(["Authorization", "Bearer a", "X-Api-Key", "b", "x-api-key", "c", "authorization", "d"])).toBe("x-api-key");
    expect(repeatedKeyHeader(["X-Goog-Api-Key", "a", "x-goog-api-key", "b"])).toBe("x-goog-api-key");
    expect(repeatedKeyHeader(["authorization", "a", "x-api-key", "b", "x-goog-api-key", "c"])).toBeUndefined();
    expect(repeatedKeyHeader(["cookie", "a", "cookie", "b", "x-api-key", "c"])).toBeUndefined();
    expect(repeatedKeyHeader(["x-custom", "x-api-key", "x-other", "x-api-key"])).toBeUndefined();
    expect(repeatedKeyHeader([])).toBeUndefined();
  });
});

describe("the gate, on a key header sent twice", () => {
  const alice = testCaller("alice");
  const gate = createAuthGate({ callers: [alice.caller], services: [GenerativeService] });
  const method = GenerativeService.method.countTokens;

  it("refuses it, naming the header, even when the key is known", async () => {
    const contextValues = createContextValues().set(repeatedKeyHeaderKey, "x-api-key");
    const ctx = createHandlerContext({
      service: GenerativeService, method, protocolName: "connect", requestMethod: "POST", url: "http://127.0.0.1/x",
      requestHeader: { "x-api-key": alice.key }, contextValues,
    });
    const refused = await Promise.resolve().then(() => gate(ctx)).catch((error: unknown) => ConnectError.from(error));
    expect(refused).toMatchObject({ code: Code.Unauthenticated, rawMessage: "the 'x-api-key' header was sent more than once: send one key" });
  });
});
