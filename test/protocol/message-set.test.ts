/**
 * Legacy message sets (magic 0 and 1): round trips for every codec, the LegacyRecord byte layout, KIP-31
 * relative inner offsets, LogAppendTime wrappers, truncated tails, and malformed input.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionCodec, compressionCodecName, decompress, xxhash32 } from '../../src/protocol/codec/compression.ts';
import { crc32, crc32Reference } from '../../src/protocol/codec/crc32c.ts';
import {
  RecordBatchDecodeError,
  decodeMessageSet,
  detectMagic,
  encodeMessageSet,
  splitBatches,
  type LegacyMessageInput,
} from '../../src/protocol/codec/message-set.ts';
import { encodeRecordBatch } from '../../src/protocol/codec/record-batch.ts';

const codecs = [CompressionCodec.None, CompressionCodec.GZIP, CompressionCodec.Snappy, CompressionCodec.LZ4, CompressionCodec.ZSTD] as const;
const nullableBytes = fc.option(
  fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
  { nil: null, freq: 4 },
);
/** Consecutive absolute offsets from a random base, as a log holds them. */
const messages = fc
  .tuple(
    fc.bigInt({ min: 0n, max: 2n ** 62n }),
    fc.array(fc.record({ timestamp: fc.bigInt({ min: -1n, max: 2n ** 50n }), key: nullableBytes, value: nullableBytes }), { minLength: 1, maxLength: 15 }),
  )
  .map(([base, list]): LegacyMessageInput[] => list.map((m, i) => ({ ...m, offset: base + BigInt(i) })));

function expectOnlyDecodeErrors(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof RecordBatchDecodeError)) throw error;
  }
}

function withFixedCrc(entry: Buffer, at = 0): Buffer {
  entry.writeUInt32BE(crc32(entry, at + 16, at + 12 + entry.readInt32BE(at + 8)), at + 12);
  return entry;
}

describe('message set round trip', () => {
  for (const magic of [0, 1] as const) {
    for (const codec of codecs) {
      it(`magic ${magic}, ${compressionCodecName(codec)}: decode(encode(x)) gives the same messages`, () => {
        fc.assert(
          fc.property(messages, (input) => {
            const decoded = decodeMessageSet(encodeMessageSet(input, { magic, compression: codec }));
            expect(decoded).toEqual(
              input.map((m) => ({
                offset: m.offset,
                magic,
                attributes: 0,
                timestamp: magic === 0 ? -1n : m.timestamp,
                timestampType: 0,
                key: m.key,
                value: m.value,
                compression: codec,
              })),
            );
          }),
          { numRuns: codec === CompressionCodec.None ? 200 : 60 },
        );
      });
    }
  }

  it('an empty list encodes to an empty set, which decodes to nothing', () => {
    for (const codec of codecs) expect(encodeMessageSet([], { magic: 1, compression: codec }).length).toBe(0);
    expect(decodeMessageSet(Buffer.alloc(0))).toEqual([]);
  });
});

describe('message set layout (LegacyRecord)', () => {
  it('magic 0: offset, size, crc (CRC-32 over magic..end), magic, attributes, key, value', () => {
    const set = encodeMessageSet([{ offset: 7n, key: Buffer.from('k'), value: Buffer.from('val') }], { magic: 0 });
    expect(set.readBigInt64BE(0)).toBe(7n);
    expect(set.readInt32BE(8)).toBe(14 + 1 + 3);
    expect(set.readUInt32BE(12)).toBe(crc32Reference(set, 16));
    expect([...set.subarray(16)]).toEqual([0, 0, 0, 0, 0, 1, 0x6b, 0, 0, 0, 3, 0x76, 0x61, 0x6c]);
  });

  it('magic 1 adds the timestamp after attributes; a null key is length -1', () => {
    const set = encodeMessageSet([{ offset: 0n, timestamp: 0x0102n, key: null, value: Buffer.from('v') }], { magic: 1 });
    expect(set.readInt32BE(8)).toBe(22 + 1);
    expect([...set.subarray(16)]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0x76]);
    expect(detectMagic(set)).toBe(1);
  });

  it('a compressed magic 1 set is one wrapper at the last absolute offset holding relative inner offsets (KIP-31)', () => {
    const input = [100n, 101n, 102n].map((offset) => ({ offset, timestamp: 1000n + offset, value: Buffer.from(`m${offset}`) }));
    const set = encodeMessageSet(input, { magic: 1, compression: CompressionCodec.GZIP });
    const { batches } = splitBatches(set);
    expect(batches).toHaveLength(1);
    expect(set.readBigInt64BE(0)).toBe(102n);
    expect(set[17]).toBe(CompressionCodec.GZIP);
    expect(set.readBigInt64BE(18)).toBe(1102n); // wrapper timestamp = max inner timestamp
    expect(set.readInt32BE(26)).toBe(-1); // null key
    const inner = decompress(CompressionCodec.GZIP, set.subarray(34));
    expect(splitBatches(inner).batches.map((b) => b.readBigInt64BE(0))).toEqual([0n, 1n, 2n]);
  });

  it('a compressed magic 0 set keeps absolute inner offsets, and writes LZ4 with the pre-KAFKA-3160 header checksum', () => {
    const input = [5n, 6n].map((offset) => ({ offset, value: Buffer.from(`m${offset}`) }));
    const set = encodeMessageSet(input, { magic: 0, compression: CompressionCodec.LZ4 });
    expect(set.readBigInt64BE(0)).toBe(6n);
    const frame = set.subarray(26); // entry header 12, crc 4, magic, attributes, key length 4, value length 4
    expect(frame[6]).toBe((xxhash32(frame, 0, 6) >>> 8) & 0xff);
    const inner = decompress(CompressionCodec.LZ4, frame);
    expect(splitBatches(inner).batches.map((b) => b.readBigInt64BE(0))).toEqual([5n, 6n]);
    expect(decodeMessageSet(set).map((m) => m.offset)).toEqual([5n, 6n]);
  });

  it('a LogAppendTime wrapper gives every inner message its timestamp', () => {
    const input = [0n, 1n].map((offset) => ({ offset, timestamp: 50n + offset, value: Buffer.from('v') }));
    const set = encodeMessageSet(input, { magic: 1, compression: CompressionCodec.Snappy, timestampType: 1 });
    set.writeBigInt64BE(9999n, 18); // the broker stamps the wrapper with its log append time
    withFixedCrc(set);
    expect(decodeMessageSet(set).map((m) => [m.timestamp, m.timestampType])).toEqual([
      [9999n, 1],
      [9999n, 1],
    ]);
    const uncompressed = encodeMessageSet(input, { magic: 1, timestampType: 1 });
    expect(decodeMessageSet(uncompressed).map((m) => m.timestampType)).toEqual([1, 1]);
  });
});

describe('truncated tails and malformed message sets', () => {
  it('a partial trailing message is corrupt by default and skipped when allowed (a Fetch may end in one)', () => {
    fc.assert(
      fc.property(messages, fc.constantFrom(0 as const, 1 as const), fc.nat(), (input, magic, cut) => {
        const whole = encodeMessageSet(input, { magic });
        const lastSize = whole.length - encodeMessageSet(input.slice(0, -1), { magic }).length;
        const keep = whole.length - lastSize + (cut % lastSize);
        const partial = whole.subarray(0, keep);
        expect(decodeMessageSet(partial, { allowTruncatedTail: true })).toHaveLength(input.length - 1);
        if (keep > whole.length - lastSize) expect(() => decodeMessageSet(partial)).toThrow(/partial/);
      }),
      { numRuns: 100 },
    );
  });

  it('a CRC mismatch is detected (and can be skipped)', () => {
    const set = encodeMessageSet([{ offset: 0n, value: Buffer.from('value') }], { magic: 1 });
    set[set.length - 1] ^= 1;
    expect(() => decodeMessageSet(set)).toThrow(/stored crc = \d+, computed crc = \d+/);
    expect(decodeMessageSet(set, { verifyCrc: false })[0].value!.toString()).toBe('valud');
  });

  const one = () => encodeMessageSet([{ offset: 0n, key: Buffer.from('k'), value: Buffer.from('value') }], { magic: 1 });
  const cases: [string, () => Buffer, RegExp][] = [
    ['a v2 batch inside a message set', () => encodeRecordBatch({ baseTimestamp: 0n, records: [{ value: Buffer.from('v') }] }), /magic 2, expected 0 or 1/],
    ['a message size below the minimum', () => ((b) => (b.writeInt32BE(13, 8), b))(one()), /less than the minimum 14/],
    ['a magic 1 message shorter than its overhead', () => withFixedCrc(((b) => (b.writeInt32BE(20, 8), b))(Buffer.from(one().subarray(0, 32)))), /minimum 22 for magic 1/],
    ['a key length beyond the message', () => withFixedCrc(((b) => (b.writeInt32BE(100, 26), b))(one())), /key of 100 bytes overruns/],
    ['a value length beyond the message', () => withFixedCrc(((b) => (b.writeInt32BE(100, 31), b))(one())), /value of 100 bytes overruns/],
    ['fields shorter than the declared size', () => withFixedCrc(((b) => (b.writeInt32BE(4, 31), b))(one())), /fields take/],
    ['an unknown codec', () => withFixedCrc(((b) => (b.writeInt8(5, 17), b))(one())), /unknown compression codec 5/],
    ['a compressed wrapper with a null value', () => withFixedCrc(((b) => (b.writeInt8(1, 17), b))(encodeMessageSet([{ offset: 0n, value: null }], { magic: 1 }))), /null value/],
    ['a compressed wrapper holding garbage', () => withFixedCrc(((b) => (b.writeInt8(1, 17), b))(one())), /corrupt gzip/],
  ];
  for (const [name, make, message] of cases) {
    it(`${name} -> RecordBatchDecodeError ${message}`, () => {
      expect(() => decodeMessageSet(make())).toThrow(RecordBatchDecodeError);
      expect(() => decodeMessageSet(make())).toThrow(message);
    });
  }

  /** A gzip wrapper around `inner`, built by hand so the inner bytes can be anything. */
  function wrap(inner: Buffer, magic: 0 | 1): Buffer {
    const template = encodeMessageSet([{ offset: 0n, value: Buffer.from('x') }], { magic, compression: CompressionCodec.GZIP });
    const header = template.subarray(0, magic === 0 ? 22 : 30); // up to the value length
    const gz = gzipSync(inner);
    const set = Buffer.concat([header, Buffer.alloc(4), gz]);
    set.writeInt32BE(gz.length, header.length);
    set.writeInt32BE(set.length - 12, 8);
    return withFixedCrc(set);
  }

  it('nested compression, mixed inner magic and empty wrappers are rejected, as Kafka rejects them', () => {
    const compressedInner = encodeMessageSet([{ offset: 0n, value: Buffer.from('v') }], { magic: 1, compression: CompressionCodec.GZIP });
    expect(() => decodeMessageSet(wrap(compressedInner, 1))).toThrow(/contains a compressed message/);
    const v0Inner = encodeMessageSet([{ offset: 0n, value: Buffer.from('v') }], { magic: 0 });
    expect(() => decodeMessageSet(wrap(v0Inner, 1))).toThrow(/does not match wrapper magic/);
    expect(() => decodeMessageSet(wrap(Buffer.alloc(0), 1))).toThrow(/no inner records/);
    expect(() => decodeMessageSet(wrap(v0Inner.subarray(0, v0Inner.length - 1), 0))).toThrow(/partial/);
    expect(decodeMessageSet(wrap(v0Inner, 0))).toHaveLength(1);
  });

  it('fuzz: random bytes, truncations and mutations raise only RecordBatchDecodeError', () => {
    fc.assert(
      fc.property(
        messages,
        fc.constantFrom(0 as const, 1 as const),
        fc.constantFrom(...codecs),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.uint8Array({ maxLength: 200 }),
        (input, magic, codec, cut, flips, noise) => {
          const set = encodeMessageSet(input, { magic, compression: codec });
          for (const allowTruncatedTail of [false, true]) {
            expectOnlyDecodeErrors(() => decodeMessageSet(set.subarray(0, cut % set.length), { allowTruncatedTail }));
            expectOnlyDecodeErrors(() => decodeMessageSet(Buffer.from(noise), { allowTruncatedTail }));
          }
          const mutated = Buffer.from(set);
          for (const [at, xor] of flips) mutated[at % mutated.length] ^= xor;
          expectOnlyDecodeErrors(() => decodeMessageSet(mutated));
          expectOnlyDecodeErrors(() => decodeMessageSet(mutated, { verifyCrc: false }));
          if (mutated.length >= 26) expectOnlyDecodeErrors(() => decodeMessageSet(withFixedCrc(Buffer.from(mutated))));
        },
      ),
      { numRuns: 400 },
    );
  });
});
