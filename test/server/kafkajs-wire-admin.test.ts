/**
 * The genuine KafkaJS 2.2.4 over TCP beyond the basics of kafkajs-wire.test.ts: the admin APIs that move
 * offsets, partitions, records and configs, the group APIs, and a transaction that commits a consumer group's
 * offsets (sendOffsets) while a second producer with the same transactional id fences the first. Plus a
 * raw-socket check of what a Kafka broker does to an acks=0 Produce that fails: it closes the connection,
 * the only signal such a producer gets. Expectations are Kafka's answers and the KafkaJS errors they become.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRecordBatch, encodeRequest } from '../../src/protocol/index.ts';
import { kafkaFor, kafkajs, onCleanup, RawClient, startServer, waitFor } from './support.ts';

const { ConfigResourceTypes } = kafkajs;

async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

describe('the genuine KafkaJS admin and transactions over TCP', () => {
  it('admin: offsets, partitions, records, configs and groups answer as Kafka does', async () => {
    const server = await startServer({ brokers: 3, brokerConfig: { 'group.initial.rebalance.delay.ms': 0 } });
    const kafka = kafkaFor(server, { retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } });
    const admin = kafka.admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
    const producer = kafka.producer();
    onCleanup(() => producer.disconnect());
    await producer.connect();
    await producer.send({ topic: 'ledger', acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `v${i}` })) });

    // setOffsets runs a throwaway consumer of the group that seeks and commits (and then waits its 5 s
    // maxWaitTime, a KafkaJS cost; resetOffsets, the same path, is left to KafkaJS's own suite).
    await admin.setOffsets({ groupId: 'auditors', topic: 'ledger', partitions: [{ partition: 0, offset: '3' }] });
    expect(await admin.fetchOffsets({ groupId: 'auditors', topics: ['ledger'] })).toEqual([
      {
        topic: 'ledger',
        partitions: [
          { partition: 0, offset: '3', metadata: null },
          { partition: 1, offset: '-1', metadata: null },
        ],
      },
    ]);
    // Without topics, OffsetFetch answers only what the group committed.
    expect(await admin.fetchOffsets({ groupId: 'auditors' })).toEqual([{ topic: 'ledger', partitions: [{ partition: 0, offset: '3', metadata: null }] }]);

    // DeleteRecords: -1 means the high watermark; beyond it is OFFSET_OUT_OF_RANGE.
    await admin.deleteTopicRecords({ topic: 'ledger', partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '-1' }] });
    const low = Object.fromEntries((await admin.fetchTopicOffsets('ledger')).map((p) => [p.partition, [p.low, p.high]]));
    expect(low).toEqual({ 0: ['4', '10'], 1: ['10', '10'] });
    const beyond = await rejection(admin.deleteTopicRecords({ topic: 'ledger', partitions: [{ partition: 0, offset: '400' }] }));
    const cause = beyond.cause as { name: string; partitions: Array<{ error: { type: string } }> };
    expect(cause.name).toBe('KafkaJSDeleteTopicRecordsError');
    expect(cause.partitions.map((p) => p.error.type)).toEqual(['OFFSET_OUT_OF_RANGE']);

    await admin.createPartitions({ topicPartitions: [{ topic: 'ledger', count: 3, assignments: [[3, 1, 2]] }] });
    await waitFor(() => server.cluster.metadata.topics.get('ledger')?.partitions.length === 3, 'the third partition');
    expect(await rejection(admin.createPartitions({ topicPartitions: [{ topic: 'ledger', count: 2 }] }))).toMatchObject({ type: 'INVALID_PARTITIONS' });

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ledger', configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
    const describeRetention = () =>
      admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ledger', configNames: ['retention.ms'] }], includeSynonyms: false });
    let entry = (await describeRetention()).resources[0].configEntries[0];
    // AlterConfigs answers once the controller has it; the broker asked next learns it a moment later.
    for (let attempt = 0; attempt < 100 && entry.configValue !== '86400000'; attempt++) entry = (await describeRetention()).resources[0].configEntries[0];
    expect(entry).toMatchObject({ configName: 'retention.ms', configValue: '86400000', isDefault: false, configSource: 1 });
    expect(
      await rejection(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ledger', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] })),
    ).toMatchObject({ type: 'INVALID_CONFIG' });
    expect(await rejection(admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'nowhere' }], includeSynonyms: false }))).toMatchObject({
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });

    const { groups } = await admin.listGroups();
    expect(groups).toContainEqual({ groupId: 'auditors', protocolType: 'consumer' });
    const described = await admin.describeGroups(['auditors', 'strangers']);
    // A group Kafka never heard of is described as Dead, without an error.
    expect(described.groups.map((g) => [g.groupId, g.state, g.protocolType, g.members.length])).toEqual([
      ['auditors', 'Empty', 'consumer', 0],
      ['strangers', 'Dead', '', 0],
    ]);
    const deleteError = await rejection(admin.deleteGroups(['auditors', 'strangers']));
    expect(deleteError.name).toBe('KafkaJSDeleteGroupsError');
    expect((deleteError.groups as Array<{ groupId: string; error: { type: string } }>).map((g) => [g.groupId, g.error.type])).toEqual([['strangers', 'GROUP_ID_NOT_FOUND']]);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('auditors');
  });

  it('transactions: sendOffsets commits the group offsets with the transaction; a newer producer with the same id fences the older one', async () => {
    const server = await startServer({ brokers: 3 });
    const kafka = kafkaFor(server);
    const admin = kafka.admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'in', numPartitions: 2, replicationFactor: 3 },
        { topic: 'out', numPartitions: 1, replicationFactor: 3 },
      ],
      waitForLeaders: true,
    });
    const older = kafka.producer({ transactionalId: 'relay', maxInFlightRequests: 1, idempotent: true });
    onCleanup(() => older.disconnect());
    await older.connect();
    const first = await older.transaction();
    await first.send({ topic: 'out', messages: [{ value: 'relayed' }] });
    await first.sendOffsets({ consumerGroupId: 'relays', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '7' }] }] });
    await first.commit();
    // The commit markers reach __consumer_offsets just after EndTxn answers (Kafka answers before writing them too).
    const committed = async () => (await admin.fetchOffsets({ groupId: 'relays', topics: ['in'] }))[0].partitions.map((p) => p.offset).join();
    let offsets = await committed();
    for (let attempt = 0; attempt < 100 && offsets !== '5,7'; attempt++) offsets = await committed();
    expect(offsets).toBe('5,7');

    const newer = kafka.producer({ transactionalId: 'relay', maxInFlightRequests: 1, idempotent: true });
    onCleanup(() => newer.disconnect());
    await newer.connect();
    const current = await newer.transaction();
    const stale = await older.transaction();
    expect(await rejection(stale.send({ topic: 'out', messages: [{ value: 'zombie' }] }))).toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
    await current.send({ topic: 'out', messages: [{ value: 'current' }] });
    await current.commit();
    // relayed, its commit marker, current, its commit marker: the zombie wrote nothing. KafkaJS reads the
    // last stable offset, which passes the second marker once it is written, just after the commit answered.
    const high = async () => (await admin.fetchTopicOffsets('out'))[0].high;
    let out = await high();
    for (let attempt = 0; attempt < 100 && out !== '4'; attempt++) out = await high();
    expect(out).toBe('4');
    expect(server.cluster.partitionState('out', 0).highWatermark).toBe(4n);
  });

  it('Produce acks=0: a failed partition closes the connection (the producer reconnects and refreshes metadata); a good one leaves it open', async () => {
    const server = await startServer();
    server.cluster.createTopic('fire', { partitions: 1 });
    await waitFor(() => server.cluster.broker(1).replicas.get('fire-0')?.isLeader === true, 'broker 1 to lead fire-0');
    const produce = (correlationId: number, partition: number) =>
      encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId, clientId: 'raw' }, {
        transactionalId: null,
        acks: 0,
        timeoutMs: 1000,
        topicData: [{ name: 'fire', partitionData: [{ index: partition, records: encodeRecordBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from('x') }] }) }] }],
      });
    const metadata = (correlationId: number) =>
      encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId, clientId: 'raw' }, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });

    const client = await RawClient.open(server.addresses[0].port);
    client.send(produce(1, 0));
    client.send(metadata(2));
    // No answer to the Produce: the first frame back is the Metadata's.
    expect(decodeResponse(ApiKey.Metadata, 9, await client.nextFrame()).correlationId).toBe(2);
    await waitFor(() => server.cluster.partitionState('fire', 0).highWatermark === 1n, 'the acks=0 record to be written');

    client.send(produce(3, 7));
    await client.waitClosed();
    expect(client.frames).toHaveLength(1);
  });
});
