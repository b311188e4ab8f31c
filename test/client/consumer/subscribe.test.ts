/**
 * consumer.subscribe and fromBeginning (the intent of KafkaJS's subscribe.spec.js and of index.spec.js
 * "when the consumer is already running"): topic names and RegExps (matched once, against the metadata at
 * subscribe time), fromBeginning per topic with the last call winning, and fromBeginning applying only
 * where the group has no committed offset.
 */
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../../src/index.ts';
import { logLevel } from '../../../src/index.ts';
import {
  collectInto,
  consumerOf,
  loggedConsumerOf,
  ofType,
  produceValues,
  quiet,
  recordEvents,
  startCluster,
  valuesOf,
  type Delivery,
} from './support.ts';

describe('consumer.subscribe', () => {
  it('subscribes by topic name and by RegExp in one call', async () => {
    const sim = startCluster({ topics: ['topic-a', 'topic-b', 'pattern-x-regex-1', 'unrelated'] });
    const consumer = consumerOf(sim, { groupId: 'g', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['topic-a', 'topic-b', /pattern-X-regex-.*/i], fromBeginning: true });
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    await produceValues(sim, 'topic-a', 0, ['drink']);
    await produceValues(sim, 'topic-b', 0, ['your']);
    await produceValues(sim, 'pattern-x-regex-1', 0, ['ovaltine']);
    await produceValues(sim, 'unrelated', 0, ['nope']);
    await sim.runUntil(() => deliveries.length >= 3, { maxMs: 30_000 });
    await sim.sleep(2_000);
    expect(valuesOf(deliveries).sort()).toEqual(['drink', 'ovaltine', 'your']);
    await consumer.disconnect();
  });

  it('the deprecated `topic` form takes a string or a RegExp; the RegExp selects only matching topics', async () => {
    const sim = startCluster({ topics: ['pattern-us-1', 'pattern-se-1', 'pattern-uk-1', 'pattern-br-1'] });
    const consumer = consumerOf(sim, { groupId: 'g', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: /pattern-(se|br)-.*/, fromBeginning: true });
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    for (const country of ['us', 'uk', 'se', 'br']) await produceValues(sim, `pattern-${country}-1`, 0, [`value-${country}`]);
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    await sim.sleep(2_000);
    expect(valuesOf(deliveries).sort()).toEqual(['value-br', 'value-se']);
    await consumer.disconnect();

    const byName = consumerOf(sim, { groupId: 'by-name', maxWaitTimeInMs: 100 });
    await byName.connect();
    await byName.subscribe({ topic: 'pattern-us-1', fromBeginning: true });
    const byNameDeliveries: Delivery[] = [];
    await byName.run({ eachMessage: collectInto(byNameDeliveries) });
    await sim.runUntil(() => byNameDeliveries.length >= 1, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(valuesOf(byNameDeliveries)).toEqual(['value-us']);
    await byName.disconnect();
  });

  it('a RegExp is matched once: a matching topic created later is not consumed, even after a rebalance', async () => {
    const sim = startCluster({ topics: ['events-1'] });
    const groupId = 'regexp-once';
    const consumer = consumerOf(sim, { groupId, maxWaitTimeInMs: 100, heartbeatInterval: 100 });
    const events = recordEvents(sim, consumer, [consumer.events.GROUP_JOIN]);
    await consumer.connect();
    await consumer.subscribe({ topics: [/^events-\d$/], fromBeginning: true });
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });

    const admin = sim.kafka(quiet).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'events-2' }] });
    await admin.disconnect();
    // A second member (subscribed to both by name) forces a rebalance; the first member's subscription stays as matched.
    const second = consumerOf(sim, { groupId, maxWaitTimeInMs: 100, heartbeatInterval: 100 });
    await second.connect();
    await second.subscribe({ topics: ['events-1', 'events-2'], fromBeginning: true });
    await second.run({ eachMessage: async () => undefined });
    await sim.runUntil(() => ofType(events, consumer.events.GROUP_JOIN).length >= 2, { maxMs: 30_000 });

    await produceValues(sim, 'events-1', 0, ['one']);
    await produceValues(sim, 'events-2', 0, ['two']);
    await sim.sleep(5_000);
    for (const join of ofType(events, consumer.events.GROUP_JOIN)) {
      expect(Object.keys(join.payload.memberAssignment as object)).not.toContain('events-2');
    }
    expect(deliveries.filter((d) => d.topic === 'events-2')).toEqual([]);
    await second.disconnect();
    await consumer.disconnect();
  });

  it('fromBeginning is stored per topic and the last subscribe call wins', async () => {
    const sim = startCluster({ topics: ['a', 'b'] });
    await produceValues(sim, 'a', 0, ['old-a']);
    await produceValues(sim, 'b', 0, ['old-b']);
    const consumer = consumerOf(sim, { groupId: 'g', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['a', 'b'], fromBeginning: true });
    await consumer.subscribe({ topics: ['a'] }); // fromBeginning: false for `a` from now on
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    await sim.sleep(1_000);
    await produceValues(sim, 'a', 0, ['new-a']);
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(valuesOf(deliveries, 0, 'a')).toEqual(['new-a']);
    expect(valuesOf(deliveries, 0, 'b')).toEqual(['old-b']);
    await consumer.disconnect();
  });
});

describe('fromBeginning only applies where the group has no committed offset', () => {
  it('a group with commits resumes after them, with fromBeginning true or false', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const groupId = 'resumes';
    await produceValues(sim, 'orders', 0, ['m0', 'm1']);
    const first = consumerOf(sim, { groupId, maxWaitTimeInMs: 100 });
    await first.connect();
    await first.subscribe({ topics: ['orders'], fromBeginning: true });
    const firstDeliveries: Delivery[] = [];
    await first.run({ eachMessage: collectInto(firstDeliveries) });
    await sim.runUntil(() => firstDeliveries.length === 2, { maxMs: 30_000 });
    await first.disconnect(); // committed offset 2 at the end of the batch

    await produceValues(sim, 'orders', 0, ['m2', 'm3']);
    const second = consumerOf(sim, { groupId, maxWaitTimeInMs: 100 });
    await second.connect();
    await second.subscribe({ topics: ['orders'], fromBeginning: true });
    const secondDeliveries: Delivery[] = [];
    await second.run({ eachMessage: collectInto(secondDeliveries) });
    await sim.runUntil(() => secondDeliveries.length >= 2, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(valuesOf(secondDeliveries)).toEqual(['m2', 'm3']);
    await second.disconnect();

    await produceValues(sim, 'orders', 0, ['m4']);
    const third = consumerOf(sim, { groupId, maxWaitTimeInMs: 100 });
    await third.connect();
    await third.subscribe({ topics: ['orders'], fromBeginning: false });
    const thirdDeliveries: Delivery[] = [];
    await third.run({ eachMessage: collectInto(thirdDeliveries) });
    await sim.runUntil(() => thirdDeliveries.length >= 1, { maxMs: 30_000 });
    await sim.sleep(1_000);
    // Not "latest": m4 was written before this member joined, after the group's last commit.
    expect(valuesOf(thirdDeliveries)).toEqual(['m4']);
    await third.disconnect();
  });
});

describe('consumer.run while running', () => {
  it('ignores the call with a warning: one member joins, once', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const logs: LogEntry[] = [];
    const consumer = loggedConsumerOf(sim, { groupId: 'g', maxWaitTimeInMs: 100 }, logs, logLevel.WARN);
    const events = recordEvents(sim, consumer, [consumer.events.GROUP_JOIN]);
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    const eachMessage = async () => undefined;
    await Promise.all([consumer.run({ eachMessage }), consumer.run({ eachMessage }), consumer.run({ eachMessage })]);
    await sim.sleep(5_000);
    expect(ofType(events, consumer.events.GROUP_JOIN)).toHaveLength(1);
    expect((await consumer.describeGroup()).members).toHaveLength(1);
    expect(logs.filter((l) => l.log.message === 'consumer#run was called, but the consumer is already running')).toHaveLength(2);
    await consumer.disconnect();
  });
});
