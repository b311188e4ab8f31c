/**
 * Conformance of transactions through the KafkaJS API (KafkaJS 2.2.4's `src/producer/eosManager`): the
 * transaction object, sendOffsets, what an aborted transaction leaves for read_committed readers, and the
 * errors of a misused transaction. Written once, run on every backend with one backend per file.
 */
import { expect } from 'vitest';
import { KafkaJSNonRetriableError } from '../../src/index.ts';
import { connectedAdmin, connectedProducer, createTopics, rejection, startReader, values, type ConformanceCase } from './cases.ts';

const ENDED = 'Cannot continue to use transaction once ended';

export const TRANSACTION_CASES: readonly ConformanceCase[] = [
  {
    name: 'transaction misuse: a second transaction while one is open, and send, commit or abort once it ended, reject with KafkaJSNonRetriableError; a producer without transactionalId cannot start one; isActive() follows the transaction',
    async run(b) {
      const topic = b.unique('misused-txn');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const plain = await connectedProducer(b, { idempotent: true });
      const untransactional = await rejection(plain.transaction());
      expect(untransactional).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(untransactional.message).toBe('Must provide transactional id for transactional producer');

      const producer = await connectedProducer(b, { transactionalId: b.unique('misuser'), idempotent: true, maxInFlightRequests: 1 });
      expect(producer.isIdempotent()).toBe(true);
      const transaction = await producer.transaction();
      expect(Object.keys(transaction).sort()).toEqual(['abort', 'commit', 'isActive', 'send', 'sendBatch', 'sendOffsets']);
      expect(transaction.isActive()).toBe(true);
      const second = await rejection(producer.transaction());
      expect(second).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(second.message).toBe('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.');
      const [sent] = await transaction.send({ topic, messages: [{ value: 'a' }] });
      expect(sent).toMatchObject({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' });
      expect(await transaction.commit()).toBeUndefined();
      expect(transaction.isActive()).toBe(false);
      for (const after of [() => transaction.commit(), () => transaction.abort(), () => transaction.send({ topic, messages: [{ value: 'b' }] })]) {
        const error = await rejection(after());
        expect(error).toBeInstanceOf(KafkaJSNonRetriableError);
        expect(error.message).toBe(ENDED);
      }
      // An empty transaction commits and aborts without a word.
      expect(await (await producer.transaction()).abort()).toBeUndefined();
      expect(await (await producer.transaction()).commit()).toBeUndefined();
    },
  },
  {
    name: 'sendOffsets commits the group offsets with the transaction (fetchOffsets shows them once its markers are written); an aborted transaction leaves a read_committed consumer nothing to read, and its offsets are not committed',
    async run(b) {
      const topic = b.unique('txn-offsets');
      const [committedGroup, abortedGroup, readers] = [b.unique('committed-offsets'), b.unique('aborted-offsets'), b.unique('txn-readers')];
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const producer = await connectedProducer(b, { transactionalId: b.unique('offsetter'), idempotent: true, maxInFlightRequests: 1 });
      // The committed one first: AddOffsetsToTxn right after an EndTxn may meet CONCURRENT_TRANSACTIONS while the
      // coordinator still writes the markers (Kafka's behaviour too), and KafkaJS does not retry it; its send does.
      const committed = await producer.transaction();
      expect(await committed.sendOffsets({ consumerGroupId: committedGroup, topics: [{ topic, partitions: [{ partition: 0, offset: '7' }] }] })).toBeUndefined();
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
      await aborted.sendOffsets({ consumerGroupId: abortedGroup, topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] });
      await aborted.abort();

      const admin = await connectedAdmin(b);
      const offsetOf = async (groupId: string) => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions[0].offset;
      // EndTxn answers before the markers reach the group coordinator (as in Kafka): poll.
      for (let attempt = 0; attempt < 50 && (await offsetOf(committedGroup)) !== '7'; attempt++) await b.sleep(50);
      expect(await offsetOf(committedGroup)).toBe('7');
      expect(await offsetOf(abortedGroup)).toBe('-1');

      const reader = await startReader(b, topic, { groupId: readers }, { fromBeginning: true });
      await b.waitFor(() => reader.fetchesSinceJoin >= 3, 'a few fetches');
      expect(values(reader)).toEqual([]);
      expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '3', high: '3', low: '0' }]);
    },
  },
];
