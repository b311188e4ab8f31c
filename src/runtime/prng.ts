/**
 * The seeded pseudo-random generator behind `Runtime.random`: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator, 128-bit state, passes PractRand and TestU01's BigCrush), seeded through splitmix32. Chosen
 * because it is small, fast with 32-bit integer arithmetic in JavaScript (no BigInt), and well studied;
 * cryptographic strength is not a goal, replayability is.
 *
 * Seeds are any safe integer (53 bits), so that a seed printed by a failing run is pasted back as is.
 * Everything here is integer arithmetic so that a history never depends on float formatting.
 *
 * Left out: floats (`next()` in [0, 1)). Probabilities go through `chance`, which needs no float draw
 * callers could accidentally format into state.
 */
import type { Prng } from './runtime.ts';

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;
/** sfc32's authors discard the first outputs so that similar seeds have diverged before the first draw. */
const WARM_UP_DRAWS = 15;

/** splitmix32's output function: a bijection on 32-bit integers with good avalanche. */
function mix32(value: number): number {
  let z = value | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units (labels are short ASCII in practice), from a chosen offset basis. */
function hashLabel(label: string, basis: number): number {
  let hash = basis >>> 0;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function assertSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`prng seed must be a safe integer, got ${seed}`);
}

export class SeededPrng implements Prng {
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private counter: number;

  constructor(seed: number) {
    assertSeed(seed);
    this.seed = seed;
    // Two's complement low word and the signed high word: distinct safe integers give distinct (low, high)
    // pairs, and splitmix32 steps are bijective, so distinct seeds start from distinct states.
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) | 0;
    this.a = mix32(low + 0x9e3779b9);
    this.b = mix32(low + 2 * 0x9e3779b9);
    this.c = mix32(high + 0x632be5ab);
    this.counter = 1;
    for (let i = 0; i < WARM_UP_DRAWS; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.counter) | 0;
    this.counter = (this.counter + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1) {
      throw new RangeError(`int(maxExclusive) needs a positive safe integer, got ${maxExclusive}`);
    }
    if (maxExclusive <= TWO_POW_32) {
      // Rejection sampling: `x % max` alone would favour small results whenever max does not divide 2^32
      // (for max = 3 * 2^30, values below 2^30 would come up twice as often).
      const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
      for (;;) {
        const x = this.uint32();
        if (x < limit) return x % maxExclusive;
      }
    }
    // Above 2^32, draw 53 bits from two words; all values stay exact in a double.
    const limit = TWO_POW_53 - (TWO_POW_53 % maxExclusive);
    for (;;) {
      const x = (this.uint32() & 0x1f_ffff) * TWO_POW_32 + this.uint32();
      if (x < limit) return x % maxExclusive;
    }
  }

  range(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
      throw new RangeError(`range(min, max) needs safe integers with min <= max, got ${min}, ${max}`);
    }
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    if (!(probability >= 0 && probability <= 1)) {
      throw new RangeError(`chance(probability) needs a probability in [0, 1], got ${probability}`);
    }
    // Always draw, so that tuning a probability (even to 0 or 1) does not shift the rest of the stream.
    const x = this.uint32();
    return x < probability * TWO_POW_32;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick(items) needs at least one item');
    return items[this.int(items.length)];
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const held = items[i];
      items[i] = items[j];
      items[j] = held;
    }
    return items;
  }

  fork(label: string): Prng {
    const low = this.seed >>> 0;
    const high = Math.floor(this.seed / TWO_POW_32) | 0;
    // Two differently based label hashes give 53 bits of child seed, so that sibling labels collide
    // with probability ~2^-53 rather than ~2^-32.
    const childLow = mix32(low ^ mix32(hashLabel(label, 0x811c9dc5) + high));
    const childHigh = mix32(high ^ mix32(hashLabel(label, 0x050c5d1f) ^ low)) & 0x1f_ffff;
    return new SeededPrng(childHigh * TWO_POW_32 + childLow);
  }
}

/**
 * A random version-4 UUID in the text form Kafka uses for topic ids, incarnations and the like
 * (`org.apache.kafka.common.Uuid#toString`): the 16 bytes in base64url without padding, 22 characters.
 * Like Kafka's `Uuid.randomUuid()`, redraws an id whose text starts with '-' (it would read as a
 * command-line flag); the reserved ZERO_UUID and METADATA_TOPIC_ID cannot occur with the version bits set.
 */
export function randomUuid(prng: Prng): string {
  const bytes = new Uint8Array(16);
  for (;;) {
    for (let word = 0; word < 4; word++) {
      const x = prng.uint32();
      bytes[word * 4] = x >>> 24;
      bytes[word * 4 + 1] = (x >>> 16) & 0xff;
      bytes[word * 4 + 2] = (x >>> 8) & 0xff;
      bytes[word * 4 + 3] = x & 0xff;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const text = Buffer.from(bytes).toString('base64url');
    if (!text.startsWith('-')) return text;
  }
}
