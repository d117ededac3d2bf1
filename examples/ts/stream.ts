// Streams Gemini's answer through gemini-connect to stdout, as it arrives.
//   npx node examples/ts/stream.ts "Why is the sky blue?"
// GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key,
// when the gateway checks callers (CALLERS_FILE).

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const key = process.env["GEMINI_CONNECT_KEY"];
const client = createClient(
  GenerativeService,
  createGrpcTransport({ baseUrl: `http://${process.env["GEMINI_CONNECT_ADDR"] ?? "127.0.0.1:8080"}` }),
);

const stream = client.streamGenerateContent(
  {
    model: "models/gemini-2.5-flash",
    contents: [{ role: "user", parts: [{ data: { case: "text", value: process.argv.slice(2).join(" ") || "How does AI work?" } }] }],
  },
  { timeoutMs: 120_000, headers: key ? { authorization: `Bearer ${key}` } : {} },
);

for await (const chunk of stream) {
  for (const part of chunk.candidates[0]?.content?.parts ?? []) {
    // Thoughts (with includeThoughts) are parts too: print only the answer.
    if (part.data.case === "text" && !part.thought) process.stdout.write(part.data.value);
  }
}
process.stdout.write("\n");
