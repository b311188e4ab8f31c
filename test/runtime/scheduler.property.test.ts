/**
 * Property: whatever timers are armed (up front or from callbacks) and cancelled (up front or from
 * callbacks, including ones already fired), every timer not cancelled before its turn fires exactly once,
 * at its due time, in (dueMs, sequence) order; a cancelled one never fires. fast-check prints the seed
 * and path of a failing case.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualRuntime, type Timer } from '../../src/runtime/index.ts';

interface Plan {
  delayMs: number;
  /** Timers this one arms from its callback, by delay. */
  children: number[];
  /** Indexes (modulo the timers armed so far) this one cancels from its callback. */
  cancels: number[];
}

const planArbitrary = fc.record({
  delayMs: fc.integer({ min: 0, max: 50 }),
  children: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 2 }),
  cancels: fc.array(fc.nat(), { maxLength: 2 }),
});

interface Armed {
  timer: Timer;
  order: number;
  firedAt: number[];
  cancelledBeforeFiring: boolean;
}

function armAll(rt: VirtualRuntime, plans: Plan[], upfrontCancels: number[]): { armed: Armed[]; firingOrder: Armed[] } {
  const armed: Armed[] = [];
  const firingOrder: Armed[] = [];
  const arm = (delayMs: number, plan: Plan | undefined): void => {
    const entry: Armed = { timer: undefined as unknown as Timer, order: armed.length, firedAt: [], cancelledBeforeFiring: false };
    entry.timer = rt.timer(delayMs, () => {
      entry.firedAt.push(rt.now());
      firingOrder.push(entry);
      for (const index of plan?.cancels ?? []) cancel(armed[index % armed.length]);
      for (const child of plan?.children ?? []) arm(child, undefined);
    });
    armed.push(entry);
  };
  const cancel = (entry: Armed): void => {
    if (entry.timer.isActive) entry.cancelledBeforeFiring = true;
    entry.timer.cancel();
  };
  for (const plan of plans) arm(plan.delayMs, plan);
  for (const index of upfrontCancels) if (armed.length > 0) cancel(armed[index % armed.length]);
  return { armed, firingOrder };
}

function check(armed: Armed[], firingOrder: Armed[]): void {
  for (const entry of armed) {
    expect(entry.firedAt.length).toBe(entry.cancelledBeforeFiring ? 0 : 1);
    if (entry.firedAt.length === 1) expect(entry.firedAt[0]).toBe(entry.timer.dueMs);
  }
  for (let i = 1; i < firingOrder.length; i++) {
    const before = firingOrder[i - 1];
    const after = firingOrder[i];
    const inOrder =
      before.timer.dueMs < after.timer.dueMs || (before.timer.dueMs === after.timer.dueMs && before.order < after.order);
    expect(inOrder).toBe(true);
  }
}

describe('scheduler properties', () => {
  it('step(): live timers fire once, at their due time, in (dueMs, sequence) order', () => {
    fc.assert(
      fc.property(fc.array(planArbitrary, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 10 }), (plans, cancels) => {
        const rt = new VirtualRuntime({ drive: 'manual' });
        const { armed, firingOrder } = armAll(rt, plans, cancels);
        let fired = 0;
        while (rt.step()) {
          fired++;
          expect(firingOrder.length).toBe(fired);
        }
        expect(rt.pendingEvents()).toBe(0);
        expect(rt.firedEvents()).toBe(fired);
        check(armed, firingOrder);
      }),
    );
  });

  it('advance(): same order when the window is crossed in arbitrary slices', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(planArbitrary, { maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 6 }),
        async (plans, cancels, slices) => {
          const rt = new VirtualRuntime({ drive: 'manual' });
          const { armed, firingOrder } = armAll(rt, plans, cancels);
          for (const slice of slices) await rt.advance(slice);
          await rt.runUntilIdle({ maxEvents: 10_000 });
          check(armed, firingOrder);
        },
      ),
      { numRuns: 50 },
    );
  });
});
