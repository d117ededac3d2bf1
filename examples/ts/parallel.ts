// Asks several questions at once over one HTTP/2 connection and prints each answer when complete.
//   npx node examples/ts/parallel.ts "Name a color." "Name a fruit."
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
const questions = process.argv.length > 2 ? process.argv.slice(2) : ["Name a color.", "Name a fruit.", "Name a planet."];

async function ask(question: string): Promise<string> {
  let answer = "";
  const stream = client.streamGenerateContent(
    { model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ data: { case: "text", value: question } }] }] },
    { timeoutMs: 120_000, headers: key ? { authorization: `Bearer ${key}` } : {} },
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
