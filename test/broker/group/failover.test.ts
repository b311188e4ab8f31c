import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { stableGroup, startGroupCluster, type GroupTestCluster } from './support.ts';

/** FindCoordinator until it names a broker other than `previous` (the controller must fence the crashed one first). */
async function nextCoordinator(t: GroupTestCluster, groupId: string, previous: number): Promise<number> {
  for (let i = 0; i < 60; i++) {
    const found = await t.findCoordinator(groupId);
    if (found !== previous) return found;
    await t.runtime.advance(500);
  }
  throw new Error('the coordinator did not move');
}

describe('coordinator failover', () => {
  it('the coordinator broker crashes: FindCoordinator names the new leader of the offsets partition, which has the committed offsets and the group', async () => {
    const t = await startGroupCluster({ brokers: 3 });
    t.cluster.createTopic('orders', { partitions: 2, replicationFactor: 3 });
    await t.settle();
    const { coordinator, a, b } = await stableGroup(t, 'g', { sessionTimeoutMs: 30_000 });
    expect(t.cluster.partitionState('__consumer_offsets', t.coordinatorPartitionOf('g')).replicas).toHaveLength(3);
    await t.commit('a', coordinator, 'g', [
      { topic: 'orders', partition: 0, offset: 10n, metadata: 'm0' },
      { topic: 'orders', partition: 1, offset: -1n },
    ], { memberId: a, generationId: 1 });
    const before = await t.fetchOffsets(coordinator, 'g', null);

    t.cluster.crashBroker(coordinator);
    const next = await nextCoordinator(t, 'g', coordinator);
    expect(next).toBe(t.cluster.metadata.topics.get('__consumer_offsets')!.partitions[t.coordinatorPartitionOf('g')].leader);
    const after = await t.fetchOffsets(next, 'g', null);
    expect(after).toEqual(before);
    expect(after.offsets.map((o) => [o.partition, o.offset, o.metadata])).toEqual([
      [0, 10n, 'm0'],
      [1, -1n, ''],
    ]);
    // The group came back Stable with its generation, members and assignments.
    const described = await t.describe(next, 'g');
    expect(described).toMatchObject({ groupState: 'Stable', protocolData: 'range' });
    expect(described.members.map((m) => [m.memberId, m.memberAssignment.toString()])).toEqual([
      [a, 'A'],
      [b, 'B'],
    ]);
    expect(await t.heartbeat('a', next, 'g', a, 1)).toBe(ErrorCode.NONE);
    // B never talks to the new coordinator: its restored session (30 s) expires and the group rebalances.
    await t.runtime.advance(20_000);
    expect(await t.heartbeat('a', next, 'g', a, 1)).toBe(ErrorCode.NONE);
    await t.runtime.advance(10_500);
    expect(await t.heartbeat('a', next, 'g', a, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('members waiting in a rebalance are answered NOT_COORDINATOR when the coordinator loses the leadership of the offsets partition', async () => {
    const t = await startGroupCluster({ brokers: 3 });
    const coordinator = await t.findCoordinator('g');
    const a = await t.memberIdFor('a', coordinator, 'g');
    const waiting = t.startJoin('a', coordinator, 'g', { memberId: a });
    await t.runtime.advance(100);
    // The controller moves leadership away (the first step of a controlled shutdown); the broker keeps running.
    t.cluster.controller.controlledShutdown(coordinator);
    const answer = await t.run(waiting);
    expect([answer.errorCode, answer.memberId]).toEqual([ErrorCode.NOT_COORDINATOR, a]);
    const next = await t.findCoordinator('g');
    expect(next).not.toBe(coordinator);
    expect(await t.heartbeat('a', coordinator, 'g', a, 0)).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await t.heartbeat('a', next, 'g', a, 0)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a restarted coordinator that leads again reloads the group from its log (COORDINATOR_LOAD_IN_PROGRESS until loaded; heartbeats answered blindly meanwhile)', async () => {
    const t = await startGroupCluster();
    t.cluster.createTopic('orders', { partitions: 1 });
    await t.settle();
    const { coordinator, a } = await stableGroup(t, 'g');
    await t.commit('a', coordinator, 'g', [{ topic: 'orders', partition: 0, offset: 3n }], { memberId: a, generationId: 1 });
    const groupCoordinator = t.cluster.broker(coordinator).groupCoordinator;
    groupCoordinator.stop();
    groupCoordinator.start();
    expect(groupCoordinator.offsetCommits.fetchOffsets('g', false, null).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(groupCoordinator.membership.heartbeat('g', a, null, 1)).toBe(ErrorCode.NONE);
    expect(groupCoordinator.membership.heartbeat('g', 'ghost', null, 1)).toBe(ErrorCode.NONE);
    const listed = groupCoordinator.listGroups([]);
    expect(listed.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await t.runtime.advance(1);
    expect(groupCoordinator.offsetCommits.fetchOffsets('g', false, null).offsets.map((o) => o.offset)).toEqual([3n]);
    expect(groupCoordinator.membership.heartbeat('g', 'ghost', null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await t.describe(coordinator, 'g')).groupState).toBe('Stable');
    const sync = await t.call('a', coordinator, ApiKey.SyncGroup, 3, { groupId: 'g', generationId: 1, memberId: a, groupInstanceId: null, assignments: [] });
    expect([sync.errorCode, sync.assignment.toString()]).toEqual([ErrorCode.NONE, 'A']);
  });
});
