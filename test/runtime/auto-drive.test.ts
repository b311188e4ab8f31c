/**
 * Await-driven mode: plain `await` on tracked work moves virtual time. None of these tests waits on
 * the wall clock; those that would hang without the behaviour under test carry a short timeout so that
 * a regression fails instead of quietly taking 30 real seconds.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualRuntime } from '../../src/runtime/index.ts';

const START_MS = 1_704_067_200_000;

async function macrotasks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

function immediates(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Immediate').length;
}

describe('auto drive: awaiting moves virtual time', () => {
  it('await sleep(30_000) resolves exactly 30 000 virtual ms later under freeze, with no 30 s host wait', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime();
    await rt.sleep(30_000);
    expect(rt.now()).toBe(START_MS + 30_000);
  });

  it('a chain of sleeps adds up', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime();
    await rt.sleep(10);
    expect(rt.now()).toBe(START_MS + 10);
    await rt.sleep(20);
    await rt.sleep(0);
    await rt.sleep(70);
    expect(rt.now()).toBe(START_MS + 100);
  });

  it('Promise.all of sleeps ends at the longest, each resolving at its own time', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime();
    const resolvedAt: Record<string, number> = {};
    const sleepAndNote = async (ms: number): Promise<void> => {
      await rt.sleep(ms);
      resolvedAt[ms] = rt.now() - START_MS;
    };
    await Promise.all([sleepAndNote(5_000), sleepAndNote(20_000), sleepAndNote(10_000)]);
    expect(resolvedAt).toEqual({ 5000: 5_000, 10000: 10_000, 20000: 20_000 });
    expect(rt.now()).toBe(START_MS + 20_000);
  });

  it('track returns a new promise settling like the operation', async () => {
    const rt = new VirtualRuntime();
    const operation = Promise.resolve(7);
    const tracked = rt.track(operation);
    expect(tracked).not.toBe(operation);
    await expect(tracked).resolves.toBe(7);
    await expect(rt.track(Promise.reject(new Error('nope')))).rejects.toThrow('nope');
  });

  it('a timer armed by a continuation after several awaits fires at the virtual time it was armed', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime();
    const seen: number[] = [];
    rt.timer(10, async () => {
      await null;
      await Promise.resolve();
      await null;
      rt.timer(0, () => seen.push(rt.now() - START_MS));
    });
    await rt.sleep(11);
    expect(seen).toEqual([10]);
  });

  it('user code resumed by an event sees that event\'s time, and its new timers are ordered with the rest', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime();
    const log: string[] = [];
    rt.timer(15, () => log.push(`background@${rt.now() - START_MS}`));
    await rt.sleep(10);
    log.push(`user@${rt.now() - START_MS}`);
    const wake = rt.sleep(5);
    rt.timer(5, () => log.push(`armed-after@${rt.now() - START_MS}`));
    await wake;
    await rt.sleep(1);
    expect(log).toEqual(['user@10', 'background@15', 'armed-after@15']);
  });
});

describe('auto drive: idle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('freeze: a self-rearming background timer does not advance time while nothing is tracked, and does while something is', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime({ idle: 'freeze' });
    let ticks = 0;
    const heartbeat = (): void => {
      ticks++;
      rt.timer(100, heartbeat, 'heartbeat');
    };
    rt.timer(100, heartbeat, 'heartbeat');

    await macrotasks(50);
    expect(ticks).toBe(0);
    expect(rt.now()).toBe(START_MS);

    await rt.sleep(1_000);
    // Ticks at 100..900; the tick due at 1000 was armed after the sleep, and demand ended with the sleep.
    expect(ticks).toBe(9);
    expect(rt.now()).toBe(START_MS + 1_000);

    await macrotasks(50);
    expect(ticks).toBe(9);
    expect(rt.now()).toBe(START_MS + 1_000);
  });

  it('freeze: once demand is gone the driver leaves nothing queued on the host (an idle cluster costs no CPU)', { timeout: 5_000 }, async () => {
    const baseline = immediates();
    const rt = new VirtualRuntime({ idle: 'freeze' });
    const heartbeat = (): void => {
      rt.timer(100, heartbeat, 'heartbeat');
    };
    heartbeat();
    await rt.sleep(1_000);
    await macrotasks(3);
    expect(immediates()).toBe(baseline);
    const fired = rt.firedEvents();
    await macrotasks(20);
    expect(rt.firedEvents()).toBe(fired);
  });

  it('freeze: an untracked timer does not fire on its own, while a realtime runtime fires its own', { timeout: 5_000 }, async () => {
    const frozen = new VirtualRuntime({ idle: 'freeze' });
    let frozenFired = false;
    frozen.timer(1, () => {
      frozenFired = true;
    });
    const realtime = new VirtualRuntime({ idle: 'realtime' });
    // Host timeouts of 1 ms expire before ones of 20 ms, so had `frozen` armed one it would have fired by now.
    await new Promise<void>((resolve) => realtime.timer(20, resolve));
    expect(realtime.now()).toBe(START_MS + 20);
    expect(frozenFired).toBe(false);
    expect(frozen.now()).toBe(START_MS);
  });

  it('realtime: an earlier event scheduled later re-arms the host timer', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime({ idle: 'realtime' });
    rt.timer(600_000, () => {});
    await new Promise<void>((resolve) => rt.timer(2, resolve));
    expect(rt.now()).toBe(START_MS + 2);
    expect(rt.pendingEvents()).toBe(1);
  });

  it('realtime: demand takes over from the wall clock and jumps ahead', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime({ idle: 'realtime' });
    const fired: number[] = [];
    rt.timer(50_000, () => fired.push(rt.now() - START_MS));
    await rt.sleep(100_000);
    expect(fired).toEqual([50_000]);
    expect(rt.now()).toBe(START_MS + 100_000);
  });

  it('the auto driver does not fire while a scripted call runs', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime();
    const sleeping = rt.sleep(100);
    await rt.advance(50);
    expect(rt.now()).toBe(START_MS + 50);
    expect(rt.firedEvents()).toBe(0);
    await sleeping;
    expect(rt.now()).toBe(START_MS + 100);
  });

  it("keeps working under the user's vi.useFakeTimers(), which replaces the host's timer globals", { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime();
    vi.useFakeTimers();
    await rt.sleep(30_000);
    expect(rt.now()).toBe(START_MS + 30_000);
  });
});
