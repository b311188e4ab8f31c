import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemorySegmentStore } from '../../../src/broker/log/segment-store.ts';

type Op = { kind: 'append'; size: number; fill: number } | { kind: 'truncate'; at: number } | { kind: 'read'; at: number; length: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), size: fc.integer({ min: 0, max: 40_000 }), fill: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fc.nat(), length: fc.nat({ max: 100_000 }) }) },
);

describe('in-memory segment file (chunked)', () => {
  it('reads back exactly what a flat byte array would hold, across chunk boundaries and truncations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const file = new InMemorySegmentStore().open('00000000000000000000.log');
        let model = Buffer.alloc(0);
        const views: Array<{ view: Buffer; copy: Buffer }> = [];
        for (const o of ops) {
          if (o.kind === 'append') {
            const bytes = Buffer.alloc(o.size, o.fill);
            expect(file.append(bytes)).toBe(model.length);
            model = Buffer.concat([model, bytes]);
          } else if (o.kind === 'truncate') {
            const at = model.length === 0 ? 0 : o.at % (model.length + 1);
            file.truncate(at);
            model = model.subarray(0, at);
          } else {
            const at = model.length === 0 ? 0 : o.at % (model.length + 1);
            const read = file.read(at, o.length);
            expect(read.equals(model.subarray(at, at + o.length))).toBe(true);
            views.push({ view: read, copy: Buffer.from(read) });
          }
          expect(file.size()).toBe(model.length);
        }
        // Views handed out earlier never change, whatever was appended or truncated since.
        for (const { view, copy } of views) expect(view.equals(copy)).toBe(true);
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});
