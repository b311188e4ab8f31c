/**
 * Producer partitioners, identical to KafkaJS 2.2.4's `Partitioners` (src/producer/partitioners/):
 *
 * - `DefaultPartitioner` (alias `JavaCompatiblePartitioner`, deprecated in KafkaJS): Java client's murmur2,
 *   so keyed messages land where a Java producer would put them.
 * - `LegacyPartitioner`: KafkaJS 1.x's murmur2 done on JS doubles, which gives different hashes (see
 *   `legacyMurmur2`).
 *
 * Both share one strategy (KafkaJS's `legacy/partitioner.js`): an explicit `message.partition` wins; else a
 * key is hashed, `toPositive(hash) % partitionMetadata.length`; else round-robin over the partitions that
 * have a leader (`leader >= 0`), from a per-topic counter whose start is random.
 *
 * Randomness. KafkaJS seeds each topic's counter lazily, on the first call for that topic (whatever the
 * message), with `randomBytes(32).readUInt32BE(0)` from the host's crypto. Here the start is one
 * `Prng.uint32()` draw taken at that same moment, so the number and order of draws match KafkaJS's.
 * Where the Prng comes from:
 *
 * - `createDefaultPartitioner(random)` / `createLegacyPartitioner(random)` build an `ICustomPartitioner`
 *   bound to a Prng. This is what the client uses.
 * - `Partitioners.DefaultPartitioner` etc. keep KafkaJS's public signature `() => partitioner`, and carry a
 *   symbol-keyed hook (`WITH_RANDOM`) that rebinds them to a Prng. The producer resolves whatever the user
 *   passed as `createPartitioner` through `instantiatePartitioner(createPartitioner, random)`: ours get the
 *   runtime's Prng through the hook, a user's own factory is called with no arguments exactly as KafkaJS
 *   calls it. Calling `Partitioners.DefaultPartitioner()` directly (outside a producer) has no runtime to
 *   draw from, so it uses a fresh `SeededPrng(0)`: deterministic, the same start on every call.
 */
import type { PartitionMetadata } from './types.ts';
import type { Prng } from '../runtime/runtime.ts';
import { SeededPrng } from '../runtime/prng.ts';

export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/** KafkaJS's `Message`. */
export interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: IHeaders;
  timestamp?: string;
}

export type { PartitionMetadata } from './types.ts';

export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}

export type Partitioner = (args: PartitionerArgs) => number;
export type ICustomPartitioner = () => Partitioner;
export type DefaultPartitioner = ICustomPartitioner;
export type LegacyPartitioner = ICustomPartitioner;

/** Key of the hook on our built-in partitioner factories that rebinds them to a Prng. */
export const WITH_RANDOM: unique symbol = Symbol('kafkasim.partitioner.withRandom');

/** A built-in partitioner factory: KafkaJS's signature plus the Prng hook. */
export interface SeedablePartitioner extends ICustomPartitioner {
  readonly [WITH_RANDOM]: (random: Prng) => ICustomPartitioner;
}

export type HashFunction = (key: Buffer | string) => number;

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

function keyBytes(key: Buffer | string): Buffer {
  // As KafkaJS: anything that is not a Buffer (a Uint8Array included) goes through String().
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key));
}

/**
 * The Java client's murmur2 (Utils.murmur2), signed 32-bit result. KafkaJS computes it on unbounded
 * BigInts (its `Long` never truncates a product) and keeps the low 32 bits at the end; every step only
 * depends on low bits, so 32-bit `Math.imul` arithmetic gives the same result, in linear instead of
 * quadratic time.
 */
export function murmur2(key: Buffer | string): number {
  const data = keyBytes(key);
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = Math.floor(length / 4);

  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) | ((data[i4 + 1] & 0xff) << 8) | ((data[i4 + 2] & 0xff) << 16) | ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }

  // Java's fall-through switch on length % 4, as ifs (the project forbids fall-through).
  const tail = length & ~3;
  const rest = length % 4;
  if (rest >= 3) h ^= (data[tail + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail] & 0xff;
    h = Math.imul(h, M);
  }

  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * KafkaJS's legacy murmur2, kept operation for operation because its results depend on the quirks: products
 * are JS doubles (rounded past 2^53, not 32-bit), the block loop runs `ceil(length / 4)` times so a partial
 * last block is mixed in zero-padded (bytes past the end read as `undefined & 0xff` = 0) and then mixed
 * again by the tail switch, and the seed is not truncated before the xor.
 */
export function legacyMurmur2(key: Buffer | string): number {
  const data = keyBytes(key);
  const length = data.length;
  const at = (index: number): number => (index < length ? data[index] : 0);

  let h = SEED ^ length;
  const length4 = length / 4;

  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (at(i4) & 0xff) + ((at(i4 + 1) & 0xff) << 8) + ((at(i4 + 2) & 0xff) << 16) + ((at(i4 + 3) & 0xff) << 24);
    k *= M;
    k ^= k >>> R;
    k *= M;
    h *= M;
    h ^= k;
  }

  const rest = length % 4;
  if (rest >= 3) h ^= (at((length & ~3) + 2) & 0xff) << 16;
  if (rest >= 2) h ^= (at((length & ~3) + 1) & 0xff) << 8;
  if (rest >= 1) {
    h ^= at(length & ~3) & 0xff;
    h *= M;
  }

  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return h;
}

/** KafkaJS's `toPositive`: not `Math.abs`, the sign bit is masked off (Java's `Utils.toPositive`). */
export const toPositive = (x: number): number => x & 0x7fffffff;

/**
 * KafkaJS's `legacy/partitioner.js` with the counter start drawn from `random`. The counters live in a
 * plain `{}` tested with `in`, as in KafkaJS; see the quirk on inherited names in the tests/report:
 * a topic named like an `Object.prototype` member ("constructor", "toString", "__proto__", ...) is never
 * seeded, its counter is NaN and every null-key message goes to the first available partition.
 */
export function createPartitionerFactory(hash: HashFunction, random: Prng): ICustomPartitioner {
  return () => {
    const counters: Record<string, number> = {};

    return ({ topic, partitionMetadata, message }) => {
      if (!(topic in counters)) {
        counters[topic] = random.uint32();
      }
      const numPartitions = partitionMetadata.length;
      const availablePartitions = partitionMetadata.filter((p) => p.leader >= 0);
      const numAvailablePartitions = availablePartitions.length;

      if (message.partition !== null && message.partition !== undefined) {
        return message.partition;
      }

      if (message.key !== null && message.key !== undefined) {
        return toPositive(hash(message.key)) % numPartitions;
      }

      if (numAvailablePartitions > 0) {
        const i = toPositive(++counters[topic]) % numAvailablePartitions;
        return availablePartitions[i].partitionId;
      }

      // No partition has a leader: KafkaJS still answers, with a partition that has none.
      return toPositive(++counters[topic]) % numPartitions;
    };
  };
}

/** The Java-compatible partitioner bound to `random` (what the client uses). */
export function createDefaultPartitioner(random: Prng): ICustomPartitioner {
  return createPartitionerFactory(murmur2, random);
}

/** KafkaJS 1.x's partitioner bound to `random`. */
export function createLegacyPartitioner(random: Prng): ICustomPartitioner {
  return createPartitionerFactory(legacyMurmur2, random);
}

function seedable(bind: (random: Prng) => ICustomPartitioner): SeedablePartitioner {
  const factory = (() => bind(new SeededPrng(0))()) as ICustomPartitioner;
  return Object.assign(factory, { [WITH_RANDOM]: bind }) as SeedablePartitioner;
}

const defaultPartitioner = seedable(createDefaultPartitioner);

export const Partitioners: {
  DefaultPartitioner: SeedablePartitioner;
  LegacyPartitioner: SeedablePartitioner;
  /**
   * @deprecated Use DefaultPartitioner instead
   *
   * The JavaCompatiblePartitioner was renamed DefaultPartitioner and made to be the default in 2.0.0.
   */
  JavaCompatiblePartitioner: SeedablePartitioner;
} = {
  DefaultPartitioner: defaultPartitioner,
  LegacyPartitioner: seedable(createLegacyPartitioner),
  JavaCompatiblePartitioner: defaultPartitioner,
};

function isSeedable(factory: ICustomPartitioner): factory is SeedablePartitioner {
  return typeof (factory as Partial<SeedablePartitioner>)[WITH_RANDOM] === 'function';
}

/**
 * How the producer turns `createPartitioner` (default `Partitioners.DefaultPartitioner`, as in KafkaJS 2.x)
 * into a partitioner: built-in factories draw from `random`, anything else is called as KafkaJS calls it.
 */
export function instantiatePartitioner(createPartitioner: ICustomPartitioner | undefined, random: Prng): Partitioner {
  const factory = createPartitioner ?? Partitioners.DefaultPartitioner;
  return isSeedable(factory) ? factory[WITH_RANDOM](random)() : factory();
}
