/** The wall-clock runtime: tiny real delays, and no assertion on how long anything took. */
import { describe, expect, it } from 'vitest';
import { RealRuntime } from '../../src/runtime/index.ts';

describe('real runtime', () => {
  it('fires a timer and reports it inactive afterwards', async () => {
    const rt = new RealRuntime();
    const before = rt.now();
    let wasActive = false;
    const timer = await new Promise<{ isActive: boolean; dueMs: number }>((resolve) => {
      const armed = rt.timer(1, () => resolve(armed), 'test');
      wasActive = armed.isActive;
    });
    expect(wasActive).toBe(true);
    expect(Number.isInteger(timer.dueMs) && timer.dueMs > before).toBe(true);
    expect(timer.isActive).toBe(false);
  });

  it('a cancelled timer never fires, even after a later one has', async () => {
    const rt = new RealRuntime();
    let cancelledFired = false;
    const cancelled = rt.timer(1, () => {
      cancelledFired = true;
    });
    cancelled.cancel();
    cancelled.cancel();
    expect(cancelled.isActive).toBe(false);
    await rt.sleep(5);
    expect(cancelledFired).toBe(false);
  });

  it('track is the identity; isVirtual is false; now is an integer', async () => {
    const rt = new RealRuntime();
    const operation = Promise.resolve(1);
    expect(rt.track(operation)).toBe(operation);
    expect(rt.isVirtual).toBe(false);
    expect(Number.isInteger(rt.now())).toBe(true);
  });

  it('is seeded from { seed } when given, from host entropy otherwise', () => {
    expect(new RealRuntime({ seed: 5 }).random.seed).toBe(5);
    expect(new RealRuntime({ seed: 5 }).uuid()).toBe(new RealRuntime({ seed: 5 }).uuid());
    const seeds = new Set(Array.from({ length: 5 }, () => new RealRuntime().random.seed));
    expect(seeds.size).toBe(5);
    for (const seed of seeds) expect(Number.isSafeInteger(seed)).toBe(true);
  });

  it('nextId counts per prefix', () => {
    const rt = new RealRuntime();
    expect([rt.nextId('a'), rt.nextId('a'), rt.nextId('b')]).toEqual(['a-1', 'a-2', 'b-1']);
  });
});
