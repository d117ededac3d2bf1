// Who uploaded which file. A caller may use only its own files; the record expires with the file
// (Gemini keeps a file for 48 hours), so a stale record never outlives what it guards.

export interface FilePage {
  /** `files/{id}` names, newest first. */
  readonly names: readonly string[];
  /** Empty on the last page. */
  readonly nextToken: string;
}

export interface OwnershipStore {
  /** Records that `owner` owns file `name` until `expiresAt` (epoch ms). */
  claim(name: string, owner: string, expiresAt: number): Promise<void>;
  /** Whether `owner` owns `name` now: false for anyone else's file, an expired one and a released one. */
  owns(owner: string, name: string): Promise<boolean>;
  release(name: string): Promise<void>;
  /** `owner`'s files, newest first; `token` is a page's `nextToken`, or "" for the first page. */
  list(owner: string, size: number, token: string): Promise<FilePage>;
  close(): Promise<void>;
}

/** Thrown for a page token that no `list` handed out. */
export class PageTokenError extends Error {
  override name = "PageTokenError";
}

/** Page tokens are offsets into the owner's newest-first list; a delete between pages shifts it by one. */
export function encodePageToken(offset: number): string {
  return Buffer.from(`o${offset}`).toString("base64url");
}

export function decodePageToken(token: string): number {
  if (token === "") return 0;
  const match = /^o(\d{1,9})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (match?.[1] === undefined) throw new PageTokenError("page_token is not one this gateway handed out");
  return Number(match[1]);
}

interface Claim {
  readonly owner: string;
  readonly expiresAt: number;
  readonly order: number;
}

/** Ownership in this process's memory: lost on restart, not shared between replicas. */
export function createMemoryOwnership(now: () => number = Date.now): OwnershipStore {
  const claims = new Map<string, Claim>();
  let order = 0;

  function live(name: string): Claim | undefined {
    const claim = claims.get(name);
    if (claim !== undefined && claim.expiresAt <= now()) claims.delete(name);
    return claims.get(name);
  }

  return {
    async claim(name, owner, expiresAt) {
      claims.set(name, { owner, expiresAt, order: ++order });
    },
    async owns(owner, name) {
      return live(name)?.owner === owner;
    },
    async release(name) {
      claims.delete(name);
    },
    async list(owner, size, token) {
      const offset = decodePageToken(token);
      const mine = [...claims.keys()]
        .map((name) => ({ name, claim: live(name) }))
        .filter((entry) => entry.claim?.owner === owner)
        .sort((a, b) => (b.claim?.order ?? 0) - (a.claim?.order ?? 0));
      const names = mine.slice(offset, offset + size).map((entry) => entry.name);
      const next = offset + names.length;
      return { names, nextToken: next < mine.length ? encodePageToken(next) : "" };
    },
    async close() {
      claims.clear();
    },
  };
}
