// Standalone entry: `npm run emulator`. Settings come from EMULATOR_* environment variables.
import { ConfigError, integer } from "../config/env.ts";
import { startEmulator } from "./server.ts";
import type { EmulatorOptions } from "./server.ts";

function readOptions(env: NodeJS.ProcessEnv): EmulatorOptions {
  const apiKey = env["EMULATOR_API_KEY"];
  const chunks = integer(env, "EMULATOR_CHUNKS", 1, Number.MAX_SAFE_INTEGER);
  const chunkChars = integer(env, "EMULATOR_CHUNK_CHARS", 1, Number.MAX_SAFE_INTEGER);
  const chunkDelayMs = integer(env, "EMULATOR_CHUNK_DELAY_MS", 0, Number.MAX_SAFE_INTEGER);
  const fileProcessingMs = integer(env, "EMULATOR_FILE_PROCESSING_MS", 0, Number.MAX_SAFE_INTEGER);
  return {
    host: env["EMULATOR_HOST"] || "127.0.0.1",
    port: integer(env, "EMULATOR_PORT", 0, 65535) ?? 8090,
    ...(apiKey ? { apiKey } : {}),
    ...(chunkDelayMs === undefined ? {} : { chunkDelayMs }),
    ...(chunks === undefined ? {} : { chunks }),
    ...(chunkChars === undefined ? {} : { chunkChars }),
    ...(fileProcessingMs === undefined ? {} : { fileProcessingMs }),
  };
}

let options: EmulatorOptions;
try {
  options = readOptions(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`gemini emulator: ${error.message}`);
  process.exit(1);
}

const emulator = await startEmulator(options);
console.log(`gemini emulator listening on ${emulator.url}`);

const stop = (): void => {
  process.off("SIGTERM", stop);
  process.off("SIGINT", stop);
  // Closing destroys open connections, so nothing keeps the process alive afterwards.
  emulator.close().catch((error: unknown) => {
    console.error("gemini emulator: error while closing:", error);
    process.exitCode = 1;
  });
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
