/**
 * RecordBatch v2: round trips for every codec, the byte layout of DefaultRecordBatch, the header view and
 * in-place rewrites a broker uses, splitting a records blob, control batches, and malformed input (hand-made
 * cases with Kafka's error wording, then fuzzing) that must only ever raise RecordBatchDecodeError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionCodec, compressionCodecName } from '../../src/protocol/codec/compression.ts';
import { crc32c, crc32cReference } from '../../src/protocol/codec/crc32c.ts';
import { encodeMessageSet } from '../../src/protocol/codec/message-set.ts';
import { ProtocolDecodeError } from '../../src/protocol/codec/primitives.ts';
import {
  RECORD_BATCH_OVERHEAD,
  RecordBatchDecodeError,
  computeBatchCrc,
  decodeRecordBatch,
  detectMagic,
  encodeRecordBatch,
  readBatchHeader,
  setBaseOffset,
  setMaxTimestamp,
  setPartitionLeaderEpoch,
  splitBatches,
  verifyBatchCrc,
  type RecordBatch,
  type RecordBatchInput,
} from '../../src/protocol/codec/record-batch.ts';
import {
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTxnMarkerValue,
  encodeControlRecordKey,
  encodeEndTxnMarkerBatch,
} from '../../src/protocol/codec/control-records.ts';

const codecs = [CompressionCodec.None, CompressionCodec.GZIP, CompressionCodec.Snappy, CompressionCodec.LZ4, CompressionCodec.ZSTD] as const;

const bytes = (maxLength = 64) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
const nullableBytes = (maxLength = 64) => fc.option(bytes(maxLength), { nil: null, freq: 4 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const int16 = fc.integer({ min: -(2 ** 15), max: 2 ** 15 - 1 });
/** Small deltas mostly, the int32 and ±2^53 edges sometimes. */
const timestampDelta = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -1000, max: 100_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0x3fffffff, 0x40000000, -0x40000000, -0x40000001, 2 ** 31, -(2 ** 31), 2 ** 40) },
  { weight: 1, arbitrary: fc.maxSafeInteger() },
  { weight: 1, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER) },
);
/** Repeated keys are legal and must keep their order; so must null values. */
const headerKey = fc.oneof(fc.constantFrom('trace-id', 'k', '', 'ключ', '🔑'), fc.string({ maxLength: 20, unit: 'grapheme' }));
const header = fc.record({ key: headerKey, value: nullableBytes(32) });
const record = fc.record({
  attributes: fc.constant(0),
  timestampDelta,
  offsetDelta: fc.oneof(fc.nat({ max: 1000 }), int32),
  key: nullableBytes(),
  value: nullableBytes(256),
  headers: fc.array(header, { maxLength: 4 }),
});

/** A decoded batch with every field chosen; `crc` is left out since the encoder computes it. */
const batch = (codec: CompressionCodec) =>
  fc.record({
    baseOffset: int64,
    partitionLeaderEpoch: int32,
    magic: fc.constant(2 as const),
    compression: fc.constant(codec),
    timestampType: fc.constantFrom(0 as const, 1 as const),
    isTransactional: fc.boolean(),
    isControl: fc.boolean(),
    hasDeleteHorizonMs: fc.boolean(),
    lastOffsetDelta: int32,
    baseTimestamp: int64,
    maxTimestamp: int64,
    producerId: int64,
    producerEpoch: int16,
    baseSequence: int32,
    records: fc.array(record, { maxLength: 20 }),
  });

function attributesOf(b: Omit<RecordBatch, 'crc' | 'attributes'>): number {
  return b.compression | (b.timestampType << 3) | (b.isTransactional ? 0x10 : 0) | (b.isControl ? 0x20 : 0) | (b.hasDeleteHorizonMs ? 0x40 : 0);
}

function expectOnlyDecodeErrors(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof RecordBatchDecodeError)) throw error;
  }
}

function withFixedCrc(buf: Buffer): Buffer {
  buf.writeUInt32BE(crc32c(buf, 21), 17);
  return buf;
}

const simple = (overrides: Partial<RecordBatchInput> = {}): Buffer =>
  encodeRecordBatch({
    baseTimestamp: 1_700_000_000_000n,
    records: [
      { key: Buffer.from('a'), value: Buffer.from('one'), timestampDelta: 0 },
      { key: null, value: Buffer.from('two'), timestampDelta: 7, headers: [{ key: 'h', value: Buffer.from('x') }] },
      { key: Buffer.from('c'), value: null, timestampDelta: 3 },
    ],
    ...overrides,
  });

describe('record batch round trip', () => {
  for (const codec of codecs) {
    it(`${compressionCodecName(codec)}: decode(encode(x)) = x, every field, null keys/values/header values, repeated header keys`, () => {
      fc.assert(
        fc.property(batch(codec), (input) => {
          const encoded = encodeRecordBatch(input);
          const decoded = decodeRecordBatch(encoded);
          expect(decoded).toEqual({ ...input, attributes: attributesOf(input), crc: encoded.readUInt32BE(17) });
          expect(encoded.length).toBe(12 + encoded.readInt32BE(8));
        }),
        { numRuns: codec === CompressionCodec.None ? 300 : 100 },
      );
    });

    it(`${compressionCodecName(codec)}: re-encoding a decoded batch gives the same bytes`, () => {
      fc.assert(
        fc.property(batch(codec), (input) => {
          const encoded = encodeRecordBatch(input);
          expect(encodeRecordBatch(decodeRecordBatch(encoded)).equals(encoded)).toBe(true);
        }),
        { numRuns: 50 },
      );
    });
  }

  it('an empty batch (as compaction leaves) round trips and reads no records section', () => {
    for (const codec of codecs) {
      const encoded = encodeRecordBatch({ compression: codec, baseOffset: 42n, lastOffsetDelta: 9, baseTimestamp: -1n, records: [] });
      expect(encoded.length).toBe(RECORD_BATCH_OVERHEAD);
      const decoded = decodeRecordBatch(encoded);
      expect(decoded.records).toEqual([]);
      expect(decoded.lastOffsetDelta).toBe(9);
      expect(decoded.compression).toBe(codec);
    }
  });

  it("applies Kafka's defaults: no producer id/epoch/sequence, no leader epoch, timestamps and lastOffsetDelta from the records", () => {
    const decoded = decodeRecordBatch(simple());
    expect(decoded).toMatchObject({
      baseOffset: 0n,
      partitionLeaderEpoch: -1,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      lastOffsetDelta: 2,
      baseTimestamp: 1_700_000_000_000n,
      maxTimestamp: 1_700_000_000_007n,
      timestampType: 0,
      isTransactional: false,
      isControl: false,
      compression: CompressionCodec.None,
    });
    expect(decoded.records.map((r) => r.offsetDelta)).toEqual([0, 1, 2]);
    expect(decoded.records[1].headers).toEqual([{ key: 'h', value: Buffer.from('x') }]);
  });

  it('keys and values are views into the input, not copies', () => {
    const encoded = simple();
    const decoded = decodeRecordBatch(encoded);
    expect(decoded.records[0].value!.buffer).toBe(encoded.buffer);
  });
});

describe('record batch layout (DefaultRecordBatch offsets)', () => {
  it('puts every header field at its documented offset and the CRC-32C over attributes..end', () => {
    const encoded = encodeRecordBatch({
      baseOffset: 0x0102030405060708n,
      partitionLeaderEpoch: 7,
      isTransactional: true,
      timestampType: 1,
      lastOffsetDelta: 0,
      baseTimestamp: 1000n,
      maxTimestamp: 2000n,
      producerId: 99n,
      producerEpoch: 3,
      baseSequence: 5,
      records: [{ key: null, value: Buffer.from('v') }],
    });
    expect(encoded.readBigInt64BE(0)).toBe(0x0102030405060708n);
    expect(encoded.readInt32BE(8)).toBe(encoded.length - 12);
    expect(encoded.readInt32BE(12)).toBe(7);
    expect(encoded.readInt8(16)).toBe(2);
    expect(encoded.readUInt32BE(17)).toBe(crc32cReference(encoded, 21));
    expect(encoded.readInt16BE(21)).toBe(0x18);
    expect(encoded.readInt32BE(23)).toBe(0);
    expect(encoded.readBigInt64BE(27)).toBe(1000n);
    expect(encoded.readBigInt64BE(35)).toBe(2000n);
    expect(encoded.readBigInt64BE(43)).toBe(99n);
    expect(encoded.readInt16BE(51)).toBe(3);
    expect(encoded.readInt32BE(53)).toBe(5);
    expect(encoded.readInt32BE(57)).toBe(1);
    // length 7, attributes 0, timestampDelta 0, offsetDelta 0, key null (-1), value length 1, 'v', 0 headers
    expect([...encoded.subarray(61)]).toEqual([14, 0, 0, 0, 1, 2, 0x76, 0]);
  });

  it('writes multi-byte zigzag varints as DefaultRecord does', () => {
    const encoded = encodeRecordBatch({ baseTimestamp: 0n, records: [{ timestampDelta: -65, offsetDelta: 300, value: null }] });
    // timestampDelta -65 -> zigzag 129 -> 0x81 0x01; offsetDelta 300 -> zigzag 600 -> 0xd8 0x04
    expect([...encoded.subarray(62)]).toEqual([0, 0x81, 0x01, 0xd8, 0x04, 1, 1, 0]);
  });
});

describe('header view and in-place rewrites', () => {
  it('readBatchHeader agrees with the full decode, for every codec, without touching the records', () => {
    fc.assert(
      fc.property(fc.constantFrom(...codecs).chain(batch), (input) => {
        const encoded = encodeRecordBatch(input);
        const { records, ...fields } = decodeRecordBatch(encoded);
        const header = readBatchHeader(encoded);
        expect(header).toEqual({ ...fields, batchLength: encoded.length - 12, sizeInBytes: encoded.length, recordsCount: records.length });
        // The header is all a broker needs: the records may even be missing.
        expect(readBatchHeader(encoded.subarray(0, RECORD_BATCH_OVERHEAD))).toEqual(header);
        expect(verifyBatchCrc(encoded)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('setBaseOffset and setPartitionLeaderEpoch keep the CRC valid', () => {
    fc.assert(
      fc.property(int64, int32, (baseOffset, epoch) => {
        const encoded = simple({ compression: CompressionCodec.LZ4 });
        const crcBefore = encoded.readUInt32BE(17);
        setBaseOffset(encoded, baseOffset);
        setPartitionLeaderEpoch(encoded, epoch);
        expect(encoded.readUInt32BE(17)).toBe(crcBefore);
        expect(verifyBatchCrc(encoded)).toBe(true);
        const decoded = decodeRecordBatch(encoded);
        expect(decoded.baseOffset).toBe(baseOffset);
        expect(decoded.partitionLeaderEpoch).toBe(epoch);
      }),
      { numRuns: 50 },
    );
  });

  it('setMaxTimestamp stamps LogAppendTime and recomputes the CRC (the field is inside it)', () => {
    const encoded = simple({ isTransactional: true });
    setMaxTimestamp(encoded, 1, 1_800_000_000_000n);
    expect(verifyBatchCrc(encoded)).toBe(true);
    const decoded = decodeRecordBatch(encoded);
    expect(decoded.timestampType).toBe(1);
    expect(decoded.maxTimestamp).toBe(1_800_000_000_000n);
    expect(decoded.isTransactional).toBe(true);
    setMaxTimestamp(encoded, 0, 5n);
    expect(decodeRecordBatch(encoded)).toMatchObject({ timestampType: 0, maxTimestamp: 5n });
  });

  it('the header view works at a position inside a larger buffer', () => {
    const first = simple();
    const second = simple({ baseOffset: 3n, compression: CompressionCodec.GZIP });
    const blob = Buffer.concat([first, second]);
    expect(readBatchHeader(blob, first.length).baseOffset).toBe(3n);
    expect(verifyBatchCrc(blob, first.length)).toBe(true);
    expect(computeBatchCrc(blob, first.length)).toBe(second.readUInt32BE(17));
    expect(decodeRecordBatch(blob, { position: first.length }).records.length).toBe(3);
    setBaseOffset(blob, 10n, first.length);
    expect(decodeRecordBatch(blob, { position: first.length }).baseOffset).toBe(10n);
    expect(decodeRecordBatch(blob).baseOffset).toBe(0n);
  });

  it('detectMagic reads byte 16 of either format', () => {
    expect(detectMagic(simple())).toBe(2);
    expect(detectMagic(encodeMessageSet([{ offset: 0n, value: Buffer.from('v') }], { magic: 0 }))).toBe(0);
    expect(detectMagic(encodeMessageSet([{ offset: 0n, value: Buffer.from('v') }], { magic: 1 }))).toBe(1);
    expect(() => detectMagic(Buffer.alloc(16))).toThrow(RecordBatchDecodeError);
  });
});

describe('splitBatches', () => {
  it('cuts a blob into its batches and reports a partial tail instead of failing', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...codecs).chain(batch), { minLength: 1, maxLength: 5 }), fc.nat(), (inputs, cut) => {
        const encoded = inputs.map((input) => encodeRecordBatch(input));
        const whole = Buffer.concat(encoded);
        expect(splitBatches(whole)).toEqual({ batches: encoded, truncatedTail: 0 });
        const last = encoded[encoded.length - 1];
        const tail = cut % last.length; // 0 .. last.length-1 bytes of the last batch survive
        const partial = whole.subarray(0, whole.length - last.length + tail);
        expect(splitBatches(partial)).toEqual({ batches: encoded.slice(0, -1), truncatedTail: tail });
      }),
      { numRuns: 100 },
    );
  });

  it('walks legacy message set entries too (same 12-byte log overhead)', () => {
    const legacy = encodeMessageSet(
      [
        { offset: 0n, value: Buffer.from('a') },
        { offset: 1n, value: Buffer.from('b') },
      ],
      { magic: 1 },
    );
    const v2 = simple({ baseOffset: 2n });
    const { batches, truncatedTail } = splitBatches(Buffer.concat([legacy, v2]));
    expect(batches.map((b) => detectMagic(b))).toEqual([1, 1, 2]);
    expect(truncatedTail).toBe(0);
  });

  it('an entry size below the minimum is corrupt, not a tail', () => {
    const bad = simple();
    bad.writeInt32BE(13, 8);
    expect(() => splitBatches(bad)).toThrow(/less than the minimum/);
    const smallV2 = simple();
    smallV2.writeInt32BE(20, 8);
    expect(() => splitBatches(smallV2)).toThrow(/smaller than the minimum allowed overhead/);
    expect(splitBatches(Buffer.alloc(0))).toEqual({ batches: [], truncatedTail: 0 });
  });
});

describe('control batches', () => {
  it('an end-transaction marker batch holds one control record (key: version, type; value: version, coordinatorEpoch)', () => {
    for (const type of [ControlRecordType.ABORT, ControlRecordType.COMMIT]) {
      const encoded = encodeEndTxnMarkerBatch({ type, coordinatorEpoch: 17, producerId: 4000n, producerEpoch: 2, timestamp: 123n, baseOffset: 50n });
      const decoded = decodeRecordBatch(encoded);
      expect(decoded).toMatchObject({ isControl: true, isTransactional: true, producerId: 4000n, producerEpoch: 2, baseSequence: -1, baseOffset: 50n });
      expect(decoded.records).toHaveLength(1);
      expect(decodeControlRecordKey(decoded.records[0].key)).toEqual({ version: 0, type });
      expect(decodeEndTxnMarkerValue(decoded.records[0].value)).toEqual({ version: 0, coordinatorEpoch: 17 });
      expect([...decoded.records[0].key!]).toEqual([0, 0, 0, type]);
      expect([...decoded.records[0].value!]).toEqual([0, 0, 0, 0, 0, 17]);
    }
  });

  it('malformed control keys and marker values are corrupt', () => {
    expect(() => decodeControlRecordKey(null)).toThrow(RecordBatchDecodeError);
    expect(() => decodeControlRecordKey(Buffer.from([0, 0, 1]))).toThrow(/control record key size/);
    expect(() => decodeControlRecordKey(Buffer.from([0xff, 0xff, 0, 1]))).toThrow(/invalid version/);
    expect(decodeControlRecordKey(Buffer.from([0, 1, 0, 1, 9, 9]))).toEqual({ version: 1, type: 1 });
    expect(decodeControlRecordKey(encodeControlRecordKey(ControlRecordType.LEADER_CHANGE)).type).toBe(2);
    expect(() => decodeEndTxnMarkerValue(Buffer.from([0, 0, 0]))).toThrow(/marker value size/);
  });
});

describe('malformed batches', () => {
  it('RecordBatchDecodeError is a ProtocolDecodeError (the server drops the connection on either)', () => {
    expect(new RecordBatchDecodeError('x')).toBeInstanceOf(ProtocolDecodeError);
  });

  it('detects a CRC mismatch anywhere in attributes..end, and only there', () => {
    fc.assert(
      fc.property(fc.constantFrom(...codecs), fc.nat(), fc.integer({ min: 1, max: 255 }), (codec, at, xor) => {
        const encoded = simple({ compression: codec });
        const position = 21 + (at % (encoded.length - 21));
        encoded[position] ^= xor;
        expect(verifyBatchCrc(encoded)).toBe(false);
        expect(() => decodeRecordBatch(encoded)).toThrow(/stored crc = \d+, computed crc = \d+/);
      }),
      { numRuns: 200 },
    );
    const flipped = simple();
    flipped[17] ^= 1;
    expect(() => decodeRecordBatch(flipped)).toThrow(/crc/);
    expect(decodeRecordBatch(flipped, { verifyCrc: false }).records).toHaveLength(3);
  });

  const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['wrong magic', (b) => (b.writeInt8(1, 16), b), /magic is 1, expected 2/],
    ['batch shorter than the header', (b) => b.subarray(0, 60), /truncated/],
    ['batchLength below the overhead', (b) => (b.writeInt32BE(48, 8), b), /smaller than the minimum allowed overhead 61/],
    ['batchLength beyond the buffer', (b) => (b.writeInt32BE(b.length, 8), b), /truncated: \d+ bytes declared/],
    ['negative batchLength', (b) => (b.writeInt32BE(-1, 8), b), /smaller than the minimum/],
    ['negative record count', (b) => withFixedCrc((b.writeInt32BE(-1, 57), b)), /invalid record count -1/],
    ['record count above the records present', (b) => withFixedCrc((b.writeInt32BE(4, 57), b)), /record truncated|cannot fit/],
    ['record count below the records present', (b) => withFixedCrc((b.writeInt32BE(2, 57), b)), /incorrect declared batch size/],
    ['record count of 2^31-1 (no huge allocation)', (b) => withFixedCrc((b.writeInt32BE(0x7fffffff, 57), b)), /cannot fit/],
    ['unknown compression codec', (b) => withFixedCrc((b.writeInt16BE(6, 21), b)), /unknown compression codec 6/],
    ['record length beyond the batch', (b) => withFixedCrc((b.writeUInt8(0x7e, 61), b)), /declares 63 bytes/],
    ['negative record length', (b) => withFixedCrc((b.writeUInt8(0x01, 61), b)), /declares -1 bytes/],
    ['record length shorter than its fields', (b) => withFixedCrc((b.writeUInt8(b[61] - 2, 61), b)), /overruns|truncated|invalid record size/],
  ];
  for (const [name, mutate, message] of cases) {
    it(`${name} -> RecordBatchDecodeError ${message}`, () => {
      expect(() => decodeRecordBatch(mutate(simple()))).toThrow(RecordBatchDecodeError);
      expect(() => decodeRecordBatch(mutate(simple()))).toThrow(message);
    });
  }

  /** A batch around hand-written record bytes, with a correct CRC. */
  function batchWithRecordBytes(recordBytes: number[], count = 1): Buffer {
    const template = encodeRecordBatch({ baseTimestamp: 0n, records: [] });
    const buf = Buffer.concat([template, Buffer.from(recordBytes)]);
    buf.writeInt32BE(buf.length - 12, 8);
    buf.writeInt32BE(count, 57);
    return withFixedCrc(buf);
  }

  it('hand-made record bodies: bad varints, negative header counts and key sizes, overrunning lengths', () => {
    const valid = [14, 0, 0, 0, 1, 2, 0x76, 0];
    expect(decodeRecordBatch(batchWithRecordBytes(valid)).records[0].value).toEqual(Buffer.from('v'));
    const bad: [number[], RegExp][] = [
      [[30, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 1, 1, 0], /varlong timestampDelta is too long/],
      [[22, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 1, 1, 0], /varint offsetDelta is too long/],
      [[26, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 1, 1, 0], /beyond ±\(2\^53-1\)/],
      [[12, 0, 0, 0, 1, 1, 1], /invalid number of record headers -1/],
      [[16, 0, 0, 0, 1, 1, 2, 1, 0], /invalid negative header key size -1/],
      [[16, 0, 0, 0, 1, 1, 2, 0x20, 0], /header key of 16 bytes overruns/],
      [[12, 0, 0, 0, 0x20, 1, 0], /key of 16 bytes overruns/],
      [[12, 0, 0, 0, 1, 1, 0x80], /truncated reading header count/],
      [[16, 0, 0, 0, 1, 1, 0, 9, 9], /invalid record size: expected to read 8 bytes/],
      [[0, 0, 0, 0, 0, 0, 0, 0], /record 0 is empty/],
    ];
    for (const [recordBytes, message] of bad) expect(() => decodeRecordBatch(batchWithRecordBytes(recordBytes)), message.source).toThrow(message);
  });

  it('fuzz: random bytes never raise anything but RecordBatchDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (noise, verifyCrc) => {
        const buf = Buffer.from(noise);
        expectOnlyDecodeErrors(() => decodeRecordBatch(buf, { verifyCrc }));
        expectOnlyDecodeErrors(() => readBatchHeader(buf));
        expectOnlyDecodeErrors(() => splitBatches(buf));
        expectOnlyDecodeErrors(() => verifyBatchCrc(buf));
      }),
      { numRuns: 1000 },
    );
  });

  it('fuzz: random bytes dressed in a valid header (fixed magic, length and CRC) reach the record parser safely', () => {
    fc.assert(
      fc.property(fc.constantFrom(...codecs), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 40 }), (codec, noise, count) => {
        const buf = batchWithRecordBytes([...noise], count);
        buf.writeInt16BE(codec, 21);
        expectOnlyDecodeErrors(() => decodeRecordBatch(withFixedCrc(buf)));
      }),
      { numRuns: 1000 },
    );
  });

  it('fuzz: truncations and byte mutations of valid batches (CRC on and off) raise only RecordBatchDecodeError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...codecs).chain(batch),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (input, cut, flips) => {
          const encoded = encodeRecordBatch(input);
          const truncated = encoded.subarray(0, cut % encoded.length);
          expect(() => decodeRecordBatch(truncated)).toThrow(RecordBatchDecodeError);
          const mutated = Buffer.from(encoded);
          for (const [at, xor] of flips) mutated[at % mutated.length] ^= xor;
          expectOnlyDecodeErrors(() => decodeRecordBatch(mutated));
          expectOnlyDecodeErrors(() => decodeRecordBatch(mutated, { verifyCrc: false }));
          expectOnlyDecodeErrors(() => decodeRecordBatch(withFixedCrc(Buffer.from(mutated))));
          expectOnlyDecodeErrors(() => splitBatches(mutated));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('encoder input checks', () => {
  it('rejects deltas it cannot represent rather than writing something else', () => {
    expect(() => encodeRecordBatch({ baseTimestamp: 0n, records: [{ offsetDelta: 2 ** 31 }] })).toThrow(RangeError);
    expect(() => encodeRecordBatch({ baseTimestamp: 0n, records: [{ timestampDelta: 2 ** 53 }] })).toThrow(RangeError);
    expect(() => encodeRecordBatch({ baseTimestamp: 0n, records: [{ timestampDelta: 0.5 }] })).toThrow(RangeError);
  });
});
