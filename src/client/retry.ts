/**
 * KafkaJS's retrier (`src/retry/index.js`): `retries` retries after the first attempt, each delay drawn
 * around the previous one (`factor` jitter) and multiplied by `multiplier`, capped at `maxRetryTime`;
 * errors with `retriable === false` or named RangeError/ReferenceError/SyntaxError/TypeError are not
 * retried (wrapped in KafkaJSNonRetriableError), `bail(e)` rejects with `e` itself, and exhausted retries
 * reject with KafkaJSNumberOfRetriesExceeded. Under `NODE_ENV=test` the defaults switch as KafkaJS's do.
 * The jitter comes from the runtime's seeded prng, the waits from its timers.
 */
import { environmentVariable, type Prng } from '../runtime/index.ts';
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from './errors.ts';
import type { ClientRuntime } from './process.ts';

export interface RetryOptions {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
  restartOnFailure?: (e: Error) => Promise<boolean>;
}

type RetryConfig = Required<Omit<RetryOptions, 'restartOnFailure'>>;

export function retryDefaults(): RetryConfig {
  return environmentVariable('NODE_ENV') === 'test'
    ? { maxRetryTime: 1000, initialRetryTime: 50, factor: 0.02, multiplier: 1.5, retries: 15 }
    : { maxRetryTime: 30 * 1000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 };
}

export type Retrier = <T>(fn: (bail: (error: unknown) => void, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;

/** `Math.ceil(random(t - f·t, t + f·t))` with an integer draw: same distribution bounds, seeded. */
export function randomFromRetryTime(random: Prng, factor: number, retryTime: number): number {
  const delta = factor * retryTime;
  const min = Math.ceil(retryTime - delta);
  const max = Math.max(min, Math.ceil(retryTime + delta));
  return random.range(min, max);
}

const UNRECOVERABLE_ERRORS = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError']);
export const isErrorUnrecoverable = (e: unknown): boolean => UNRECOVERABLE_ERRORS.has((e as { name?: string } | null)?.name ?? '');
export const isErrorRetriable = (e: unknown): boolean =>
  ((e as { retriable?: unknown } | null)?.retriable !== false) && !isErrorUnrecoverable(e);

export function createRetry(runtime: ClientRuntime, options: RetryOptions = {}): Retrier {
  // Settled once per retrier, not per call: a client's every request goes through one, and reading the
  // environment is slow. (KafkaJS picks its defaults once, when its retry module loads.)
  const config: RetryConfig = { ...retryDefaults(), ...stripUndefined(options) };
  const { factor, multiplier, maxRetryTime, retries } = config;
  return <T>(fn: (bail: (error: unknown) => void, retryCount: number, retryTime: number) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let aborted = false;
      const bail = (error: unknown): void => {
        aborted = true;
        reject(error ?? new Error('Aborted'));
      };
      const retry = (retryTime: number, retryCount: number): void => {
        if (aborted) return;
        const nextRetryTime = Math.min(randomFromRetryTime(runtime.random, factor, retryTime) * multiplier, maxRetryTime);
        const shouldRetry = retryCount < retries;
        let attempt: Promise<T>;
        try {
          attempt = Promise.resolve(fn(bail, retryCount, retryTime));
        } catch (error) {
          attempt = Promise.reject(error);
        }
        attempt.then(resolve, (e: unknown) => {
          if (aborted) return; // bail() already rejected
          if (isErrorRetriable(e)) {
            if (shouldRetry) runtime.timer(retryTime, () => retry(nextRetryTime, retryCount + 1), 'client:retry');
            else reject(new KafkaJSNumberOfRetriesExceeded(e as Error, { retryCount, retryTime }));
          } else {
            reject(new KafkaJSNonRetriableError(e as Error, { cause: causeOf(e) }));
          }
        });
      };
      retry(randomFromRetryTime(runtime.random, config.factor, config.initialRetryTime), 0);
    });
}

const causeOf = (e: unknown): Error => ((e as { cause?: Error } | null)?.cause ?? (e as Error));

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
