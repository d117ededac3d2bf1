// Asks about an image, sent inline with the prompt (up to 20 MB in all; larger files go through
// Gemini's Files API).
//   npx node examples/ts/image.ts examples/sky.png "Describe this image."
// GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key,
// when the gateway checks callers (CALLERS_FILE).

import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const [path, ...words] = process.argv.slice(2);
if (path === undefined) {
  process.stderr.write("usage: image.ts IMAGE [PROMPT...]\n");
  process.exit(2);
}
const mimeTypes: Record<string, string> = { ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp" };

const key = process.env["GEMINI_CONNECT_KEY"];
const client = createClient(
  GenerativeService,
  createGrpcTransport({ baseUrl: `http://${process.env["GEMINI_CONNECT_ADDR"] ?? "127.0.0.1:8080"}` }),
);
const stream = client.streamGenerateContent(
  {
    model: "models/gemini-2.5-flash",
    contents: [
      {
        role: "user",
        parts: [
          { data: { case: "inlineData", value: { mimeType: mimeTypes[extname(path).toLowerCase()] ?? "image/png", data: readFileSync(path) } } },
          { data: { case: "text", value: words.join(" ") || "Caption this image." } },
        ],
      },
    ],
  },
  { timeoutMs: 120_000, headers: key ? { authorization: `Bearer ${key}` } : {} },
);

for await (const chunk of stream) {
  for (const part of chunk.candidates[0]?.content?.parts ?? []) {
    if (part.data.case === "text" && !part.thought) process.stdout.write(part.data.value);
  }
}
process.stdout.write("\n");
