/**
 * Transactions end to end against the broker's transaction and group coordinators: what read_committed
 * readers see after commit and abort, the requests KafkaJS's EOS manager sends (InitProducerId once,
 * AddPartitionsToTxn for new partitions only, EndTxn only when something was added), offsets committed
 * through a transaction, the transaction object's state rules, and fencing by a second producer.
 */
import { describe, expect, it } from 'vitest';
import { Partitioners, type EmbeddedCluster } from '../../../src/index.ts';
import { ApiKey, type ApiKeyNumber } from '../../../src/protocol/index.ts';
import { cluster, committedOffset, kafka, readPartition, valuesOf } from './support.ts';

/**
 * Every request of the given APIs that reaches a broker from a client (not broker-to-broker traffic such as
 * a leader verifying a partition with the coordinator), in order, with its body.
 */
function recordRequests(sim: EmbeddedCluster, apiKeys: ApiKeyNumber[]): Array<{ apiKey: number; node: string; body: Record<string, unknown> }> {
  const seen: Array<{ apiKey: number; node: string; body: Record<string, unknown> }> = [];
  const brokerNodes = new Set([...sim.model.brokers.values()].map((b) => b.node));
  for (const apiKey of apiKeys) {
    sim.network.intercept(
      apiKey,
      (context) => {
        if (!brokerNodes.has(context.clientNode) && context.clientNode !== 'controller') {
          seen.push({ apiKey, node: context.node, body: context.request.body as never });
        }
        return { action: 'pass' };
      },
      { keep: true },
    );
  }
  return seen;
}

function transactionalProducer(sim: EmbeddedCluster, transactionalId = 'tx-1', config: Record<string, unknown> = {}) {
  return kafka(sim).producer({ transactionalId, createPartitioner: Partitioners.DefaultPartitioner, ...config });
}

const TXN_APIS = [ApiKey.InitProducerId, ApiKey.AddPartitionsToTxn, ApiKey.AddOffsetsToTxn, ApiKey.TxnOffsetCommit, ApiKey.EndTxn];

describe('producer transactions', () => {
  it('a committed transaction becomes visible to read_committed readers; an aborted one never does', async () => {
    const sim = cluster({ topics: [{ topic: 't', numPartitions: 2 }] });
    const producer = transactionalProducer(sim);
    await producer.connect();

    const committed = await producer.transaction();
    await committed.send({ topic: 't', messages: [{ partition: 0, value: 'c1' }] });
    await committed.sendBatch({ topicMessages: [{ topic: 't', messages: [{ partition: 1, value: 'c2' }, { partition: 0, value: 'c3' }] }] });
    expect(await valuesOf(sim, 't', 0, { readCommitted: true })).toEqual([]);
    expect(await valuesOf(sim, 't', 0)).toEqual(['c1', 'c3']);
    await committed.commit();
    expect(await valuesOf(sim, 't', 0, { readCommitted: true })).toEqual(['c1', 'c3']);
    expect(await valuesOf(sim, 't', 1, { readCommitted: true })).toEqual(['c2']);

    const aborted = await producer.transaction();
    await aborted.send({ topic: 't', messages: [{ partition: 0, value: 'a1' }] });
    await aborted.abort();
    await producer.send({ topic: 't', messages: [{ partition: 0, value: 'plain' }] });
    expect(await valuesOf(sim, 't', 0, { readCommitted: true })).toEqual(['c1', 'c3', 'plain']);
    expect(await valuesOf(sim, 't', 0)).toEqual(['c1', 'c3', 'a1', 'plain']);

    const stored = await readPartition(sim, 't', 0);
    expect(stored.map((r) => [r.value, r.isTransactional])).toEqual([
      ['c1', true],
      ['c3', true],
      ['a1', true],
      ['plain', false],
    ]);
  });

  it('sends InitProducerId once, AddPartitionsToTxn only for partitions new to the transaction, then EndTxn', async () => {
    const sim = cluster({ topics: [{ topic: 't', numPartitions: 3 }] });
    const producer = transactionalProducer(sim, 'tx-flow', { transactionTimeout: 45000 });
    await producer.connect();
    const seen = recordRequests(sim, [...TXN_APIS, ApiKey.Produce]);

    const first = await producer.transaction();
    await first.send({ topic: 't', messages: [{ partition: 0, value: 'a' }] });
    await first.send({ topic: 't', messages: [{ partition: 0, value: 'b' }] });
    await first.send({ topic: 't', messages: [{ partition: 0, value: 'c' }, { partition: 2, value: 'd' }] });
    await first.commit();
    const second = await producer.transaction();
    await second.send({ topic: 't', messages: [{ partition: 0, value: 'e' }] });
    await second.abort();

    const names: Record<number, string> = { 22: 'InitProducerId', 24: 'AddPartitionsToTxn', 26: 'EndTxn', 0: 'Produce' };
    expect(seen.map((r) => names[r.apiKey])).toEqual([
      'InitProducerId',
      'AddPartitionsToTxn',
      'Produce',
      'Produce',
      'AddPartitionsToTxn',
      'Produce',
      'EndTxn',
      'AddPartitionsToTxn',
      'Produce',
      'EndTxn',
    ]);
    expect(seen[0].body).toMatchObject({ transactionalId: 'tx-flow', transactionTimeoutMs: 45000 });
    const adds = seen.filter((r) => r.apiKey === ApiKey.AddPartitionsToTxn).map((r) => r.body.v3AndBelowTopics);
    expect(adds).toEqual([[{ name: 't', partitions: [0] }], [{ name: 't', partitions: [2] }], [{ name: 't', partitions: [0] }]]);
    expect(seen.filter((r) => r.apiKey === ApiKey.EndTxn).map((r) => r.body.committed)).toEqual([true, false]);
    expect(seen.filter((r) => r.apiKey === ApiKey.Produce).every((r) => r.body.transactionalId === 'tx-flow')).toBe(true);
  });

  it('talks to the transaction coordinator FindCoordinator names for the transactionalId', async () => {
    const sim = cluster({ brokers: 3, topics: [{ topic: 't', numPartitions: 3, replicationFactor: 3 }] });
    const producer = transactionalProducer(sim, 'tx-coordinated');
    await producer.connect();
    const seen = recordRequests(sim, [ApiKey.FindCoordinator, ...TXN_APIS]);
    const txn = await producer.transaction();
    await txn.send({ topic: 't', messages: [0, 1, 2].map((partition) => ({ partition, value: `v${partition}` })) });
    await txn.commit();
    const lookups = seen.filter((r) => r.apiKey === ApiKey.FindCoordinator);
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups.every((r) => r.body.keyType === 1)).toBe(true);
    const coordinatorNodes = new Set(seen.filter((r) => r.apiKey !== ApiKey.FindCoordinator).map((r) => r.node));
    expect(coordinatorNodes.size).toBe(1);
    for (const p of [0, 1, 2]) expect(await valuesOf(sim, 't', p, { readCommitted: true })).toEqual([`v${p}`]);
  });

  it('commit and abort send no EndTxn when nothing was added to the transaction', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = transactionalProducer(sim);
    await producer.connect();
    const seen = recordRequests(sim, TXN_APIS);
    await (await producer.transaction()).commit();
    await (await producer.transaction()).abort();
    expect(seen.map((r) => r.apiKey)).toEqual([ApiKey.InitProducerId]);
  });

  it('the transaction object refuses everything once ended, and only one transaction runs at a time', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = transactionalProducer(sim);
    await producer.connect();
    const txn = await producer.transaction();
    expect(txn.isActive()).toBe(true);
    await expect(producer.transaction()).rejects.toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: 'There is already an ongoing transaction for this producer. Please end the transaction before beginning another.',
    });
    await txn.send({ topic: 't', messages: [{ value: 'x' }] });
    await txn.commit();
    expect(txn.isActive()).toBe(false);
    const ended = { name: 'KafkaJSNonRetriableError', message: 'Cannot continue to use transaction once ended', retriable: false };
    await expect((txn.send as () => Promise<unknown>)()).rejects.toMatchObject(ended);
    await expect((txn.sendBatch as () => Promise<unknown>)()).rejects.toMatchObject(ended);
    await expect(txn.commit()).rejects.toMatchObject(ended);
    await expect(txn.abort()).rejects.toMatchObject(ended);
    await expect(txn.sendOffsets({ consumerGroupId: 'g', topics: [] })).rejects.toMatchObject(ended);
    const next = await producer.transaction();
    expect(next.isActive()).toBe(true);
  });

  it('a transactional producer can still send outside the transaction', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = transactionalProducer(sim);
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 't', messages: [{ value: 'inside' }] });
    await producer.send({ topic: 't', messages: [{ value: 'outside' }] });
    // The open transaction holds back read_committed readers (LSO), but the outside record is not part of it.
    expect((await readPartition(sim, 't', 0)).map((r) => [r.value, r.isTransactional, r.producerId >= 0n])).toEqual([
      ['inside', true, true],
      ['outside', false, false],
    ]);
    await txn.abort();
    expect(await valuesOf(sim, 't', 0, { readCommitted: true })).toEqual(['outside']);
  });

  it('sendOffsets commits the group offsets only when the transaction commits', async () => {
    const sim = cluster({ topics: [{ topic: 'in', numPartitions: 2 }, 'out'] });
    const client = kafka(sim);
    const producer = client.producer({ transactionalId: 'tx-offsets', createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const seen = recordRequests(sim, [ApiKey.AddOffsetsToTxn, ApiKey.TxnOffsetCommit]);

    const aborted = await producer.transaction();
    await aborted.send({ topic: 'out', messages: [{ value: 'x' }] });
    await aborted.sendOffsets({ consumerGroupId: 'group-a', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '3' }] }] });
    await aborted.abort();
    expect(await committedOffset(sim, 'group-a', 'in', 0)).toBe(-1n);

    const committed = await producer.transaction();
    await committed.send({ topic: 'out', messages: [{ value: 'y' }] });
    await committed.sendOffsets({
      consumerGroupId: 'group-a',
      topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '10' }] }],
    });
    expect(await committedOffset(sim, 'group-a', 'in', 0)).toBe(-1n);
    await committed.commit();
    expect(await committedOffset(sim, 'group-a', 'in', 0)).toBe(5n);
    expect(await committedOffset(sim, 'group-a', 'in', 1)).toBe(10n);

    expect(seen.map((r) => r.apiKey)).toEqual([ApiKey.AddOffsetsToTxn, ApiKey.TxnOffsetCommit, ApiKey.AddOffsetsToTxn, ApiKey.TxnOffsetCommit]);
    expect(seen[3].body).toMatchObject({
      transactionalId: 'tx-offsets',
      groupId: 'group-a',
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 5n }, { partitionIndex: 1, committedOffset: 10n }] }],
    });
    // As in KafkaJS, the offsets also go into the committed-offsets cache shared by the Kafka instance's clients.
    const shared = (client as unknown as { offsets: Map<string, Record<string, Record<string, string>>> }).offsets;
    expect(shared.get('group-a')).toEqual({ in: { 0: '5', 1: '10' } });
  });

  it('sendOffsets needs a consumerGroupId (a Node assertion, as in KafkaJS)', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = transactionalProducer(sim);
    await producer.connect();
    const txn = await producer.transaction();
    await expect(txn.sendOffsets({ topics: [] } as never)).rejects.toMatchObject({ name: 'AssertionError', message: 'Missing consumerGroupId' });
    await expect(txn.sendOffsets({ consumerGroupId: 'g' } as never)).rejects.toMatchObject({ name: 'AssertionError', message: 'Missing offset topics' });
  });

  it('a second producer with the same transactionalId fences the first: its sends and commit fail, its records stay invisible', async () => {
    const sim = cluster({ topics: [{ topic: 't', numPartitions: 2 }] });
    const first = transactionalProducer(sim, 'shared-id');
    const second = transactionalProducer(sim, 'shared-id');
    await first.connect();
    await second.connect();

    const zombie = await first.transaction();
    await zombie.send({ topic: 't', messages: [{ partition: 0, value: 'zombie-1' }] });
    const fresh = await second.transaction();

    const fenced = {
      name: 'KafkaJSProtocolError',
      type: 'INVALID_PRODUCER_EPOCH',
      retriable: false,
    };
    await expect(zombie.send({ topic: 't', messages: [{ partition: 0, value: 'zombie-2' }] })).rejects.toMatchObject(fenced);
    await expect(zombie.send({ topic: 't', messages: [{ partition: 1, value: 'zombie-3' }] })).rejects.toMatchObject(fenced);
    await expect(zombie.commit()).rejects.toMatchObject(fenced);
    // KafkaJS leaves its state machine in COMMITTING after a failed EndTxn: the transaction is over and the
    // producer cannot begin another.
    expect(zombie.isActive()).toBe(false);
    await expect(first.transaction()).rejects.toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: 'Transaction state exception: Cannot call "beginTransaction" in state "COMMITTING"',
    });

    await fresh.send({ topic: 't', messages: [{ partition: 0, value: 'fresh' }] });
    await fresh.commit();
    expect(await valuesOf(sim, 't', 0, { readCommitted: true })).toEqual(['fresh']);
    expect(await valuesOf(sim, 't', 1, { readCommitted: true })).toEqual([]);
  });

  it('transactional batches carry the producer id, epoch and per-partition sequences', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = transactionalProducer(sim);
    await producer.connect();
    for (const value of ['a', 'b']) {
      const txn = await producer.transaction();
      await txn.send({ topic: 't', messages: [{ value }, { value: value.toUpperCase() }] });
      await txn.commit();
    }
    const stored = await readPartition(sim, 't', 0);
    expect(stored.map((r) => [r.value, r.baseSequence, r.producerEpoch, r.isTransactional])).toEqual([
      ['a', 0, 0, true],
      ['A', 0, 0, true],
      ['b', 2, 0, true],
      ['B', 2, 0, true],
    ]);
    expect(new Set(stored.map((r) => r.producerId)).size).toBe(1);
  });

  it('InitProducerId is retried on the coordinator errors KafkaJS lists, and only those', async () => {
    const sim = cluster({ topics: ['t'] });
    const initFails = (errorCode: number) => () => ({
      action: 'respond' as const,
      body: { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 },
    });
    const retried = transactionalProducer(sim, 'tx-retried');
    await retried.connect();
    const inits = recordRequests(sim, [ApiKey.InitProducerId]);
    sim.network.intercept(ApiKey.InitProducerId, initFails(51)); // CONCURRENT_TRANSACTIONS
    sim.network.intercept(ApiKey.InitProducerId, initFails(15)); // GROUP_COORDINATOR_NOT_AVAILABLE
    const txn = await retried.transaction();
    expect(txn.isActive()).toBe(true);
    expect(inits).toHaveLength(3);

    const bailed = transactionalProducer(sim, 'tx-bailed');
    await bailed.connect();
    sim.network.intercept(ApiKey.InitProducerId, initFails(7)); // REQUEST_TIMED_OUT: retriable, but not on KafkaJS's list
    await expect(bailed.transaction()).rejects.toMatchObject({ name: 'KafkaJSProtocolError', type: 'REQUEST_TIMED_OUT' });
    expect(inits).toHaveLength(4);
  });

  it('TxnOffsetCommit retries UNKNOWN_TOPIC_OR_PARTITION but, as KafkaJS (its list says NOT_COORDINATOR), not NOT_COORDINATOR_FOR_GROUP', async () => {
    const sim = cluster({ topics: ['in'] });
    const producer = transactionalProducer(sim, 'tx-commit-retry');
    await producer.connect();
    const commits = recordRequests(sim, [ApiKey.TxnOffsetCommit]);
    const commitFails = (errorCode: number) => () => ({
      action: 'respond' as const,
      body: { throttleTimeMs: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, errorCode }] }] },
    });
    const offsets = { consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '1' }] }] };

    const txn = await producer.transaction();
    sim.network.intercept(ApiKey.TxnOffsetCommit, commitFails(3));
    await txn.sendOffsets(offsets);
    expect(commits).toHaveLength(2);
    sim.network.intercept(ApiKey.TxnOffsetCommit, commitFails(16));
    await expect(txn.sendOffsets(offsets)).rejects.toMatchObject({ name: 'KafkaJSProtocolError', type: 'NOT_COORDINATOR_FOR_GROUP' });
    expect(commits).toHaveLength(3);
    await txn.commit();
    expect(await committedOffset(sim, 'g', 'in', 0)).toBe(1n);
  });

  it('a producer that crashed mid-transaction does not block the next one with its id (KafkaJS concurrentTransaction.spec)', async () => {
    const sim = cluster({ topics: ['t'] });
    const crashed = transactionalProducer(sim, 'tx-crash', { idempotent: true, transactionTimeout: 100 });
    await crashed.connect();
    const open = await crashed.transaction();
    await open.send({ topic: 't', messages: [{ value: 'never-committed' }] });
    sim.kill(crashed);

    const next = transactionalProducer(sim, 'tx-crash', { idempotent: true, transactionTimeout: 100 });
    await next.connect();
    const txn = await next.transaction();
    await txn.send({ topic: 't', messages: [{ value: 'committed' }] });
    await txn.commit();
    expect(await valuesOf(sim, 't', 0, { readCommitted: true })).toEqual(['committed']);
  });
});
