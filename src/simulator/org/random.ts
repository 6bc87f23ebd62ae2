/**
 * Deterministic randomness. Every value the simulated org shows is drawn from a generator seeded by
 * a hash of (org seed, what is being drawn, where), so any row of any file can be rebuilt on its own,
 * in any order, identically on every call and in every process.
 */

/** Folds integers (each below 2^53) into one 32-bit seed; order matters. */
export function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    // Both halves, so epoch milliseconds and other values above 2^32 keep all their bits.
    h = fmix(h ^ (part >>> 0));
    h = fmix(h ^ (Math.floor(part / 0x100000000) + 0x9e3779b9));
  }
  return h;
}

/** A stable 32-bit number for a name (FNV-1a), to use as a part of `mix`. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function fmix(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: tiny, fast, and good enough for synthetic data. Reseedable to avoid allocating per row. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  reseed(seed: number): this {
    this.state = seed | 0;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 0x100000000;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** Picks from [value, weight] pairs (weights need not sum to 1). */
  weighted<T>(table: WeightedTable<T>): T {
    let r = this.float() * table.total;
    for (const [value, weight] of table.entries) {
      r -= weight;
      if (r < 0) return value;
    }
    return table.entries[table.entries.length - 1][0];
  }

  /** `length` characters drawn from `alphabet`. */
  chars(alphabet: string, length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[this.below(alphabet.length)];
    return out;
  }
}

export interface WeightedTable<T> {
  entries: readonly (readonly [T, number])[];
  total: number;
}

export function weights<T>(entries: readonly (readonly [T, number])[]): WeightedTable<T> {
  return { entries, total: entries.reduce((sum, [, w]) => sum + w, 0) };
}
