/**
 * Cross-check against KafkaJS 2.2.4, an independent implementation: batches and message sets KafkaJS encodes
 * (exactly as its Produce v0-v3 requests build them) decode with ours to the same fields, and ours decode
 * with KafkaJS's decoders. Compression bytes are cross-checked too: KafkaJS ships only gzip, so snappy and
 * lz4 are registered from kafkajs-snappy (snappyjs) and kafkajs-lz4 (node-lz4), independent of the native
 * libraries we use. zstd is the exception: @kafkajs/zstd does not build here, so its KafkaJS codec wraps
 * zstd-napi's one-shot API (the framing is still cross-checked, the compressor is the same library).
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import * as zstd from 'zstd-napi';
import { beforeAll, describe, expect, it } from 'vitest';
import { CompressionCodec, compressionCodecName } from '../../src/protocol/codec/compression.ts';
import { decodeMessageSet, encodeMessageSet } from '../../src/protocol/codec/message-set.ts';
import { decodeRecordBatch, encodeRecordBatch, type RecordHeader } from '../../src/protocol/codec/record-batch.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- KafkaJS is untyped CommonJS */
const require = createRequire(import.meta.url);
const Encoder: any = require('kafkajs/src/protocol/encoder');
const Decoder: any = require('kafkajs/src/protocol/decoder');
const KafkaRecord: (record: any) => any = require('kafkajs/src/protocol/recordBatch/record/v0');
const { RecordBatch: KafkaRecordBatch }: { RecordBatch: (batch: any) => Promise<any> } = require('kafkajs/src/protocol/recordBatch/v0');
const decodeKafkaRecordBatch: (decoder: any) => Promise<any> = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const KafkaMessageSet: (options: any) => any = require('kafkajs/src/protocol/messageSet');
const decodeKafkaMessageSet: (decoder: any, size: number) => Promise<any[]> = require('kafkajs/src/protocol/messageSet/decoder');
const compression: { Codecs: Record<number, () => any>; Types: Record<string, number>; lookupCodec(type: number): any } = require(
  'kafkajs/src/protocol/message/compression',
);
const SnappyCodec: () => any = require('kafkajs-snappy');
const LZ4Codec: new () => { codec: () => any } = require('kafkajs-lz4');

beforeAll(() => {
  compression.Codecs[compression.Types.Snappy] = SnappyCodec;
  compression.Codecs[compression.Types.LZ4] = new LZ4Codec().codec;
  compression.Codecs[compression.Types.ZSTD] = () => ({
    compress: async (encoder: any) => zstd.compress(encoder.buffer),
    decompress: async (buffer: Buffer) => zstd.decompress(buffer),
  });
});

const codecs = [CompressionCodec.None, CompressionCodec.GZIP, CompressionCodec.Snappy, CompressionCodec.LZ4, CompressionCodec.ZSTD] as const;

const nullableBytes = (maxLength: number) => fc.option(fc.uint8Array({ maxLength }).map((b) => Buffer.from(b)), { nil: null, freq: 4 });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
/** KafkaJS headers are an object; integer-like keys would be reordered by Object.keys, so keep them textual. */
const kafkajsHeaders = fc.dictionary(
  fc.string({ maxLength: 12 }).map((k) => `h-${k}`),
  fc.oneof(bytes(24), fc.array(bytes(24), { minLength: 1, maxLength: 3 })),
  { maxKeys: 3 },
);

function flatten(headers: Record<string, Buffer | Buffer[]>): RecordHeader[] {
  return Object.keys(headers).flatMap((key) => {
    const value = headers[key];
    return Array.isArray(value) ? value.map((v) => ({ key, value: v })) : [{ key, value }];
  });
}

/** KafkaJS's decoder folds repeated header keys into arrays. */
function fold(headers: RecordHeader[]): Record<string, Buffer | null | (Buffer | null)[]> {
  const folded: Record<string, Buffer | null | (Buffer | null)[]> = {};
  for (const { key, value } of headers) {
    const existing = folded[key];
    if (existing === undefined) folded[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else folded[key] = [existing, value];
  }
  return folded;
}

describe('record batch v2 against KafkaJS', () => {
  const kafkajsBatch = fc.record({
    firstOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    firstTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
    transactional: fc.boolean(),
    producerId: fc.bigInt({ min: -1n, max: 2n ** 50n }),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    firstSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    records: fc.array(
      fc.record({
        key: nullableBytes(32),
        value: nullableBytes(200),
        headers: kafkajsHeaders,
        timestampDelta: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
      }),
      { minLength: 1, maxLength: 12 },
    ),
  });

  for (const codec of codecs) {
    it(`${compressionCodecName(codec)}: a batch KafkaJS encodes (as Produce v3 does) decodes with ours to the same fields and CRC`, async () => {
      await fc.assert(
        fc.asyncProperty(kafkajsBatch, async (input) => {
          const maxDelta = Math.max(...input.records.map((r) => r.timestampDelta));
          const records = input.records.map((r, i) => KafkaRecord({ ...r, offsetDelta: i }));
          const encoded: Buffer = (
            await KafkaRecordBatch({
              compression: codec,
              firstOffset: input.firstOffset,
              firstTimestamp: input.firstTimestamp,
              maxTimestamp: input.firstTimestamp + maxDelta,
              partitionLeaderEpoch: input.partitionLeaderEpoch,
              lastOffsetDelta: records.length - 1,
              transactional: input.transactional,
              producerId: input.producerId,
              producerEpoch: input.producerEpoch,
              firstSequence: input.firstSequence,
              records,
            })
          ).buffer;
          const decoded = decodeRecordBatch(encoded); // verifies KafkaJS's own CRC-32C
          expect({ ...decoded, crc: 0 }).toEqual({
            baseOffset: input.firstOffset,
            partitionLeaderEpoch: input.partitionLeaderEpoch,
            magic: 2,
            crc: 0,
            attributes: codec | (input.transactional ? 0x10 : 0),
            compression: codec,
            timestampType: 0,
            isTransactional: input.transactional,
            isControl: false,
            hasDeleteHorizonMs: false,
            lastOffsetDelta: input.records.length - 1,
            baseTimestamp: BigInt(input.firstTimestamp),
            maxTimestamp: BigInt(input.firstTimestamp + maxDelta),
            producerId: input.producerId,
            producerEpoch: input.producerEpoch,
            baseSequence: input.firstSequence,
            records: input.records.map((r, i) => ({
              attributes: 0,
              timestampDelta: r.timestampDelta,
              offsetDelta: i,
              key: r.key,
              value: r.value,
              headers: flatten(r.headers),
            })),
          });
          // Re-encoding what we decoded reproduces KafkaJS's bytes exactly when uncompressed.
          if (codec === CompressionCodec.None) expect(encodeRecordBatch(decoded).equals(encoded)).toBe(true);
        }),
        { numRuns: 40 },
      );
    });

    it(`${compressionCodecName(codec)}: a batch we encode decodes with KafkaJS's decoder to the same records`, async () => {
      const ours = fc.record({
        baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
        baseTimestamp: fc.bigInt({ min: 0n, max: 2n ** 45n }),
        timestampType: fc.constantFrom(0 as const, 1 as const),
        isTransactional: fc.boolean(),
        isControl: fc.boolean(),
        producerId: fc.bigInt({ min: -1n, max: 2n ** 50n }),
        producerEpoch: fc.integer({ min: -1, max: 32767 }),
        baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
        records: fc.array(
          fc.record({
            key: nullableBytes(32),
            value: nullableBytes(200),
            headers: fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'trace'), value: nullableBytes(16) }), { maxLength: 4 }),
            timestampDelta: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
      });
      await fc.assert(
        fc.asyncProperty(ours, async (input) => {
          const encoded = encodeRecordBatch({ ...input, compression: codec });
          const theirs = await decodeKafkaRecordBatch(new Decoder(encoded));
          const maxTimestamp = input.baseTimestamp + BigInt(Math.max(...input.records.map((r) => r.timestampDelta)));
          expect(theirs).toMatchObject({
            firstOffset: String(input.baseOffset),
            firstTimestamp: String(input.baseTimestamp),
            maxTimestamp: String(maxTimestamp),
            partitionLeaderEpoch: input.partitionLeaderEpoch,
            inTransaction: input.isTransactional,
            isControlBatch: input.isControl,
            lastOffsetDelta: input.records.length - 1,
            producerId: String(input.producerId),
            producerEpoch: input.producerEpoch,
            firstSequence: input.baseSequence,
            timestampType: input.timestampType,
          });
          expect(theirs.records).toHaveLength(input.records.length);
          input.records.forEach((r, i) => {
            const record = theirs.records[i];
            expect(record.offset).toBe(String(input.baseOffset + BigInt(i)));
            expect(record.timestamp).toBe(String(input.timestampType === 1 ? maxTimestamp : input.baseTimestamp + BigInt(r.timestampDelta)));
            expect(record.key).toEqual(r.key);
            expect(record.value).toEqual(r.value);
            expect(record.headers).toEqual(fold(r.headers));
          });
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('legacy message sets against KafkaJS', () => {
  const entries = fc.array(
    fc.record({ key: nullableBytes(32), value: nullableBytes(200), timestamp: fc.integer({ min: 0, max: 2 ** 45 }) }),
    { minLength: 1, maxLength: 10 },
  );

  /** As KafkaJS's Produce v0 (uncompressed) and v2 (compressed wrapper) requests build a message set. */
  async function kafkajsMessageSet(messageVersion: 0 | 1, codec: CompressionCodec, messages: { key: Buffer | null; value: Buffer | null; timestamp: number }[]): Promise<Buffer> {
    const inner = KafkaMessageSet({ messageVersion, compression: codec, entries: messages });
    if (codec === CompressionCodec.None) return inner.buffer;
    const compressedValue = await compression.lookupCodec(codec).compress(inner);
    return KafkaMessageSet({ messageVersion, entries: [{ compression: codec, timestamp: messages[0].timestamp, value: compressedValue }] }).buffer;
  }

  for (const magic of [0, 1] as const) {
    for (const codec of codecs) {
      it(`magic ${magic}, ${compressionCodecName(codec)}: a set KafkaJS encodes decodes with ours`, async () => {
        await fc.assert(
          fc.asyncProperty(entries, async (messages) => {
            const encoded = await kafkajsMessageSet(magic, codec, messages);
            const decoded = decodeMessageSet(encoded);
            const last = BigInt(messages.length - 1);
            expect(decoded).toEqual(
              messages.map((m, i) => ({
                // KafkaJS writes -1 for uncompressed offsets, 0..n-1 inside a wrapper and 0 for the wrapper itself, so a
                // v1 wrapper yields inner offsets i - (n-1) (the broker assigns real ones on append).
                offset: codec === CompressionCodec.None ? -1n : magic === 1 ? BigInt(i) - last : BigInt(i),
                magic,
                attributes: 0,
                timestamp: magic === 1 ? BigInt(m.timestamp) : -1n,
                timestampType: 0,
                key: m.key,
                value: m.value,
                compression: codec,
              })),
            );
          }),
          { numRuns: 30 },
        );
      });

      it(`magic ${magic}, ${compressionCodecName(codec)}: a set we encode decodes with KafkaJS's decoder`, async () => {
        if (magic === 0 && codec === CompressionCodec.LZ4) {
          // Like Kafka's broker, we write magic 0 LZ4 with Kafka 0.8/0.9's header checksum (KAFKA-3160); a standard
          // LZ4 reader such as node-lz4 rejects it, as it would the real broker's down-converted v0 data.
          const encoded = encodeMessageSet([{ offset: 0n, value: Buffer.from('v0 lz4') }], { magic, compression: codec });
          await expect(decodeKafkaMessageSet(new Decoder(encoded), encoded.length)).rejects.toThrow(/descriptor checksum/);
          return;
        }
        await fc.assert(
          // KafkaJS rebases v1 inner offsets through Number (`Long - Long` goes via strings), exact only below 2^53.
          fc.asyncProperty(entries, fc.bigInt({ min: 0n, max: 2n ** 52n }), async (messages, base) => {
            const input = messages.map((m, i) => ({ ...m, timestamp: BigInt(m.timestamp), offset: base + BigInt(i) }));
            const encoded = encodeMessageSet(input, { magic, compression: codec });
            const theirs = await decodeKafkaMessageSet(new Decoder(encoded), encoded.length);
            expect(theirs).toHaveLength(messages.length);
            input.forEach((m, i) => {
              expect(theirs[i]).toMatchObject({ offset: String(m.offset), magicByte: magic, key: m.key, value: m.value });
              if (magic === 1) expect(theirs[i].timestamp).toBe(String(m.timestamp));
            });
          }),
          { numRuns: 30 },
        );
      });
    }
  }
});
