/**
 * `RealRuntime`: the `Runtime` on the host's wall clock, for the TCP wire server and the CLIs, where
 * session timeouts must expire in real seconds. Timers are host timeouts (through host.ts), `track` is the
 * identity because the host's event loop already runs everything, and the prng is seeded from `seed` when
 * given (a reproducible id stream for a demo) or else from the operating system's entropy.
 *
 * This file and host.ts are the only ones in the runtime allowed to read host entropy or time.
 * Left out: monotonic time. `now()` follows the wall clock like Kafka's `Time.SYSTEM.milliseconds()`,
 * so a clock step moves it; timers are unaffected because the host schedules them on a monotonic clock.
 */
import { hostNow, hostTimeout, MAX_HOST_DELAY_MS, type HostTimeout } from './host.ts';
import { randomUuid, SeededPrng } from './prng.ts';
import { normalizeDelayMs, PrefixCounters, type Prng, type Runtime, type Timer } from './runtime.ts';

export interface RealRuntimeOptions {
  /** Seeds the prng; by default a fresh seed from `crypto.getRandomValues`. */
  seed?: number;
}

class RealTimer implements Timer {
  readonly dueMs: number;
  private state: 'pending' | 'fired' | 'cancelled' = 'pending';
  private timeout: HostTimeout | undefined;

  constructor(
    delayMs: number,
    private readonly callback: () => void,
  ) {
    this.dueMs = hostNow() + delayMs;
    this.arm(delayMs);
  }

  get isActive(): boolean {
    return this.state === 'pending';
  }

  cancel(): void {
    if (this.state !== 'pending') return;
    this.state = 'cancelled';
    this.timeout?.cancel();
    this.timeout = undefined;
  }

  // Host timeouts top out at about 24.8 days; a longer timer (a retention check, say) waits in legs.
  private arm(delayMs: number): void {
    this.timeout = hostTimeout(
      Math.min(delayMs, MAX_HOST_DELAY_MS),
      () => {
        const remainingMs = this.dueMs - hostNow();
        if (delayMs > MAX_HOST_DELAY_MS && remainingMs > 0) {
          this.arm(remainingMs);
          return;
        }
        this.state = 'fired';
        this.timeout = undefined;
        this.callback();
      },
      true,
    );
  }
}

function entropySeed(): number {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  // 53 bits: the largest seed a reader can paste back into { seed } without losing digits.
  return (words[0] & 0x1f_ffff) * 0x1_0000_0000 + words[1];
}

export class RealRuntime implements Runtime {
  readonly isVirtual = false;
  readonly random: Prng;
  private readonly ids = new PrefixCounters();
  private readonly uuidRandom: Prng;

  constructor(options: RealRuntimeOptions = {}) {
    this.random = new SeededPrng(options.seed ?? entropySeed());
    this.uuidRandom = this.random.fork('kafkasim/uuid');
  }

  now(): number {
    return hostNow();
  }

  timer(delayMs: number, callback: () => void, _label?: string): Timer {
    return new RealTimer(normalizeDelayMs(delayMs), callback);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer(ms, resolve);
    });
  }

  track<T>(operation: Promise<T>): Promise<T> {
    return operation;
  }

  nextId(prefix: string): string {
    return this.ids.next(prefix);
  }

  uuid(): string {
    return randomUuid(this.uuidRandom);
  }
}
