/**
 * Our partitioners against KafkaJS 2.2.4's own (loaded from node_modules): same hashes, same partition for
 * every keyed message, same null-key round-robin sequence given the same counter starts.
 *
 * KafkaJS seeds a topic's counter on the first call for that topic with `randomBytes(32).readUInt32BE(0)`
 * (producer/partitioners/legacy/randomBytes.js), which on Node 20 goes through `globalThis.crypto`'s
 * `getRandomValues`. The tests stub that (and only in the test) to feed KafkaJS the same starts our
 * partitioner draws from its Prng, and check the stub was really used.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Partitioners,
  WITH_RANDOM,
  createDefaultPartitioner,
  createLegacyPartitioner,
  instantiatePartitioner,
  legacyMurmur2,
  murmur2,
  type ICustomPartitioner,
  type Message,
  type PartitionMetadata,
  type Partitioner,
} from '../../src/client/partitioners.ts';
import { SeededPrng } from '../../src/runtime/prng.ts';
import type { Prng } from '../../src/runtime/runtime.ts';

const require = createRequire(import.meta.url);

type KafkaJSPartitionerArgs = { topic: string; partitionMetadata: PartitionMetadata[]; message: { key?: Buffer | string | null; partition?: number | null; value?: Buffer | string | null } };
type KafkaJSPartitioner = (args: KafkaJSPartitionerArgs) => number;
const kafkajs = require('kafkajs') as { Partitioners: Record<string, () => KafkaJSPartitioner> };
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;
const kafkajsLegacyMurmur2 = require('kafkajs/src/producer/partitioners/legacy/murmur2') as (key: Buffer | string) => number;

const KINDS = [
  { name: 'DefaultPartitioner', ours: createDefaultPartitioner, hash: murmur2, theirsHash: kafkajsMurmur2 },
  { name: 'LegacyPartitioner', ours: createLegacyPartitioner, hash: legacyMurmur2, theirsHash: kafkajsLegacyMurmur2 },
] as const;

/** A random key: a string mixing ASCII, Latin-1, BMP, astral and lone surrogates, or a Buffer; empty often. */
function randomKey(random: Prng): Buffer | string {
  const length = random.chance(0.05) ? 0 : random.range(1, random.chance(0.1) ? 300 : 24);
  if (random.chance(0.5)) {
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) bytes[i] = random.int(256);
    return bytes;
  }
  let text = '';
  while (text.length < length) {
    switch (random.int(5)) {
      case 0:
        text += String.fromCharCode(random.range(0x20, 0x7e));
        break;
      case 1:
        text += String.fromCharCode(random.range(0x80, 0xff));
        break;
      case 2:
        text += String.fromCharCode(random.range(0x100, 0xd7ff));
        break;
      case 3:
        text += String.fromCodePoint(random.range(0x10000, 0x10ffff));
        break;
      default:
        text += String.fromCharCode(random.range(0xd800, 0xdfff)); // lone surrogate
    }
  }
  return text;
}

function metadata(partitionIds: number[], leaderless: ReadonlySet<number> = new Set()): PartitionMetadata[] {
  return partitionIds.map((partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.has(partitionId) ? -1 : partitionId % 3,
    replicas: [0, 1, 2],
    isr: [0, 1, 2],
  }));
}

/** A Prng whose `uint32()` replays `values` (the only draw the partitioners make). */
function scriptedPrng(values: number[]): Prng & { draws: number } {
  const fallback = new SeededPrng(1);
  let next = 0;
  return Object.assign(fallback, {
    draws: 0,
    uint32(this: { draws: number }): number {
      this.draws++;
      if (next >= values.length) throw new Error('scripted prng exhausted');
      return values[next++];
    },
  });
}

/** Makes KafkaJS's `randomBytes(32)` return buffers starting with `starts[0]`, `starts[1]`, ... (big-endian). */
function stubKafkaJSRandom(starts: number[]): { calls: () => number } {
  let next = 0;
  const fill = (buffer: Uint8Array): Uint8Array => {
    if (next >= starts.length) throw new Error('stubbed randomness exhausted');
    Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).writeUInt32BE(starts[next++], 0);
    return buffer;
  };
  const host = globalThis.crypto as typeof globalThis.crypto & { randomBytes?: (size: number) => Buffer };
  if (typeof host.randomBytes === 'function') {
    vi.spyOn(host, 'randomBytes').mockImplementation((size: number) => fill(Buffer.alloc(size)) as Buffer);
  } else {
    vi.spyOn(host, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => fill(array as unknown as Uint8Array) as unknown as T);
  }
  return { calls: () => next };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Partitioners: the public object', () => {
  it('has exactly the names KafkaJS 2.2.4 exports, with JavaCompatiblePartitioner an alias of DefaultPartitioner', () => {
    expect(Object.keys(Partitioners)).toEqual(Object.keys(kafkajs.Partitioners));
    expect(Partitioners.JavaCompatiblePartitioner).toBe(Partitioners.DefaultPartitioner);
    expect(kafkajs.Partitioners.JavaCompatiblePartitioner).toBe(kafkajs.Partitioners.DefaultPartitioner);
  });
});

describe('murmur2 hashes equal KafkaJS', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: 5 000 random keys (strings, Buffers, non-ASCII, empty)`, () => {
      const random = new SeededPrng(20240601);
      const mismatches: Array<{ key: Buffer | string; ours: number; theirs: number }> = [];
      for (let i = 0; i < 5_000; i++) {
        const key = randomKey(random);
        const ours = kind.hash(key);
        const theirs = kind.theirsHash(key);
        if (!Object.is(ours, theirs)) mismatches.push({ key, ours, theirs });
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
    });

    it(`${kind.name}: every length 0..64 of the same bytes, and fixed vectors`, () => {
      const bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 200) & 0xff));
      for (let length = 0; length <= 64; length++) {
        expect(kind.hash(bytes.subarray(0, length))).toBe(kind.theirsHash(bytes.subarray(0, length)));
      }
      for (const key of ['', 'a', 'ab', 'abc', 'abcd', '21', 'foobar', 'a-little-bit-long-string', 'lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', 'ñ日本🙂']) {
        expect(kind.hash(key)).toBe(kind.theirsHash(key));
      }
    });
  }

  it('the two hashes really differ (the parity tests are not comparing one function with itself)', () => {
    const keys = ['abc', 'foobar', Buffer.from([1, 2, 3, 4, 5]), 'a-little-bit-long-string'];
    expect(keys.filter((key) => murmur2(key) !== legacyMurmur2(key)).length).toBeGreaterThan(0);
  });

  it('DefaultPartitioner matches the Java client (Kafka UtilsTest.testMurmur2 vectors)', () => {
    const javaVectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, expected] of javaVectors) expect(murmur2(key)).toBe(expected);
  });
});

describe('keyed messages land on the same partition as with KafkaJS', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: 64 partition counts x 100 random keys, with leaderless partitions and shuffled metadata`, () => {
      const random = new SeededPrng(77);
      const starts = Array.from({ length: 64 }, () => random.uint32());
      stubKafkaJSRandom(starts);
      const theirs = kafkajs.Partitioners[kind.name]();
      const ours = kind.ours(scriptedPrng(starts))();
      for (let numPartitions = 1; numPartitions <= 64; numPartitions++) {
        const ids = random.shuffle(Array.from({ length: numPartitions }, (_, i) => i));
        const leaderless = new Set(ids.filter(() => random.chance(0.2)));
        const partitionMetadata = metadata(ids, leaderless);
        const topic = `topic-${numPartitions}`;
        for (let i = 0; i < 100; i++) {
          const message = { key: randomKey(random), value: null };
          const expected = theirs({ topic, partitionMetadata, message });
          expect(ours({ topic, partitionMetadata, message }), `key ${String(message.key)} / ${numPartitions}`).toBe(expected);
          expect(expected).toBeGreaterThanOrEqual(0);
          expect(expected).toBeLessThan(numPartitions);
        }
      }
    });
  }

  it('a key goes to toPositive(murmur2(key)) % numPartitions, over all partitions whether or not they have a leader', () => {
    const partition = createDefaultPartitioner(new SeededPrng(1))();
    const partitionMetadata = metadata([0, 1, 2, 3, 4, 5], new Set([0, 1, 2, 3, 4, 5]));
    // murmur2('foobar') = -790332482; & 0x7fffffff = 1357151166; % 6 = 0 (Math.abs would give 2).
    expect(partition({ topic: 't', partitionMetadata, message: { key: 'foobar', value: null } })).toBe(0);
    expect(Math.abs(-790332482) % 6).toBe(2);
  });
});

describe('null keys: round-robin over partitions with a leader, from a random start per topic', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: same sequence as KafkaJS given the same starts, across interleaved topics`, () => {
      const random = new SeededPrng(4242);
      // Starts near the int32 / uint32 edges too: KafkaJS's counter is a double, masked by toPositive.
      const edgeStarts = [0x7ffffffe, 0xfffffffe, 0, 0x80000000];
      const starts = [...edgeStarts, ...Array.from({ length: 20 }, () => random.uint32())];
      const stub = stubKafkaJSRandom(starts);
      const prng = scriptedPrng(starts);
      const theirs = kafkajs.Partitioners[kind.name]();
      const ours = kind.ours(prng)();

      const topics = Array.from({ length: 12 }, (_, t) => {
        const count = random.range(1, 12);
        const ids = random.shuffle(Array.from({ length: count }, (_, i) => i));
        // Topic 3 has no leader at all; the others lose some.
        const leaderless = new Set(t === 3 ? ids : ids.filter(() => random.chance(0.3)));
        return { topic: `t${t}`, partitionMetadata: metadata(ids, leaderless) };
      });

      const seen: number[] = [];
      for (let i = 0; i < 3_000; i++) {
        const { topic, partitionMetadata } = random.pick(topics);
        const roll = random.int(10);
        // Mostly null keys; some explicit partitions and keys in between (they seed the counter too, but do not advance it).
        const message: KafkaJSPartitionerArgs['message'] =
          roll === 0 ? { partition: random.int(partitionMetadata.length), value: null } : roll === 1 ? { key: randomKey(random), value: null } : roll === 2 ? { key: undefined, partition: null, value: null } : { key: null, value: null };
        const expected = theirs({ topic, partitionMetadata, message });
        const actual = ours({ topic, partitionMetadata, message: message as Message });
        expect(actual, `call ${i} on ${topic}`).toBe(expected);
        seen.push(actual);
        if (roll >= 2 && topic !== 't3') {
          const withLeader = partitionMetadata.filter((p) => p.leader >= 0).map((p) => p.partitionId);
          if (withLeader.length > 0) expect(withLeader).toContain(actual);
        }
      }
      expect(stub.calls()).toBe(topics.length);
      expect(prng.draws).toBe(topics.length);
      expect(new Set(seen).size).toBeGreaterThan(5);
    });
  }

  it('successive null-key messages on one topic walk the available partitions in metadata order', () => {
    const partition = createDefaultPartitioner(scriptedPrng([9]))();
    const partitionMetadata = metadata([4, 2, 0, 3, 1], new Set([0, 3]));
    // available, in metadata order: 4, 2, 1. Counter 9 -> ++ = 10 -> 10 % 3 = 1 -> partition 2.
    const got = Array.from({ length: 6 }, () => partition({ topic: 't', partitionMetadata, message: { key: null, value: null } }));
    expect(got).toEqual([2, 1, 4, 2, 1, 4]);
  });

  it('with no partition having a leader, still answers over all partitions (as KafkaJS)', () => {
    const partition = createDefaultPartitioner(scriptedPrng([0]))();
    const partitionMetadata = metadata([0, 1, 2], new Set([0, 1, 2]));
    const got = Array.from({ length: 4 }, () => partition({ topic: 't', partitionMetadata, message: { value: null } }));
    expect(got).toEqual([1, 2, 0, 1]);
  });

  it('quirk kept: a topic named like an Object.prototype member is never seeded and always gets the first available partition', () => {
    stubKafkaJSRandom([5, 5, 5, 5]);
    const prng = scriptedPrng([5, 5, 5, 5]);
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    const ours = createDefaultPartitioner(prng)();
    const partitionMetadata = metadata([0, 1, 2, 3], new Set([0]));
    for (const topic of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'ordinary']) {
      const theirsSeq = Array.from({ length: 5 }, () => theirs({ topic, partitionMetadata, message: { value: null } }));
      const oursSeq = Array.from({ length: 5 }, () => ours({ topic, partitionMetadata, message: { value: null } }));
      expect(oursSeq).toEqual(theirsSeq);
      if (topic === 'ordinary') expect(new Set(oursSeq).size).toBe(3);
      else expect(oursSeq).toEqual([1, 1, 1, 1, 1]);
    }
    expect(prng.draws).toBe(1);
  });
});

describe('explicit partitions', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: message.partition wins over key and round-robin, including 0 and leaderless or unknown partitions`, () => {
      const starts = [123];
      stubKafkaJSRandom(starts);
      const theirs = kafkajs.Partitioners[kind.name]();
      const ours = kind.ours(scriptedPrng(starts))();
      const partitionMetadata = metadata([0, 1, 2], new Set([2]));
      for (const message of [
        { partition: 0, key: 'foobar', value: null },
        { partition: 2, key: null, value: null },
        { partition: 1, value: null },
        { partition: 17, key: 'x', value: null },
      ]) {
        expect(ours({ topic: 't', partitionMetadata, message })).toBe(message.partition);
        expect(theirs({ topic: 't', partitionMetadata, message })).toBe(message.partition);
      }
      // partition: null is "not given": the key decides.
      const keyed = { partition: null as unknown as number, key: 'foobar', value: null };
      expect(ours({ topic: 't', partitionMetadata, message: keyed })).toBe(toPositiveMod('foobar', kind.hash, 3));
      expect(ours({ topic: 't', partitionMetadata, message: keyed })).toBe(theirs({ topic: 't', partitionMetadata, message: keyed }));
    });
  }
});

function toPositiveMod(key: string, hash: (key: string) => number, n: number): number {
  return (hash(key) & 0x7fffffff) % n;
}

describe('randomness comes from the Prng', () => {
  const nullKeySequence = (partitioner: Partitioner, topics: string[]): number[] => {
    const partitionMetadata = metadata(Array.from({ length: 16 }, (_, i) => i));
    return topics.map((topic) => partitioner({ topic, partitionMetadata, message: { key: null, value: null } }));
  };
  const topics = Array.from({ length: 40 }, (_, i) => `topic-${i % 8}`);

  it('instantiatePartitioner gives built-ins the runtime Prng: same seed same starts, other seed other starts', () => {
    for (const factory of [Partitioners.DefaultPartitioner, Partitioners.LegacyPartitioner, undefined]) {
      const a = nullKeySequence(instantiatePartitioner(factory, new SeededPrng(1)), topics);
      const b = nullKeySequence(instantiatePartitioner(factory, new SeededPrng(1)), topics);
      const c = nullKeySequence(instantiatePartitioner(factory, new SeededPrng(2)), topics);
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
    }
  });

  it('the starts are exactly the Prng uint32 draws, one per topic at first sight', () => {
    const seeded = new SeededPrng(99);
    const expectedStarts = Array.from({ length: 8 }, () => seeded.uint32());
    const got = nullKeySequence(instantiatePartitioner(Partitioners.DefaultPartitioner, new SeededPrng(99)), topics.slice(0, 8));
    expect(got).toEqual(expectedStarts.map((start) => ((start + 1) & 0x7fffffff) % 16));
  });

  it('a user factory is called with no arguments, as KafkaJS calls it, and its partitioner is used as is', () => {
    const calls: unknown[][] = [];
    const custom: ICustomPartitioner = (...args: unknown[]) => {
      calls.push(args);
      return () => 7;
    };
    const partitioner = instantiatePartitioner(custom, new SeededPrng(1));
    expect(calls).toEqual([[]]);
    expect(partitioner({ topic: 't', partitionMetadata: metadata([0]), message: { value: null } })).toBe(7);
  });

  it('called directly, a built-in factory is deterministic (SeededPrng(0)) and the hook is what rebinds it', () => {
    expect(nullKeySequence(Partitioners.DefaultPartitioner(), topics)).toEqual(nullKeySequence(Partitioners.DefaultPartitioner(), topics));
    expect(nullKeySequence(Partitioners.DefaultPartitioner(), topics)).toEqual(nullKeySequence(createDefaultPartitioner(new SeededPrng(0))(), topics));
    expect(nullKeySequence(Partitioners.LegacyPartitioner[WITH_RANDOM](new SeededPrng(5))(), topics)).toEqual(
      nullKeySequence(createLegacyPartitioner(new SeededPrng(5))(), topics),
    );
  });

  it('each partitioner instance has its own counters', () => {
    const prng = scriptedPrng([0, 0]);
    const factory = createDefaultPartitioner(prng);
    const first = factory();
    const second = factory();
    const pm = metadata([0, 1, 2, 3]);
    expect([first, first, second].map((p) => p({ topic: 't', partitionMetadata: pm, message: { value: null } }))).toEqual([1, 2, 1]);
  });
});
