/** Every run loop has a bound, and hitting it is an error that names the seed to replay. */
import { describe, expect, it } from 'vitest';
import { SimulationLimitError, VirtualRuntime } from '../../src/runtime/index.ts';

const START_MS = 1_704_067_200_000;

function withHeartbeat(rt: VirtualRuntime, everyMs: number): void {
  const heartbeat = (): void => {
    rt.timer(everyMs, heartbeat, 'heartbeat');
  };
  heartbeat();
}

async function rejection(promise: Promise<unknown>): Promise<SimulationLimitError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SimulationLimitError);
  return error as SimulationLimitError;
}

describe('limits: scripted calls', () => {
  it('runUntil fails after maxMs with the seed, leaving the clock at the limit', async () => {
    const rt = new VirtualRuntime({ seed: 42, drive: 'manual' });
    withHeartbeat(rt, 100);
    const error = await rejection(rt.runUntil(() => false, { maxMs: 1_000 }));
    expect(error.reason).toBe('maxMs');
    expect(error.seed).toBe(42);
    expect(error.message).toContain('seed=42');
    expect(error.message).toContain("event 'heartbeat'");
    expect(error.events).toBe(10);
    expect(error.nowMs).toBe(START_MS + 1_000);
    expect(rt.now()).toBe(START_MS + 1_000);
  });

  it('runUntil fails when stalled: predicate false and nothing pending', async () => {
    const rt = new VirtualRuntime({ seed: 43, drive: 'manual' });
    rt.timer(10, () => {});
    const error = await rejection(rt.runUntil(() => false, { maxMs: 60_000 }));
    expect(error.reason).toBe('stalled');
    expect(error.message).toContain('seed=43');
    expect(error.events).toBe(1);
    expect(rt.now()).toBe(START_MS + 10);
  });

  it('runUntil fails after maxEvents', async () => {
    const rt = new VirtualRuntime({ seed: 44, drive: 'manual' });
    withHeartbeat(rt, 0);
    const error = await rejection(rt.runUntil(() => false, { maxMs: 1_000, maxEvents: 500 }));
    expect(error.reason).toBe('maxEvents');
    expect(error.events).toBe(500);
    expect(error.message).toContain('seed=44');
  });

  it('runUntilIdle fails after maxEvents on a self-rearming timer', async () => {
    const rt = new VirtualRuntime({ seed: 45, drive: 'manual' });
    withHeartbeat(rt, 1_000);
    const error = await rejection(rt.runUntilIdle({ maxEvents: 1_000 }));
    expect(error.reason).toBe('maxEvents');
    expect(error.events).toBe(1_000);
    expect(error.message).toContain('seed=45');
    expect(rt.now()).toBe(START_MS + 1_000_000);
    // The failed call released the clock.
    await rt.advance(1);
  });
});

describe('limits: auto drive', () => {
  it('rejects tracked operations once the driver has advanced maxAutoMs without demand dropping', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime({ seed: 77, maxAutoMs: 60_000 });
    withHeartbeat(rt, 1_000);
    const never = rt.track(new Promise<void>(() => {}));
    const alsoPending = rt.sleep(3_600_000);
    const error = await rejection(never);
    expect(await rejection(alsoPending)).toBe(error);
    expect(error.reason).toBe('maxAutoMs');
    expect(error.message).toContain('seed=77');
    expect(error.nowMs).toBe(START_MS + 60_000);
    expect(rt.now()).toBe(START_MS + 60_000);
  });

  it('the budget restarts whenever demand drops to zero', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime({ seed: 78, maxAutoMs: 1_000 });
    for (let i = 0; i < 10; i++) await rt.sleep(1_000);
    expect(rt.now()).toBe(START_MS + 10_000);
    await expect(rt.sleep(1_001)).rejects.toThrow(SimulationLimitError);
  });

  it('rejects a tracked operation nothing can settle (deadlock) instead of hanging', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime({ seed: 79 });
    const error = await rejection(rt.track(new Promise<void>(() => {})));
    expect(error.reason).toBe('stalled');
    expect(error.message).toContain('seed=79');
  });

  it('does not call a stall while the operation settles through microtasks, or arms its event from one', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime();
    const microtaskChain = (async () => {
      for (let i = 0; i < 100; i++) await null;
      return 'microtasks';
    })();
    await expect(rt.track(microtaskChain)).resolves.toBe('microtasks');
    // Nothing is scheduled when track() is called; the event appears only after two continuations.
    const eventArmedLater = (async () => {
      await null;
      await null;
      await new Promise<void>((resolve) => rt.timer(5, resolve));
      return 'event';
    })();
    await expect(rt.track(eventArmedLater)).resolves.toBe('event');
    expect(rt.firedEvents()).toBe(1);
  });

  it('gives a quiet driver one more drained macrotask before calling a stall', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime();
    let settle: (value: string) => void = () => {};
    const tracked = rt.track(new Promise<string>((resolve) => (settle = resolve)));
    // Queued after the driver's first macrotask: the driver looks once, finds nothing, and must wait.
    setImmediate(() => settle('settled next macrotask'));
    await expect(tracked).resolves.toBe('settled next macrotask');
  });

  it('the runtime keeps working after a limit error', { timeout: 5_000 }, async () => {
    const rt = new VirtualRuntime({ seed: 80, maxAutoMs: 5_000 });
    withHeartbeat(rt, 1_000);
    await expect(rt.track(new Promise<void>(() => {}))).rejects.toThrow('seed=80');
    await rt.sleep(2_500);
    expect(rt.now()).toBe(START_MS + 7_500);
  });
});
