// One complete answer in one call, then the token count of the same prompt.
//   node examples/ts/unary.ts "Summarise HTTP/2 in one sentence."
// GATEWAY_URL (default http://127.0.0.1:8080) and MODEL choose where and what to ask.

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const client = createClient(
  GenerativeService,
  createGrpcTransport({ baseUrl: process.env["GATEWAY_URL"] ?? "http://127.0.0.1:8080" }),
);
const model = process.env["MODEL"] ?? "models/gemini-2.5-flash";
const contents = [{ role: "user", parts: [{ data: { case: "text" as const, value: process.argv[2] ?? "Say hello." } }] }];

try {
  const response = await client.generateContent({ model, contents }, { timeoutMs: 120_000 });
  const text = (response.candidates[0]?.content?.parts ?? [])
    .map((part) => (part.data.case === "text" && !part.thought ? part.data.value : ""))
    .join("");
  process.stdout.write(`${text}\n`);
  const { totalTokens } = await client.countTokens({ model, contents });
  process.stdout.write(`(prompt: ${totalTokens} tokens, answer: ${response.usageMetadata?.candidatesTokenCount ?? 0} tokens)\n`);
} catch (error) {
  const connectError = ConnectError.from(error);
  // ResourceExhausted and Unavailable are worth a retry later; the rest are not.
  process.stderr.write(`failed: ${Code[connectError.code]}: ${connectError.rawMessage}\n`);
  process.exitCode = 1;
}
