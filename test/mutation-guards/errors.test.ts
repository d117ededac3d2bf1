// Error mapping in memory (generative/errors.ts): which code each upstream failure becomes, that
// Gemini's typed details reach the caller, and that no piece of an API key survives redaction.

import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema, HelpSchema, LocalizedMessageSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.ts";
import { createRedactor, toConnectError, upstreamCode } from "../../src/generative/errors.ts";
import { UpstreamError } from "../../src/upstream/upstream.ts";
import type { GoogleRpcStatus, JsonObject } from "../../src/upstream/upstream.ts";
import { leakedSecretPieces } from "../support/secrets.ts";

// The shape of a Gemini API key: 39 characters of [A-Za-z0-9_-].
const apiKey = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY";
const live = () => new AbortController().signal;
const redact = createRedactor([apiKey]);
// No known key: only the `key=` rule is left to redact.
const redactKeys = createRedactor([]);
const status = (code: number, name: string | undefined, details: JsonObject[] = [], message = name ?? "failed"): UpstreamError =>
  new UpstreamError("status", message, { code, message, status: name, details });

describe("createRedactor", () => {
  it("leaves no 8 characters of a key, and the text after it intact, whatever ends the key", () => {
    for (const end of ["&alt=sse", "#frag", " and more", '" quoted', "' quoted", "<tag>", "> x", "\\n escaped", "\nnext"]) {
      const text = redactKeys(`GET https://generativelanguage.googleapis.com/v1beta/models/m?key=${apiKey}${end}`);
      expect(leakedSecretPieces(text, [apiKey])).toEqual([]);
      expect(text.startsWith("GET https://generativelanguage.googleapis.com/v1beta/models/m?key=")).toBe(true);
      expect(text.endsWith(end)).toBe(true);
    }
  });

  it("redacts every key in the text, in any letter case, and leaves text without one alone", () => {
    const text = redactKeys(`first KEY=${apiKey} then Key=${apiKey.toLowerCase()}&x=1`);
    expect(leakedSecretPieces(text, [apiKey, apiKey.toLowerCase()])).toEqual([]);
    expect(text).toMatch(/^first KEY=\S+ then Key=\S+&x=1$/);
    expect(redactKeys("monkey business, no key here")).toBe("monkey business, no key here");
  });

  it("takes out a known key whole in each form, the longest form first, and ignores an empty secret", () => {
    // 40 bytes: base64 pads it, and the 39-byte key's own base64 is the first 52 characters of it.
    const padded = Buffer.from(`${apiKey}!`).toString("base64");
    expect(padded.endsWith("=")).toBe(true);
    const forms = [apiKey, encodeURIComponent(`${apiKey}/`), padded, padded.replace(/=+$/, ""), Buffer.from(`${apiKey}?`).toString("base64url")];
    const redactAll = createRedactor([apiKey, `${apiKey}/`, `${apiKey}!`, `${apiKey}?`]);
    expect(redactAll(forms.map((form) => `<${form}>`).join(" "))).toBe(forms.map(() => "<[redacted]>").join(" "));
    expect(createRedactor(["", apiKey])("a text")).toBe("a text");
    // Its base64 has a '+' and two '=': unpadded, only the base64 form without them matches.
    expect(Buffer.from("?>>!").toString("base64")).toBe("Pz4+IQ==");
    expect(createRedactor(["?>>!"])("<Pz4+IQ> <Pz4+IQ==> <Pz4-IQ>")).toBe("<[redacted]> <[redacted]> <[redacted]>");
  });
});

describe("toConnectError", () => {
  it("passes a ConnectError on as it is", () => {
    const own = new ConnectError("ours", Code.FailedPrecondition);
    expect(toConnectError(own, live(), redact)).toBe(own);
  });

  it("when the RPC's signal fired, its reason wins; a reason that is no ConnectError is Canceled", () => {
    const deadline = new AbortController();
    deadline.abort(new ConnectError("the caller's deadline", Code.DeadlineExceeded));
    expect(toConnectError(status(503, "UNAVAILABLE"), deadline.signal, redact)).toMatchObject({ code: Code.DeadlineExceeded, rawMessage: "the caller's deadline" });
    const shutdown = new AbortController();
    shutdown.abort(new Error("shutting down"));
    expect(toConnectError(status(503, "UNAVAILABLE"), shutdown.signal, redact).code).toBe(Code.Canceled);
  });

  it("anything but an UpstreamError is data we could not read: Internal, with the error as its cause", () => {
    const parse = new SyntaxError("Unexpected token < in JSON");
    const error = toConnectError(parse, live(), redact);
    expect(error).toMatchObject({ code: Code.Internal, rawMessage: "unparseable data from Gemini" });
    expect(error.cause).toBe(parse);
  });

  it("gives Gemini's typed details through, skipping unknown types, malformed details and missing type urls", () => {
    const details: JsonObject[] = [
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "7s" },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "not a duration" },
      { "@type": "type.googleapis.com/google.rpc.SomethingNew", field: 1 },
      { "@type": 42, reason: "untyped" },
      { reason: "no type at all" },
      { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "RATE_LIMIT_EXCEEDED", domain: "googleapis.com", newField: true },
    ];
    const error = toConnectError(status(429, "RESOURCE_EXHAUSTED", details, "quota"), live(), redact);
    expect(error).toMatchObject({ code: Code.ResourceExhausted, rawMessage: "quota" });
    expect(error.findDetails(RetryInfoSchema).map((info) => info.retryDelay?.seconds)).toEqual([7n]);
    expect(error.findDetails(ErrorInfoSchema).map((info) => info.reason)).toEqual(["RATE_LIMIT_EXCEEDED"]);
    expect(error.details).toHaveLength(2);
  });

  it("redacts the key from the message, every detail and the logged cause, keeping the details readable", () => {
    const details: JsonObject[] = [
      { "@type": "type.googleapis.com/google.rpc.Help", links: [{ description: "docs", url: `https://x.test/?key=${apiKey}` }] },
      { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en", message: `bad key=${apiKey}\nnext line` },
    ];
    const upstream = new UpstreamError(
      "status",
      `request to ?key=${apiKey} failed`,
      { code: 400, message: `API key not valid: key=${apiKey}`, status: "INVALID_ARGUMENT", details },
      new Error("the SDK's own error"),
    );
    const error = toConnectError(upstream, live(), redact);
    const cause = error.cause as UpstreamError;
    const everything = [error.message, JSON.stringify(cause.rpcStatus), cause.message, ...error.findDetails(HelpSchema).map((h) => h.links[0]?.url)];
    expect(leakedSecretPieces(everything.join("\n"), [apiKey])).toEqual([]);
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(HelpSchema)[0]?.links[0]?.url.startsWith("https://x.test/?key=")).toBe(true);
    expect(error.findDetails(LocalizedMessageSchema)[0]?.message.endsWith("\nnext line")).toBe(true);
    expect(cause.rpcStatus?.message.startsWith("API key not valid: key=")).toBe(true);
    expect(cause).toMatchObject({ failure: "status", cause: upstream.cause });
  });

  it("a status failure without Gemini's error body is Unknown, with no details", () => {
    expect(toConnectError(new UpstreamError("status", "HTTP 418 with an empty body"), live(), redact)).toMatchObject({
      code: Code.Unknown,
      rawMessage: "HTTP 418 with an empty body",
      details: [],
    });
  });

  it("a network failure's message is the whole story: no details, even when a status came with it", () => {
    const rpcStatus: GoogleRpcStatus = { code: 503, message: "x", status: "UNAVAILABLE", details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "1s" }] };
    const error = toConnectError(new UpstreamError("network", "connection to Gemini failed (ECONNRESET)", rpcStatus), live(), redact);
    expect(error).toMatchObject({ code: Code.Unavailable, rawMessage: "connection to Gemini failed (ECONNRESET)", details: [] });
  });
});

describe("upstreamCode", () => {
  it("takes Gemini's status name first, then its HTTP status, else Unknown", () => {
    expect(upstreamCode(status(400, "RESOURCE_EXHAUSTED"))).toBe(Code.ResourceExhausted);
    expect(upstreamCode(status(429, undefined))).toBe(Code.ResourceExhausted);
    expect(upstreamCode(status(503, "SOMETHING_NEW"))).toBe(Code.Unavailable);
    expect(upstreamCode(status(418, undefined))).toBe(Code.Unknown);
    expect(upstreamCode(new UpstreamError("status", "no body"))).toBe(Code.Unknown);
  });

  it("maps every google.rpc status name Gemini may send", () => {
    const names: Record<string, Code> = {
      CANCELLED: Code.Canceled, UNKNOWN: Code.Unknown, INVALID_ARGUMENT: Code.InvalidArgument, DEADLINE_EXCEEDED: Code.DeadlineExceeded,
      NOT_FOUND: Code.NotFound, ALREADY_EXISTS: Code.AlreadyExists, PERMISSION_DENIED: Code.PermissionDenied,
      RESOURCE_EXHAUSTED: Code.ResourceExhausted, FAILED_PRECONDITION: Code.FailedPrecondition, ABORTED: Code.Aborted,
      OUT_OF_RANGE: Code.OutOfRange, UNIMPLEMENTED: Code.Unimplemented, INTERNAL: Code.Internal, UNAVAILABLE: Code.Unavailable,
      DATA_LOSS: Code.DataLoss, UNAUTHENTICATED: Code.Unauthenticated,
    };
    for (const [name, code] of Object.entries(names)) expect([name, upstreamCode(status(200, name))]).toEqual([name, code]);
  });

  it("maps the HTTP statuses as google.rpc does", () => {
    const statuses: Record<number, Code> = {
      400: Code.InvalidArgument, 401: Code.Unauthenticated, 403: Code.PermissionDenied, 404: Code.NotFound, 409: Code.Aborted,
      429: Code.ResourceExhausted, 499: Code.Canceled, 500: Code.Internal, 501: Code.Unimplemented, 503: Code.Unavailable, 504: Code.DeadlineExceeded,
    };
    for (const [http, code] of Object.entries(statuses)) expect([http, upstreamCode(status(Number(http), undefined))]).toEqual([http, code]);
  });

  it("by kind otherwise: a cut connection Unavailable, bad data Internal, an SDK-side rejection InvalidArgument, an abort Canceled", () => {
    expect(upstreamCode(new UpstreamError("network", "x"))).toBe(Code.Unavailable);
    expect(upstreamCode(new UpstreamError("malformed", "x"))).toBe(Code.Internal);
    expect(upstreamCode(new UpstreamError("rejected", "x"))).toBe(Code.InvalidArgument);
    expect(upstreamCode(new UpstreamError("aborted", "x"))).toBe(Code.Canceled);
  });
});
