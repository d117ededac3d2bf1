// Where cache entries live: this process's memory, or a Redis shared by every replica. A store
// never fails a request: whatever goes wrong inside it is a miss, or an entry not kept.

export interface CacheStore {
  /** The entry's binary form (see entry.ts), or undefined: absent, expired, or the store unreachable. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keeps `entry` for `ttlSeconds`; gives up quietly when the store cannot take it. */
  set(key: string, entry: Uint8Array, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}
