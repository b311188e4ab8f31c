import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../src/protocol/index.ts';
import { startCluster } from './handlers/support.ts';
import { MiniClient } from './support/mini-client.ts';

async function setup(brokers: number, brokerConfig: Record<string, string | number | boolean> = {}, seed = 1) {
  return startCluster({ brokers, brokerConfig, seed });
}

describe('replication: a partition on one broker', () => {
  it('appends with acks=1 at offsets 0, 1, 2 and reads them back below the high watermark', async () => {
    const { runtime, cluster, client, run } = await setup(1);
    cluster.createTopic('orders', { partitions: 1, replicationFactor: 1 });
    await runtime.advance(10);
    await run(client.refreshMetadata());
    const first = await run(client.produce('orders', 0, ['a', 'b'], 1));
    const second = await run(client.produce('orders', 0, ['c'], 1));
    expect(first).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(second).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 2n });
    const fetched = await run(client.fetchAll('orders', 0));
    expect(fetched.records.map((r) => [r.offset, r.value])).toEqual([
      [0n, 'a'],
      [1n, 'b'],
      [2n, 'c'],
    ]);
    expect(fetched.highWatermark).toBe(3n);
  });

  it('answers acks=0 with nothing and still appends', async () => {
    const { runtime, cluster, client, run } = await setup(1);
    cluster.createTopic('t', { partitions: 1 });
    await runtime.advance(10);
    expect(await run(client.produce('t', 0, ['x'], 0))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: -1n });
    await runtime.advance(10);
    expect(cluster.partitionState('t', 0).logEndOffset).toBe(1n);
  });

  it('rejects an unknown partition and a produce to a non-leader', async () => {
    const { runtime, cluster, client, run } = await setup(2);
    cluster.createTopic('t', { assignments: [[2]] });
    await runtime.advance(10);
    await run(client.refreshMetadata());
    const unknownPartition = await run(
      client.request(2, 0 as const, 9, { acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 't', partitionData: [{ index: 5, records: null }] }] }),
    );
    expect(unknownPartition.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // Produce v10+ carries the current leader (KIP-951) with NOT_LEADER_OR_FOLLOWER.
    const viaWrongBroker = await run(
      client.request(1, 0 as const, 10, { acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 't', partitionData: [{ index: 0, records: null }] }] }),
    );
    expect(viaWrongBroker.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(viaWrongBroker.responses[0].partitionResponses[0].currentLeader.leaderId).toBe(2);
  });
});

describe('replication: RF 3', () => {
  it('acks=all completes once the followers have fetched, and every replica holds the records', async () => {
    const { runtime, cluster, client, run } = await setup(3);
    cluster.createTopic('t', { partitions: 1, replicationFactor: 3 });
    await runtime.advance(100);
    await run(client.refreshMetadata());
    const outcome = await run(client.produce('t', 0, ['a', 'b', 'c'], -1));
    expect(outcome).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    await runtime.advance(1_000);
    const state = cluster.partitionState('t', 0);
    expect(state.highWatermark).toBe(3n);
    expect(cluster.highWatermark('t', 0)).toBe(3n);
    expect(state.isr).toHaveLength(3);
    for (const replica of state.replicaStates) expect(replica.logEndOffset).toBe(3n);
    cluster.checkInvariants();
  });

  it('shrinks the ISR of a crashed follower after replica.lag.time.max.ms, then refuses acks=all below min.insync.replicas', async () => {
    const { runtime, cluster, client, run } = await setup(3, { 'min.insync.replicas': 2, 'replica.lag.time.max.ms': 10_000 });
    cluster.createTopic('t', { assignments: [[1, 2, 3]] });
    await runtime.advance(100);
    await run(client.refreshMetadata());
    cluster.crashBroker(2);
    cluster.crashBroker(3);
    // Before the ISR shrinks, acks=all waits for followers that never come and times out.
    expect((await run(client.produce('t', 0, ['lonely'], -1, 3_000))).errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    await runtime.advance(30_000);
    expect(cluster.partitionState('t', 0).isr).toEqual([1]);
    expect((await run(client.produce('t', 0, ['x'], -1))).errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    // acks=1 still works: availability over durability is the producer's choice.
    expect((await run(client.produce('t', 0, ['y'], 1))).errorCode).toBe(ErrorCode.NONE);
    cluster.restartBroker(2);
    await runtime.advance(20_000);
    expect(cluster.partitionState('t', 0).isr).toEqual([1, 2]);
    expect((await run(client.produce('t', 0, ['z'], -1))).errorCode).toBe(ErrorCode.NONE);
    cluster.checkInvariants();
  });

  it('elects a new leader from the ISR when the leader crashes; acknowledged acks=all records survive', async () => {
    const { runtime, cluster, client, run } = await setup(3, { 'min.insync.replicas': 2 });
    cluster.createTopic('t', { assignments: [[1, 2, 3]] });
    await runtime.advance(100);
    await run(client.refreshMetadata());
    expect((await run(client.produce('t', 0, ['a', 'b'], -1))).errorCode).toBe(ErrorCode.NONE);
    const before = cluster.partitionState('t', 0);
    cluster.crashBroker(1);
    // The controller has not noticed yet: its leader is down, so no high watermark is known.
    expect(cluster.highWatermark('t', 0)).toBe(-1n);
    expect(cluster.partitionState('t', 0).highWatermark).toBe(-1n);
    await runtime.advance(12_000); // broker.session.timeout.ms is 9 s
    const after = cluster.partitionState('t', 0);
    expect(after.leader).not.toBe(1);
    expect(after.leaderEpoch).toBe(before.leaderEpoch + 1);
    expect(after.isr).not.toContain(1);
    await run(client.refreshMetadata());
    expect((await run(client.produce('t', 0, ['c'], -1))).errorCode).toBe(ErrorCode.NONE);
    const values = (await run(client.fetchAll('t', 0))).records.map((r) => r.value);
    expect(values).toEqual(['a', 'b', 'c']);
    cluster.restartBroker(1);
    await runtime.advance(20_000);
    expect(cluster.partitionState('t', 0).isr).toContain(1);
    expect(cluster.partitionState('t', 0).replicaStates.find((r) => r.brokerId === 1)?.logEndOffset).toBe(3n);
    cluster.checkInvariants();
  });


  it("records a follower's position once per fetch request, not again each time its parked fetch is re-read", async () => {
    const { runtime, cluster, network, client, run } = await setup(3);
    cluster.createTopic('t', { assignments: [[1, 2, 3]] });
    await runtime.advance(100);
    await run(client.refreshMetadata());
    let followerFetches = 0;
    network.intercept(
      ApiKey.Fetch,
      ({ clientNode }) => {
        if (clientNode.startsWith('broker-')) followerFetches++;
        return { action: 'pass' };
      },
      { keep: true, node: 'broker-1' },
    );
    let recorded = 0;
    cluster.brokers.get(1)!.replicas.get('t-0')!.onFollowerFetch(() => recorded++);
    // Every produce wakes both followers' parked fetches (and the high watermark moving wakes them again).
    for (let i = 0; i < 5; i++) expect((await run(client.produce('t', 0, [`v${i}`], -1))).errorCode).toBe(ErrorCode.NONE);
    await runtime.advance(2_000);
    expect(followerFetches).toBeGreaterThan(10);
    expect(recorded).toBe(followerFetches);
  });

  // Found by the simulation (acks-all-isr2, seed 1): a leader that lost its unflushed log and came back
  // before its session expired led again with an empty log, and its followers truncated acknowledged records.
  it('a leader that crashes losing its unflushed log and restarts within the session timeout does not lead again until caught up', async () => {
    const { runtime, cluster, client, run } = await setup(3, { 'min.insync.replicas': 2 });
    cluster.createTopic('t', { assignments: [[1, 2, 3]] });
    await runtime.advance(100);
    await run(client.refreshMetadata());
    expect((await run(client.produce('t', 0, ['a', 'b'], -1))).errorCode).toBe(ErrorCode.NONE);
    const before = cluster.partitionState('t', 0);
    cluster.crashBroker(1, { loseUnflushed: true });
    await runtime.advance(2_000); // well within broker.session.timeout.ms (9 s): nobody fenced it yet
    expect(cluster.partitionState('t', 0).leader).toBe(1);
    cluster.restartBroker(1);
    await runtime.advance(50);
    const after = cluster.partitionState('t', 0);
    expect(after.leader).not.toBe(1);
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    await runtime.advance(5_000);
    await run(client.refreshMetadata());
    expect((await run(client.produce('t', 0, ['c'], -1))).errorCode).toBe(ErrorCode.NONE);
    expect((await run(client.fetchAll('t', 0))).records.map((r) => r.value)).toEqual(['a', 'b', 'c']);
    expect(cluster.partitionState('t', 0).isr).toContain(1);
    expect(cluster.partitionState('t', 0).replicaStates.find((r) => r.brokerId === 1)?.logEndOffset).toBe(3n);
    cluster.checkInvariants();
  });
  it('loses an acks=1 write when a partitioned leader is replaced and later truncated (real Kafka does too)', async () => {
    const { runtime, network, cluster, client, run } = await setup(3);
    cluster.createTopic('t', { assignments: [[1, 2, 3]] });
    await runtime.advance(100);
    await run(client.refreshMetadata());
    expect((await run(client.produce('t', 0, ['kept'], -1))).errorCode).toBe(ErrorCode.NONE);
    // The leader keeps its client but loses the controller and its followers.
    network.partition(['broker-1', 'client-1'], ['controller', 'broker-2', 'broker-3']);
    const doomed = await run(client.produce('t', 0, ['doomed'], 1));
    expect(doomed).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    await runtime.advance(15_000);
    expect(cluster.partitionState('t', 0).leader).not.toBe(1);
    network.heal();
    await runtime.advance(20_000);
    const newLeader = cluster.partitionState('t', 0).leader;
    const other = new MiniClient(cluster, runtime, 'client-2');
    await run(other.refreshMetadata());
    expect((await run(other.produce('t', 0, ['after'], -1))).errorCode).toBe(ErrorCode.NONE);
    await runtime.advance(5_000);
    const values = (await run(other.fetchAll('t', 0, 0n, newLeader))).records.map((r) => r.value);
    expect(values).toEqual(['kept', 'after']);
    // The old leader truncated its divergent write and now agrees.
    expect(cluster.partitionState('t', 0).replicaStates.find((r) => r.brokerId === 1)?.logEndOffset).toBe(2n);
    cluster.checkInvariants();
  });

  it('moves leadership before a controlled shutdown', async () => {
    const { runtime, cluster, client, run } = await setup(3);
    cluster.createTopic('t', { assignments: [[1, 2, 3]] });
    await runtime.advance(100);
    await run(client.refreshMetadata());
    expect((await run(client.produce('t', 0, ['a'], -1))).errorCode).toBe(ErrorCode.NONE);
    cluster.shutdownBroker(1);
    await runtime.advance(100);
    const state = cluster.partitionState('t', 0);
    expect(state.leader).toBe(2);
    expect(state.isr).toEqual([2, 3]);
  });
});
