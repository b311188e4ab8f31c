import { describe, expect, it } from 'vitest';
import { VirtualRuntime } from '../../src/runtime/index.ts';

const START_MS = 1_704_067_200_000;

function manual(seed = 1): VirtualRuntime {
  return new VirtualRuntime({ seed, drive: 'manual' });
}

/** Twenty self-rearming workers with random delays plus an async loop, for two seconds of virtual time. */
async function randomScenario(seed: number): Promise<{ hash: string; fired: number }> {
  const rt = manual(seed);
  for (let worker = 0; worker < 20; worker++) {
    const tick = (): void => {
      rt.timer(rt.random.range(0, 50), tick, `worker-${worker}`);
    };
    tick();
  }
  void (async () => {
    for (;;) {
      await new Promise<void>((resolve) => rt.timer(rt.random.int(30), resolve, 'loop'));
      if (rt.random.chance(0.5)) await null;
    }
  })();
  await rt.advance(2_000);
  return { hash: rt.traceHash(), fired: rt.firedEvents() };
}

describe('virtual runtime: replay', () => {
  it('the same seed gives the same trace hash; a different seed a different one', async () => {
    const first = await randomScenario(42);
    const second = await randomScenario(42);
    const other = await randomScenario(43);
    expect(first.fired).toBeGreaterThan(1000);
    expect(second).toEqual(first);
    expect(other.hash).not.toBe(first.hash);
  });

  it('the trace hash covers labels and times, not just the count of events', async () => {
    const a = manual();
    const b = manual();
    a.timer(5, () => {}, 'x');
    b.timer(5, () => {}, 'y');
    await a.advance(10);
    await b.advance(10);
    expect(a.firedEvents()).toBe(b.firedEvents());
    expect(a.traceHash()).not.toBe(b.traceHash());
    expect(a.traceHash()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('starts at 2024-01-01T00:00:00Z by default, or at startMs', () => {
    expect(new VirtualRuntime().now()).toBe(START_MS);
    expect(new VirtualRuntime({ startMs: 5 }).now()).toBe(5);
    expect(new VirtualRuntime().isVirtual).toBe(true);
  });

  it('nextId counts per prefix from 1', () => {
    const rt = manual();
    expect([rt.nextId('member'), rt.nextId('member'), rt.nextId('producer')]).toEqual([
      'member-1',
      'member-2',
      'producer-1',
    ]);
  });

  it('uuid is deterministic per seed and unaffected by other draws from random', () => {
    const a = manual(3);
    const b = manual(3);
    b.random.uint32();
    expect(a.uuid()).toBe(b.uuid());
    expect(a.uuid()).toHaveLength(22);
  });
});

describe('virtual runtime: order', () => {
  it('fires by due time, and ties in scheduling order', async () => {
    const rt = manual();
    const fired: string[] = [];
    for (const [delay, name] of [
      [10, 'a10'],
      [5, 'b5'],
      [10, 'c10'],
      [0, 'd0'],
      [5, 'e5'],
      [10, 'f10'],
    ] as const) {
      rt.timer(delay, () => fired.push(`${name}@${rt.now() - START_MS}`));
    }
    await rt.advance(10);
    expect(fired).toEqual(['d0@0', 'b5@5', 'e5@5', 'a10@10', 'c10@10', 'f10@10']);
  });

  it('a timer(0) armed in a callback fires at the same time, after the ones already due then', async () => {
    const rt = manual();
    const fired: string[] = [];
    rt.timer(10, () => {
      fired.push('first');
      rt.timer(0, () => fired.push(`nested@${rt.now() - START_MS}`));
    });
    rt.timer(10, () => fired.push('second'));
    await rt.advance(10);
    expect(fired).toEqual(['first', 'second', 'nested@10']);
  });

  it('negative and NaN delays fire now; fractional delays round up; Infinity is refused', async () => {
    const rt = manual();
    expect(rt.timer(-5, () => {}).dueMs).toBe(START_MS);
    expect(rt.timer(Number.NaN, () => {}).dueMs).toBe(START_MS);
    expect(rt.timer(1.2, () => {}).dueMs).toBe(START_MS + 2);
    expect(() => rt.timer(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
  });
});

describe('virtual runtime: cancel', () => {
  it('a cancelled timer never fires', async () => {
    const rt = manual();
    let fired = false;
    const timer = rt.timer(10, () => {
      fired = true;
    });
    expect(rt.pendingEvents()).toBe(1);
    timer.cancel();
    timer.cancel();
    expect(timer.isActive).toBe(false);
    expect(rt.pendingEvents()).toBe(0);
    await rt.advance(100);
    expect(fired).toBe(false);
    expect(rt.firedEvents()).toBe(0);
  });

  it('cancel after the timer fired is a no-op', async () => {
    const rt = manual();
    let count = 0;
    const timer = rt.timer(10, () => count++);
    rt.timer(20, () => {});
    await rt.advance(10);
    expect(timer.isActive).toBe(false);
    timer.cancel();
    expect(rt.pendingEvents()).toBe(1);
    await rt.advance(100);
    expect(count).toBe(1);
  });

  it('a callback cancelling another timer due at the same millisecond stops it', async () => {
    const rt = manual();
    const fired: string[] = [];
    let victim: { cancel(): void } | undefined;
    rt.timer(10, () => {
      fired.push('a');
      victim?.cancel();
    });
    victim = rt.timer(10, () => fired.push('b'));
    rt.timer(10, () => fired.push('c'));
    await rt.advance(10);
    expect(fired).toEqual(['a', 'c']);
  });

  it('many cancellations (heap compaction) keep exactly the live timers, in order', async () => {
    const rt = manual(12);
    const fired: number[] = [];
    const timers = Array.from({ length: 5000 }, (_, i) => rt.timer(rt.random.int(1000), () => fired.push(i)));
    const kept = new Set<number>();
    for (let i = 0; i < timers.length; i++) {
      if (i % 5 === 0) kept.add(i);
      else timers[i].cancel();
    }
    expect(rt.pendingEvents()).toBe(kept.size);
    await rt.runUntilIdle();
    const expected = [...kept].sort((x, y) => timers[x].dueMs - timers[y].dueMs || x - y);
    expect(fired).toEqual(expected);
  });
});

describe('virtual runtime: promise continuations between events', () => {
  it('advance: a continuation arming timer(0) after several awaits fires at the same virtual time', async () => {
    const rt = manual();
    const seen: number[] = [];
    rt.timer(10, async () => {
      await null;
      await Promise.resolve();
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      rt.timer(0, () => seen.push(rt.now() - START_MS));
    });
    rt.timer(11, () => seen.push(rt.now() - START_MS));
    await rt.advance(10);
    expect(seen).toEqual([10]);
    expect(rt.now()).toBe(START_MS + 10);
  });

  it('advance: user code awaiting an event runs before the next event, even through a deep await chain', async () => {
    const rt = manual();
    const log: string[] = [];
    async function deep(depth: number): Promise<void> {
      if (depth > 0) await deep(depth - 1);
      else await null;
    }
    void (async () => {
      await new Promise<void>((resolve) => rt.timer(10, resolve));
      await deep(100);
      log.push(`continued@${rt.now() - START_MS}`);
      rt.timer(5, () => log.push(`armed-by-continuation@${rt.now() - START_MS}`));
    })();
    // Scheduled after the awaited timer, at the same millisecond: fires after the continuation has run.
    rt.timer(10, () => log.push('same-time-event'));
    rt.timer(12, () => log.push('later-event'));
    await rt.advance(20);
    expect(log).toEqual(['continued@10', 'same-time-event', 'later-event', 'armed-by-continuation@15']);
    expect(rt.now()).toBe(START_MS + 20);
  });

  it('advance: continuations queued before the call run before the first event', async () => {
    const rt = manual();
    const seen: number[] = [];
    void Promise.resolve().then(() => rt.timer(0, () => seen.push(rt.now() - START_MS)));
    rt.timer(1, () => seen.push(rt.now() - START_MS));
    await rt.advance(1);
    expect(seen).toEqual([0, 1]);
  });

  it('runUntil: checks the predicate after continuations and stops at the event that satisfied it', async () => {
    const rt = manual();
    const seen: number[] = [];
    rt.timer(10, async () => {
      await null;
      await null;
      rt.timer(0, () => seen.push(rt.now() - START_MS));
    });
    rt.timer(11, () => seen.push(rt.now() - START_MS));
    await rt.runUntil(() => seen.length > 0, { maxMs: 100 });
    expect(seen).toEqual([10]);
    expect(rt.now()).toBe(START_MS + 10);
    expect(rt.pendingEvents()).toBe(1);
  });

  it('runUntil resolves at once when the predicate already holds', async () => {
    const rt = manual();
    rt.timer(5, () => {});
    await rt.runUntil(() => true, { maxMs: 0 });
    expect(rt.firedEvents()).toBe(0);
  });

  it('runUntilIdle fires chains armed by callbacks and continuations until nothing is left', async () => {
    const rt = manual();
    let remaining = 50;
    const tick = async (): Promise<void> => {
      await null;
      if (--remaining > 0) rt.timer(100, () => void tick());
    };
    rt.timer(100, () => void tick());
    await rt.runUntilIdle();
    expect(remaining).toBe(0);
    expect(rt.now()).toBe(START_MS + 5_000);
    expect(rt.pendingEvents()).toBe(0);
  });
});

describe('virtual runtime: scripted calls', () => {
  it('advance fires events due at the boundary, not after, and lands exactly on now + ms', async () => {
    const rt = manual();
    const fired: number[] = [];
    rt.timer(100, () => fired.push(100));
    rt.timer(101, () => fired.push(101));
    await rt.advance(100);
    expect(fired).toEqual([100]);
    await rt.advance(0);
    expect(fired).toEqual([100]);
    await rt.advance(50);
    expect(fired).toEqual([100, 101]);
    expect(rt.now()).toBe(START_MS + 150);
  });

  it('refuses a second scripted call while one runs, and negative spans', async () => {
    const rt = manual();
    rt.timer(5, () => {});
    const first = rt.advance(10);
    await expect(rt.advance(5)).rejects.toThrow(/one driver at a time/);
    await expect(rt.runUntilIdle()).rejects.toThrow(/one driver at a time/);
    expect(() => rt.step()).toThrow(/advance/);
    await first;
    await expect(rt.advance(-1)).rejects.toThrow(RangeError);
    await rt.advance(1);
  });

  it('a throwing callback rejects the scripted call, and the runtime stays usable', async () => {
    const rt = manual();
    const fired: string[] = [];
    rt.timer(1, () => {
      throw new Error('boom');
    });
    rt.timer(2, () => fired.push('after'));
    await expect(rt.advance(10)).rejects.toThrow('boom');
    expect(rt.now()).toBe(START_MS + 1);
    await rt.advance(10);
    expect(fired).toEqual(['after']);
  });

  it('manual drive never fires by itself; sleep needs a scripted call', async () => {
    const rt = manual();
    let done = false;
    void rt.sleep(10).then(() => {
      done = true;
    });
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    expect(rt.now()).toBe(START_MS);
    await rt.advance(10);
    expect(done).toBe(true);
  });

  it('step fires exactly one event synchronously, without running continuations', () => {
    const rt = manual();
    const log: string[] = [];
    rt.timer(3, () => {
      log.push('a');
      void Promise.resolve().then(() => log.push('continuation'));
    });
    rt.timer(3, () => log.push('b'));
    expect(rt.step()).toBe(true);
    expect(log).toEqual(['a']);
    expect(rt.now()).toBe(START_MS + 3);
    expect(rt.step()).toBe(true);
    expect(log).toEqual(['a', 'b']);
    expect(rt.step()).toBe(false);
  });

  it('step refuses to run from inside a timer callback', () => {
    const rt = manual();
    let caught: unknown;
    rt.timer(0, () => {
      try {
        rt.step();
      } catch (error) {
        caught = error;
      }
    });
    rt.timer(0, () => {});
    rt.step();
    expect(String(caught)).toMatch(/inside a timer callback/);
  });
});
