/**
 * Conformance of the consumer API (KafkaJS 2.2.4's `src/consumer`): misuse errors and their messages, the
 * eachBatch payload and the instrumentation events' payload shapes, seeks out of range, manual resolution and
 * commits, autoCommitThreshold, partitionsConsumedConcurrently, stop and run again. Written once, run on every
 * backend with one backend per file (`conformance.test.ts`). Member ids, durations and timestamps are checked
 * by type only.
 */
import { expect } from 'vitest';
import { KafkaJSNonRetriableError, type Consumer, type EachBatchPayload } from '../../src/index.ts';
import type { Backend } from './backends.ts';
import { FAST_FETCH, connectedAdmin, connectedProducer, createTopics, rejection, type ConformanceCase } from './cases.ts';

const NOT_INITIALIZED = 'Consumer group was not initialized, consumer#run must be called first';

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A topic of `partitions` partitions holding `count` messages each ('p<partition>-<index>'). */
async function filledTopic(b: Backend, prefix: string, partitions: number, count: number): Promise<string> {
  const topic = b.unique(prefix);
  await createTopics(b, [{ topic, numPartitions: partitions }]);
  const producer = await connectedProducer(b);
  for (let partition = 0; partition < partitions; partition++) {
    await producer.send({ topic, messages: Array.from({ length: count }, (_, index) => ({ partition, value: `p${partition}-${index}` })) });
  }
  return topic;
}

function newConsumer(b: Backend, groupId: string, config: Parameters<ReturnType<Backend['kafka']>['consumer']>[0] | object = {}): Consumer {
  const consumer = b.kafka().consumer({ ...FAST_FETCH, ...config, groupId });
  b.onCleanup(() => consumer.disconnect());
  return consumer;
}

export const CONSUMER_CASES: readonly ConformanceCase[] = [
  {
    name: 'consumer misuse: pause, resume, seek and commitOffsets before run throw "not initialized"; subscribe after run and bad seek or commit arguments reject with KafkaJSNonRetriableError and KafkaJS\'s messages; events keep KafkaJS\'s key order',
    async run(b) {
      const topic = b.unique('misused');
      await createTopics(b, [{ topic, numPartitions: 2 }]);
      expect(thrownBy(() => b.kafka().consumer({ groupId: '' }))).toMatchObject({ message: 'Consumer groupId must be a non-empty string.' });
      const consumer = newConsumer(b, b.unique('misusers'));
      expect(Object.keys(consumer.events)).toEqual([
        'HEARTBEAT', 'COMMIT_OFFSETS', 'GROUP_JOIN', 'FETCH', 'FETCH_START', 'START_BATCH_PROCESS', 'END_BATCH_PROCESS', 'CONNECT', 'DISCONNECT',
        'STOP', 'CRASH', 'REBALANCING', 'RECEIVED_UNSUBSCRIBED_TOPICS', 'REQUEST', 'REQUEST_TIMEOUT', 'REQUEST_QUEUE_SIZE',
      ]);
      const unknownEvent = thrownBy(() => consumer.on('consumer.nope' as typeof consumer.events.FETCH, () => {}));
      expect(unknownEvent).toBeInstanceOf(KafkaJSNonRetriableError);
      expect((unknownEvent as Error).message).toBe(`Event name should be one of ${Object.keys(consumer.events).map((key) => `consumer.events.${key}`).join(', ')}`);

      for (const early of [() => consumer.pause([{ topic }]), () => consumer.resume([{ topic }]), () => consumer.seek({ topic, partition: 0, offset: '0' })]) {
        expect(thrownBy(early)).toMatchObject({ name: 'KafkaJSNonRetriableError', message: NOT_INITIALIZED });
      }
      expect(consumer.paused()).toEqual([]);
      expect(await rejection(consumer.commitOffsets([{ topic, partition: 0, offset: '1' }]))).toMatchObject({ message: NOT_INITIALIZED });
      expect(await consumer.describeGroup()).toMatchObject({ state: 'Dead', protocolType: '', protocol: '', members: [] });

      await consumer.connect();
      expect(await rejection(consumer.subscribe({} as { topics: string[] }))).toMatchObject({ message: 'Missing required argument "topics"' });
      expect(await rejection(consumer.subscribe({ topics: [5 as unknown as string] }))).toMatchObject({
        message: 'Invalid topic 5 (number), the topic name has to be a String or a RegExp',
      });
      await consumer.subscribe({ topics: [topic] });
      await consumer.run({ eachMessage: async () => {} });
      const late = await rejection(consumer.subscribe({ topics: [topic] }));
      expect(late).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(late.message).toBe('Cannot subscribe to topic while consumer is running');

      const seekErrors: Array<[Parameters<Consumer['seek']>[0], string]> = [
        [{ topic, partition: 0, offset: '-5' }, 'Offset must not be a negative number'],
        [{ topic, partition: 0, offset: 'abc' }, 'Invalid offset, expected a long received abc'],
        [{ partition: 0, offset: '0' } as Parameters<Consumer['seek']>[0], 'Invalid topic undefined'],
        [{ topic, partition: 'x' as unknown as number, offset: '0' }, 'Invalid partition, expected a number received x'],
      ];
      for (const [seek, message] of seekErrors) expect(thrownBy(() => consumer.seek(seek))).toMatchObject({ name: 'KafkaJSNonRetriableError', message });
      // Seeking -1 (latest) or a topic the consumer does not read is accepted.
      expect(consumer.seek({ topic, partition: 0, offset: '-1' })).toBeUndefined();
      expect(consumer.seek({ topic: 'elsewhere', partition: 0, offset: '0' })).toBeUndefined();
      expect(await rejection(consumer.commitOffsets([{ topic, partition: 0, offset: '-3' }]))).toMatchObject({ message: 'Offset must not be a negative number' });
      expect(await rejection(consumer.commitOffsets([{ topic, partition: 0, offset: 'abc' }]))).toMatchObject({ message: 'Invalid offset, expected a long received abc' });

      consumer.pause([{ topic, partitions: [1] }, { topic: 'elsewhere' }]);
      expect(consumer.paused()).toEqual([{ topic, partitions: [1] }]);
      consumer.resume([{ topic }]);
      expect(consumer.paused()).toEqual([]);
      await consumer.stop();
      await consumer.stop();
      expect(thrownBy(() => consumer.seek({ topic, partition: 0, offset: '0' }))).toMatchObject({ message: NOT_INITIALIZED });
    },
  },
  {
    name: 'eachBatch payload and events: batch fields (highWatermark, offsetLag, offsetLagLow, firstOffset, lastOffset, isEmpty) and the payload shapes of CONNECT, GROUP_JOIN, FETCH_START, FETCH, START/END_BATCH_PROCESS, COMMIT_OFFSETS, HEARTBEAT, STOP and DISCONNECT',
    async run(b) {
      const topic = await filledTopic(b, 'observed', 1, 3);
      const groupId = b.unique('observers');
      const consumer = newConsumer(b, groupId, { heartbeatInterval: 100 });
      const firstEvent = new Map<string, { type: string; keys: string[]; payload: unknown }>();
      for (const [key, name] of Object.entries(consumer.events)) {
        if (key.startsWith('REQUEST')) continue;
        consumer.on(name as typeof consumer.events.FETCH, (event) => {
          if (!firstEvent.has(key)) firstEvent.set(key, { type: event.type, keys: Object.keys(event).sort(), payload: event.payload });
        });
      }
      const batches: Array<Record<string, unknown>> = [];
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachBatch: async (payload: EachBatchPayload) => {
          const { batch } = payload;
          batches.push({
            payloadKeys: Object.keys(payload).sort(),
            batchKeys: Object.keys(batch).sort(),
            fields: [batch.topic, batch.partition, batch.highWatermark, batch.messages.length],
            offsets: [batch.firstOffset(), batch.lastOffset(), batch.offsetLag(), batch.offsetLagLow(), batch.isEmpty()],
            running: [payload.isRunning(), payload.isStale()],
          });
        },
      });
      await b.waitFor(() => batches.length >= 1 && firstEvent.has('COMMIT_OFFSETS') && firstEvent.has('HEARTBEAT'), 'a batch, a commit and a heartbeat');
      await consumer.disconnect();

      const payloadKeys = ['batch', 'commitOffsetsIfNecessary', 'heartbeat', 'isRunning', 'isStale', 'pause', 'resolveOffset', 'uncommittedOffsets'];
      expect(batches[0]).toEqual({
        payloadKeys,
        batchKeys: ['fetchedOffset', 'highWatermark', 'messages', 'messagesWithinOffset', 'partition', 'rawMessages', 'topic'],
        fields: [topic, 0, '3', 3],
        offsets: ['0', '2', '0', '2', false],
        running: [true, false],
      });
      for (const event of firstEvent.values()) expect(event.keys).toEqual(['id', 'payload', 'timestamp', 'type']);
      const payload = (key: string) => firstEvent.get(key)?.payload;
      expect(firstEvent.get('CONNECT')).toMatchObject({ type: 'consumer.connect', payload: undefined });
      expect(payload('GROUP_JOIN')).toEqual({
        groupId, memberId: expect.any(String), leaderId: expect.any(String), isLeader: true, memberAssignment: { [topic]: [0] }, groupProtocol: 'RoundRobinAssigner', duration: expect.any(Number),
      });
      // KafkaJS takes node ids from object keys: strings, whatever its declarations say.
      expect(payload('FETCH_START')).toEqual({ nodeId: expect.any(String) });
      expect(payload('FETCH')).toEqual({ numberOfBatches: expect.any(Number), duration: expect.any(Number), nodeId: expect.any(String) });
      const batchEvent = { topic, partition: 0, highWatermark: '3', offsetLag: '0', offsetLagLow: '2', batchSize: 3, firstOffset: '0', lastOffset: '2' };
      expect(payload('START_BATCH_PROCESS')).toEqual(batchEvent);
      expect(payload('END_BATCH_PROCESS')).toEqual({ ...batchEvent, duration: expect.any(Number) });
      expect(payload('COMMIT_OFFSETS')).toEqual({
        groupId, memberId: expect.any(String), groupGenerationId: expect.any(Number), topics: [{ topic, partitions: [{ partition: '0', offset: '3' }] }],
      });
      expect(payload('HEARTBEAT')).toEqual({ groupId, memberId: expect.any(String), groupGenerationId: expect.any(Number) });
      expect(firstEvent.get('STOP')).toMatchObject({ type: 'consumer.stop', payload: undefined });
      expect(firstEvent.get('DISCONNECT')).toMatchObject({ type: 'consumer.disconnect', payload: undefined });
    },
  },
  {
    name: 'seek past the end of the log: the offset is reset to the earliest one with fromBeginning true, to the latest one with fromBeginning false; seek to 3 reads from 3',
    async run(b) {
      const topic = await filledTopic(b, 'overshot', 1, 5);
      const readers = [true, false, undefined].map((fromBeginning) => ({ fromBeginning, consumer: newConsumer(b, b.unique('seekers')), offsets: [] as string[], fetches: 0 }));
      for (const reader of readers) {
        reader.consumer.on(reader.consumer.events.FETCH, () => void reader.fetches++);
        await reader.consumer.connect();
        await reader.consumer.subscribe({ topics: [topic], fromBeginning: reader.fromBeginning ?? false });
        await reader.consumer.run({ eachMessage: async ({ message }) => void reader.offsets.push(message.offset) });
        reader.consumer.seek({ topic, partition: 0, offset: reader.fromBeginning === undefined ? '3' : '100' });
      }
      const fetchedBefore = readers.map((reader) => reader.fetches);
      await b.waitFor(() => readers.every((reader, i) => reader.fetches >= fetchedBefore[i] + 3), 'the seeks to be resolved');
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ value: 'late' }] });
      await b.waitFor(() => readers.every((reader) => reader.offsets.includes('5')), 'the late message');
      expect(readers.map((reader) => reader.offsets)).toEqual([['0', '1', '2', '3', '4', '5'], ['5'], ['3', '4', '5']]);
    },
  },
  {
    name: 'eachBatchAutoResolve false: only what resolveOffset marked is committed (uncommittedOffsets shows it), the rest of the batch comes again; autoCommitThreshold 2 commits every 2 messages and at the end of the batch',
    async run(b) {
      const topic = await filledTopic(b, 'resolved', 1, 5);
      const [manualGroup, thresholdGroup] = [b.unique('resolvers'), b.unique('thresholds')];
      const calls: Array<{ firstOffset: string; size: number }> = [];
      let uncommitted: unknown;
      const manual = newConsumer(b, manualGroup);
      await manual.connect();
      await manual.subscribe({ topics: [topic], fromBeginning: true });
      await manual.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, uncommittedOffsets }) => {
          calls.push({ firstOffset: batch.firstOffset()!, size: batch.messages.length });
          if (calls.length === 1) {
            resolveOffset(batch.messages[1].offset);
            uncommitted = uncommittedOffsets();
          }
        },
      });

      const commits: unknown[] = [];
      const threshold = newConsumer(b, thresholdGroup);
      threshold.on(threshold.events.COMMIT_OFFSETS, (event) => void commits.push(event.payload.topics));
      let delivered = 0;
      await threshold.connect();
      await threshold.subscribe({ topics: [topic], fromBeginning: true });
      await threshold.run({ autoCommitThreshold: 2, autoCommitInterval: 600_000, eachMessage: async () => void delivered++ });

      await b.waitFor(() => calls.length >= 3 && delivered >= 5 && commits.length >= 3, 'redeliveries and threshold commits');
      await manual.disconnect();
      await threshold.disconnect();
      expect(calls.slice(0, 3)).toEqual([
        { firstOffset: '0', size: 5 },
        { firstOffset: '2', size: 3 },
        { firstOffset: '2', size: 3 },
      ]);
      expect(uncommitted).toEqual({ topics: [{ topic, partitions: [{ partition: '0', offset: '2' }] }] });
      expect(commits.slice(0, 3)).toEqual(['2', '4', '5'].map((offset) => [{ topic, partitions: [{ partition: '0', offset }] }]));
      const admin = await connectedAdmin(b);
      expect(await admin.fetchOffsets({ groupId: manualGroup, topics: [topic] })).toEqual([{ topic, partitions: [{ partition: 0, offset: '2', metadata: null }] }]);
    },
  },
  {
    name: 'autoCommit false: nothing is committed until commitOffsets, which resolves undefined and commits exactly what it names; partitionsConsumedConcurrently keeps each partition in order',
    async run(b) {
      const topic = await filledTopic(b, 'manual', 3, 3);
      const groupId = b.unique('committers');
      const consumer = newConsumer(b, groupId);
      const delivered: string[] = [];
      let active = 0;
      let mostActive = 0;
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 3,
        eachMessage: async ({ partition, message }) => {
          mostActive = Math.max(mostActive, ++active);
          await b.sleep(20);
          active--;
          delivered.push(`${partition}@${message.offset}`);
        },
      });
      await b.waitFor(() => delivered.length >= 9, 'every message');
      expect(mostActive).toBeGreaterThan(1);
      for (const partition of [0, 1, 2]) expect(delivered.filter((d) => d.startsWith(`${partition}@`))).toEqual(['0', '1', '2'].map((o) => `${partition}@${o}`));
      const admin = await connectedAdmin(b);
      const committed = async () => [...(await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions].sort((x, y) => x.partition - y.partition).map((p) => p.offset);
      expect(await committed()).toEqual(['-1', '-1', '-1']);
      expect(
        await consumer.commitOffsets([
          { topic, partition: 0, offset: '2' },
          { topic, partition: 2, offset: '1' },
        ]),
      ).toBeUndefined();
      await consumer.disconnect();
      expect(await committed()).toEqual(['2', '-1', '1']);
    },
  },
  {
    name: 'stop and run again: the group is Empty after stop with the offsets committed, and run resumes from them (RegExp subscription); a second member makes both rejoin (REBALANCING, one leader) and the first gets every partition back when it stops',
    async run(b) {
      const topic = await filledTopic(b, 'restarted', 2, 1);
      const groupId = b.unique('restarters');
      const joins: Array<{ who: string; isLeader: boolean; partitions: number[] }> = [];
      const rebalances: unknown[] = [];
      const member = async (who: string) => {
        const consumer = newConsumer(b, groupId, { heartbeatInterval: 200 });
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => void joins.push({ who, isLeader: payload.isLeader, partitions: payload.memberAssignment[topic] ?? [] }));
        consumer.on(consumer.events.REBALANCING, ({ payload }) => void rebalances.push(payload));
        await consumer.connect();
        await consumer.subscribe({ topics: [new RegExp(`^${topic}$`)], fromBeginning: true });
        return consumer;
      };
      const delivered: string[] = [];
      const first = await member('first');
      await first.run({ eachMessage: async ({ partition, message }) => void delivered.push(`run1 ${partition}@${message.offset}`) });
      await b.waitFor(() => delivered.length >= 2, 'the first run');
      await first.stop();
      const admin = await connectedAdmin(b);
      expect((await admin.describeGroups([groupId])).groups[0]).toMatchObject({ state: 'Empty', members: [] });
      expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.map((p) => p.offset)).toEqual(['1', '1']);

      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ partition: 0, value: 'again' }] });
      await first.run({ eachMessage: async ({ partition, message }) => void delivered.push(`run2 ${partition}@${message.offset}`) });
      await b.waitFor(() => delivered.length >= 3, 'the second run');
      expect(delivered.sort()).toEqual(['run1 0@0', 'run1 1@0', 'run2 0@1']);

      const second = await member('second');
      await second.run({ eachMessage: async () => {} });
      await b.waitFor(() => joins.filter((j) => j.who === 'second').length >= 1 && joins.filter((j) => j.who === 'first').length >= 3, 'both members joined');
      const [firstRejoin, secondJoin] = [joins.filter((j) => j.who === 'first')[2], joins.find((j) => j.who === 'second')!];
      expect([firstRejoin.isLeader, secondJoin.isLeader].filter(Boolean)).toHaveLength(1);
      expect([...firstRejoin.partitions, ...secondJoin.partitions].sort()).toEqual([0, 1]);
      expect(secondJoin.partitions).toHaveLength(1);
      expect(rebalances[0]).toEqual({ groupId, memberId: expect.any(String) });
      await second.stop();
      await b.waitFor(() => joins.filter((j) => j.who === 'first').length >= 4, 'the first member alone again');
      expect(joins.filter((j) => j.who === 'first')[3]).toEqual({ who: 'first', isLeader: true, partitions: [0, 1] });
    },
  },
];
