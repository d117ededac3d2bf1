// Writes one `alt=sse` response: Gemini's framing, pacing, backpressure and the scripted ways to fail.
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import type { RpcError } from "./types.ts";

/** How a stream ends once its chunks are written. */
export type StreamEnding =
  | { readonly kind: "end" }
  | { readonly kind: "cut" }
  | { readonly kind: "error"; readonly error: RpcError }
  | { readonly kind: "malformed" }
  | { readonly kind: "stall" };

export interface StreamTarget {
  readonly res: ServerResponse;
  /** Aborted when the response closes for any reason (client gone, socket destroyed, emulator closed). */
  readonly signal: AbortSignal;
  /** Called once per chunk event handed to the socket. */
  readonly onChunk: () => void;
}

export async function playStream(
  target: StreamTarget,
  chunks: Iterable<object>,
  delayMs: number,
  ending: StreamEnding,
): Promise<void> {
  const { res, signal } = target;
  // Google frames every event as one `data:` line plus a blank line, with no `[DONE]`: the end of the
  // response is the end of the stream.
  res.writeHead(200, { "content-type": "text/event-stream", "content-disposition": "attachment" });
  // Headers go out now so the client sees the 200 even when the first chunk is slow (or never comes).
  res.flushHeaders();
  let first = true;
  for (const chunk of chunks) {
    if (!first && !(await pause(delayMs, signal))) return;
    first = false;
    if (!(await send(res, `data: ${JSON.stringify(chunk)}\n\n`, signal, target.onChunk))) return;
  }
  switch (ending.kind) {
    case "end":
      res.end();
      return;
    case "cut":
      // Only what reached the socket counts as sent; destroying first could drop the last chunks.
      await flushed(res);
      res.destroy();
      return;
    case "error":
      if (await send(res, `data: ${JSON.stringify({ error: ending.error })}\n\n`, signal)) res.end();
      return;
    case "malformed":
      if (await send(res, "data: {not json\n\n", signal)) res.end();
      return;
    case "stall":
      await untilAborted(signal);
      return;
  }
}

/** Resolves when the signal aborts; the emulator's close() guarantees that it does. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/**
 * Writes `text`; if the socket buffer is full, waits for `drain` so a slow reader slows the stream down
 * instead of making the emulator buffer without bound. False once the response is gone.
 */
async function send(res: ServerResponse, text: string, signal: AbortSignal, onWritten?: () => void): Promise<boolean> {
  if (signal.aborted) return false;
  const hasRoom = res.write(text);
  onWritten?.();
  if (hasRoom) return true;
  try {
    await once(res, "drain", { signal });
    return true;
  } catch {
    return false;
  }
}

/** Pauses between chunks; with no delay it still yields a turn so each chunk is its own socket write. */
async function pause(delayMs: number, signal: AbortSignal): Promise<boolean> {
  try {
    if (delayMs > 0) await sleep(delayMs, undefined, { signal });
    else await nextTurn(undefined, { signal });
    return !signal.aborted;
  } catch {
    return false;
  }
}

function flushed(res: ServerResponse): Promise<void> {
  const socket = res.socket;
  if (socket === null || socket.destroyed) return Promise.resolve();
  // An empty write completes after every earlier write on this socket has been handed to the kernel.
  return new Promise((resolve) => socket.write("", () => resolve()));
}
