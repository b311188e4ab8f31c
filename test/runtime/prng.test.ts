import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomUuid, SeededPrng } from '../../src/runtime/index.ts';

function draws(prng: SeededPrng, count: number): number[] {
  return Array.from({ length: count }, () => prng.uint32());
}

describe('prng: determinism', () => {
  it('the same seed gives the same stream, a different seed a different one', () => {
    expect(draws(new SeededPrng(123), 1000)).toEqual(draws(new SeededPrng(123), 1000));
    expect(draws(new SeededPrng(123), 10)).not.toEqual(draws(new SeededPrng(124), 10));
  });

  it('seeds above 32 bits and negative seeds are distinct seeds, not truncated', () => {
    const streams = [1, 2 ** 32 + 1, 2 ** 40 + 1, -1, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER].map((seed) =>
      draws(new SeededPrng(seed), 4).join(','),
    );
    expect(new Set(streams).size).toBe(streams.length);
  });

  it('is pinned: seed 1 starts with these words (changing the generator changes every recorded seed)', () => {
    expect(draws(new SeededPrng(1), 4)).toEqual([3696470114, 3298097328, 3644766453, 2656473623]);
  });

  it('refuses seeds that are not safe integers', () => {
    expect(() => new SeededPrng(1.5)).toThrow(RangeError);
    expect(() => new SeededPrng(Number.NaN)).toThrow(RangeError);
    expect(() => new SeededPrng(2 ** 60)).toThrow(RangeError);
  });
});

describe('prng: ranges', () => {
  it('int stays in [0, max) and range in [min, max], reaching both ends', () => {
    const prng = new SeededPrng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const value = prng.range(-3, 3);
      expect(value).toBeGreaterThanOrEqual(-3);
      expect(value).toBeLessThanOrEqual(3);
      seen.add(value);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(prng.int(1)).toBe(0);
    expect(prng.range(5, 5)).toBe(5);
  });

  it('int handles bounds above 2^32 up to 2^53', () => {
    const prng = new SeededPrng(8);
    let sawHighBits = false;
    for (let i = 0; i < 100; i++) {
      const value = prng.int(Number.MAX_SAFE_INTEGER);
      expect(Number.isSafeInteger(value) && value >= 0 && value < Number.MAX_SAFE_INTEGER).toBe(true);
      if (value >= 2 ** 32) sawHighBits = true;
    }
    expect(sawHighBits).toBe(true);
  });

  it('any seed and any bound: int(n) is an integer in [0, n)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (seed, bound) => {
        const value = new SeededPrng(seed).int(bound);
        return Number.isInteger(value) && value >= 0 && value < bound;
      }),
    );
  });

  it('refuses bad arguments instead of returning garbage', () => {
    const prng = new SeededPrng(1);
    expect(() => prng.int(0)).toThrow(RangeError);
    expect(() => prng.int(2.5)).toThrow(RangeError);
    expect(() => prng.range(3, 2)).toThrow(RangeError);
    expect(() => prng.chance(1.5)).toThrow(RangeError);
    expect(() => prng.chance(Number.NaN)).toThrow(RangeError);
    expect(() => prng.pick([])).toThrow(RangeError);
  });
});

describe('prng: distribution', () => {
  it('int(10) is uniform: chi-square over 10 000 draws below the p=0.001 critical value', () => {
    const prng = new SeededPrng(2024);
    const counts = new Array<number>(10).fill(0);
    const total = 10_000;
    for (let i = 0; i < total; i++) counts[prng.int(10)]++;
    const expected = total / 10;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(27.88); // 9 degrees of freedom
  });

  it('int has no modulo bias: with max = 3 * 2^30, a third of draws fall below 2^30 (modulo would give half)', () => {
    const prng = new SeededPrng(99);
    const total = 6000;
    let low = 0;
    for (let i = 0; i < total; i++) if (prng.int(3 * 2 ** 30) < 2 ** 30) low++;
    expect(low / total).toBeGreaterThan(0.3);
    expect(low / total).toBeLessThan(0.367);
  });

  it('chance follows its probability and always consumes exactly one draw', () => {
    const prng = new SeededPrng(5);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (prng.chance(0.25)) hits++;
    expect(hits / 10_000).toBeGreaterThan(0.23);
    expect(hits / 10_000).toBeLessThan(0.27);

    const a = new SeededPrng(6);
    const b = new SeededPrng(6);
    expect(a.chance(0)).toBe(false);
    expect(a.chance(1)).toBe(true);
    b.uint32();
    b.uint32();
    expect(a.uint32()).toBe(b.uint32());
  });

  it('pick reaches every item; shuffle permutes in place, deterministically', () => {
    const prng = new SeededPrng(11);
    const items = ['a', 'b', 'c', 'd'] as const;
    const picked = new Set<string>();
    for (let i = 0; i < 200; i++) picked.add(prng.pick(items));
    expect(picked.size).toBe(4);

    const array = Array.from({ length: 20 }, (_, i) => i);
    const result = new SeededPrng(3).shuffle(array);
    expect(result).toBe(array);
    expect([...array].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(array).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new SeededPrng(3).shuffle(Array.from({ length: 20 }, (_, i) => i))).toEqual(array);
  });
});

describe('prng: fork', () => {
  it('depends only on (seed, label): same label same child, and forking does not consume the parent', () => {
    const parent = new SeededPrng(42);
    const first = draws(parent.fork('broker-1') as SeededPrng, 8);
    const parentAfterFork = draws(parent, 8);
    expect(draws(new SeededPrng(42).fork('broker-1') as SeededPrng, 8)).toEqual(first);
    expect(parentAfterFork).toEqual(draws(new SeededPrng(42), 8));
    parent.uint32();
    expect(draws(parent.fork('broker-1') as SeededPrng, 8)).toEqual(first);
  });

  it('gives independent streams for different labels and different parents', () => {
    const a = new SeededPrng(42).fork('a') as SeededPrng;
    const b = new SeededPrng(42).fork('b') as SeededPrng;
    const otherParent = new SeededPrng(43).fork('a') as SeededPrng;
    const total = 4000;
    let equalBits = 0;
    let equalBitsParent = 0;
    for (let i = 0; i < total; i++) {
      const x = a.uint32();
      if ((x & 1) === (b.uint32() & 1)) equalBits++;
      if ((x & 1) === (otherParent.uint32() & 1)) equalBitsParent++;
    }
    // Independent streams agree on a bit half the time; identical or shifted-identical ones would not.
    for (const agreement of [equalBits / total, equalBitsParent / total]) {
      expect(agreement).toBeGreaterThan(0.46);
      expect(agreement).toBeLessThan(0.54);
    }
    expect(new SeededPrng(42).fork('a').seed).not.toBe(new SeededPrng(42).fork('b').seed);
  });
});

describe('prng: uuid', () => {
  it('is a v4 UUID in Kafka text form: 22 base64url characters, never starting with "-"', () => {
    const prng = new SeededPrng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const text = randomUuid(prng);
      expect(text).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      const bytes = Buffer.from(text, 'base64url');
      expect(bytes.length).toBe(16);
      expect(bytes[6] >> 4).toBe(4);
      expect(bytes[8] >> 6).toBe(0b10);
      expect(bytes.toString('base64url')).toBe(text);
      seen.add(text);
    }
    expect(seen.size).toBe(5000);
  });

  it('is deterministic per seed', () => {
    expect(randomUuid(new SeededPrng(9))).toBe(randomUuid(new SeededPrng(9)));
    expect(randomUuid(new SeededPrng(9))).not.toBe(randomUuid(new SeededPrng(10)));
  });
});
