// A caller that stops reading must not make the gateway read (and buffer) the upstream without
// bound: HTTP/2 flow control back to the gateway, and the gateway's paused read back to Gemini.
// Seen from the emulator: it can only send as much as the path's buffers hold, then it waits.

import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { startHarness } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

const chunksPerStream = 5_000;
const chunkChars = 32_768; // 160 MiB per stream

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ emulator: { chunks: chunksPerStream, chunkChars } });
});
afterAll(async () => {
  await harness.close();
});

/** Waits until the emulator has sent nothing new for `quietMs`; returns the count then. */
async function plateau(quietMs: number, limitMs: number): Promise<number> {
  const deadline = Date.now() + limitMs;
  let last = -1;
  while (Date.now() < deadline) {
    const now = harness.emulator.chunksSent;
    if (now === last) return now;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
  throw new Error(`the emulator kept sending for ${limitMs} ms: nothing is holding it back`);
}

describe("backpressure", () => {
  it("50 callers that stop reading after one chunk hold the upstream to a bounded lead", async () => {
    const request = create(GenerateContentRequestSchema, {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ data: { case: "text", value: "a long answer please" } }] }],
    });
    const abort = new AbortController();
    // No compression: flow control counts compressed bytes, and this text compresses ~300:1, which
    // would let the client's own read-ahead, not the gateway, hold the lead.
    const clients = [
      createClient(GenerativeService, createGrpcTransport({ baseUrl: harness.baseUrl, acceptCompression: [] })),
      createClient(GenerativeService, createConnectTransport({ baseUrl: harness.baseUrl, httpVersion: "2", acceptCompression: [] })),
    ];
    const readers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const stream = clients[i % 2]!.streamGenerateContent(request, { signal: abort.signal })[Symbol.asyncIterator]();
        await stream.next();
        return stream;
      }),
    );
    const sent = await plateau(1_000, 45_000);
    const perStream = sent / readers.length;
    // The path's buffers (HTTP/2 windows, kernel socket buffers, the SDK's read-ahead) hold a few
    // MiB; a gateway that buffered without bound would have read all 160 MiB of every stream.
    expect(perStream).toBeLessThan(chunksPerStream / 10);
    expect(harness.emulator.openRequests).toBe(50);

    abort.abort();
    await Promise.allSettled(readers.map((stream) => stream.return?.()));
  }, 60_000);
});
