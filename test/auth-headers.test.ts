// The same key header twice is refused with Unauthenticated naming the header (Node would keep
// the first `authorization` silently, and join two `x-api-key` with ", ").

import * as http from "node:http";
import * as http2 from "node:http2";
import { once } from "node:events";
import { afterAll, beforeAll, expect, it } from "vitest";
import { testCaller } from "./support/callers.ts";
import { startHarness } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

const alice = testCaller("alice");
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ callers: [alice.caller] });
});
afterAll(async () => {
  await harness?.close();
});

const body = JSON.stringify({ model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "hi" }] }] });

it("two authorization headers over HTTP/1.1 (Connect): 401 Unauthenticated naming the header", async () => {
  const req = http.request(`${harness.baseUrl}/geminiconnect.v1.GenerativeService/GenerateContent`, {
    method: "POST",
    headers: ["host", new URL(harness.baseUrl).host, "content-type", "application/json", "authorization", `Bearer ${alice.key}`, "authorization", "Bearer other"],
    agent: false,
  });
  req.end(body);
  const [res] = (await once(req, "response")) as [http.IncomingMessage];
  let text = "";
  for await (const chunk of res) text += String(chunk);
  expect(res.statusCode).toBe(401);
  expect(JSON.parse(text)).toEqual({ code: "unauthenticated", message: "the 'authorization' header was sent more than once: send one key" });
});

it("two x-api-key headers over HTTP/2 (gRPC): grpc-status 16 naming the header", async () => {
  const session = http2.connect(harness.baseUrl);
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": "/geminiconnect.v1.GenerativeService/GenerateContent",
      "content-type": "application/grpc+json",
      te: "trailers",
      "x-api-key": [alice.key, alice.key],
    });
    let headers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (headers = { ...headers, ...h }));
    stream.on("trailers", (h) => (headers = { ...headers, ...h }));
    stream.resume();
    const payload = Buffer.from(body);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(payload.length, 1);
    stream.end(Buffer.concat([head, payload]));
    await once(stream, "close");
    expect(headers["grpc-status"]).toBe("16");
    expect(decodeURIComponent(String(headers["grpc-message"]))).toBe("the 'x-api-key' header was sent more than once: send one key");
  } finally {
    session.close();
  }
});
