// A caller that goes away mid-stream (its connection dropped) is Canceled: logged at info level,
// counted as Canceled, and no library stack trace reaches stderr.

import * as http from "node:http";
import * as http2 from "node:http2";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { startHarness } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const body = JSON.stringify({ model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "one two three" }] }] });
const envelope = (json: string) => {
  const payload = Buffer.from(json);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
};

// Enough to fill every buffer on the way while the caller is not reading.
const bigChunks = Array.from({ length: 400 }, () => ({
  candidates: [{ content: { role: "model", parts: [{ text: "x".repeat(64 * 1024) }] } }],
}));

async function rpcLine(requestId: string): Promise<Record<string, unknown>> {
  for (;;) {
    const line = harness.logs.find((l) => l["requestId"] === requestId && (l["msg"] === "rpc" || l["msg"] === "rpc failed"));
    if (line !== undefined) return line;
    await sleep(20);
  }
}

it("a caller that stops reading a long stream and then drops its connection, over HTTP/2 and HTTP/1.1: Canceled at info level, counted as Canceled, nothing on stderr", async () => {
  const consoleError = vi.spyOn(console, "error");
  const before = await canceledCount();

  harness.emulator.enqueue({ kind: "chunks", chunks: bigChunks });
  const session = http2.connect(harness.baseUrl);
  const h2 = session.request({
    ":method": "POST",
    ":path": "/geminiconnect.v1.GenerativeService/StreamGenerateContent",
    "content-type": "application/grpc+json",
    te: "trailers",
    "x-request-id": "dropped-h2",
  });
  h2.on("error", () => {});
  h2.end(envelope(body));
  await once(h2, "data");
  h2.pause();
  await sleep(300);
  session.socket.destroy();

  harness.emulator.enqueue({ kind: "chunks", chunks: bigChunks });
  const h1 = http.request(`${harness.baseUrl}/geminiconnect.v1.GenerativeService/StreamGenerateContent`, {
    method: "POST",
    headers: { "content-type": "application/connect+json", "x-request-id": "dropped-h1" },
    agent: false,
  });
  h1.on("error", () => {});
  h1.end(envelope(body));
  const [res] = (await once(h1, "response")) as [http.IncomingMessage];
  await once(res, "data");
  res.pause();
  await sleep(300);
  h1.destroy();

  for (const id of ["dropped-h2", "dropped-h1"]) {
    const line = await rpcLine(id);
    expect(line).toMatchObject({ level: 30, code: "Canceled" });
  }
  expect((await canceledCount()) - before).toBe(2);
  expect(consoleError).not.toHaveBeenCalled();
  consoleError.mockRestore();
});

async function canceledCount(): Promise<number> {
  const text = await harness.gateway.metrics.registry.metrics();
  const lines = [...text.matchAll(/^grpc_server_handled_total\{.*grpc_method="StreamGenerateContent".*grpc_code="Canceled"\} (\d+)$/gm)];
  return lines.reduce((sum, match) => sum + Number(match[1]), 0);
}
