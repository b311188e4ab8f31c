/**
 * Producer argument validation, connection-status errors, `on` and `transaction()` refusals: each case runs
 * against the installed kafkajs 2.2.4 (none of them needs a broker there) and against kafkasim, and the
 * errors must match in class name, message and retriability.
 */
import { describe, expect, it } from 'vitest';
import { Partitioners } from '../../../src/index.ts';
import { cluster, kafka, require } from './support.ts';

const kafkajs = require('kafkajs') as typeof import('kafkajs');

type Outcome = { name: string; constructor: string; message: string; retriable: unknown } | { resolved: unknown };

async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    return { resolved: await run() };
  } catch (e) {
    const error = e as Error & { retriable?: unknown };
    return { name: error.name, constructor: error.constructor.name, message: error.message, retriable: error.retriable };
  }
}

/** A never-connected producer of each implementation; nothing here reaches a broker. */
function producers(config: Record<string, unknown> = {}) {
  const real = new kafkajs.Kafka({ brokers: ['localhost:1'], logLevel: kafkajs.logLevel.NOTHING }).producer({
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    ...config,
  });
  const sim = cluster();
  const ours = kafka(sim).producer(config);
  return { real, ours };
}

type AnyProducer = { send: (r: never) => Promise<unknown>; sendBatch: (b: never) => Promise<unknown> };

async function same(config: Record<string, unknown>, call: (producer: AnyProducer) => unknown): Promise<Outcome> {
  const { real, ours } = producers(config);
  const expected = await outcome(() => call(real as unknown as AnyProducer));
  const actual = await outcome(() => call(ours as unknown as AnyProducer));
  expect(actual).toEqual(expected);
  return actual;
}

const valid = [{ key: 'k', value: 'v' }];

describe('producer validation matches kafkajs 2.2.4', () => {
  it('a missing or empty topic is "Invalid topic", checked before anything else', async () => {
    const result = await same({}, (p) => p.send({ acks: 1, topic: null } as never));
    expect(result).toMatchObject({ name: 'KafkaJSNonRetriableError', message: 'Invalid topic', retriable: false });
    await same({ idempotent: true }, (p) => p.send({ acks: 1, topic: '', messages: null } as never));
    await same({}, (p) => p.sendBatch({ topicMessages: [{ topic: 't', messages: valid }, { messages: [] }] } as never));
  });

  it('an idempotent producer refuses acks other than -1 before looking at the messages', async () => {
    const message = "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees";
    expect(await same({ idempotent: true }, (p) => p.send({ acks: 1, topic: 't', messages: null } as never))).toMatchObject({ message });
    expect(await same({ idempotent: true }, (p) => p.send({ acks: 0, topic: 't', messages: valid } as never))).toMatchObject({ message });
  });

  it('messages must be an array and every value defined (null is a tombstone)', async () => {
    expect(await same({}, (p) => p.send({ topic: 't', messages: null } as never))).toMatchObject({
      message: 'Invalid messages array [null] for topic "t"',
    });
    expect(await same({}, (p) => p.send({ topic: 't' } as never))).toMatchObject({ message: 'Invalid messages array [undefined] for topic "t"' });
    expect(await same({}, (p) => p.send({ topic: 't', messages: [{ value: 'a' }, { foo: 'bar' }] } as never))).toMatchObject({
      message: 'Invalid message without value for topic "t": {"foo":"bar"}',
    });
    await same({}, (p) => p.send({ topic: 't', messages: [{ key: Buffer.from('k'), headers: { h: 'v' } }] } as never));
    await same({}, (p) => p.sendBatch({ topicMessages: [{ topic: 'a', messages: valid }, { topic: 'b', messages: [{ key: 'x' }] }] } as never));
  });

  it('a valid send on a producer that never connected is "The producer is disconnected" (retriable)', async () => {
    expect(await same({}, (p) => p.send({ topic: 't', messages: [{ value: null }] } as never))).toEqual({
      name: 'KafkaJSError',
      constructor: 'KafkaJSError',
      message: 'The producer is disconnected',
      retriable: true,
    });
    await same({}, (p) => p.sendBatch({} as never));
  });

  it('a send while disconnecting is refused as non-retriable', async () => {
    const { real, ours } = producers();
    const results: Outcome[] = [];
    for (const producer of [real, ours] as unknown as Array<AnyProducer & { disconnect(): Promise<void> }>) {
      const disconnecting = producer.disconnect();
      results.push(await outcome(() => producer.send({ topic: 't', messages: valid } as never)));
      await disconnecting;
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[1]).toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: "The producer is disconnecting; therefore, it can't safely accept messages anymore",
    });
  });

  it('send and sendBatch without an argument fail with the same TypeError', async () => {
    expect(await same({}, (p) => (p.send as () => Promise<unknown>)())).toMatchObject({ name: 'TypeError' });
    expect(await same({}, (p) => (p.sendBatch as () => Promise<unknown>)())).toMatchObject({ name: 'TypeError' });
  });

  it('on() names the valid events when given another', async () => {
    const { real, ours } = producers();
    const expected = await outcome(() => (real.on as (e: string, l: () => void) => unknown)('NON_EXISTENT_EVENT', () => undefined));
    const actual = await outcome(() => (ours.on as (e: string, l: () => void) => unknown)('NON_EXISTENT_EVENT', () => undefined));
    expect(actual).toEqual(expected);
    expect(actual).toMatchObject({
      message:
        'Event name should be one of producer.events.CONNECT, producer.events.DISCONNECT, producer.events.REQUEST, producer.events.REQUEST_TIMEOUT, producer.events.REQUEST_QUEUE_SIZE',
    });
    expect(ours.events).toEqual(real.events);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(real).sort());
  });

  it('transaction() needs a transactionalId', async () => {
    const { real, ours } = producers();
    const expected = await outcome(() => real.transaction());
    const actual = await outcome(() => ours.transaction());
    expect(actual).toEqual(expected);
    expect(actual).toMatchObject({ message: 'Must provide transactional id for transactional producer' });
  });

  it('an idempotent producer with retries < 1 is refused at creation; isIdempotent reports the flag', async () => {
    const make = (k: { producer: (c: object) => unknown }) => () => k.producer({ idempotent: true, retry: { retries: 0 } });
    const real = new kafkajs.Kafka({ brokers: ['localhost:1'], logLevel: kafkajs.logLevel.NOTHING });
    const sim = cluster();
    const expected = await outcome(make(real as never));
    const actual = await outcome(make(kafka(sim) as never));
    expect(actual).toEqual(expected);
    expect(actual).toMatchObject({ message: 'Idempotent producer must allow retries to protect against transient errors' });
    expect(kafka(sim).producer({ idempotent: true }).isIdempotent()).toBe(true);
    expect(kafka(sim).producer().isIdempotent()).toBe(false);
  });

  it('warns about limited retries only when the idempotent producer was given a retries value', () => {
    const sim = cluster();
    const warnings: string[] = [];
    const logCreator = () => (entry: { level: number; log: { message: string } }) => {
      if (entry.level === 2) warnings.push(entry.log.message);
    };
    const client = sim.kafka({ logLevel: 4, logCreator: logCreator as never });
    client.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    expect(warnings).toEqual([]);
    client.producer({ idempotent: true, retry: { retries: 3 }, createPartitioner: Partitioners.DefaultPartitioner });
    expect(warnings).toEqual(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);
  });
});
