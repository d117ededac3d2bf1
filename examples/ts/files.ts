// Summarizes a PDF (or any file Gemini reads, up to 2 GB): uploads it through gemini-connect, waits
// until Gemini has processed it, streams the answer to a prompt that references it, then deletes it.
//   npx node examples/ts/files.ts report.pdf "Summarize this PDF in five bullet points."
// GEMINI_CONNECT_ADDR is the gateway (default 127.0.0.1:8080); GEMINI_CONNECT_KEY your caller key,
// when the gateway checks callers (CALLERS_FILE).

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { FileService, File_State } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import type { File, UploadFileRequestSchema } from "../../gen/ts/geminiconnect/v1/files_pb.ts";
import { GenerativeService } from "../../gen/ts/geminiconnect/v1/generative_service_pb.ts";

const path = process.argv[2] ?? usage();
const prompt = process.argv.slice(3).join(" ") || "Summarize this document in five bullet points.";
const mimeTypes: Record<string, string> = { ".pdf": "application/pdf", ".txt": "text/plain", ".mp3": "audio/mpeg", ".mp4": "video/mp4", ".png": "image/png" };
const mimeType = mimeTypes[extname(path).toLowerCase()] ?? "application/pdf";

const key = process.env["GEMINI_CONNECT_KEY"];
const headers = key ? { authorization: `Bearer ${key}` } : {};
// Uploads are client streaming, which needs HTTP/2: the gRPC transport always speaks it.
const transport = createGrpcTransport({ baseUrl: `http://${process.env["GEMINI_CONNECT_ADDR"] ?? "127.0.0.1:8080"}` });
const files = createClient(FileService, transport);
const gemini = createClient(GenerativeService, transport);

function usage(): never {
  process.stderr.write("usage: files.ts FILE [PROMPT...]\n");
  process.exit(2);
}

/** The metadata, then the file in 1 MiB chunks read from disk as the upload goes: never all in memory. */
async function* upload(size: number): AsyncGenerator<MessageInitShape<typeof UploadFileRequestSchema>> {
  yield { payload: { case: "metadata", value: { displayName: basename(path), mimeType, sizeBytes: BigInt(size) } } };
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    yield { payload: { case: "chunk", value: chunk as Buffer } };
  }
}

let file: File = await files.uploadFile(upload((await stat(path)).size), { timeoutMs: 600_000, headers });
try {
  // Gemini may need a while to process a file (video especially) before a prompt can use it.
  for await (const update of files.watchFile({ name: file.name }, { timeoutMs: 600_000, headers })) file = update;
  if (file.state !== File_State.ACTIVE) throw new Error(`Gemini could not process the file: ${file.error?.message ?? "no reason given"}`);

  const stream = gemini.streamGenerateContent(
    {
      model: "models/gemini-2.5-flash",
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
    { timeoutMs: 300_000, headers },
  );
  for await (const chunk of stream) {
    for (const part of chunk.candidates[0]?.content?.parts ?? []) {
      if (part.data.case === "text" && !part.thought) process.stdout.write(part.data.value);
    }
  }
  process.stdout.write("\n");
} finally {
  // Gemini would delete it after 48 hours anyway; a tidy client does not leave it that long.
  await files.deleteFile({ name: file.name }, { headers });
}
