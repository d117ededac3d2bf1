// A tiny seeded PRNG for the fuzz test: mulberry32, plus the few draws the generators need.
// Every case gets its own seed derived from (run seed, family, index), so one case can be replayed
// alone without generating the ones before it.

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform integer in [lo, hi], both inclusive. */
  range(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(items: readonly (readonly [number, T])[]): T;
  bytes(n: number): Uint8Array;
  /** A length skewed towards small values (most inputs are small, a few are large). */
  size(max: number): number;
}

export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const rng: Rng = {
    seed: seed >>> 0,
    next,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[int(items.length)] as T;
    },
    weighted<T>(items: readonly (readonly [number, T])[]): T {
      const total = items.reduce((sum, [weight]) => sum + weight, 0);
      let draw = next() * total;
      for (const [weight, value] of items) {
        draw -= weight;
        if (draw < 0) return value;
      }
      return (items.at(-1) as readonly [number, T])[1];
    },
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = int(256);
      return out;
    },
    size(max) {
      // Exponential-ish: half the draws below max^0.5, a few near max.
      return Math.min(max, Math.floor(Math.pow(max + 1, next())) - 1 + int(2));
    },
  };
  return rng;
}

/** Mixes a run seed with small integers into a well-spread 32-bit case seed (splitmix-style). */
export function deriveSeed(base: number, ...parts: number[]): number {
  let h = base >>> 0;
  for (const part of parts) {
    h = (h ^ (part >>> 0)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = (h + 0x9e3779b9) >>> 0;
  }
  return h;
}

export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
}
