// An Upstream whose stream chunks arrive when the test says so, for tests that drive time
// themselves (fake timers): Gemini quiet, slow or steady, to the millisecond.

import { UpstreamError } from "../../src/upstream/upstream.ts";
import type { JsonObject, Upstream, UpstreamCall } from "../../src/upstream/upstream.ts";

export interface PacedUpstream extends Upstream {
  readonly calls: UpstreamCall[];
  /** Hands the open stream its next chunk (or its end, or a failure). */
  send(chunk: JsonObject | "end" | UpstreamError): void;
  /** Resolves once the reader has taken everything sent and waits for more. */
  drained(): Promise<void>;
}

/**
 * Streams only. When the call's signal fires, the stream fails with its reason, or with
 * `onAbort` as an SDK would: a network failure, or a quiet end as if Gemini had finished.
 */
export function pacedUpstream(onAbort: "reason" | "network" | "end" = "reason"): PacedUpstream {
  const calls: UpstreamCall[] = [];
  const queue: (JsonObject | "end" | UpstreamError)[] = [];
  let wake: (() => void) | undefined;
  let waiting = false;
  const onWaiting: (() => void)[] = [];
  const notSupported = () => Promise.reject(new Error("the paced upstream streams only"));
  return {
    calls,
    send(item) {
      queue.push(item);
      waiting = false;
      wake?.();
    },
    drained() {
      return waiting ? Promise.resolve() : new Promise((resolve) => onWaiting.push(resolve));
    },
    async streamGenerateContent(call) {
      calls.push(call);
      const { signal } = call;
      async function* chunks(): AsyncGenerator<object> {
        for (;;) {
          while (queue.length === 0 && !signal.aborted) {
            waiting = true;
            for (const resolve of onWaiting.splice(0)) resolve();
            await new Promise<void>((resolve) => {
              wake = resolve;
              signal.addEventListener("abort", () => resolve(), { once: true });
            });
          }
          if (signal.aborted) {
            if (onAbort === "end") return;
            throw onAbort === "network" ? new UpstreamError("network", "connection to Gemini failed (aborted)") : signal.reason;
          }
          const item = queue.shift()!;
          if (item === "end") return;
          if (item instanceof UpstreamError) throw item;
          yield item;
        }
      }
      return { chunks: chunks(), toJson: (chunk) => chunk as JsonObject, toError: (error) => (error instanceof UpstreamError ? error : new UpstreamError("aborted", String(error))) };
    },
    generateContent: notSupported,
    countTokens: notSupported,
  };
}
