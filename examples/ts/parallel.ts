// Asks several questions at once over one HTTP/2 connection and prints each answer when complete.
//   node examples/ts/parallel.ts "first question" "second question" "third question"
// GATEWAY_URL (default http://127.0.0.1:8080) and MODEL choose where and what to ask.

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const client = createClient(
  GenerativeService,
  createGrpcTransport({ baseUrl: process.env["GATEWAY_URL"] ?? "http://127.0.0.1:8080" }),
);
const questions = process.argv.length > 2 ? process.argv.slice(2) : ["Name a color.", "Name a fruit.", "Name a planet."];

async function ask(question: string): Promise<string> {
  let answer = "";
  const stream = client.streamGenerateContent(
    {
      model: process.env["MODEL"] ?? "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ data: { case: "text", value: question } }] }],
    },
    { timeoutMs: 120_000 },
  );
  for await (const chunk of stream) {
    for (const part of chunk.candidates[0]?.content?.parts ?? []) {
      if (part.data.case === "text" && !part.thought) answer += part.data.value;
    }
  }
  return answer;
}

// allSettled: one failed question should not hide the other answers.
const results = await Promise.allSettled(questions.map(ask));
results.forEach((result, i) => {
  const answer = result.status === "fulfilled" ? result.value : `error: ${String(result.reason)}`;
  process.stdout.write(`[${i + 1}] ${questions[i]}\n${answer}\n\n`);
});
