/**
 * Argument and state checks of the consumer's public methods (the intent of KafkaJS's misconfiguration,
 * subscribe, seek, commitOffsets and pause specs, and of `consumer/index.js`): each check throws
 * KafkaJSNonRetriableError with KafkaJS's message, and the ones that need a running consumer say so before
 * `run()`. None of these needs time to pass; `run()` builds the consumer group synchronously.
 */
import { describe, expect, it } from 'vitest';
import { KafkaJSNonRetriableError } from '../../../src/index.ts';
import { consumerOf, startCluster } from './support.ts';

const NOT_RUNNING = 'Consumer group was not initialized, consumer#run must be called first';

describe('consumer configuration', () => {
  it('throws when heartbeatInterval is not lower than sessionTimeout', () => {
    const sim = startCluster();
    const create = () => consumerOf(sim, { groupId: 'g', heartbeatInterval: 10_000, sessionTimeout: 10_000 });
    expect(create).toThrow(KafkaJSNonRetriableError);
    expect(create).toThrow(
      'Consumer heartbeatInterval (10000) must be lower than sessionTimeout (10000). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.',
    );
    expect(() => consumerOf(sim, { groupId: 'g', heartbeatInterval: 9_999, sessionTimeout: 10_000 })).not.toThrow();
  });

  it('throws when groupId is missing or empty', () => {
    const sim = startCluster();
    for (const groupId of [undefined, '']) {
      expect(() => consumerOf(sim, { groupId } as { groupId: string })).toThrow(
        new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.'),
      );
    }
  });
});

describe('consumer.subscribe validation', () => {
  it('rejects a topic that is neither a string nor a RegExp, in `topics` or in the deprecated `topic`', async () => {
    const consumer = consumerOf(startCluster(), { groupId: 'g' });
    const message = 'Invalid topic 1 (number), the topic name has to be a String or a RegExp';
    await expect(consumer.subscribe({ topics: [1 as unknown as string] })).rejects.toThrow(message);
    await expect(consumer.subscribe({ topic: 1 as unknown as string })).rejects.toThrow(message);
    await expect(consumer.subscribe({ topics: ['fine', 1 as unknown as string] })).rejects.toBeInstanceOf(KafkaJSNonRetriableError);
  });

  it('rejects a missing topic and a `topics` that is not an array', async () => {
    const consumer = consumerOf(startCluster(), { groupId: 'g' });
    await expect(consumer.subscribe({ topic: null as unknown as string })).rejects.toThrow('Missing required argument "topics"');
    await expect(consumer.subscribe({} as { topics: string[] })).rejects.toThrow('Missing required argument "topics"');
    await expect(consumer.subscribe({ topics: 'orders' as unknown as string[] })).rejects.toThrow('Argument "topics" must be an array');
  });

  it('refuses to subscribe while running, and accepts again after stop()', async () => {
    const sim = startCluster({ topics: ['a', 'b'] });
    const consumer = consumerOf(sim, { groupId: 'g' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['a'] });
    await consumer.run({ eachMessage: async () => undefined });
    await expect(consumer.subscribe({ topics: ['b'] })).rejects.toThrow(
      new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running'),
    );
    await consumer.stop();
    await expect(consumer.subscribe({ topics: ['b'] })).resolves.toBeUndefined();
    await consumer.disconnect();
  });
});

describe('consumer.seek validation', () => {
  it.each([
    [{ topic: null }, 'Invalid topic null'],
    [{ topic: 'orders', partition: 'ABC' }, 'Invalid partition, expected a number received ABC'],
    [{ topic: 'orders', partition: 0, offset: 'ABC' }, 'Invalid offset, expected a long received ABC'],
    [{ topic: 'orders', partition: 0, offset: '-32' }, 'Offset must not be a negative number'],
    [{ topic: 'orders', partition: 0, offset: '1' }, NOT_RUNNING],
  ])('%j throws "%s"', (argument, message) => {
    const consumer = consumerOf(startCluster(), { groupId: 'g' });
    expect(() => consumer.seek(argument as never)).toThrow(new KafkaJSNonRetriableError(message));
  });

  it('accepts the special offsets -1 and -2 (latest, earliest) once running', () => {
    const sim = startCluster({ topics: ['orders'] });
    const consumer = consumerOf(sim, { groupId: 'g' });
    void consumer.run({ eachMessage: async () => undefined });
    expect(() => consumer.seek({ topic: 'orders', partition: 0, offset: '-1' })).not.toThrow();
    expect(() => consumer.seek({ topic: 'orders', partition: 0, offset: '-2' })).not.toThrow();
    expect(() => consumer.seek({ topic: 'orders', partition: 0, offset: '-3' })).toThrow('Offset must not be a negative number');
  });
});

describe('consumer.commitOffsets validation', () => {
  it.each([
    [[{ topic: null }], 'Invalid topic null'],
    [[{ topic: 'orders', partition: 'ABC' }], 'Invalid partition, expected a number received ABC'],
    [[{ topic: 'orders', partition: 0, offset: 'ABC' }], 'Invalid offset, expected a long received ABC'],
    [[{ topic: 'orders', partition: 0, offset: '-1' }], 'Offset must not be a negative number'],
    [[{ topic: 'orders', partition: 0, offset: '1', metadata: 42 }], 'Invalid offset metadata, expected string or null, received 42'],
    [[{ topic: 'orders', partition: 0, offset: '1' }], NOT_RUNNING],
  ])('%j rejects with "%s"', async (argument, message) => {
    const consumer = consumerOf(startCluster(), { groupId: 'g' });
    await expect(consumer.commitOffsets(argument as never)).rejects.toThrow(new KafkaJSNonRetriableError(message));
  });
});

describe('consumer.pause / resume / paused validation', () => {
  it('paused() is empty before run()', () => {
    expect(consumerOf(startCluster(), { groupId: 'g' }).paused()).toEqual([]);
  });

  it.each(['pause', 'resume'] as const)('%s rejects an invalid topic, invalid partitions, and a consumer that is not running', (verb) => {
    const sim = startCluster({ topics: ['orders'] });
    const consumer = consumerOf(sim, { groupId: 'g' });
    // KafkaJS prints `(tp && tp.topic) || tp`: the whole entry when its topic is missing (its own spec
    // passes a second argument to jest's one-argument toThrow, so it never checked this text).
    expect(() => consumer[verb]([{ topic: null as unknown as string, partitions: [0] }])).toThrow(
      new KafkaJSNonRetriableError('Invalid topic [object Object]'),
    );
    expect(() => consumer[verb]([null as never])).toThrow(new KafkaJSNonRetriableError('Invalid topic null'));
    expect(() => consumer[verb]([{ topic: 'orders', partitions: 0 as unknown as number[] }])).toThrow(
      `Array of valid partitions required to ${verb} specific partitions instead of 0`,
    );
    expect(() => consumer[verb]([{ topic: 'orders', partitions: ['x' as unknown as number] }])).toThrow(
      `Array of valid partitions required to ${verb} specific partitions instead of x`,
    );
    expect(() => consumer[verb]([{ topic: 'orders', partitions: [0] }])).toThrow(new KafkaJSNonRetriableError(NOT_RUNNING));
    void consumer.run({ eachMessage: async () => undefined });
    expect(() => consumer[verb]([{ topic: 'orders', partitions: [0] }])).not.toThrow();
  });
});

describe('consumer.on validation', () => {
  it('rejects an unknown event name, listing the consumer.events keys', () => {
    const consumer = consumerOf(startCluster(), { groupId: 'g' });
    // @ts-expect-error KafkaJS's types reject an unknown name as well; this checks the guard for untyped callers.
    expect(() => consumer.on('NON_EXISTENT_EVENT', () => undefined)).toThrow(/^Event name should be one of consumer\.events\.HEARTBEAT, /);
    expect(() => consumer.on(consumer.events.HEARTBEAT, () => undefined)).not.toThrow();
  });
});
