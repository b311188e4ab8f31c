/**
 * Each Kafka/KafkaJS behaviour the conformance suite checks, stated once. A case only talks to its `Backend`
 * (clients from `backend.kafka()`, names from `backend.unique()`, waits through `backend.waitFor` and
 * `backend.sleep`), so it runs unchanged on the simulator's virtual clock, on the wire server and on a real
 * cluster. The expected values are what the genuine KafkaJS 2.2.4 does against Kafka; a case never awaits a
 * promise of its own making (the virtual clock moves only for client promises and the backend's waits).
 * Error cases check classes with `instanceof` against kafkasim's classes: on the wire and real backends that
 * also checks the adapter's translation of KafkaJS's errors.
 */
import { expect } from 'vitest';
import {
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  Partitioners,
  type Admin,
  type Consumer,
  type ConsumerConfig,
  type ITopicConfig,
  type KafkaMessage,
} from '../../src/index.ts';
import { isKafkaError } from '../../src/adapters/index.ts';
import type { Backend } from './backends.ts';

export interface ConformanceCase {
  /** The behaviour, as a sentence. */
  readonly name: string;
  readonly run: (backend: Backend) => Promise<void>;
}

export interface Delivery {
  readonly partition: number;
  readonly message: KafkaMessage;
}

export interface Reader {
  readonly consumer: Consumer;
  readonly deliveries: Delivery[];
  readonly joins: Array<Record<string, unknown>>;
  /** Fetch responses handled since the last join. */
  fetchesSinceJoin: number;
}

/** Consumers wait at most 100 ms per fetch: KafkaJS's disconnect waits for the fetch in flight. */
export const FAST_FETCH: Partial<ConsumerConfig> = { maxWaitTimeInMs: 100 };

export async function connectedAdmin(backend: Backend, config: Parameters<Backend['kafka']>[0] = {}): Promise<Admin> {
  const admin = backend.kafka(config).admin();
  backend.onCleanup(() => admin.disconnect());
  await admin.connect();
  return admin;
}

export async function createTopics(backend: Backend, topics: ITopicConfig[]): Promise<void> {
  const admin = await connectedAdmin(backend);
  expect(await admin.createTopics({ topics, waitForLeaders: true })).toBe(true);
  await admin.disconnect();
}

export async function connectedProducer(backend: Backend, config: Parameters<ReturnType<Backend['kafka']>['producer']>[0] = {}) {
  // kafkasim's DefaultPartitioner: on the real side the adapter swaps in KafkaJS's own.
  const producer = backend.kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  backend.onCleanup(() => producer.disconnect());
  await producer.connect();
  return producer;
}

/** A consumer in `groupId` reading `topic` into `deliveries`, counting joins and fetches. */
export async function startReader(
  backend: Backend,
  topic: string,
  config: Partial<ConsumerConfig> & { groupId: string },
  options: { fromBeginning?: boolean; autoCommit?: boolean } = {},
): Promise<Reader> {
  const consumer = backend.kafka().consumer({ ...FAST_FETCH, ...config });
  backend.onCleanup(() => consumer.disconnect());
  const reader: Reader = { consumer, deliveries: [], joins: [], fetchesSinceJoin: 0 };
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    reader.joins.push(event.payload as Record<string, unknown>);
    reader.fetchesSinceJoin = 0;
  });
  consumer.on(consumer.events.FETCH, () => void reader.fetchesSinceJoin++);
  await consumer.connect();
  await consumer.subscribe(options.fromBeginning === undefined ? { topics: [topic] } : { topics: [topic], fromBeginning: options.fromBeginning });
  await consumer.run({
    autoCommit: options.autoCommit,
    eachMessage: async ({ partition, message }) => void reader.deliveries.push({ partition, message }),
  });
  return reader;
}

export const text = (buffer: Buffer | null | undefined) => (buffer == null ? buffer : buffer.toString());
export const offsets = (reader: Reader) => reader.deliveries.map((d) => `${d.partition}@${d.message.offset}`);
export const values = (reader: Reader) => reader.deliveries.map((d) => text(d.message.value));

/** Rejection of `promise` (fails the case when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, got a result');
}

export const CASES: readonly ConformanceCase[] = [
  // ------------------------------------------------------------------------------------------------ produce/consume
  {
    name: 'produce and consume: keys, values and headers (strings, buffers, repeated keys) come back as sent, in order, with offsets from 0; null keys and values stay null',
    async run(b) {
      const topic = b.unique('roundtrip');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const producer = await connectedProducer(b);
      await producer.send({
        topic,
        messages: [
          { key: 'k1', value: 'v1', headers: { 'trace-id': 'abc', bin: Buffer.from([0, 255]), multi: ['a', 'b'] } },
          { key: null, value: 'v2' },
          { key: 'k3', value: null },
        ],
      });
      const reader = await startReader(b, topic, { groupId: b.unique('roundtrip-group') }, { fromBeginning: true });
      await b.waitFor(() => reader.deliveries.length >= 3, '3 messages');
      await b.sleep(500);
      expect(offsets(reader)).toEqual(['0@0', '0@1', '0@2']);
      const [first, second, third] = reader.deliveries.map((d) => d.message);
      expect(Object.keys(first).sort()).toEqual(['attributes', 'batchContext', 'headers', 'isControlRecord', 'key', 'magicByte', 'offset', 'timestamp', 'value']);
      expect([text(first.key), text(first.value)]).toEqual(['k1', 'v1']);
      expect(first.headers).toEqual({ 'trace-id': Buffer.from('abc'), bin: Buffer.from([0, 255]), multi: [Buffer.from('a'), Buffer.from('b')] });
      expect(first).toMatchObject({ magicByte: 2, attributes: 0, isControlRecord: false });
      expect(first.timestamp).toMatch(/^\d+$/);
      expect([second.key, text(second.value)]).toEqual([null, 'v2']);
      expect(second.headers).toEqual({});
      expect([text(third.key), third.value]).toEqual(['k3', null]);
    },
  },
  {
    name: 'RecordMetadata: send resolves to one entry per partition written (topicName, partition, errorCode 0, baseOffset, logAppendTime -1, logStartOffset), sendBatch to one per topic-partition, acks 0 to []',
    async run(b) {
      const [orders, audit] = [b.unique('orders'), b.unique('audit')];
      await createTopics(b, [
        { topic: orders, numPartitions: 2 },
        { topic: audit, numPartitions: 1 },
      ]);
      const producer = await connectedProducer(b);
      const sent = await producer.send({
        topic: orders,
        acks: -1,
        messages: [
          { partition: 0, value: 'a' },
          { partition: 0, value: 'b' },
          { partition: 1, value: 'c' },
        ],
      });
      const byPartition = [...sent].sort((x, y) => x.partition - y.partition);
      expect(byPartition).toEqual([
        { topicName: orders, partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' },
        { topicName: orders, partition: 1, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' },
      ]);
      const batch = await producer.sendBatch({
        topicMessages: [
          { topic: orders, messages: [{ partition: 0, value: 'd' }] },
          { topic: audit, messages: [{ value: 'e' }] },
        ],
      });
      expect([...batch].sort((x, y) => x.topicName.localeCompare(y.topicName) || x.partition - y.partition)).toEqual(
        [
          { topicName: orders, partition: 0, errorCode: 0, baseOffset: '2', logAppendTime: '-1', logStartOffset: '0' },
          { topicName: audit, partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' },
        ].sort((x, y) => x.topicName.localeCompare(y.topicName)),
      );
      expect(await producer.send({ topic: orders, acks: 0, messages: [{ partition: 1, value: 'f' }] })).toEqual([]);
    },
  },

  // ------------------------------------------------------------------------------------------------ groups
  {
    name: 'group join: a lone consumer joins as leader with every partition assigned by the RoundRobinAssigner (GROUP_JOIN payload, describeGroup Stable)',
    async run(b) {
      const topic = b.unique('joined');
      const groupId = b.unique('joiners');
      await createTopics(b, [{ topic, numPartitions: 2 }]);
      const reader = await startReader(b, topic, { groupId });
      await b.waitFor(() => reader.joins.length >= 1, 'GROUP_JOIN');
      const join = reader.joins[0];
      expect(Object.keys(join).sort()).toEqual(['duration', 'groupId', 'groupProtocol', 'isLeader', 'leaderId', 'memberAssignment', 'memberId']);
      expect(join).toMatchObject({ groupId, isLeader: true, groupProtocol: 'RoundRobinAssigner', memberAssignment: { [topic]: [0, 1] } });
      expect(join.leaderId).toBe(join.memberId);
      const group = await reader.consumer.describeGroup();
      expect(group).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner', errorCode: 0 });
      expect(group.members.map((m) => m.memberId)).toEqual([join.memberId]);
    },
  },
  {
    name: 'commit and resume: a group resumes from its committed offset after its consumer left, whatever fromBeginning says; admin.fetchOffsets shows the commit',
    async run(b) {
      const topic = b.unique('ledger');
      const groupId = b.unique('bookkeepers');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: ['e0', 'e1', 'e2'].map((value) => ({ value })) });
      const first = await startReader(b, topic, { groupId }, { fromBeginning: true });
      await b.waitFor(() => first.deliveries.length >= 3, 'the first 3 messages');
      await first.consumer.disconnect(); // commits what it processed, then leaves the group
      const admin = await connectedAdmin(b);
      expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([{ topic, partitions: [{ partition: 0, offset: '3', metadata: null }] }]);

      await producer.send({ topic, messages: ['e3', 'e4'].map((value) => ({ value })) });
      const second = await startReader(b, topic, { groupId }, { fromBeginning: false });
      await b.waitFor(() => second.deliveries.length >= 2, 'the 2 new messages');
      await b.sleep(500);
      expect(offsets(second)).toEqual(['0@3', '0@4']);
      await second.consumer.disconnect();
      expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([{ topic, partitions: [{ partition: 0, offset: '5', metadata: null }] }]);
    },
  },
  {
    name: 'seek: a running consumer sought to an earlier offset re-reads from there',
    async run(b) {
      const topic = b.unique('replay');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: ['m0', 'm1', 'm2', 'm3', 'm4'].map((value) => ({ value })) });
      const reader = await startReader(b, topic, { groupId: b.unique('replayers') }, { fromBeginning: true });
      await b.waitFor(() => reader.deliveries.length >= 5, '5 messages');
      reader.consumer.seek({ topic, partition: 0, offset: '2' });
      await b.waitFor(() => reader.deliveries.length >= 8, '3 messages re-read');
      await b.sleep(500);
      expect(offsets(reader)).toEqual(['0@0', '0@1', '0@2', '0@3', '0@4', '0@2', '0@3', '0@4']);
    },
  },
  {
    name: 'pause and resume: a paused partition delivers nothing (paused() lists it) until resumed, then what was written meanwhile',
    async run(b) {
      const topic = b.unique('valve');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ value: 'before' }] });
      const reader = await startReader(b, topic, { groupId: b.unique('valve-group') }, { fromBeginning: true });
      await b.waitFor(() => reader.deliveries.length >= 1, 'the first message');
      reader.consumer.pause([{ topic }]);
      expect(reader.consumer.paused()).toEqual([{ topic, partitions: [0] }]);
      await producer.send({ topic, messages: [{ value: 'during-1' }, { value: 'during-2' }] });
      await b.sleep(1_000);
      expect(values(reader)).toEqual(['before']);
      reader.consumer.resume([{ topic }]);
      expect(reader.consumer.paused()).toEqual([]);
      await b.waitFor(() => reader.deliveries.length >= 3, 'the messages written while paused');
      expect(values(reader)).toEqual(['before', 'during-1', 'during-2']);
    },
  },

  // ------------------------------------------------------------------------------------------------ admin
  {
    name: 'admin topics: createTopics answers true, then false for an existing topic; listTopics and fetchTopicMetadata show it; deleteTopics removes it',
    async run(b) {
      const topic = b.unique('catalogue');
      const admin = await connectedAdmin(b);
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false);
      expect(await admin.listTopics()).toContain(topic);
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics.map((t) => t.name)).toEqual([topic]);
      expect(topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      for (const partition of topics[0].partitions) {
        expect(Object.keys(partition).sort()).toEqual(['isr', 'leader', 'offlineReplicas', 'partitionErrorCode', 'partitionId', 'replicas']);
        expect(partition.partitionErrorCode).toBe(0);
        expect(partition.replicas).toContain(partition.leader);
        expect(partition.isr).toContain(partition.leader);
        expect(partition.offlineReplicas).toEqual([]);
      }
      await admin.deleteTopics({ topics: [topic], timeout: 5_000 });
      let listed = [topic];
      for (let attempt = 0; attempt < 100 && listed.includes(topic); attempt++) {
        listed = await admin.listTopics();
        if (listed.includes(topic)) await b.sleep(100);
      }
      expect(listed).not.toContain(topic);
    },
  },
  {
    name: 'admin offsets: fetchTopicOffsets gives offset, high and low per partition; fetchOffsets of a group that never committed gives -1 with null metadata',
    async run(b) {
      const topic = b.unique('measured');
      await createTopics(b, [{ topic, numPartitions: 2 }]);
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }, { partition: 1, value: 'c' }] });
      const admin = await connectedAdmin(b);
      const topicOffsets = await admin.fetchTopicOffsets(topic);
      expect([...topicOffsets].sort((x, y) => x.partition - y.partition)).toEqual([
        { partition: 0, offset: '2', high: '2', low: '0' },
        { partition: 1, offset: '1', high: '1', low: '0' },
      ]);
      const groupOffsets = await admin.fetchOffsets({ groupId: b.unique('never-committed'), topics: [topic] });
      expect(groupOffsets.map((t) => ({ ...t, partitions: [...t.partitions].sort((x, y) => x.partition - y.partition) }))).toEqual([
        {
          topic,
          partitions: [
            { partition: 0, offset: '-1', metadata: null },
            { partition: 1, offset: '-1', metadata: null },
          ],
        },
      ]);
    },
  },

  // ------------------------------------------------------------------------------------------------ transactions
  {
    name: 'transactions: a read_committed consumer sees committed transactions only, a read_uncommitted one sees aborted ones too',
    async run(b) {
      const topic = b.unique('payments');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const producer = await connectedProducer(b, { transactionalId: b.unique('payer'), idempotent: true, maxInFlightRequests: 1 });
      const committed = await producer.transaction();
      await committed.send({ topic, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ value: 'aborted-1' }] });
      await aborted.abort();
      const last = await producer.transaction();
      await last.send({ topic, messages: [{ value: 'committed-3' }] });
      await last.commit();

      const readCommitted = await startReader(b, topic, { groupId: b.unique('auditors') }, { fromBeginning: true });
      const readUncommitted = await startReader(b, topic, { groupId: b.unique('snoopers'), readUncommitted: true }, { fromBeginning: true });
      await b.waitFor(() => readCommitted.deliveries.length >= 3 && readUncommitted.deliveries.length >= 4, 'both readers');
      await b.sleep(500);
      expect(values(readCommitted)).toEqual(['committed-1', 'committed-2', 'committed-3']);
      // Control records (offsets 2 and 4) are never delivered.
      expect(offsets(readCommitted)).toEqual(['0@0', '0@1', '0@5']);
      expect(values(readUncommitted)).toEqual(['committed-1', 'committed-2', 'aborted-1', 'committed-3']);
      expect(readCommitted.deliveries.every((d) => d.message.batchContext.inTransaction)).toBe(true);
    },
  },

  // ------------------------------------------------------------------------------------------------ errors
  {
    name: 'errors: createTopics with an invalid name rejects with KafkaJSAggregateError holding a KafkaJSCreateTopicError (INVALID_TOPIC_EXCEPTION)',
    async run(b) {
      const admin = await connectedAdmin(b);
      const error = await rejection(admin.createTopics({ topics: [{ topic: 'bad name!' }] }));
      expect(error).toBeInstanceOf(KafkaJSAggregateError);
      expect(error).toMatchObject({ name: 'KafkaJSAggregateError', message: 'Topic creation errors' });
      const [inner] = (error as KafkaJSAggregateError).errors;
      expect(inner).toBeInstanceOf(KafkaJSCreateTopicError);
      expect(inner).toBeInstanceOf(KafkaJSProtocolError);
      expect(inner).toMatchObject({ name: 'KafkaJSCreateTopicError', type: 'INVALID_TOPIC_EXCEPTION', code: 17, retriable: false, topic: 'bad name!' });
      expect(isKafkaError(inner, 'KafkaJSProtocolError')).toBe(true);
    },
  },
  {
    name: 'errors: producing to an invalid topic name rejects with KafkaJSNonRetriableError caused by INVALID_TOPIC_EXCEPTION, at once',
    async run(b) {
      const producer = await connectedProducer(b);
      const error = await rejection(producer.send({ topic: 'bad name!', messages: [{ value: 'x' }] }));
      expect(error).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(error).not.toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
      expect(error).toMatchObject({ name: 'KafkaJSNonRetriableError', retriable: false });
      expect(error.cause).toBeInstanceOf(KafkaJSProtocolError);
      expect(error.cause).toMatchObject({ type: 'INVALID_TOPIC_EXCEPTION', code: 17 });
    },
  },
  {
    name: 'errors: an unknown topic is UNKNOWN_TOPIC_OR_PARTITION: fetchTopicMetadata rejects with KafkaJSProtocolError, a producer without auto-creation gives up with KafkaJSNumberOfRetriesExceeded',
    async run(b) {
      const missing = b.unique('missing');
      const admin = await connectedAdmin(b);
      const metadataError = await rejection(admin.fetchTopicMetadata({ topics: [missing] }));
      expect(metadataError).toBeInstanceOf(KafkaJSProtocolError);
      expect(metadataError).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true });

      const producer = await connectedProducer(b, { allowAutoTopicCreation: false, retry: { retries: 1, initialRetryTime: 50 } });
      const sendError = await rejection(producer.send({ topic: missing, messages: [{ value: 'x' }] }));
      expect(sendError).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
      expect(sendError).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(sendError).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retriable: false });
      expect(sendError.cause).toBeInstanceOf(KafkaJSProtocolError);
      expect(sendError.cause).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
      expect(await admin.listTopics()).not.toContain(missing);
    },
  },
  {
    name: "errors: a message above the topic's max.message.bytes rejects with KafkaJSProtocolError MESSAGE_TOO_LARGE, not retried; smaller ones still go through",
    async run(b) {
      const topic = b.unique('narrow');
      await createTopics(b, [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }]);
      const producer = await connectedProducer(b);
      const error = await rejection(producer.send({ topic, messages: [{ value: Buffer.alloc(2_000, 120) }] }));
      expect(error).toBeInstanceOf(KafkaJSProtocolError);
      expect(error).toBeInstanceOf(KafkaJSError);
      expect(error).toMatchObject({ name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false });
      const [metadata] = await producer.send({ topic, messages: [{ value: Buffer.alloc(100, 120) }] });
      expect(metadata).toMatchObject({ errorCode: 0, baseOffset: '0' });
    },
  },
  {
    name: 'errors: seek before run throws KafkaJSNonRetriableError synchronously',
    async run(b) {
      const topic = b.unique('early');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const consumer = b.kafka().consumer({ groupId: b.unique('early-group'), ...FAST_FETCH });
      b.onCleanup(() => consumer.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      let thrown: unknown;
      try {
        consumer.seek({ topic, partition: 0, offset: '0' });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(thrown).toMatchObject({ name: 'KafkaJSNonRetriableError', message: 'Consumer group was not initialized, consumer#run must be called first' });
    },
  },

  // ------------------------------------------------------------------------------------------------ fromBeginning
  {
    name: 'fromBeginning: a new group with fromBeginning: true reads what was written before it joined',
    async run(b) {
      const topic = b.unique('archive');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ value: 'old-1' }, { value: 'old-2' }] });
      const reader = await startReader(b, topic, { groupId: b.unique('archivists') }, { fromBeginning: true });
      await b.waitFor(() => reader.deliveries.length >= 2, 'the old messages');
      await producer.send({ topic, messages: [{ value: 'new-1' }] });
      await b.waitFor(() => reader.deliveries.length >= 3, 'the new message');
      await b.sleep(500);
      expect(values(reader)).toEqual(['old-1', 'old-2', 'new-1']);
    },
  },
  {
    name: 'fromBeginning: a new group by default starts at the end of the log: it reads only what is written after its first fetch',
    async run(b) {
      const topic = b.unique('ticker');
      await createTopics(b, [{ topic, numPartitions: 1 }]);
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ value: 'old-1' }, { value: 'old-2' }] });
      const reader = await startReader(b, topic, { groupId: b.unique('live') });
      // After its first fetch the consumer has resolved its starting offset (ListOffsets, latest).
      await b.waitFor(() => reader.joins.length >= 1 && reader.fetchesSinceJoin >= 1, 'the first fetch after joining');
      await producer.send({ topic, messages: [{ value: 'new-1' }] });
      await b.waitFor(() => reader.deliveries.length >= 1, 'the new message');
      await b.sleep(500);
      expect(values(reader)).toEqual(['new-1']);
      expect(offsets(reader)).toEqual(['0@2']);
    },
  },
];
