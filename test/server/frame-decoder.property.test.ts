/**
 * Fuzz of `FrameDecoder`, the piece of the wire server that meets untrusted bytes first: however a stream
 * of frames is cut into chunks it yields exactly those frames, and on arbitrary bytes it either yields
 * frames, waits for more (holding less than one maximal frame), or refuses with `FrameTooLargeError`,
 * never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameTooLargeError } from '../../src/protocol/index.ts';

function frame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

/** Cuts `bytes` at the given positions (taken modulo its length). */
function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of points) {
    chunks.push(bytes.subarray(from, at));
    from = at;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

describe('FrameDecoder fuzz', () => {
  it('yields exactly the frames sent, however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (bodies, cuts) => {
        const decoder = new FrameDecoder(1000);
        const stream = Buffer.concat(bodies.map(frame));
        const out = cut(stream, cuts).flatMap((chunk) => decoder.push(chunk));
        expect(out.map((b) => Buffer.from(b).toString('hex'))).toEqual(bodies.map((b) => Buffer.from(b).toString('hex')));
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 500, seed: 11 },
    );
  });

  it('arbitrary bytes: frames, a bounded wait, or FrameTooLargeError, nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4096 }), fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 12 }), (maxFrameBytes, chunks) => {
        const decoder = new FrameDecoder(maxFrameBytes);
        for (const chunk of chunks) {
          let frames: Buffer[];
          try {
            frames = decoder.push(Buffer.from(chunk));
          } catch (error) {
            expect(error).toBeInstanceOf(FrameTooLargeError);
            return;
          }
          for (const f of frames) expect(f.length).toBeLessThanOrEqual(maxFrameBytes);
          // What is held back is one incomplete frame: its prefix plus fewer than its declared size.
          expect(decoder.bufferedBytes).toBeLessThan(4 + maxFrameBytes);
        }
      }),
      { numRuns: 1000, seed: 12 },
    );
  });

  it('refuses a hostile size from its first four bytes, before the body arrives', () => {
    const decoder = new FrameDecoder(104_857_600);
    const size = Buffer.alloc(4);
    size.writeInt32BE(104_857_601, 0);
    expect(() => decoder.push(size)).toThrow(FrameTooLargeError);
    size.writeInt32BE(-5, 0);
    expect(() => new FrameDecoder().push(size)).toThrow(FrameTooLargeError);
  });
});
