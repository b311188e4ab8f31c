/**
 * A KafkaJS consumer group over TCP rebalances the way it does against Kafka: two members split the
 * partitions, a third joining takes its share, one leaving gives its partitions back, and every message
 * produced meanwhile is consumed. The group's initial rebalance delay is 0 here only to keep the test short
 * (the dev server keeps Kafka's 3000 ms); heartbeats every 500 ms so members notice a rebalance quickly.
 */
import { describe, expect, it } from 'vitest';
import { kafkaFor, kafkajs, onCleanup, startServer, waitFor } from './support.ts';

const PARTITIONS = 6;

describe('a KafkaJS consumer group over TCP', () => {
  it('2 members share 6 partitions, a third joins and takes 2, one leaves and the other two cover all', async () => {
    const server = await startServer({ brokers: 3, brokerConfig: { 'group.initial.rebalance.delay.ms': 0 } });
    const kafka = kafkaFor(server);
    const admin = kafka.admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    onCleanup(() => producer.disconnect());
    await producer.connect();

    const assignments = new Map<string, number[]>();
    const consumed = new Set<string>();
    const start = async (name: string) => {
      const consumer = kafka.consumer({ groupId: 'workers', heartbeatInterval: 500, maxWaitTimeInMs: 200, sessionTimeout: 10_000 });
      onCleanup(() => consumer.disconnect());
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assignments.set(name, (event.payload.memberAssignment.events ?? []).slice().sort((a, b) => a - b));
      });
      await consumer.connect();
      await consumer.subscribe({ topics: ['events'], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void consumed.add(message.value!.toString()) });
      return consumer;
    };
    const balanced = (members: string[]) => () => {
      if (members.some((m) => !assignments.has(m))) return false;
      if ([...assignments.keys()].some((m) => !members.includes(m))) return false;
      const all = members.flatMap((m) => assignments.get(m)!);
      const share = PARTITIONS / members.length;
      return all.length === PARTITIONS && new Set(all).size === PARTITIONS && members.every((m) => assignments.get(m)!.length === share);
    };
    let sent = 0;
    const produce = async (count: number) => {
      const messages = Array.from({ length: count }, () => ({ key: `k${sent % 17}`, value: `m${sent++}` }));
      await producer.send({ topic: 'events', acks: -1, messages });
    };

    const c1 = await start('c1');
    await start('c2');
    await waitFor(balanced(['c1', 'c2']), 'c1 and c2 to hold 3 partitions each');
    await produce(60);

    await start('c3');
    await waitFor(balanced(['c1', 'c2', 'c3']), 'c1, c2 and c3 to hold 2 partitions each', 30_000);
    await produce(60);

    await c1.disconnect();
    assignments.delete('c1');
    await waitFor(balanced(['c2', 'c3']), 'c2 and c3 to hold 3 partitions each after c1 left', 30_000);
    await produce(60);

    await waitFor(() => consumed.size === sent, `all ${sent} messages consumed`, 30_000);
    expect([...consumed].sort()).toEqual(Array.from({ length: sent }, (_, i) => `m${i}`).sort());
    const described = await admin.describeGroups(['workers']);
    expect(described.groups[0].state).toBe('Stable');
    expect(described.groups[0].members).toHaveLength(2);
    expect(described.groups[0].members.every((m) => m.clientHost === '/127.0.0.1')).toBe(true);
  });
});
