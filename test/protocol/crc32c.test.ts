/**
 * CRC-32C (record batch v2) and CRC-32 (legacy message sets): published test vectors, then the native
 * implementation against the table reference on random input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32c, crc32cReference, crc32Reference } from '../../src/protocol/codec/crc32c.ts';

const ascii = (text: string) => Buffer.from(text, 'ascii');
const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const descending = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));

describe('crc32c', () => {
  // RFC 3720 (iSCSI) appendix B.4, plus the customary "123456789" check value.
  const vectors: [string, Buffer, number][] = [
    ['"123456789"', ascii('123456789'), 0xe3069283],
    ['32 zero bytes', Buffer.alloc(32, 0x00), 0x8a9136aa],
    ['32 0xFF bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
    ['ascending 0..31', ascending, 0x46dd794e],
    ['descending 31..0', descending, 0x113fdb5c],
    ['empty', Buffer.alloc(0), 0],
  ];
  for (const [name, input, expected] of vectors) {
    it(`native: ${name} -> 0x${expected.toString(16)}`, () => expect(crc32c(input)).toBe(expected));
    it(`reference: ${name} -> 0x${expected.toString(16)}`, () => expect(crc32cReference(input)).toBe(expected));
  }

  it('is unsigned, as Kafka stores it', () => {
    expect(crc32c(ascii('123456789'))).toBeGreaterThan(0x7fffffff);
  });

  it('native matches the table reference on random buffers and ranges', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const buf = Buffer.from(bytes);
        expect(crc32c(buf)).toBe(crc32cReference(buf));
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        expect(crc32c(buf, start, end)).toBe(crc32cReference(buf, start, end));
        expect(crc32c(buf, start, end)).toBe(crc32cReference(Buffer.from(buf.subarray(start, end))));
      }),
      { numRuns: 300 },
    );
  });
});

describe('crc32 (IEEE)', () => {
  const vectors: [string, Buffer, number][] = [
    ['"123456789"', ascii('123456789'), 0xcbf43926],
    ['"The quick brown fox jumps over the lazy dog"', ascii('The quick brown fox jumps over the lazy dog'), 0x414fa339],
    ['empty', Buffer.alloc(0), 0],
  ];
  for (const [name, input, expected] of vectors) {
    it(`native: ${name} -> 0x${expected.toString(16)}`, () => expect(crc32(input)).toBe(expected));
    it(`reference: ${name} -> 0x${expected.toString(16)}`, () => expect(crc32Reference(input)).toBe(expected));
  }

  it('native matches the table reference on random buffers and ranges', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(), (bytes, a) => {
        const buf = Buffer.from(bytes);
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        expect(crc32(buf, start)).toBe(crc32Reference(buf, start));
      }),
      { numRuns: 300 },
    );
  });

  it('differs from crc32c (the two polynomials are not interchangeable)', () => {
    expect(crc32(ascii('123456789'))).not.toBe(crc32c(ascii('123456789')));
  });
});
