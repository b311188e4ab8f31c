/**
 * Conformance of the producer API (KafkaJS 2.2.4's `src/producer`): what `send` and `sendBatch` resolve to in
 * the corners (keyed spreads, acks, LogAppendTime topics, partitions that do not exist, empty lists), and what
 * they reject with for KafkaJS's argument checks, broker refusals and a disconnected producer. Written once,
 * run on every backend with one backend per file (`conformance.test.ts`).
 */
import { expect } from 'vitest';
import { CompressionTypes, KafkaJSError, KafkaJSNonRetriableError, KafkaJSProtocolError, type RecordMetadata } from '../../src/index.ts';
import { connectedProducer, createTopics, rejection, type ConformanceCase } from './cases.ts';

const sorted = (list: RecordMetadata[]) => [...list].sort((x, y) => x.topicName.localeCompare(y.topicName) || x.partition - y.partition);

export const PRODUCER_CASES: readonly ConformanceCase[] = [
  {
    name: 'send: one RecordMetadata per partition written, baseOffset the first offset of that send; acks 1 and gzip answer alike; on a LogAppendTime topic logAppendTime is the broker time (a decimal string); a partition the topic does not have and an empty message list answer []',
    async run(b) {
      const [topic, stamped] = [b.unique('spread'), b.unique('stamped')];
      await createTopics(b, [
        { topic, numPartitions: 3 },
        { topic: stamped, numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] },
      ]);
      const producer = await connectedProducer(b);
      const keyed = await producer.send({
        topic,
        messages: [
          { partition: 0, value: '1' },
          { partition: 2, value: '2' },
          { partition: 0, value: '3' },
        ],
      });
      const ok = { errorCode: 0, logAppendTime: '-1', logStartOffset: '0' };
      expect(sorted(keyed)).toEqual([
        { topicName: topic, partition: 0, baseOffset: '0', ...ok },
        { topicName: topic, partition: 2, baseOffset: '0', ...ok },
      ]);
      expect(await producer.send({ topic, acks: 1, messages: [{ partition: 0, value: '4' }] })).toEqual([{ topicName: topic, partition: 0, baseOffset: '2', ...ok }]);
      expect(await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [{ partition: 2, value: '5' }, { partition: 2, value: '6' }] })).toEqual([
        { topicName: topic, partition: 2, baseOffset: '1', ...ok },
      ]);

      const [appended] = await producer.send({ topic: stamped, messages: [{ value: 'x', timestamp: '5' }] });
      expect(appended).toMatchObject({ topicName: stamped, partition: 0, errorCode: 0, baseOffset: '0', logStartOffset: '0' });
      expect(appended.logAppendTime).toMatch(/^\d{13}$/);

      expect(await producer.send({ topic, messages: [{ partition: 9, value: 'nowhere' }] })).toEqual([]);
      expect(await producer.send({ topic, messages: [] })).toEqual([]);
      expect(await producer.sendBatch({ topicMessages: [] })).toEqual([]);
    },
  },
  {
    name: "send errors: acks other than -1, 0 or 1 is INVALID_REQUIRED_ACKS (KafkaJSProtocolError, not retried); KafkaJS's argument checks reject with KafkaJSNonRetriableError and its messages; idempotent producers require acks -1",
    async run(b) {
      const topic = b.unique('checked');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const producer = await connectedProducer(b);
      for (const acks of [2, -2]) {
        const error = await rejection(producer.send({ topic, acks, messages: [{ value: 'x' }] }));
        expect(error).toBeInstanceOf(KafkaJSProtocolError);
        expect(error).toMatchObject({
          name: 'KafkaJSProtocolError',
          type: 'INVALID_REQUIRED_ACKS',
          code: 21,
          retriable: false,
          message: 'Produce request specified an invalid value for required acks',
        });
      }
      const checks: Array<[Promise<unknown>, string]> = [
        [producer.send({ topic } as Parameters<typeof producer.send>[0]), `Invalid messages array [undefined] for topic "${topic}"`],
        [producer.send({ messages: [{ value: 'x' }] } as unknown as Parameters<typeof producer.send>[0]), 'Invalid topic'],
        [
          producer.send({ topic, messages: [{ partition: 0 } as unknown as { value: string }] }),
          `Invalid message without value for topic "${topic}": {"partition":0}`,
        ],
      ];
      for (const [promise, message] of checks) {
        const error = await rejection(promise);
        expect(error).toBeInstanceOf(KafkaJSNonRetriableError);
        expect(error).toMatchObject({ name: 'KafkaJSNonRetriableError', retriable: false, message });
      }

      const idempotent = await connectedProducer(b, { idempotent: true });
      expect(idempotent.isIdempotent()).toBe(true);
      expect(producer.isIdempotent()).toBe(false);
      expect(b.kafka().producer({ transactionalId: b.unique('not-idempotent') }).isIdempotent()).toBe(false);
      const acks1 = await rejection(idempotent.send({ topic, acks: 1, messages: [{ value: 'x' }] }));
      expect(acks1).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(acks1.message).toBe("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees");
    },
  },
  {
    name: 'a producer not connected yet, or disconnected, rejects send with a retriable KafkaJSError "The producer is disconnected"; on() with an unknown event name throws, listing producer.events',
    async run(b) {
      const topic = b.unique('closed');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const fresh = b.kafka().producer();
      const early = await rejection(fresh.send({ topic, messages: [{ value: 'x' }] }));
      expect(early).toBeInstanceOf(KafkaJSError);
      expect(early).not.toBeInstanceOf(KafkaJSNonRetriableError);
      expect(early).toMatchObject({ name: 'KafkaJSError', message: 'The producer is disconnected', retriable: true });

      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ value: 'x' }] });
      await producer.disconnect();
      const late = await rejection(producer.sendBatch({ topicMessages: [{ topic, messages: [{ value: 'y' }] }] }));
      expect(late).toMatchObject({ name: 'KafkaJSError', message: 'The producer is disconnected', retriable: true });

      expect(Object.keys(producer.events)).toEqual(['CONNECT', 'DISCONNECT', 'REQUEST', 'REQUEST_TIMEOUT', 'REQUEST_QUEUE_SIZE']);
      let thrown: unknown;
      try {
        producer.on('producer.nope' as typeof producer.events.CONNECT, () => {});
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(KafkaJSNonRetriableError);
      expect((thrown as Error).message).toBe(
        'Event name should be one of producer.events.CONNECT, producer.events.DISCONNECT, producer.events.REQUEST, producer.events.REQUEST_TIMEOUT, producer.events.REQUEST_QUEUE_SIZE',
      );
    },
  },
];
