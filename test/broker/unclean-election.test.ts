/**
 * Unclean leader election (`unclean.leader.election.enable`): when every ISR member is down, Kafka either waits
 * for one to return (the default, no data loss, no availability) or, if the topic allows it, elects an
 * out-of-sync replica and loses what only the old ISR had. RF 2 throughout: the follower dies first and leaves
 * the ISR, the leader keeps acknowledging alone, then the leader dies too.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './handlers/support.ts';
import { MiniClient } from './support/mini-client.ts';

const SESSION_TIMEOUT_PASSED_MS = 12_000; // broker.session.timeout.ms is 9 s

/**
 * Topic 't' on brokers [1, 2]: 'a' is on both; broker 2 crashes and is dropped from the ISR; 'b' is acknowledged
 * (acks=all) by broker 1 alone; then broker 1 crashes. Nobody in the ISR is left.
 */
async function leaderlessAfterIsrShrank(topicConfigs: Record<string, string> = {}) {
  const t = await startCluster({ brokers: 2 });
  t.cluster.createTopic('t', { assignments: [[1, 2]], configs: topicConfigs });
  await t.settle(1_000);
  await t.produce('t', 0, ['a']);
  await t.settle(1_000);
  expect(t.cluster.partitionState('t', 0).replicaStates.map((r) => r.logEndOffset)).toEqual([1n, 1n]);

  t.cluster.crashBroker(2);
  await t.settle(SESSION_TIMEOUT_PASSED_MS);
  expect(t.cluster.partitionState('t', 0)).toMatchObject({ leader: 1, isr: [1] });
  expect(await t.produce('t', 0, ['b'])).toBe(1n); // acknowledged with acks=all: the ISR is only broker 1

  const epochBefore = t.cluster.partitionState('t', 0).leaderEpoch;
  t.cluster.crashBroker(1);
  await t.settle(SESSION_TIMEOUT_PASSED_MS);
  return { t, epochBefore };
}

async function metadataPartition(t: HandlerTestCluster, brokerId: number) {
  const response = await t.send(brokerId, ApiKey.Metadata, 12, { topics: [{ name: 't' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const p = response.topics[0].partitions[0];
  return { errorCode: p.errorCode, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas };
}

describe('unclean leader election', () => {
  it('disabled (the default): with the only ISR member down the partition has no leader, even after the out-of-sync replica returns, until the ISR member comes back', async () => {
    const { t } = await leaderlessAfterIsrShrank();
    expect(t.cluster.partitionState('t', 0)).toMatchObject({ leader: -1, isr: [1] });

    t.cluster.restartBroker(2);
    await t.settle(SESSION_TIMEOUT_PASSED_MS);
    expect(t.cluster.metadata.brokers.get(2)?.fenced).toBe(false);
    expect(t.cluster.partitionState('t', 0)).toMatchObject({ leader: -1, isr: [1] });
    expect(await metadataPartition(t, 2)).toEqual({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leader: -1, replicas: [1, 2], isr: [1], offline: [1] });
    const refused = await t.send(2, ApiKey.Produce, 9, { acks: 1, timeoutMs: 1_000, transactionalId: null, topicData: [{ name: 't', partitionData: [{ index: 0, records: null }] }] });
    expect(refused.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);

    t.cluster.restartBroker(1);
    await t.settle(SESSION_TIMEOUT_PASSED_MS);
    expect(t.cluster.partitionState('t', 0)).toMatchObject({ leader: 1, isr: [1, 2] });
    const reader = new MiniClient(t.cluster, t.runtime, 'reader');
    await t.run(reader.refreshMetadata());
    expect((await t.run(reader.fetchAll('t', 0))).records.map((r) => [r.offset, r.value])).toEqual([
      [0n, 'a'],
      [1n, 'b'],
    ]);
    expect(t.cluster.partitionState('t', 0).replicaStates.map((r) => r.logEndOffset)).toEqual([2n, 2n]);
    t.cluster.checkInvariants();
  });

  it('enabled on the topic: the out-of-sync replica becomes leader when it restarts, the record only the old leader had (offset 1) is lost, and the old leader truncates to match when it returns', async () => {
    const { t, epochBefore } = await leaderlessAfterIsrShrank({ 'unclean.leader.election.enable': 'true' });
    // Nobody can lead while both are down.
    expect(t.cluster.partitionState('t', 0)).toMatchObject({ leader: -1 });

    t.cluster.restartBroker(2);
    await t.settle(SESSION_TIMEOUT_PASSED_MS);
    const elected = t.cluster.partitionState('t', 0);
    expect(elected).toMatchObject({ leader: 2, isr: [2] });
    expect(elected.leaderEpoch).toBeGreaterThan(epochBefore);
    expect(await metadataPartition(t, 2)).toEqual({ errorCode: ErrorCode.NONE, leader: 2, replicas: [1, 2], isr: [2], offline: [1] });

    const client = new MiniClient(t.cluster, t.runtime, 'client-after');
    await t.run(client.refreshMetadata());
    expect((await t.run(client.fetchAll('t', 0))).records.map((r) => [r.offset, r.value])).toEqual([[0n, 'a']]);
    // The new leader hands out offset 1 again, to a different record.
    expect(await t.run(client.produce('t', 0, ['c'], -1))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });

    t.cluster.restartBroker(1);
    await t.settle(SESSION_TIMEOUT_PASSED_MS);
    const healed = t.cluster.partitionState('t', 0);
    expect(healed).toMatchObject({ leader: 2, isr: [2, 1] });
    expect(healed.replicaStates.map((r) => [r.brokerId, r.logEndOffset])).toEqual([
      [1, 2n],
      [2, 2n],
    ]);
    // Broker 1 dropped 'b' and now holds what the new leader has.
    const onOldLeader = new MiniClient(t.cluster, t.runtime, 'client-old');
    await t.run(onOldLeader.refreshMetadata());
    t.cluster.shutdownBroker(2); // make broker 1 lead again so its own log can be read through Fetch
    await t.settle(1_000);
    expect(t.cluster.partitionState('t', 0).leader).toBe(1);
    expect((await t.run(onOldLeader.fetchAll('t', 0, 0n, 1))).records.map((r) => [r.offset, r.value])).toEqual([
      [0n, 'a'],
      [1n, 'c'],
    ]);
    t.cluster.checkInvariants();
  });
});
