/**
 * Consumer instrumentation events (the intent of KafkaJS's instrumentationEvents.spec.js): every
 * `consumer.events` name fires, wrapped as `{ id, type, timestamp, payload }`, and every payload carries
 * exactly the keys the installed kafkajs source emits at each of that event's call sites (read by
 * ./kafkajs-events.ts), with the values KafkaJS's spec expects. One scenario makes every event fire:
 * a consumer that crashes once and restarts, reads, commits and heartbeats; a second member whose join
 * rebalances the first and is handed a topic it did not subscribe to; a third consumer whose requests
 * queue (maxInFlightRequests 1) and time out (a dropped request).
 */
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from '../../../src/index.ts';
import { consumerEvents } from '../../../src/client/consumer/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { kafkajsEmitSites } from './kafkajs-events.ts';
import { consumerOf, ofType, produceValues, recordEvents, startCluster, type RecordedEvent } from './support.ts';

const ALL = Object.values(consumerEvents);
const sites = kafkajsEmitSites();

describe('consumer.events', () => {
  it('names exactly the events of the installed kafkajs', () => {
    const require = createRequire(import.meta.url);
    const { events } = require('kafkajs/src/consumer/instrumentationEvents.js') as { events: Record<string, string> };
    expect(consumerEvents).toEqual(events);
    expect(new Set(sites.map((s) => s.event))).toEqual(new Set(Object.keys(events)));
  });
});

describe('every consumer event fires with KafkaJS payload keys and values', () => {
  const events: RecordedEvent[] = [];
  let firstMemberId = '';
  const groupId = 'parity';

  beforeAll(async () => {
    const sim = startCluster({ topics: [{ topic: 't0', numPartitions: 2 }, { topic: 't1', numPartitions: 2 }, 'other'] });
    const collect = (consumer: Consumer) => {
      for (const name of ALL) consumer.on(name, (event) => void events.push({ ...(event as unknown as RecordedEvent), at: sim.now() }));
    };

    // The first member: crashes on its first message (retries 0), restarts, then reads and commits.
    const first = consumerOf(sim, { groupId, heartbeatInterval: 100, maxWaitTimeInMs: 100, retry: { retries: 0 } });
    collect(first);
    await first.connect();
    await first.subscribe({ topics: ['t0', 't1'], fromBeginning: true });
    let thrown = false;
    await first.run({
      eachMessage: async () => {
        if (!thrown) {
          thrown = true;
          throw new Error('💣');
        }
      },
    });
    firstMemberId = ofType(events, consumerEvents.GROUP_JOIN)[0].payload.memberId as string;
    await produceValues(sim, 't0', 0, ['m0']);
    await sim.runUntil(() => ofType(events, consumerEvents.COMMIT_OFFSETS).length >= 1, { maxMs: 30_000 });
    await sim.sleep(1_000);

    // The second member subscribes to one of the leader's topics and one the leader does not know.
    const second = consumerOf(sim, { groupId, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
    collect(second);
    await second.connect();
    await second.subscribe({ topics: ['t1', 'other'], fromBeginning: true });
    await second.run({ eachMessage: async () => undefined });
    await sim.runUntil(() => ofType(events, consumerEvents.RECEIVED_UNSUBSCRIBED_TOPICS).length >= 1, { maxMs: 30_000 });
    await sim.sleep(1_000);

    // A third consumer whose requests queue behind one another and one of which times out.
    const third = consumerOf(sim, { groupId: 'queued', maxInFlightRequests: 1 }, { requestTimeout: 500, enforceRequestTimeout: true });
    collect(third);
    await third.connect();
    sim.network.intercept(ApiKey.DescribeGroups, () => ({ action: 'drop' }));
    await Promise.all([third.describeGroup(), third.describeGroup(), third.describeGroup()]);

    await third.disconnect();
    await second.disconnect();
    await first.disconnect();
  });

  it.each(Object.keys(consumerEvents))('%s: fired, wrapped as { id, type, timestamp, payload }, payload keys as kafkajs emits them', (key) => {
    const type = consumerEvents[key as keyof typeof consumerEvents];
    const fired = ofType(events, type);
    expect(fired.length).toBeGreaterThan(0);
    const expectedKeySets = sites.filter((s) => s.event === key).map((s) => s.keys);
    expect(expectedKeySets.length).toBeGreaterThan(0);
    for (const event of fired) {
      expect(Object.keys(event).filter((k) => k !== 'at').sort()).toEqual(['id', 'payload', 'timestamp', 'type']);
      expect(typeof event.id).toBe('number');
      expect(typeof event.timestamp).toBe('number');
      const keys = Object.keys(event.payload ?? {}).sort();
      for (const expected of expectedKeySets) expect(keys).toEqual(expected);
    }
  });

  it('payload values match what KafkaJS spec expects', () => {
    const first = (type: string) => ofType(events, type)[0].payload;
    expect(first(consumerEvents.HEARTBEAT)).toEqual({ groupId, memberId: expect.any(String), groupGenerationId: expect.any(Number) });
    // The partition is a string: KafkaJS builds uncommitted offsets from object keys.
    const restartedMemberId = first(consumerEvents.COMMIT_OFFSETS).memberId;
    expect(restartedMemberId).not.toBe(firstMemberId); // the crash left the group; the restart joined anew
    expect(first(consumerEvents.COMMIT_OFFSETS)).toEqual({
      groupId,
      memberId: expect.any(String),
      groupGenerationId: expect.any(Number),
      topics: [{ topic: 't0', partitions: [{ partition: '0', offset: '1' }] }],
    });
    expect(first(consumerEvents.GROUP_JOIN)).toEqual({
      duration: expect.any(Number),
      groupId,
      isLeader: true,
      leaderId: firstMemberId,
      groupProtocol: 'RoundRobinAssigner',
      memberId: firstMemberId,
      memberAssignment: { t0: [0, 1], t1: [0, 1] },
    });
    // KafkaJS's node ids come from `Object.keys` of its broker pool: strings.
    expect(first(consumerEvents.FETCH_START)).toEqual({ nodeId: expect.any(String) });
    expect(first(consumerEvents.FETCH)).toEqual({ numberOfBatches: 0, duration: expect.any(Number), nodeId: expect.any(String) });
    const batch = { topic: 't0', partition: 0, highWatermark: '1', offsetLag: '0', offsetLagLow: '0', batchSize: 1, firstOffset: '0', lastOffset: '0' };
    expect(first(consumerEvents.START_BATCH_PROCESS)).toEqual(batch);
    expect(first(consumerEvents.END_BATCH_PROCESS)).toEqual({ ...batch, duration: expect.any(Number) });
    expect(first(consumerEvents.CRASH)).toEqual({ error: expect.objectContaining({ name: 'KafkaJSNumberOfRetriesExceeded', message: '💣' }), groupId, restart: true });
    expect(first(consumerEvents.REBALANCING)).toEqual({ groupId, memberId: restartedMemberId });
    expect(first(consumerEvents.RECEIVED_UNSUBSCRIBED_TOPICS)).toEqual({
      groupId,
      generationId: expect.any(Number),
      memberId: expect.any(String),
      assignedTopics: ['t0', 't1'],
      topicsSubscribed: ['t1', 'other'],
      topicsNotSubscribed: ['t0'],
    });
    expect(first(consumerEvents.REQUEST)).toMatchObject({ apiKey: 18, apiName: 'ApiVersions', apiVersion: expect.any(Number) });
    expect(first(consumerEvents.REQUEST_TIMEOUT)).toMatchObject({ apiKey: ApiKey.DescribeGroups, apiName: 'DescribeGroups', clientId: expect.any(String) });
    expect(first(consumerEvents.REQUEST_QUEUE_SIZE)).toEqual({ broker: expect.any(String), clientId: expect.any(String), queueSize: expect.any(Number) });
    for (const type of [consumerEvents.CONNECT, consumerEvents.DISCONNECT, consumerEvents.STOP]) expect(first(type)).toBeUndefined();
  });

  it('ids increase in firing order', () => {
    const ids = events.map((e) => e.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe('consumer.on', () => {
  it('returns a function that removes the listener', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const consumer = consumerOf(sim, { groupId: 'g' });
    let connects = 0;
    const remove = consumer.on(consumer.events.CONNECT, () => void connects++);
    await consumer.connect();
    remove();
    await consumer.connect();
    expect(connects).toBe(1);
    await consumer.disconnect();
  });

  it('consumer.connect fires on connect() and again when run() connects the group; stop only after a run', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const idle = consumerOf(sim, { groupId: 'g' });
    const idleEvents = recordEvents(sim, idle, [idle.events.CONNECT, idle.events.STOP, idle.events.DISCONNECT]);
    await idle.connect();
    await idle.disconnect();
    expect(idleEvents.map((e) => e.type)).toEqual(['consumer.connect', 'consumer.disconnect']);

    const running = consumerOf(sim, { groupId: 'g' });
    const runningEvents = recordEvents(sim, running, [running.events.CONNECT, running.events.STOP, running.events.DISCONNECT]);
    await running.connect();
    await running.subscribe({ topics: ['orders'] });
    await running.run({ eachMessage: async () => undefined });
    await running.disconnect();
    expect(runningEvents.map((e) => e.type)).toEqual(['consumer.connect', 'consumer.connect', 'consumer.stop', 'consumer.disconnect']);
  });

  it('a throwing or rejecting listener does not disturb the consumer or the other listeners', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const consumer = consumerOf(sim, { groupId: 'g', maxWaitTimeInMs: 100 });
    consumer.on(consumer.events.START_BATCH_PROCESS, () => {
      throw new Error('listener bug');
    });
    consumer.on(consumer.events.START_BATCH_PROCESS, async () => {
      throw new Error('async listener bug');
    });
    let seen = 0;
    consumer.on(consumer.events.START_BATCH_PROCESS, () => void seen++);
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    const values: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    await produceValues(sim, 'orders', 0, ['a', 'b']);
    await sim.runUntil(() => values.length === 2, { maxMs: 30_000 });
    expect(seen).toBeGreaterThan(0);
    await consumer.disconnect();
  });
});

describe('batch events for a batch filtered to nothing', () => {
  it('an aborted transaction alone: start and end batch process once each, batchSize 0, covering the control record', async () => {
    const sim = startCluster({ topics: ['txns'] });
    const consumer = consumerOf(sim, { groupId: 'control', maxWaitTimeInMs: 100 });
    const events = recordEvents(sim, consumer, [consumer.events.START_BATCH_PROCESS, consumer.events.END_BATCH_PROCESS]);
    await consumer.connect();
    await consumer.subscribe({ topics: ['txns'], fromBeginning: true });
    let messages = 0;
    await consumer.run({ eachMessage: async () => void messages++ });

    const producer = sim.kafka({ logLevel: 0 }).producer({ transactionalId: 'aborter', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({ topic: 'txns', acks: -1, messages: [{ key: 'test', value: 'test' }] });
    await transaction.abort();
    await sim.runUntil(() => ofType(events, consumer.events.END_BATCH_PROCESS).length >= 1, { maxMs: 30_000 });
    await sim.sleep(2_000);

    const batch = { topic: 'txns', partition: 0, highWatermark: '2', offsetLag: expect.any(String), offsetLagLow: expect.any(String), batchSize: 0, firstOffset: '0', lastOffset: '1' };
    expect(ofType(events, consumer.events.START_BATCH_PROCESS).map((e) => e.payload)).toEqual([batch]);
    expect(ofType(events, consumer.events.END_BATCH_PROCESS).map((e) => e.payload)).toEqual([{ ...batch, duration: expect.any(Number) }]);
    expect(messages).toBe(0);
    await producer.disconnect();
    await consumer.disconnect();
  });
});
