/**
 * The four codecs: round trips, the exact framings Kafka's Java client writes (xerial snappy, LZ4 frame with
 * Kafka's flags, zstd with and without content size), independent JS implementations reading our output and
 * the other way round (snappyjs via kafkajs-snappy, node-lz4 via kafkajs-lz4), and corrupt input classified.
 */
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import snappy from 'snappy';
import zstdBinding from 'zstd-napi/binding.js';
import { describe, expect, it } from 'vitest';
import {
  CompressionCodec,
  RecordBatchDecodeError,
  compress,
  compressionCodecName,
  decompress,
  xxhash32,
} from '../../src/protocol/codec/compression.ts';
import { ProtocolDecodeError } from '../../src/protocol/codec/primitives.ts';

const require = createRequire(import.meta.url);
const snappyjs: { compress(b: Buffer): Buffer; uncompress(b: Buffer): Buffer } = require('snappyjs');
const nodeLz4: { encode(b: Buffer): Buffer; decode(b: Buffer): Buffer } = require('lz4');
const kafkajsSnappy: () => { decompress(b: Buffer): Promise<Buffer> } = require('kafkajs-snappy');

const codecs = [CompressionCodec.None, CompressionCodec.GZIP, CompressionCodec.Snappy, CompressionCodec.LZ4, CompressionCodec.ZSTD] as const;
const compressed = codecs.filter((c) => c !== CompressionCodec.None);
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

/** Text-like data that actually compresses, plus random bytes. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.string({ maxLength: 40 }), fc.nat({ max: 400 })).map(([s, n]) => Buffer.from(s.repeat(n))),
);

function expectCorrupt(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(RecordBatchDecodeError);
    expect(error).toBeInstanceOf(ProtocolDecodeError);
    return;
  }
}

describe('compression round trips', () => {
  for (const codec of codecs) {
    it(`${compressionCodecName(codec)}: decompress(compress(x)) = x`, () => {
      fc.assert(
        fc.property(payload, (data) => {
          expect(decompress(codec, compress(codec, data)).equals(data)).toBe(true);
        }),
        { numRuns: 150 },
      );
    });
    it(`${compressionCodecName(codec)}: 200 KiB (several snappy and lz4 blocks) and empty input`, () => {
      const big = Buffer.from('kafkasim record '.repeat(12_800) + 'tail');
      expect(decompress(codec, compress(codec, big)).equals(big)).toBe(true);
      expect(decompress(codec, compress(codec, Buffer.alloc(0))).length).toBe(0);
    });
  }

  it('codec ids are Kafka attribute bits and KafkaJS CompressionTypes', () => {
    const kafkajs = require('kafkajs') as { CompressionTypes: Record<string, number> };
    expect(CompressionCodec).toEqual(kafkajs.CompressionTypes);
  });
});

describe('gzip', () => {
  it('writes RFC 1952 and reads concatenated members', () => {
    const out = compress(CompressionCodec.GZIP, Buffer.from('abc'));
    expect(out.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const twoMembers = Buffer.concat([gzipSync(Buffer.from('hello ')), gzipSync(Buffer.from('world'))]);
    expect(decompress(CompressionCodec.GZIP, twoMembers).toString()).toBe('hello world');
  });
});

describe('snappy', () => {
  it('writes xerial framing: magic, version 1, compatible 1, then length-prefixed 32 KiB blocks', () => {
    const data = Buffer.from('x'.repeat(70_000));
    const out = compress(CompressionCodec.Snappy, data);
    expect(out.subarray(0, 8)).toEqual(XERIAL_MAGIC);
    expect(out.readInt32BE(8)).toBe(1);
    expect(out.readInt32BE(12)).toBe(1);
    const blocks: Buffer[] = [];
    for (let at = 16; at < out.length; ) {
      const length = out.readInt32BE(at);
      blocks.push(snappyjs.uncompress(out.subarray(at + 4, at + 4 + length)));
      at += 4 + length;
    }
    expect(blocks.map((b) => b.length)).toEqual([32_768, 32_768, 70_000 - 65_536]);
    expect(Buffer.concat(blocks).equals(data)).toBe(true);
  });

  it('reads a hand-built xerial buffer (two blocks from an independent compressor)', () => {
    const first = snappyjs.compress(Buffer.from('hello, '));
    const second = snappyjs.compress(Buffer.from('xerial'));
    const header = Buffer.alloc(16);
    XERIAL_MAGIC.copy(header);
    header.writeInt32BE(1, 8);
    header.writeInt32BE(1, 12);
    const length = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const framed = Buffer.concat([header, length(first.length), first, length(second.length), second]);
    expect(decompress(CompressionCodec.Snappy, framed).toString()).toBe('hello, xerial');
    expect(decompress(CompressionCodec.Snappy, header).length).toBe(0);
  });

  it('reads raw snappy (what KafkaJS with kafkajs-snappy sends)', () => {
    const data = Buffer.from('raw snappy, no framing '.repeat(50));
    expect(decompress(CompressionCodec.Snappy, snappyjs.compress(data)).equals(data)).toBe(true);
    expect(decompress(CompressionCodec.Snappy, snappy.compressSync(data)).equals(data)).toBe(true);
  });

  it('our output decodes with kafkajs-snappy (snappyjs, an independent implementation)', async () => {
    const codec = kafkajsSnappy();
    await fc.assert(
      fc.asyncProperty(payload, async (data) => {
        expect((await codec.decompress(compress(CompressionCodec.Snappy, data))).equals(data)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('xerial block lengths beyond the buffer, negative, or a truncated header are corrupt', () => {
    const out = compress(CompressionCodec.Snappy, Buffer.from('abc'.repeat(100)));
    const overrun = Buffer.from(out);
    overrun.writeInt32BE(out.length, 16);
    expect(() => decompress(CompressionCodec.Snappy, overrun)).toThrow(/xerial block/);
    const negative = Buffer.from(out);
    negative.writeInt32BE(-5, 16);
    expect(() => decompress(CompressionCodec.Snappy, negative)).toThrow(RecordBatchDecodeError);
    expect(() => decompress(CompressionCodec.Snappy, out.subarray(0, 12))).toThrow(/truncated xerial header/);
    expect(() => decompress(CompressionCodec.Snappy, out.subarray(0, 18))).toThrow(/truncated xerial block length/);
  });

  it('a raw block declaring more than maxBytes is refused before decompressing', () => {
    const data = Buffer.alloc(10_000);
    expect(() => decompress(CompressionCodec.Snappy, compress(CompressionCodec.Snappy, data), { maxBytes: 9_999 })).toThrow(/over the limit/);
    expect(() => decompress(CompressionCodec.Snappy, snappy.compressSync(data), { maxBytes: 9_999 })).toThrow(/over the limit/);
  });
});

describe('lz4', () => {
  it('writes the LZ4 frame format with the flags Kafka writes (v1, independent blocks, 64 KiB, no checksums)', () => {
    const out = compress(CompressionCodec.LZ4, Buffer.from('lz4 '.repeat(100)));
    expect(out.readUInt32LE(0)).toBe(0x184d2204);
    expect(out[4]).toBe(0x60); // FLG: version 01, block independence
    expect(out[5]).toBe(0x40); // BD: 64 KiB max block
    expect(out[6]).toBe((xxhash32(out, 4, 6) >>> 8) & 0xff);
  });

  it('our frames decode with node-lz4 (kafkajs-lz4), and its frames (with a content checksum) with ours', () => {
    fc.assert(
      fc.property(payload, (data) => {
        expect(nodeLz4.decode(compress(CompressionCodec.LZ4, data)).equals(data)).toBe(true);
        expect(decompress(CompressionCodec.LZ4, nodeLz4.encode(data)).equals(data)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('reads the pre-KAFKA-3160 header checksum (over magic + descriptor) that magic 0 writers used', () => {
    const data = Buffer.from('legacy lz4 '.repeat(20));
    const legacy = compress(CompressionCodec.LZ4, data, { lz4LegacyHeaderChecksum: true });
    const standard = compress(CompressionCodec.LZ4, data);
    expect(legacy[6]).toBe((xxhash32(legacy, 0, 6) >>> 8) & 0xff);
    expect(legacy[6]).not.toBe(standard[6]);
    expect(decompress(CompressionCodec.LZ4, legacy).equals(data)).toBe(true);
    const wrong = Buffer.from(standard);
    wrong[6] = [0, 1, 2].map((n) => (standard[6] + 1 + n) & 0xff).find((b) => b !== legacy[6]) ?? 0;
    expect(() => decompress(CompressionCodec.LZ4, wrong)).toThrow(RecordBatchDecodeError);
  });

  it('xxhash32 test vectors', () => {
    expect(xxhash32(Buffer.from(''))).toBe(0x02cc5d05);
    expect(xxhash32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxhash32(Buffer.from('abc'))).toBe(0x32d153ff);
    expect(xxhash32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });
});

describe('zstd', () => {
  it('reads frames without a content size (what Java streaming writes) and several concatenated frames', () => {
    const context = new zstdBinding.CCtx();
    context.setParameter(zstdBinding.CParameter.contentSizeFlag, 0);
    const data = Buffer.from('zstd streaming frame '.repeat(10_000));
    const out = Buffer.alloc(zstdBinding.compressBound(data.length));
    const [, produced] = context.compressStream2(out, data, zstdBinding.EndDirective.end);
    const frame = out.subarray(0, produced);
    expect(zstdBinding.getFrameContentSize(frame)).toBeNull();
    expect(decompress(CompressionCodec.ZSTD, frame).equals(data)).toBe(true);
    expect(() => decompress(CompressionCodec.ZSTD, frame.subarray(0, frame.length - 3))).toThrow(/truncated/);
    const two = Buffer.concat([compress(CompressionCodec.ZSTD, Buffer.from('one,')), frame]);
    expect(decompress(CompressionCodec.ZSTD, two).toString()).toBe('one,' + data.toString());
  });

  it('writes a standard zstd frame (magic 0xFD2FB528) with the content size', () => {
    const out = compress(CompressionCodec.ZSTD, Buffer.from('abc'.repeat(10)));
    expect(out.readUInt32LE(0)).toBe(0xfd2fb528);
    expect(zstdBinding.getFrameContentSize(out)).toBe(30);
  });
});

describe('corrupt input', () => {
  it('an unknown codec id on the wire is RecordBatchDecodeError; compressing with one is a caller bug', () => {
    for (const id of [5, 6, 7, -1]) {
      expect(() => decompress(id, Buffer.from('x'))).toThrow(RecordBatchDecodeError);
      expect(() => compress(id as CompressionCodec, Buffer.from('x'))).toThrow(RangeError);
    }
  });

  for (const codec of compressed) {
    it(`${compressionCodecName(codec)}: garbage and truncated input throw RecordBatchDecodeError`, () => {
      expect(() => decompress(codec, Buffer.from([1, 2, 3, 4, 5]))).toThrow(RecordBatchDecodeError);
      const good = compress(codec, Buffer.from('some data that compresses, some data that compresses'.repeat(10)));
      // Raw snappy has no checksum and no end marker, so a cut can still decode; it may not crash.
      if (codec !== CompressionCodec.Snappy) expect(() => decompress(codec, good.subarray(0, good.length - 4))).toThrow(RecordBatchDecodeError);
    });

    it(`${compressionCodecName(codec)}: random, truncated or mutated input gives a Buffer or RecordBatchDecodeError, nothing else`, () => {
      fc.assert(
        fc.property(payload, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 64 }), (data, cut, at, xor, noise) => {
          const good = compress(codec, data);
          const truncated = good.subarray(0, cut % (good.length + 1));
          const mutated = Buffer.from(good);
          mutated[at % mutated.length] ^= xor;
          for (const input of [truncated, mutated, Buffer.from(noise)]) expectCorrupt(() => decompress(codec, input));
        }),
        { numRuns: 200 },
      );
    });

    it(`${compressionCodecName(codec)}: output beyond maxBytes is corrupt, not allocated`, () => {
      const bomb = compress(codec, Buffer.alloc(1 << 20));
      expect(() => decompress(codec, bomb, { maxBytes: 1000 })).toThrow(RecordBatchDecodeError);
      expect(decompress(codec, bomb, { maxBytes: 1 << 20 }).length).toBe(1 << 20);
    });
  }
});
