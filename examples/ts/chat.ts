// A chat: each argument is your next turn; every request carries the whole conversation so far,
// Gemini's own turns included, as Gemini's chats do.
//   npx node examples/ts/chat.ts "I have 2 dogs in my house." "How many paws are in my house?"
// GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key,
// when the gateway checks callers (CALLERS_FILE).

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ContentSchema } from "../../gen/ts/geminiconnect/v1/content_pb.ts";
import type { Content } from "../../gen/ts/geminiconnect/v1/content_pb.ts";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const key = process.env["GEMINI_CONNECT_KEY"];
const client = createClient(
  GenerativeService,
  createGrpcTransport({ baseUrl: `http://${process.env["GEMINI_CONNECT_ADDR"] ?? "127.0.0.1:8080"}` }),
);
const turns = process.argv.length > 2 ? process.argv.slice(2) : ["I have 2 dogs in my house.", "How many paws are in my house?"];

const history: Content[] = [];
for (const turn of turns) {
  process.stdout.write(`> ${turn}\n`);
  history.push(create(ContentSchema, { role: "user", parts: [{ data: { case: "text", value: turn } }] }));
  // Gemini's turn is kept whole, every part of every chunk (thought signatures included):
  // the next request must carry it as Gemini sent it.
  const reply = create(ContentSchema, { role: "model" });
  const stream = client.streamGenerateContent(
    { model: "models/gemini-2.5-flash", contents: history },
    { timeoutMs: 120_000, headers: key ? { authorization: `Bearer ${key}` } : {} },
  );
  for await (const chunk of stream) {
    for (const part of chunk.candidates[0]?.content?.parts ?? []) {
      reply.parts.push(part);
      if (part.data.case === "text" && !part.thought) process.stdout.write(part.data.value);
    }
  }
  process.stdout.write("\n\n");
  history.push(reply);
}
