// Standalone entry: `npm run emulator`. Settings come from EMULATOR_* environment variables.
import { startEmulator } from "./server.ts";
import type { EmulatorOptions } from "./server.ts";

function readOptions(env: NodeJS.ProcessEnv): EmulatorOptions {
  const apiKey = env["EMULATOR_API_KEY"];
  const chunks = integer(env, "EMULATOR_CHUNKS", 1);
  const chunkChars = integer(env, "EMULATOR_CHUNK_CHARS", 1);
  const chunkDelayMs = integer(env, "EMULATOR_CHUNK_DELAY_MS", 0);
  const fileProcessingMs = integer(env, "EMULATOR_FILE_PROCESSING_MS", 0);
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

/** An unset or empty variable means "use the default"; anything else must be an integer in range. */
function integer(env: NodeJS.ProcessEnv, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

class SettingError extends Error {}

let options: EmulatorOptions;
try {
  options = readOptions(process.env);
} catch (error) {
  if (!(error instanceof SettingError)) throw error;
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
