/**
 * Reader and Writer at the edges of their fast paths: int64 through a BigInt64Array (extremes, and a RangeError
 * rather than silent wrapping out of range), fixed-width integers written byte by byte (Buffer's own
 * accessors as the oracle), and strings on both sides of the ASCII and one-byte-prefix shortcuts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader, Writer, ZERO_UUID } from '../../src/protocol/codec/primitives.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

describe('Reader and Writer', () => {
  it('write and read int64 as Buffer does, extremes included, and refuse what does not fit', () => {
    const samples = [0n, -1n, 1n, INT64_MIN, INT64_MAX, 2n ** 53n, -(2n ** 53n) - 1n, 2n ** 32n, -(2n ** 32n), 1_700_000_000_000n];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...samples), fc.bigInt({ min: INT64_MIN, max: INT64_MAX })), (value) => {
        const bytes = new Writer(1).int64(value).result();
        const expected = Buffer.alloc(8);
        expected.writeBigInt64BE(value);
        expect(bytes.toString('hex')).toBe(expected.toString('hex'));
        expect(new Reader(Buffer.from(bytes)).int64()).toBe(value);
      }),
      { numRuns: 500, seed: 64 },
    );
    expect(() => new Writer().int64(INT64_MAX + 1n)).toThrow(RangeError);
    expect(() => new Writer().int64(INT64_MIN - 1n)).toThrow(RangeError);
  });

  it('write and read the fixed-width integers as Buffer does, and refuse out-of-range values', () => {
    const cases = [
      ['int8', -0x80, 0x7f, 1, 'writeInt8', 'readInt8'],
      ['int16', -0x8000, 0x7fff, 2, 'writeInt16BE', 'readInt16BE'],
      ['uint16', 0, 0xffff, 2, 'writeUInt16BE', 'readUInt16BE'],
      ['int32', -0x80000000, 0x7fffffff, 4, 'writeInt32BE', 'readInt32BE'],
      ['uint32', 0, 0xffffffff, 4, 'writeUInt32BE', 'readUInt32BE'],
    ] as const;
    for (const [type, min, max, size, write, read] of cases) {
      fc.assert(
        fc.property(fc.oneof(fc.constantFrom(min, max, 0, 1), fc.integer({ min, max })), (value) => {
          const bytes = new Writer(1)[type](value).result();
          const expected = Buffer.alloc(size);
          expected[write](value);
          expect(bytes.toString('hex')).toBe(expected.toString('hex'));
          expect(new Reader(Buffer.from(bytes))[type]()).toBe(expected[read]());
        }),
        { numRuns: 200, seed: size },
      );
      expect(() => new Writer()[type](max + 1)).toThrow(RangeError);
      expect(() => new Writer()[type](min - 1)).toThrow(RangeError);
    }
  });

  it('write strings as length + UTF-8 on both sides of the ASCII and compact-prefix shortcuts', () => {
    const lengths = [0, 1, 31, 32, 33, 41, 42, 43, 63, 64, 200];
    const units = ['a', 'é', '€', '😀', '\ud800', '\x7f', '\x80'];
    fc.assert(
      fc.property(fc.constantFrom(...lengths), fc.constantFrom(...units), fc.nat(), (length, unit, at) => {
        const ascii = 'k'.repeat(length);
        const value = length === 0 ? '' : ascii.slice(0, at % length) + unit + ascii.slice((at % length) + 1);
        const utf8 = Buffer.from(value, 'utf8');
        const classic = new Writer(1).string(value).result();
        expect(classic.readInt16BE(0)).toBe(utf8.length);
        expect(classic.subarray(2).equals(utf8)).toBe(true);
        const compact = new Writer(1).compactString(value).result();
        const prefix = new Writer().uvarint(utf8.length + 1).result();
        expect(compact.equals(Buffer.concat([prefix, utf8]))).toBe(true);
        expect(new Reader(Buffer.from(compact)).compactString()).toBe(utf8.toString('utf8'));
      }),
      { numRuns: 400, seed: 8 },
    );
  });

  it('write the zero UUID as 16 zero bytes and read it back', () => {
    const bytes = new Writer(1).uuid(ZERO_UUID).uuid('AAAAAAAAAAAAAAAAAAAAAQ').result();
    expect(bytes.toString('hex')).toBe('0'.repeat(32) + '0'.repeat(30) + '01');
    const reader = new Reader(Buffer.from(bytes));
    expect([reader.uuid(), reader.uuid()]).toEqual([ZERO_UUID, 'AAAAAAAAAAAAAAAAAAAAAQ']);
  });
});
