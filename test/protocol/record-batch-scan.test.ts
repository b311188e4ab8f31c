/**
 * `scanRecordBatch`, the broker's allocation-free walk over a produced batch, is a twin of the consumer's decode
 * loop: this pins them together. On any input, valid or mutated (CRC fixed up so the record section is reached),
 * the scan must visit exactly what the decode returns, or throw exactly the error the decode throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../src/protocol/codec/compression.ts';
import { crc32c } from '../../src/protocol/codec/crc32c.ts';
import { decodeRecordBatch, encodeRecordBatch, scanRecordBatch } from '../../src/protocol/codec/record-batch.ts';

type Visit = [index: number, timestampDelta: number, offsetDelta: number, keyLength: number, valueLength: number];

function scanned(buf: Buffer, verifyCrc: boolean): { visits: Visit[] } | { error: string } {
  const visits: Visit[] = [];
  try {
    scanRecordBatch(buf, { verifyCrc }, (...visit) => visits.push(visit));
    return { visits };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

function decoded(buf: Buffer, verifyCrc: boolean): { visits: Visit[] } | { error: string } {
  try {
    const batch = decodeRecordBatch(buf, { verifyCrc });
    return { visits: batch.records.map((r, i): Visit => [i, r.timestampDelta, r.offsetDelta, r.key?.length ?? -1, r.value?.length ?? -1]) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

const bytes = fc.option(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), { nil: null, freq: 4 });
const record = fc.record({
  timestampDelta: fc.oneof(fc.integer({ min: -1000, max: 100_000 }), fc.constantFrom(2 ** 40, -(2 ** 31))),
  offsetDelta: fc.oneof(fc.nat({ max: 100 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  key: bytes,
  value: bytes,
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: bytes }), { maxLength: 3 }),
});
const input = fc.record({
  compression: fc.constantFrom(CompressionCodec.None, CompressionCodec.LZ4),
  baseTimestamp: fc.bigInt({ min: -1n, max: 2n ** 50n }),
  records: fc.array(record, { maxLength: 12 }),
});

describe('record batch scan', () => {
  it('visits what decodeRecordBatch returns, or throws its error, on valid, truncated and mutated batches', () => {
    fc.assert(
      fc.property(input, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.boolean(), (batch, cut, flips, fixCrc) => {
        const encoded = encodeRecordBatch(batch);
        const mutated = Buffer.from(encoded.subarray(0, encoded.length - (cut % 3 === 0 ? cut % encoded.length : 0)));
        for (const [at, xor] of flips) if (mutated.length > 0) mutated[at % mutated.length] ^= xor;
        if (fixCrc && mutated.length >= 21) mutated.writeUInt32BE(crc32c(mutated, 21), 17);
        for (const verifyCrc of [true, false]) expect(scanned(mutated, verifyCrc)).toEqual(decoded(mutated, verifyCrc));
        expect(scanned(encoded, true)).toEqual(decoded(encoded, true));
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});
