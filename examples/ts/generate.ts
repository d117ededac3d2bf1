// One complete answer in one call (GenerateContent), then the token count of the same prompt.
//   npx node examples/ts/generate.ts "How does AI work?"
// GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key,
// when the gateway checks callers (CALLERS_FILE).

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const key = process.env["GEMINI_CONNECT_KEY"];
const client = createClient(
  GenerativeService,
  createGrpcTransport({ baseUrl: `http://${process.env["GEMINI_CONNECT_ADDR"] ?? "127.0.0.1:8080"}` }),
);
const callOptions = { timeoutMs: 120_000, headers: key ? { authorization: `Bearer ${key}` } : {} };
const model = "models/gemini-2.5-flash";
const contents = [{ role: "user", parts: [{ data: { case: "text" as const, value: process.argv.slice(2).join(" ") || "How does AI work?" } }] }];

try {
  const response = await client.generateContent({ model, contents }, callOptions);
  const text = (response.candidates[0]?.content?.parts ?? [])
    .map((part) => (part.data.case === "text" && !part.thought ? part.data.value : ""))
    .join("");
  process.stdout.write(`${text}\n`);
  const { totalTokens } = await client.countTokens({ model, contents }, callOptions);
  process.stdout.write(`(prompt: ${totalTokens} tokens, answer: ${response.usageMetadata?.candidatesTokenCount ?? 0} tokens)\n`);
} catch (error) {
  const connectError = ConnectError.from(error);
  // ResourceExhausted and Unavailable are worth a retry later; the rest are not.
  process.stderr.write(`error: ${Code[connectError.code]}: ${connectError.rawMessage}\n`);
  process.exitCode = 1;
}
