// In-flight coalescing: identical requests that arrive while an answer is being generated attach
// to it instead of asking Gemini again.
//
// A flight is one upstream answer and the readers attached to it: the first request's caller (the
// leader) and any identical ones that came later (followers). Every reader gets every chunk from
// the first one on, at its own pace: the flight keeps one log of the chunks and each reader only a
// position in it, so fifty readers cost one copy of the answer. The upstream is read as fast as the
// fastest reader asks (a lone reader gets the same back-pressure as without the cache), never
// waiting for the slow ones.
//
// Bounded buffering. The log holds the whole answer while it fits in `maxBufferedBytes` (it is the
// entry the cache will store, and a late follower needs it from the first chunk). Past that bound
// the answer cannot be stored, the flight takes no new followers, and chunks every reader has
// passed are let go. A reader more than the bound behind the fastest has fallen too far behind,
// and is cut loose before it could lose a chunk (so a flight holds at most the bound plus its
// newest chunk):
//  - if it has not been handed a chunk yet, it is served on its own: its own upstream call, from
//    the start, so it loses nothing;
//  - if it has, it cannot be: Gemini's answers are not deterministic, so a second call would splice
//    two different answers into one. It ends with ResourceExhausted instead, which its caller may
//    retry (with `x-gemini-cache: no-store` to be served alone from the start).
// The fastest readers are never cut, so the bound cannot stall anyone.
//
// Ends. An upstream error reaches every reader, after the chunks before it. A reader leaving
// (its caller cancelled) never stops the others; the upstream call is aborted only when nobody
// reads any more, and such a flight is never complete.

import { Code, ConnectError } from "@connectrpc/connect";

export interface CoalescerOptions<T> {
  /** The most one flight holds; the largest answer that can be completed for storing. */
  readonly maxBufferedBytes: number;
  readonly sizeOf: (chunk: T) => number;
}

export interface JoinOptions<T> {
  /**
   * Starts the upstream answer. Called for the leader with the flight's own signal (aborted when
   * nobody reads any more), and for a reader cut loose with that reader's own `signal`.
   */
  readonly start: (signal: AbortSignal) => AsyncIterable<T>;
  /** The reader's caller: when it aborts, this reader is detached (and the stream throws its reason). */
  readonly signal: AbortSignal;
  /**
   * False to never follow an answer already under way (a caller who asked for a fresh one): this
   * request then leads a new flight, which identical requests that come later follow instead.
   */
  readonly follow?: boolean;
  /**
   * Used only if this reader leads: the whole answer, once it ended without error while the
   * log held all of it. Identical requests keep joining the finished flight until it settles, so
   * an entry written here is there before they stop finding the flight.
   */
  readonly completed?: (chunks: readonly T[]) => Promise<void>;
}

export interface Joined<T> {
  /** "leader" when this request started the upstream call, "follower" when it attached to one. */
  readonly role: "leader" | "follower";
  readonly chunks: AsyncIterable<T>;
}

export interface Coalescer<T> {
  join(key: string, options: JoinOptions<T>): Joined<T>;
  /** Flights under way (or finishing their store), for tests and gauges. */
  readonly flights: number;
}

interface Reader {
  /** Chunks handed to this reader's caller so far. */
  position: number;
  /** Set when cut loose: "alone" to be served by its own call, or the error to end with. */
  cut: "alone" | ConnectError | undefined;
  /** Resolves the reader's wait for a chunk or an end. */
  wake: (() => void) | undefined;
}

/** Identical requests, by key, share one upstream answer while it is being generated. */
export function createCoalescer<T>(options: CoalescerOptions<T>): Coalescer<T> {
  const flights = new Map<string, Flight<T>>();
  return {
    get flights() {
      return flights.size;
    },
    join(key, join) {
      const existing = flights.get(key);
      if (existing !== undefined && join.follow !== false) return { role: "follower", chunks: existing.attach(join) };
      const flight = new Flight<T>(options, () => {
        if (flights.get(key) === flight) flights.delete(key);
      });
      flights.set(key, flight);
      const chunks = flight.attach(join);
      void flight.run(join);
      return { role: "leader", chunks };
    },
  };
}

class Flight<T> {
  /** Chunks `base`, `base + 1`, ... of the answer. */
  private readonly log: T[] = [];
  private base = 0;
  private bytes = 0;
  /** The log still holds the whole answer: it can be stored, and new followers can attach. */
  private whole = true;
  private state: "running" | "ended" | "failed" | "abandoned" = "running";
  private error: unknown;
  private readonly readers = new Set<Reader>();
  private readonly abort = new AbortController();
  /** Resolves the upstream pump's wait for a reader that wants the next chunk. */
  private demand: (() => void) | undefined;

  private readonly options: CoalescerOptions<T>;
  /** Stops new requests from finding this flight. */
  private readonly forget: () => void;

  constructor(options: CoalescerOptions<T>, forget: () => void) {
    this.options = options;
    this.forget = forget;
  }

  attach(join: JoinOptions<T>): AsyncIterable<T> {
    const reader: Reader = { position: 0, cut: undefined, wake: undefined };
    this.readers.add(reader);
    // Listened for from the start, so a caller that leaves before reading a chunk is detached too.
    const onAbort = () => this.detach(reader);
    if (join.signal.aborted) onAbort();
    else join.signal.addEventListener("abort", onAbort, { once: true });
    return this.read(reader, join, () => join.signal.removeEventListener("abort", onAbort));
  }

  /** Reads the upstream as fast as the fastest reader asks, into the log. */
  async run(leader: JoinOptions<T>): Promise<void> {
    let iterator: AsyncIterator<T> | undefined;
    try {
      iterator = leader.start(this.abort.signal)[Symbol.asyncIterator]();
      for (;;) {
        await this.wanted();
        if (this.state !== "running") return;
        const next = await iterator.next();
        if (this.state !== "running") return;
        if (next.done === true) break;
        this.push(next.value);
      }
      this.state = "ended";
    } catch (error) {
      if (this.state !== "running") return;
      this.state = "failed";
      this.error = error;
    } finally {
      if (this.state === "abandoned") await iterator?.return?.()?.catch(() => undefined);
      this.wakeAll();
    }
    if (this.state === "ended" && this.whole && leader.completed !== undefined) {
      await leader.completed(this.log).catch(() => undefined);
    }
    this.forget();
  }

  private async *read(reader: Reader, join: JoinOptions<T>, unlisten: () => void): AsyncGenerator<T, void, undefined> {
    try {
      for (;;) {
        join.signal.throwIfAborted();
        if (reader.cut !== undefined) break;
        const index = reader.position - this.base;
        if (index < this.log.length) {
          reader.position++;
          yield this.log[index] as T;
          continue;
        }
        if (this.state === "ended") return;
        if (this.state === "failed") throw this.error;
        await this.next(reader);
      }
    } finally {
      unlisten();
      this.detach(reader);
    }
    if (reader.cut === "alone") yield* join.start(join.signal);
    else throw reader.cut;
  }

  /** Waits, at the head of the log, for the next chunk or the end; tells the pump it is wanted. */
  private next(reader: Reader): Promise<void> {
    return new Promise((resolve) => {
      reader.wake = resolve;
      const demand = this.demand;
      this.demand = undefined;
      demand?.();
    });
  }

  private wanted(): Promise<void> {
    for (const reader of this.readers) if (reader.wake !== undefined) return Promise.resolve();
    return new Promise((resolve) => (this.demand = resolve));
  }

  private wakeAll(): void {
    for (const reader of this.readers) {
      const wake = reader.wake;
      reader.wake = undefined;
      wake?.();
    }
  }

  private push(chunk: T): void {
    const size = this.options.sizeOf(chunk);
    this.log.push(chunk);
    this.bytes += size;
    if (this.bytes > this.options.maxBufferedBytes) this.shed(size);
    this.wakeAll();
  }

  /**
   * Over the bound: the answer will not be stored; let go of what every reader has passed, then
   * cut the slowest while they are more than the bound behind. Behind what the fastest readers
   * have, that is: not counting the newest chunk, which they are only now being handed, so one
   * large chunk (an image) cuts nobody.
   */
  private shed(newest: number): void {
    if (this.whole) {
      this.whole = false;
      this.forget();
    }
    this.trim();
    while (this.bytes - newest > this.options.maxBufferedBytes) {
      const slowest = [...this.readers].filter((reader) => reader.position === this.base);
      // Everyone at one position means everyone waits for the newest chunk: nobody is behind.
      if (slowest.length === this.readers.size) return;
      for (const reader of slowest) this.cutLoose(reader);
      this.trim();
    }
  }

  private cutLoose(reader: Reader): void {
    reader.cut =
      reader.position === 0
        ? "alone"
        : new ConnectError(
            `this stream fell more than ${this.options.maxBufferedBytes} bytes behind the answer it shared with identical requests; ` +
              "retry, or send x-gemini-cache: no-store to be served alone",
            Code.ResourceExhausted,
          );
    this.detach(reader);
  }

  /** Lets go of the chunks every reader has passed (only once the answer is not kept whole). */
  private trim(): void {
    let lowest = this.base + this.log.length;
    for (const reader of this.readers) lowest = Math.min(lowest, reader.position);
    const passed = lowest - this.base;
    if (passed <= 0) return;
    for (const chunk of this.log.splice(0, passed)) this.bytes -= this.options.sizeOf(chunk);
    this.base = lowest;
  }

  private detach(reader: Reader): void {
    if (!this.readers.delete(reader)) return;
    const wake = reader.wake;
    reader.wake = undefined;
    wake?.();
    if (this.readers.size > 0 || this.state !== "running") return;
    // Nobody reads any more: nothing keeps generating for callers who left.
    this.state = "abandoned";
    this.forget();
    this.abort.abort();
    this.demand?.();
  }
}
