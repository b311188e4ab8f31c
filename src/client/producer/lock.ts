/**
 * KafkaJS's `utils/lock.js`: a mutex whose waiters give up after `timeoutMs` with KafkaJSLockTimeout
 * ('Timeout while acquiring lock (N waiting locks)', N counting the one giving up). Release hands the lock to
 * the longest waiter synchronously, so nobody can slip in between. The wait uses the client process's
 * timers, so a killed client's waiters never time out.
 */
import { KafkaJSLockTimeout } from '../errors.ts';
import type { ClientRuntime } from '../process.ts';

export class Lock {
  private isLocked = false;
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly runtime: ClientRuntime,
    private readonly timeoutMs: number,
    private readonly description: string | null = null,
  ) {}

  acquire(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.isLocked) {
        this.isLocked = true;
        resolve();
        return;
      }
      const tryToAcquire = (): void => {
        if (this.isLocked) return;
        this.isLocked = true;
        timer.cancel();
        this.waiting.delete(tryToAcquire);
        resolve();
      };
      this.waiting.add(tryToAcquire);
      const timer = this.runtime.timer(
        this.timeoutMs,
        () => {
          const message = `Timeout while acquiring lock (${this.waiting.size} waiting locks)`;
          this.waiting.delete(tryToAcquire);
          reject(new KafkaJSLockTimeout(this.description === null ? message : `${message}: "${this.description}"`));
        },
        'client:lock-timeout',
      );
    });
  }

  release(): void {
    this.isLocked = false;
    const next = this.waiting.values().next();
    if (!next.done) next.value();
  }
}
