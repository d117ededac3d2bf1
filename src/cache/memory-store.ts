// Entries in this process: least recently used first out, bounded by the bytes they hold.

import type { CacheStore } from "./store.ts";

export interface MemoryStoreOptions {
  /** The most the entries may hold together (their binary form plus their keys). */
  readonly maxBytes: number;
  /** The clock, in ms; tests move it. */
  readonly now?: () => number;
}

interface Held {
  readonly entry: Uint8Array;
  readonly expiresAtMs: number;
  readonly bytes: number;
}

export interface MemoryStore extends CacheStore {
  /** Bytes held now: never above maxBytes. */
  readonly bytes: number;
  readonly entries: number;
}

/** A byte-bounded LRU of cache entries; an entry larger than the whole bound is not kept. */
export function createMemoryStore(options: MemoryStoreOptions): MemoryStore {
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const held = new Map<string, Held>();
  let bytes = 0;

  const drop = (key: string, item: Held) => {
    held.delete(key);
    bytes -= item.bytes;
  };

  return {
    get bytes() {
      return bytes;
    },
    get entries() {
      return held.size;
    },

    async get(key) {
      const item = held.get(key);
      if (item === undefined) return undefined;
      drop(key, item);
      if (item.expiresAtMs <= now()) return undefined;
      held.set(key, item);
      bytes += item.bytes;
      return item.entry;
    },

    async set(key, entry, ttlSeconds) {
      const old = held.get(key);
      if (old !== undefined) drop(key, old);
      // Strings are UTF-16 in memory: two bytes a character is a fair count of what a key costs.
      const item = { entry, expiresAtMs: now() + ttlSeconds * 1000, bytes: entry.byteLength + key.length * 2 };
      if (item.bytes > options.maxBytes) return;
      for (const [oldest, victim] of held) {
        if (bytes + item.bytes <= options.maxBytes) break;
        drop(oldest, victim);
      }
      held.set(key, item);
      bytes += item.bytes;
    },

    async close() {
      held.clear();
      bytes = 0;
    },
  };
}
