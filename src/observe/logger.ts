// The process logger. Secrets are redacted by path, so a header or setting that carries one
// cannot reach a log line even when a whole object is logged.

import { pino } from "pino";
import type { Logger } from "pino";
import type { LogLevel } from "../config/settings.ts";

/** The pino logger every module writes to. */
export type { Logger };

const redactedPaths = [
  "apiKey",
  "*.apiKey",
  "headers.authorization",
  'headers["x-goog-api-key"]',
  'headers["x-api-key"]',
  "headers.cookie",
];

/** What createLogger needs. */
export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where the lines go; stdout by default. */
  readonly destination?: pino.DestinationStream | undefined;
}

/** The process logger, secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const settings = { level: options.level, redact: { paths: redactedPaths, censor: "[redacted]" } };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}
