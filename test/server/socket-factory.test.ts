/**
 * `createSocketFactory`: the genuine KafkaJS 2.2.4 against an in-process cluster through in-memory
 * sockets (no TCP, no port), on the real clock. The same broker code as the TCP server answers.
 */
import { describe, expect, it } from 'vitest';
import { createCluster, type EmbeddedCluster } from '../../src/embedded/cluster.ts';
import { createSocketFactory } from '../../src/server/index.ts';
import { memorySocketPair } from '../../src/server/memory-socket.ts';
import { kafkajs, onCleanup, waitFor } from './support.ts';

function realCluster(brokers: number, brokerConfig: Record<string, number> = {}): EmbeddedCluster {
  const cluster = createCluster({ clock: 'real', brokers, brokerConfig: { 'group.initial.rebalance.delay.ms': 0, ...brokerConfig } });
  onCleanup(() => cluster.close());
  return cluster;
}

function kafkaOn(cluster: EmbeddedCluster, config: Partial<import('kafkajs').KafkaConfig> = {}) {
  return new kafkajs.Kafka({
    clientId: 'in-memory',
    brokers: cluster.bootstrapBrokers,
    socketFactory: createSocketFactory(cluster),
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
    ...config,
  });
}

describe('createSocketFactory: genuine KafkaJS in process', () => {
  it('admin, a gzip producer, a transaction and a consumer group work against a 3-broker cluster', async () => {
    const cluster = realCluster(3);
    const kafka = kafkaOn(cluster);
    const admin = kafka.admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'payments', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
    expect(await admin.listTopics()).toContain('payments');

    const producer = kafka.producer({ idempotent: true, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    onCleanup(() => producer.disconnect());
    await producer.connect();
    await producer.send({
      topic: 'payments',
      acks: -1,
      compression: kafkajs.CompressionTypes.GZIP,
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `p${i}` })),
    });

    const transactional = kafka.producer({ transactionalId: 'tx-1', idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    onCleanup(() => transactional.disconnect());
    await transactional.connect();
    const txn = await transactional.transaction();
    await txn.send({ topic: 'payments', messages: [{ key: 'k0', value: 'in-txn' }] });
    await txn.commit();

    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId: 'ledger', maxWaitTimeInMs: 200 });
    onCleanup(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topics: ['payments'], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length >= 31, '31 messages', 30_000);
    expect(seen.slice().sort()).toEqual([...Array.from({ length: 30 }, (_, i) => `p${i}`), 'in-txn'].sort());

    // The model behind the sockets holds exactly what KafkaJS wrote.
    const total = [0, 1, 2].reduce((sum, p) => sum + cluster.partitionState('payments', p).highWatermark, 0n);
    expect(total).toBeGreaterThanOrEqual(31n);
    const groups = await admin.listGroups();
    expect(groups.groups.map((g) => g.groupId)).toContain('ledger');
  });

  it('a crashed leader: KafkaJS fails over to the new leader as it would against Kafka', async () => {
    // A shorter broker session than Kafka's 9 s, so the controller fences the crashed broker sooner.
    const cluster = realCluster(3, { 'broker.session.timeout.ms': 1500, 'broker.heartbeat.interval.ms': 300 });
    const kafka = kafkaOn(cluster);
    const admin = kafka.admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ha', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    onCleanup(() => producer.disconnect());
    await producer.connect();
    await producer.send({ topic: 'ha', acks: -1, messages: [{ value: 'before' }] });
    const leader = cluster.partitionState('ha', 0).leader;
    cluster.crashBroker(leader);
    await waitFor(() => ![leader, -1].includes(cluster.partitionState('ha', 0).leader), 'a new leader', 20_000);
    await producer.send({ topic: 'ha', acks: -1, messages: [{ value: 'after' }] });
    expect(cluster.partitionState('ha', 0).highWatermark).toBe(2n);
  });

  it('an address no broker serves is refused as net.connect refuses it', async () => {
    const cluster = realCluster(1);
    const kafka = kafkaOn(cluster, { brokers: ['127.0.0.1:1'], retry: { retries: 0 }, connectionTimeout: 1000 });
    const admin = kafka.admin();
    await expect(admin.connect()).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses a cluster on the virtual clock, which KafkaJS host timers cannot follow', () => {
    const cluster = createCluster();
    onCleanup(() => cluster.close());
    expect(() => createSocketFactory(cluster)).toThrow(/real clock/);
  });
});

describe('in-memory socket pair', () => {
  it('carries bytes both ways in order, with flow control, and an end or destroy reaches the peer as end', async () => {
    const { client, server } = memorySocketPair('127.0.0.1', 9092);
    const received: Buffer[] = [];
    server.on('data', (chunk: Buffer) => received.push(chunk));
    server.pause();
    let writesAccepted = 0;
    while (client.write(Buffer.alloc(4096, writesAccepted % 256)) && writesAccepted < 1000) writesAccepted++;
    expect(writesAccepted).toBeLessThan(1000); // the reader's buffer filled: the writer is told to wait
    let drained = false;
    client.once('drain', () => (drained = true));
    server.resume();
    await waitFor(() => drained, 'drain after the reader resumed', 2_000);
    expect(Buffer.concat(received).length).toBe((writesAccepted + 1) * 4096);

    let clientEnded = false;
    let serverEnded = false;
    client.on('end', () => (clientEnded = true));
    server.on('end', () => (serverEnded = true));
    client.resume();
    server.destroy();
    await waitFor(() => clientEnded && client.destroyed, 'the client to see the end and close', 2_000);
    expect(serverEnded).toBe(false);
  });
});
