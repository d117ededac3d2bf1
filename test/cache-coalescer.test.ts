// The coalescer on its own, with scripted chunk sources in place of Gemini: every step (a chunk,
// the end, an error) is released by the test, so each ordering is exact, with no timing.

import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createCoalescer } from "../src/cache/coalescer.ts";
import type { Coalescer, JoinOptions } from "../src/cache/coalescer.ts";

type Step = { chunk: string } | { end: true } | { error: Error };

/** One upstream call: the test sends its steps; it counts how often it was asked for more. */
class Call {
  readonly steps: Step[] = [];
  waiter: ((step: Step) => void) | undefined;
  pulls = 0;
  signal: AbortSignal | undefined;
  started = false;

  send(...chunks: string[]): this {
    for (const chunk of chunks) this.step({ chunk });
    return this;
  }
  end(): void {
    this.step({ end: true });
  }
  fail(error: Error): void {
    this.step({ error });
  }
  private step(step: Step): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter(step);
    else this.steps.push(step);
  }
  take(signal: AbortSignal): Promise<Step> {
    this.pulls++;
    const queued = this.steps.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  }
}

/** Upstream calls in the order they are started; call(i) may be scripted before it starts. */
class Upstream {
  private readonly calls: Call[] = [];
  started = 0;

  call(index: number): Call {
    while (this.calls.length <= index) this.calls.push(new Call());
    return this.calls[index] as Call;
  }

  readonly start = (signal: AbortSignal): AsyncIterable<string> => {
    const call = this.call(this.started++);
    call.started = true;
    call.signal = signal;
    return (async function* () {
      for (;;) {
        const step = await call.take(signal);
        if ("end" in step) return;
        if ("error" in step) throw step.error;
        yield step.chunk;
      }
    })();
  };
}

function join(coalescer: Coalescer<string>, upstream: Upstream, extra: Partial<JoinOptions<string>> = {}) {
  const controller = new AbortController();
  const joined = coalescer.join("k", { start: upstream.start, signal: controller.signal, ...extra });
  return { ...joined, iterator: joined.chunks[Symbol.asyncIterator](), cancel: () => controller.abort(new Error("cancelled")) };
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

async function failure(iterable: AsyncIterable<string>): Promise<{ chunks: string[]; error: unknown }> {
  const chunks: string[] = [];
  try {
    for await (const chunk of iterable) chunks.push(chunk);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
}

const coalescer = (maxBufferedBytes = 1_000) => createCoalescer<string>({ maxBufferedBytes, sizeOf: (chunk) => chunk.length });

describe("coalescer", () => {
  it("gives a lone leader its answer, and the whole answer to completed before the flight is forgotten", async () => {
    const c = coalescer();
    const upstream = new Upstream();
    let stored: readonly string[] | undefined;
    let finishStore: () => void = () => undefined;
    const completed = (chunks: readonly string[]) => {
      stored = [...chunks];
      return new Promise<void>((resolve) => (finishStore = resolve));
    };
    const leader = join(c, upstream, { completed });
    expect(leader.role).toBe("leader");
    upstream.call(0).send("a", "b", "c").end();
    expect(await collect(leader.chunks)).toEqual(["a", "b", "c"]);
    await expect.poll(() => stored).toEqual(["a", "b", "c"]);

    // Until the store write settles, an identical request still finds the flight: no second call.
    const late = join(c, upstream);
    expect(late.role).toBe("follower");
    expect(await collect(late.chunks)).toEqual(["a", "b", "c"]);
    finishStore();
    await expect.poll(() => c.flights).toBe(0);
    expect(upstream.started).toBe(1);
  });

  it("gives followers every chunk from the first one on, from one upstream call", async () => {
    const c = coalescer();
    const upstream = new Upstream();
    const leader = join(c, upstream);
    const reading = collect(leader.chunks);
    upstream.call(0).send("a", "b");
    await expect.poll(() => upstream.call(0).pulls).toBe(3);
    const followers = Array.from({ length: 5 }, () => join(c, upstream));
    expect(followers.map((f) => f.role)).toEqual(Array(5).fill("follower"));
    const results = followers.map((f) => collect(f.chunks));
    upstream.call(0).send("c").end();
    expect(await reading).toEqual(["a", "b", "c"]);
    for (const result of results) expect(await result).toEqual(["a", "b", "c"]);
    expect(upstream.started).toBe(1);
  });

  it("starts a fresh flight for a request that will not follow, which later requests then follow", async () => {
    const c = coalescer();
    const upstream = new Upstream();
    const first = join(c, upstream);
    const fresh = join(c, upstream, { follow: false });
    expect(fresh.role).toBe("leader");
    const later = join(c, upstream);
    expect(later.role).toBe("follower");
    const results = [first, fresh, later].map((reader) => collect(reader.chunks));
    upstream.call(0).send("old").end();
    upstream.call(1).send("new").end();
    expect(await Promise.all(results)).toEqual([["old"], ["new"], ["new"]]);
  });

  it("reads the upstream only as fast as the fastest reader asks", async () => {
    const c = coalescer();
    const upstream = new Upstream();
    const leader = join(c, upstream);
    upstream.call(0).send("a", "b", "c", "d");
    expect((await leader.iterator.next()).value).toBe("a");
    expect(upstream.call(0).pulls).toBe(1);
    expect((await leader.iterator.next()).value).toBe("b");
    expect(upstream.call(0).pulls).toBe(2);
  });

  it("passes the leader's error to every reader, after the chunks before it, and completes nothing", async () => {
    const c = coalescer();
    const upstream = new Upstream();
    let completedCalls = 0;
    const leader = join(c, upstream, { completed: async () => void completedCalls++ });
    const followers = [join(c, upstream), join(c, upstream)];
    const results = [leader, ...followers].map((reader) => failure(reader.chunks));
    const error = new ConnectError("upstream went away", Code.Unavailable);
    upstream.call(0).send("a", "b");
    upstream.call(0).fail(error);
    for (const result of results) expect(await result).toEqual({ chunks: ["a", "b"], error });
    expect(completedCalls).toBe(0);
    expect(c.flights).toBe(0);
    // The failed flight is forgotten: the next identical request starts its own call.
    expect(join(c, upstream).role).toBe("leader");
  });

  it("keeps generating for followers when the leader's caller leaves, and completes the answer", async () => {
    const c = coalescer();
    const upstream = new Upstream();
    let stored: readonly string[] | undefined;
    const leader = join(c, upstream, { completed: async (chunks) => void (stored = [...chunks]) });
    const follower = join(c, upstream);
    const followed = collect(follower.chunks);
    upstream.call(0).send("a");
    expect((await leader.iterator.next()).value).toBe("a");
    leader.cancel();
    await expect(leader.iterator.next()).rejects.toThrow("cancelled");
    upstream.call(0).send("b").end();
    expect(await followed).toEqual(["a", "b"]);
    expect(upstream.call(0).signal?.aborted).toBe(false);
    await expect.poll(() => stored).toEqual(["a", "b"]);
  });

  it("never cancels the upstream for a follower that leaves while others read", async () => {
    const c = coalescer();
    const upstream = new Upstream();
    const leader = join(c, upstream);
    const reading = collect(leader.chunks);
    const follower = join(c, upstream);
    upstream.call(0).send("a");
    expect((await follower.iterator.next()).value).toBe("a");
    follower.cancel();
    await expect(follower.iterator.next()).rejects.toThrow("cancelled");
    upstream.call(0).send("b").end();
    expect(await reading).toEqual(["a", "b"]);
    expect(upstream.call(0).signal?.aborted).toBe(false);
  });

  it("aborts the upstream once nobody reads, stores nothing, and the next request starts afresh", async () => {
    const c = coalescer();
    const upstream = new Upstream();
    let completedCalls = 0;
    const leader = join(c, upstream, { completed: async () => void completedCalls++ });
    const follower = join(c, upstream);
    upstream.call(0).send("a");
    expect((await leader.iterator.next()).value).toBe("a");
    follower.cancel();
    expect(upstream.call(0).signal?.aborted).toBe(false);
    leader.cancel();
    expect(upstream.call(0).signal?.aborted).toBe(true);
    expect(c.flights).toBe(0);
    expect(join(c, upstream).role).toBe("leader");
    expect(completedCalls).toBe(0);
  });

  it("aborts the upstream when the only caller leaves before reading anything", async () => {
    const c = coalescer();
    const upstream = new Upstream();
    const leader = join(c, upstream);
    const first = leader.iterator.next();
    await expect.poll(() => upstream.call(0).started).toBe(true);
    leader.cancel();
    await expect(first).rejects.toThrow("cancelled");
    expect(upstream.call(0).signal?.aborted).toBe(true);
  });
});

describe("coalescer bound", () => {
  // Chunks of 4 bytes under a bound of 10: the third chunk of an answer is over it, and a reader
  // is too far behind once more than 10 bytes separate it from the newest chunk.
  const bound = 10;

  it("cuts loose a follower that has read nothing and serves it with its own call, without stalling the leader", async () => {
    const c = coalescer(bound);
    const upstream = new Upstream();
    let completedCalls = 0;
    const leader = join(c, upstream, { completed: async () => void completedCalls++ });
    const idle = join(c, upstream);
    const reading = collect(leader.chunks);
    upstream.call(0).send("aaaa", "bbbb", "cccc", "dddd").end();
    expect(await reading).toEqual(["aaaa", "bbbb", "cccc", "dddd"]);
    // The idle follower now reads: its own answer, from its own call, whole.
    upstream.call(1).send("AAAA", "BBBB").end();
    expect(await collect(idle.chunks)).toEqual(["AAAA", "BBBB"]);
    expect(upstream.started).toBe(2);
    expect(completedCalls).toBe(0);
  });

  it("ends a reader that has read chunks and falls behind with ResourceExhausted, never splicing answers", async () => {
    const c = coalescer(bound);
    const upstream = new Upstream();
    const leader = join(c, upstream);
    const slow = join(c, upstream);
    upstream.call(0).send("aaaa");
    expect((await slow.iterator.next()).value).toBe("aaaa");
    const reading = collect(leader.chunks);
    upstream.call(0).send("bbbb", "cccc", "dddd", "eeee", "ffff").end();
    expect(await reading).toEqual(["aaaa", "bbbb", "cccc", "dddd", "eeee", "ffff"]);
    const rest = await failure({ [Symbol.asyncIterator]: () => slow.iterator });
    expect(rest.chunks).toEqual([]);
    expect(ConnectError.from(rest.error).code).toBe(Code.ResourceExhausted);
    expect(upstream.started).toBe(1);
  });

  it("lets readers that keep up read an answer larger than the bound; it is not completed, and new requests start their own", async () => {
    const c = coalescer(bound);
    const upstream = new Upstream();
    let completedCalls = 0;
    const leader = join(c, upstream, { completed: async () => void completedCalls++ });
    const follower = join(c, upstream);
    const results = [collect(leader.chunks), collect(follower.chunks)];
    upstream.call(0).send("aaaa", "bbbb", "cccc");
    await expect.poll(() => upstream.call(0).pulls).toBe(4);
    expect(join(c, upstream).role).toBe("leader");
    upstream.call(0).send("dddd", "eeee").end();
    for (const result of results) expect(await result).toEqual(["aaaa", "bbbb", "cccc", "dddd", "eeee"]);
    expect(completedCalls).toBe(0);
  });

  it("serves a chunk larger than the bound to readers waiting for it", async () => {
    const c = coalescer(bound);
    const upstream = new Upstream();
    const readers = [join(c, upstream), join(c, upstream)];
    const results = readers.map((reader) => collect(reader.chunks));
    upstream.call(0).send("a-chunk-larger-than-the-bound", "b").end();
    for (const result of results) expect(await result).toEqual(["a-chunk-larger-than-the-bound", "b"]);
  });
});
