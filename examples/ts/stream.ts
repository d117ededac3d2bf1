// Streams Gemini's answer to stdout as it arrives.
//   node examples/ts/stream.ts "Why is the sky blue?"
// GATEWAY_URL (default http://127.0.0.1:8080) and MODEL choose where and what to ask.

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const client = createClient(
  GenerativeService,
  createGrpcTransport({ baseUrl: process.env["GATEWAY_URL"] ?? "http://127.0.0.1:8080" }),
);

const stream = client.streamGenerateContent(
  {
    model: process.env["MODEL"] ?? "models/gemini-2.5-flash",
    contents: [{ role: "user", parts: [{ data: { case: "text", value: process.argv[2] ?? "Tell me a short story." } }] }],
  },
  { timeoutMs: 120_000 },
);

for await (const chunk of stream) {
  for (const part of chunk.candidates[0]?.content?.parts ?? []) {
    // Thoughts (when includeThoughts is on) are parts too; print only the answer.
    if (part.data.case === "text" && !part.thought) process.stdout.write(part.data.value);
  }
  if (chunk.usageMetadata?.totalTokenCount) {
    // Usage is a running total: the last chunk's is the answer's.
    process.stderr.write(`\r\x1b[2m[${chunk.usageMetadata.totalTokenCount} tokens]\x1b[0m`);
  }
}
process.stdout.write("\n");
