// A system instruction and generation parameters: temperature, the longest answer, where to stop,
// and no thinking. Streams the answer and says when it was cut short.
//   npx node examples/ts/config.ts "Why is the sky blue?"
// GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key,
// when the gateway checks callers (CALLERS_FILE).

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Candidate_FinishReason, Candidate_FinishReasonSchema, GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const key = process.env["GEMINI_CONNECT_KEY"];
const client = createClient(
  GenerativeService,
  createGrpcTransport({ baseUrl: `http://${process.env["GEMINI_CONNECT_ADDR"] ?? "127.0.0.1:8080"}` }),
);

const stream = client.streamGenerateContent(
  {
    model: "models/gemini-2.5-flash",
    systemInstruction: { parts: [{ data: { case: "text", value: "Answer in one short paragraph, for a ten-year-old." } }] },
    contents: [{ role: "user", parts: [{ data: { case: "text", value: process.argv.slice(2).join(" ") || "How does AI work?" } }] }],
    generationConfig: {
      temperature: 0.5,
      maxOutputTokens: 200,
      stopSequences: ["\n\n"],
      // A budget of 0 turns thinking off on Gemini 2.5 Flash; Gemini 3 models take thinkingLevel.
      thinkingConfig: { thinkingBudget: 0 },
    },
  },
  { timeoutMs: 120_000, headers: key ? { authorization: `Bearer ${key}` } : {} },
);

let finishReason: Candidate_FinishReason = Candidate_FinishReason.FINISH_REASON_UNSPECIFIED;
for await (const chunk of stream) {
  const candidate = chunk.candidates[0];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.data.case === "text") process.stdout.write(part.data.value);
  }
  finishReason = candidate?.finishReason || finishReason;
}
process.stdout.write("\n");
if (finishReason !== Candidate_FinishReason.STOP) {
  process.stdout.write(`[stopped: ${Candidate_FinishReasonSchema.value[finishReason]?.name ?? finishReason}]\n`);
}
