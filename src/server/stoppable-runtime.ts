/**
 * The wire server's runtime: `RealRuntime` (the host clock, as the server must expire sessions in real
 * seconds) plus a `stop()` that cancels every timer still armed and refuses new ones. The model arms
 * timers the server cannot see (a produce waiting for acks=all, a rebalance delay, a delayed fetch); on a
 * real clock each is a host timeout that keeps the process alive, so closing the server without this would
 * leave a test worker or the CLI running until the longest of them fired.
 *
 * After `stop()` a new timer is born cancelled and a promise waiting on one never settles: the cluster is
 * gone, and nothing that could still observe it is meant to run.
 */
import { RealRuntime, type Prng, type Runtime, type Timer } from '../runtime/index.ts';

const DEAD_TIMER: Timer = { cancel: () => {}, dueMs: 0, isActive: false };

export class StoppableRuntime implements Runtime {
  readonly isVirtual = false;
  private readonly real: RealRuntime;
  private readonly armed = new Set<Timer>();
  private isStopped = false;

  constructor(options: { seed?: number } = {}) {
    this.real = new RealRuntime(options);
  }

  get random(): Prng {
    return this.real.random;
  }

  /** Timers armed and not yet fired or cancelled (a leak shows up here first). */
  get armedTimers(): number {
    return this.armed.size;
  }

  now(): number {
    return this.real.now();
  }

  timer(delayMs: number, callback: () => void, label?: string): Timer {
    if (this.isStopped) return DEAD_TIMER;
    let timer: Timer | undefined = undefined;
    const inner = this.real.timer(
      delayMs,
      () => {
        this.armed.delete(timer!);
        callback();
      },
      label,
    );
    const armed = this.armed;
    timer = {
      get dueMs() {
        return inner.dueMs;
      },
      get isActive() {
        return inner.isActive;
      },
      cancel() {
        inner.cancel();
        armed.delete(timer!);
      },
    };
    this.armed.add(timer);
    return timer;
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
    return this.real.nextId(prefix);
  }

  uuid(): string {
    return this.real.uuid();
  }

  /** Cancels every armed timer; later timers never fire. Idempotent. */
  stop(): void {
    this.isStopped = true;
    for (const timer of [...this.armed]) timer.cancel();
    this.armed.clear();
  }
}
