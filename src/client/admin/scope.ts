/**
 * What every admin method works with: the admin's own cluster view, its 'Admin' logger, its process scope
 * and a fresh retrier per call with the admin's retry options (KafkaJS's `createRetry(retry)` inside each
 * method), plus KafkaJS's `utils/waitFor` polling loop on the process's timers.
 */
import type { Cluster } from '../cluster.ts';
import { KafkaJSTimeout } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ClientProcess } from '../process.ts';
import { createRetry, type Retrier, type RetryOptions } from '../retry.ts';

export interface AdminScope {
  readonly cluster: Cluster;
  readonly logger: Logger;
  readonly process: ClientProcess;
  readonly retry: RetryOptions;
  /** A retrier with the admin's options; KafkaJS makes a new one for every call. */
  retrier(): Retrier;
}

export function createScope(cluster: Cluster, rootLogger: Logger, process: ClientProcess, retry: RetryOptions): AdminScope {
  return {
    cluster,
    logger: rootLogger.namespace('Admin'),
    process,
    retry,
    retrier: () => createRetry(process, retry),
  };
}

export interface WaitForOptions {
  delay?: number;
  maxWait?: number;
  timeoutMessage?: string;
}

/**
 * KafkaJS's `waitFor`: sleep `delay`, call `fn`, resolve with its first truthy answer, reject with what it
 * throws, and reject with KafkaJSTimeout(timeoutMessage) once `maxWait` has passed. `undefined` options
 * take the defaults, as KafkaJS's destructuring defaults do (so createTopics without `timeout` waits 10 s).
 */
export function waitFor<T>(
  process: ClientProcess,
  fn: () => Promise<T | false>,
  { delay = 50, maxWait = 10000, timeoutMessage = 'Timeout' }: WaitForOptions = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let fulfilled = false;
    const timeoutTimer = process.timer(
      maxWait,
      () => {
        if (fulfilled) return;
        fulfilled = true;
        reject(new KafkaJSTimeout(timeoutMessage));
      },
      'admin:waitFor:timeout',
    );
    const check = (): void => {
      if (fulfilled) return;
      process.timer(
        delay,
        () => {
          fn().then(
            (result) => {
              if (fulfilled) return;
              if (result) {
                fulfilled = true;
                timeoutTimer.cancel();
                resolve(result);
                return;
              }
              check();
            },
            (error: unknown) => {
              if (fulfilled) return;
              fulfilled = true;
              timeoutTimer.cancel();
              reject(error);
            },
          );
        },
        'admin:waitFor',
      );
    };
    check();
  });
}

/**
 * KafkaJS's `Long.fromValue` (`src/utils/long.js`) as a bigint: NaN numbers and the strings 'NaN' and
 * '±Infinity' become 0, an empty string throws, anything else goes through `BigInt` (which throws on
 * fractions and non-numeric text), so the same inputs fail here as in KafkaJS.
 */
export function toLong(value: unknown): bigint {
  if (typeof value === 'number') return Number.isNaN(value) ? 0n : BigInt(value);
  if (typeof value === 'string') {
    if (value.length === 0) throw new Error('empty string');
    if (value === 'NaN' || value === 'Infinity' || value === '+Infinity' || value === '-Infinity') return 0n;
    return BigInt(value);
  }
  if (typeof value === 'bigint') return value;
  const inner = (value as { value?: unknown }).value;
  if (typeof inner === 'bigint') return inner;
  return BigInt(value as string);
}
