// Summarizes a PDF (or any file Gemini reads): uploads it through gemini-connect, waits until Gemini
// has processed it, streams the answer to a prompt that references it, then deletes the file.
//   node examples/ts/files.ts report.pdf "Summarize this PDF in five bullet points."
// GATEWAY_URL (default http://127.0.0.1:8080) and MODEL choose where and what to ask; MIME_TYPE
// overrides the type guessed from the file name. When the gateway checks callers (CALLERS_FILE),
// put your caller key in GEMINI_CONNECT_KEY.

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { createClient } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { FileService, File_State, File_StateSchema } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import type { File, UploadFileRequestSchema } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const path = process.argv[2] ?? usage();
const prompt = process.argv[3] ?? "Summarize this document in five bullet points.";
const mimeTypes: Record<string, string> = { ".pdf": "application/pdf", ".txt": "text/plain", ".mp3": "audio/mpeg", ".mp4": "video/mp4", ".png": "image/png" };
const mimeType = process.env["MIME_TYPE"] ?? mimeTypes[extname(path).toLowerCase()] ?? "application/octet-stream";

const key = process.env["GEMINI_CONNECT_KEY"];
const withKey: Interceptor = (next) => (req) => {
  if (key) req.header.set("authorization", `Bearer ${key}`);
  return next(req);
};
// Uploads are client streaming, which needs HTTP/2: the gRPC transport always speaks it.
const transport = createGrpcTransport({ baseUrl: process.env["GATEWAY_URL"] ?? "http://127.0.0.1:8080", interceptors: [withKey] });
const files = createClient(FileService, transport);
const gemini = createClient(GenerativeService, transport);

function usage(): never {
  process.stderr.write('usage: node examples/ts/files.ts FILE ["PROMPT"]\n');
  process.exit(2);
}

/** The metadata, then the file in 1 MiB chunks read from disk as the upload goes: never all in memory. */
async function* uploadMessages(size: number): AsyncGenerator<MessageInitShape<typeof UploadFileRequestSchema>> {
  yield { payload: { case: "metadata", value: { displayName: basename(path), mimeType, sizeBytes: BigInt(size) } } };
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    yield { payload: { case: "chunk", value: chunk as Buffer } };
  }
}

let file: File = await files.uploadFile(uploadMessages((await stat(path)).size), { timeoutMs: 600_000 });
process.stderr.write(`uploaded ${file.name} (${file.sizeBytes} bytes)\n`);
try {
  // Gemini may need a while to process a file (video especially) before a prompt can use it.
  for await (const update of files.watchFile({ name: file.name }, { timeoutMs: 600_000 })) {
    file = update;
    process.stderr.write(`${file.name}: ${File_StateSchema.value[file.state]?.name ?? file.state}\n`);
  }
  if (file.state !== File_State.ACTIVE) throw new Error(`Gemini could not process the file: ${file.error?.message ?? "no reason given"}`);

  const stream = gemini.streamGenerateContent(
    {
      model: process.env["MODEL"] ?? "models/gemini-2.5-flash",
      contents: [
        {
          role: "user",
          parts: [
            { data: { case: "fileData", value: { fileUri: file.uri, mimeType: file.mimeType } } },
            { data: { case: "text", value: prompt } },
          ],
        },
      ],
    },
    { timeoutMs: 300_000 },
  );
  for await (const chunk of stream) {
    for (const part of chunk.candidates[0]?.content?.parts ?? []) {
      if (part.data.case === "text" && !part.thought) process.stdout.write(part.data.value);
    }
  }
  process.stdout.write("\n");
} finally {
  // Gemini would delete it after 48 hours anyway; a tidy client does not leave it that long.
  await files.deleteFile({ name: file.name });
}
