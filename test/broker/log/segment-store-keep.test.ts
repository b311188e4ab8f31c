/**
 * The in-memory segment file with `mayKeep` appends (a follower's fetched batches kept uncopied) mixed with copied
 * ones (a leader's header + rest): reads, truncations and later appends behave as on a flat byte array, and views
 * handed out never change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemorySegmentStore } from '../../../src/broker/log/segment-store.ts';

type Op =
  | { kind: 'append'; size: number; fill: number; mayKeep: boolean; split: number; inLargerBuffer: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'read'; at: number; length: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      size: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 8_000, max: 40_000 })),
      fill: fc.integer({ min: 0, max: 255 }),
      mayKeep: fc.boolean(),
      split: fc.nat({ max: 100 }),
      inLargerBuffer: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fc.nat(), length: fc.nat({ max: 100_000 }) }) },
);

describe('in-memory segment file, kept and copied appends', () => {
  it('reads back exactly what a flat byte array would hold', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const file = new InMemorySegmentStore().open('00000000000000000000.log');
        let model = Buffer.alloc(0);
        const views: Array<{ view: Buffer; copy: Buffer }> = [];
        for (const o of ops) {
          if (o.kind === 'append') {
            // A view into a larger buffer, as a batch inside a Fetch response is.
            const backing = Buffer.alloc(o.size + (o.inLargerBuffer ? 64 : 0), o.fill);
            const bytes = o.inLargerBuffer ? backing.subarray(32, 32 + o.size) : backing;
            const cut = Math.min(o.split, bytes.length);
            const given = o.mayKeep ? bytes : [bytes.subarray(0, cut), bytes.subarray(cut)];
            expect(file.append(given, { mayKeep: o.mayKeep })).toBe(model.length);
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
        for (const { view, copy } of views) expect(view.equals(copy)).toBe(true);
      }),
      { numRuns: 200, seed: 12 },
    );
  });
});
