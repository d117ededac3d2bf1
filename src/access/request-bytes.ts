// A bound on the request bytes all calls together hold in memory. Connect reads a whole request
// message before the handler sees it; without a bound, a burst of large uploads takes the
// process's memory. A call whose next bytes would go over is refused with ResourceExhausted
// rather than buffered; its bytes are given back when its response is done. A streamed request
// (an upload) is consumed message by message, so its bytes count only until it reads on.

import { Code, ConnectError } from "@connectrpc/connect";

/** The bytes one call holds, counted as its body is read. */
export interface HeldBytes {
  /**
   * The body, counted as it is read; throws ResourceExhausted once all calls would hold too much.
   * `streamed`: the handler consumes it as it comes, so a chunk no longer counts once the next is asked for.
   */
  meter(body: AsyncIterable<Uint8Array>, streamed: boolean): AsyncIterable<Uint8Array>;
  /** The call is done: its bytes no longer count. Idempotent. */
  release(): void;
}

/** The gateway's budget of request bytes in flight. */
export interface RequestBytes {
  open(): HeldBytes;
  /** Bytes held by calls right now. */
  readonly held: number;
}

/** What createRequestBytes needs. */
export interface RequestBytesOptions {
  /** REQUEST_BYTES_IN_FLIGHT_MAX. */
  readonly maxBytes: number;
}

/** A budget of `maxBytes` shared by every call. */
export function createRequestBytes(options: RequestBytesOptions): RequestBytes {
  const { maxBytes } = options;
  let held = 0;
  return {
    get held() {
      return held;
    },
    open() {
      let mine = 0;
      let released = false;
      return {
        async *meter(body, streamed) {
          for await (const chunk of body) {
            if (released) return;
            if (held + chunk.byteLength > maxBytes) {
              throw new ConnectError(
                "the gateway holds too many request bytes right now (REQUEST_BYTES_IN_FLIGHT_MAX); retry shortly",
                Code.ResourceExhausted,
              );
            }
            held += chunk.byteLength;
            mine += chunk.byteLength;
            yield chunk;
            if (streamed && !released) {
              held -= chunk.byteLength;
              mine -= chunk.byteLength;
            }
          }
        },
        release() {
          if (released) return;
          released = true;
          held -= mine;
          mine = 0;
        },
      };
    },
  };
}
