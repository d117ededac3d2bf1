// The connections the listener cuts, in the log. A flood of them (a slowloris, a client gone
// wild) must not become a flood of lines: the first of each kind is logged at once, then at most
// one line per interval with the count since the last. The metrics count every one.

import type { ConnectionCut } from "../listener.ts";
import type { Logger } from "./logger.ts";

/** What createConnectionLog needs. */
export interface ConnectionLogOptions {
  readonly logger: Logger;
  /** The shortest time between two lines of one kind. */
  readonly intervalMs?: number;
}

// The setting that decided each cut, so the line says what to change.
const settingOf = {
  total: "CONNECTION_LIMIT",
  per_peer: "CONNECTION_LIMIT_PER_PEER",
  first_bytes: "CONNECTION_FIRST_BYTES_TIMEOUT_MS",
  headers: "CONNECTION_HEADERS_TIMEOUT_MS",
  idle: "CONNECTION_IDLE_TIMEOUT_MS",
} as const;

/** A rate-limited log of connection refusals (warn) and timeouts (info). */
export function createConnectionLog(options: ConnectionLogOptions): (cut: ConnectionCut) => void {
  const { logger } = options;
  const intervalMs = options.intervalMs ?? 10_000;
  const pending = new Map<string, { count: number; loggedAt: number }>();
  return (cut) => {
    const why = cut.kind === "refused" ? cut.reason : cut.stage;
    const now = performance.now();
    const entry = pending.get(why) ?? { count: 0, loggedAt: -Infinity };
    entry.count++;
    pending.set(why, entry);
    if (now - entry.loggedAt < intervalMs) return;
    const line = { setting: settingOf[why], connections: entry.count };
    if (cut.kind === "refused") logger.warn(line, "connections refused: too many open");
    else logger.info({ ...line, stage: cut.stage }, "connections closed: timed out");
    entry.count = 0;
    entry.loggedAt = now;
  };
}
