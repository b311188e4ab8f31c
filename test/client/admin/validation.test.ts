/**
 * admin: bad arguments are refused with exactly the error the installed KafkaJS 2.2.4 gives (class name and
 * message), before any request. KafkaJS's admin is built against an address nobody listens at; every case
 * here fails its validation before it would connect.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createCluster, logLevel } from '../../../src/index.ts';
import { VALIDATION_CASES } from './validation-cases.ts';

type AnyAdmin = Record<string, (...args: unknown[]) => unknown>;

const require = createRequire(import.meta.url);
const { Kafka: KafkaJS } = require('kafkajs') as { Kafka: new (config: object) => { admin(): AnyAdmin } };

const outcome = async (call: () => unknown): Promise<{ name: string; message: string } | 'resolved'> => {
  try {
    await call();
    return 'resolved';
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
};

describe('admin: argument validation matches KafkaJS', () => {
  const sim = createCluster();
  const ours = sim.kafka({ logLevel: logLevel.NOTHING }).admin() as unknown as AnyAdmin;
  const theirs = new KafkaJS({ brokers: ['localhost:1'], logLevel: logLevel.NOTHING }).admin();

  it.each(VALIDATION_CASES)('%s: %s', async (method, _what, args) => {
    const expected = await outcome(() => theirs[method](...args));
    expect(expected).not.toBe('resolved');
    const startedAt = sim.now();
    expect(await outcome(() => ours[method](...args))).toEqual(expected);
    // Refused up front: no request, so no time passed.
    expect(sim.now()).toBe(startedAt);
  });

  it('on() with an unknown event name throws at once, with KafkaJS text', () => {
    const thrownBy = (admin: AnyAdmin) => {
      try {
        admin.on('admin.crash', () => undefined);
      } catch (e) {
        return { name: (e as Error).name, message: (e as Error).message };
      }
      return 'returned';
    };
    expect(thrownBy(theirs)).toEqual({
      name: 'KafkaJSNonRetriableError',
      message: 'Event name should be one of admin.events.CONNECT, admin.events.DISCONNECT, admin.events.REQUEST, admin.events.REQUEST_TIMEOUT, admin.events.REQUEST_QUEUE_SIZE',
    });
    expect(thrownBy(ours)).toEqual(thrownBy(theirs));
  });

  it('the admin has the same keys as KafkaJS, in the same order', () => {
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  });

  it('events are the same names as KafkaJS', () => {
    expect(ours.events).toEqual((theirs as unknown as { events: unknown }).events);
  });
});
