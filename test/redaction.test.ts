// The upstream key never reaches a caller or a log line, in whatever form Gemini's error text
// quotes it: as it is, URL-encoded, base64, or as any `key=` value.

import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { createRedactor } from "../src/generative/errors.ts";
import { startHarness, upstreamKey } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

const key = "AIzaSyD-3xample+Key/with=odd&chars_0123456789";
const windows = (secret: string) => Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));

describe("createRedactor", () => {
  const redact = createRedactor([key]);
  const forms = {
    raw: key,
    "URL-encoded": encodeURIComponent(key),
    base64: Buffer.from(key).toString("base64"),
    base64url: Buffer.from(key).toString("base64url"),
  };
  for (const [name, form] of Object.entries(forms)) {
    it(`takes out the key ${name}`, () => {
      const text = redact(`failed: ${form} (again: "${form}")`);
      expect(text).toBe(`failed: [redacted] (again: "[redacted]")`);
    });
  }

  it("takes out any key= value whole, also key%3D: no 8 characters of the key survive", () => {
    const other = "some-other-key-ABCDEFGHIJKLMNOPQRSTUV";
    const text = createRedactor([])(`GET https://x/v1?alt=sse&key=${other}&x=1 and ?key%3D${other}`);
    expect(text).toBe("GET https://x/v1?alt=sse&key=[redacted]&x=1 and ?key%3D[redacted]");
    for (const window of windows(other)) expect(text).not.toContain(window);
  });
});

describe("through the gateway", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("an upstream error quoting the key, raw and URL-encoded, reaches neither the caller nor the log", async () => {
    const quoted = `API key ${upstreamKey} is invalid; request was https://x/v1?key%3D${encodeURIComponent(upstreamKey)}`;
    harness.emulator.enqueue({ kind: "httpError", status: 400, error: { code: 400, message: quoted, status: "INVALID_ARGUMENT" } });
    const request = create(GenerateContentRequestSchema, {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ data: { case: "text", value: "hi" } }] }],
    });
    const error = await harness.client("grpc").generateContent(request).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.rawMessage).toBe("API key [redacted] is invalid; request was https://x/v1?key%3D[redacted]");
    const logs = JSON.stringify(harness.logs);
    for (const window of windows(upstreamKey)) expect(logs).not.toContain(window);
  });
});
