/**
 * The single door to the host's clock and timers. Nothing in the runtime, the model, the network or
 * the client calls `setImmediate`, `setTimeout`, `clearTimeout`, `process.nextTick` or `Date.now` itself (a tidy test
 * enforces it; only the TCP server and CLIs live outside the rule). Keeping the door narrow is what makes
 * determinism checkable: every way the host's time can reach a history passes through here, and only
 * `RealRuntime` and the virtual runtime's driver plumbing (never its clock) come through it.
 *
 * The host functions are captured when this module loads, not looked up on each call. Test runners
 * replace the globals (`vi.useFakeTimers()`, `@sinonjs/fake-timers`, jest's modern timers): if the
 * virtual runtime's driver looked up `globalThis.setImmediate` lazily, a user faking timers in their
 * test would silently freeze our driver (its macrotask would never run) and `await producer.send()`
 * would hang. Captured references keep working, and the user's fake clock stays theirs.
 * (Faking timers before kafkasim is first imported, e.g. in a setup file, defeats the capture; the
 * guide says so.)
 */

const hostSetImmediate = globalThis.setImmediate;
const hostSetTimeout = globalThis.setTimeout;
const hostClearTimeout = globalThis.clearTimeout;
const hostDateNow = Date.now;
const hostNextTick = process.nextTick.bind(process);
const hostQueueMicrotask = globalThis.queueMicrotask.bind(globalThis);

/** Node caps timeouts at 2^31 - 1 ms and fires longer ones after 1 ms; we chain instead. */
export const MAX_HOST_DELAY_MS = 2 ** 31 - 1;

/** Wall-clock milliseconds since the Unix epoch. */
export function hostNow(): number {
  return hostDateNow();
}

/**
 * Resolves after one host macrotask in Node's check phase. Node drains the `process.nextTick` queue and
 * the promise microtask queue completely before running the next macrotask, so awaiting this lets every
 * continuation already queued (and every continuation those queue) run first.
 */
export function hostYield(): Promise<void> {
  return new Promise((resolve) => {
    hostSetImmediate(resolve);
  });
}

/** How many settles in a row may skip the event loop (see `hostSettle`). */
const SETTLES_PER_MACROTASK = 128;
let settlesSinceMacrotask = 0;

/**
 * Resolves once every continuation already queued, and every continuation those queue in turn, has run:
 * what `hostYield` gives, at a fraction of the cost. A microtask queued now runs after the continuations
 * queued before it; the `process.nextTick` it queues runs only when Node's microtask queue is empty
 * (Node drains microtasks completely before it looks at the tick queue again), and only then is the
 * returned promise resolved. In an empty loop a macrotask hop costs ~3 us and this ~0.5 us; inside the
 * simulation benchmark, where the drivers take one per event, switching saved ~30 us per event (the event
 * loop's phases and the work Node and V8 run between macrotasks), a third of the run.
 * Every `SETTLES_PER_MACROTASK`-th call is a real `hostYield`, so host I/O, host timers and a test
 * runner's timeouts still get their turn during a long run. What it does not wait for: a `nextTick` that
 * a continuation queues after ours (nothing in the model, network or client uses `nextTick`).
 */
export function hostSettle(): Promise<void> {
  if (++settlesSinceMacrotask >= SETTLES_PER_MACROTASK) {
    settlesSinceMacrotask = 0;
    return hostYield();
  }
  return new Promise((resolve) => {
    hostQueueMicrotask(() => hostNextTick(resolve));
  });
}

export interface HostTimeout {
  cancel(): void;
}

/**
 * A host timeout. `keepsProcessAlive: false` unrefs it, for background timers that must not keep a
 * program (or a test worker) running on their own.
 */
export function hostTimeout(delayMs: number, callback: () => void, keepsProcessAlive: boolean): HostTimeout {
  const handle = hostSetTimeout(callback, Math.min(Math.max(0, delayMs), MAX_HOST_DELAY_MS));
  if (!keepsProcessAlive) handle.unref();
  return {
    cancel(): void {
      hostClearTimeout(handle);
    },
  };
}

/**
 * An environment variable of the host process, read when asked. KafkaJS reads two (`NODE_ENV` for its
 * retry defaults, `KAFKAJS_LOG_LEVEL`); they are configuration, not a source of nondeterminism, but reading
 * them stays here so the rest of the code base keeps no door to the host.
 */
export function hostEnv(name: string): string | undefined {
  return process.env[name];
}
