import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startGroupCluster, type GroupTestCluster } from './support.ts';

/** Two static members (instance ids "ia", "ib") in a stable group; "ia" leads. */
async function staticGroup(t: GroupTestCluster) {
  const coordinator = await t.findCoordinator('s');
  const options = { rebalanceTimeoutMs: 3_000, sessionTimeoutMs: 10_000, version: 8 };
  // Static members skip the MEMBER_ID_REQUIRED round.
  const [ja, jb] = await t.run(
    Promise.all([t.startJoin('a', coordinator, 's', { ...options, groupInstanceId: 'ia' }), t.startJoin('b', coordinator, 's', { ...options, groupInstanceId: 'ib' })]),
  );
  expect([ja.errorCode, jb.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  expect(ja.memberId).toMatch(/^ia-/);
  expect(ja.leader).toBe(ja.memberId);
  const sync = (name: string, memberId: string, instanceId: string, assignments: Array<{ memberId: string; assignment: Buffer }>) =>
    t.start(name, coordinator, ApiKey.SyncGroup, 5, { groupId: 's', generationId: 1, memberId, groupInstanceId: instanceId, protocolType: 'consumer', protocolName: 'range', assignments });
  await t.run(
    Promise.all([
      sync('a', ja.memberId, 'ia', [
        { memberId: ja.memberId, assignment: Buffer.from('A') },
        { memberId: jb.memberId, assignment: Buffer.from('B') },
      ]),
      sync('b', jb.memberId, 'ib', []),
    ]),
  );
  expect((await t.describe(coordinator, 's')).groupState).toBe('Stable');
  return { coordinator, a: ja.memberId, b: jb.memberId };
}

describe('static membership (KIP-345)', () => {
  it('a static follower restarting with an unknown member id replaces its old id without a rebalance; the old id is fenced', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await staticGroup(t);
    const rejoined = await t.run(t.startJoin('b2', coordinator, 's', { groupInstanceId: 'ib', rebalanceTimeoutMs: 3_000, version: 8 }));
    expect(rejoined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: a, members: [] });
    expect(rejoined.memberId).not.toBe(b);
    expect((await t.describe(coordinator, 's')).groupState).toBe('Stable');
    expect(await t.heartbeat('b', coordinator, 's', b, 1, 'ib')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(await t.heartbeat('b', coordinator, 's', b, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await t.heartbeat('b2', coordinator, 's', rejoined.memberId, 1, 'ib')).toBe(ErrorCode.NONE);
    expect(await t.heartbeat('a', coordinator, 's', a, 1, 'ia')).toBe(ErrorCode.NONE);
    // The replacement keeps the assignment of the instance.
    const sync = await t.call('b2', coordinator, ApiKey.SyncGroup, 5, { groupId: 's', generationId: 1, memberId: rejoined.memberId, groupInstanceId: 'ib', protocolType: 'consumer', protocolName: 'range', assignments: [] });
    expect([sync.errorCode, sync.assignment.toString()]).toEqual([ErrorCode.NONE, 'B']);
    // A commit under the old identity is fenced too.
    t.cluster.createTopic('orders', { partitions: 1 });
    await t.settle();
    const fencedCommit = await t.commit('b', coordinator, 's', [{ topic: 'orders', partition: 0, offset: 1n }], { memberId: b, generationId: 1, groupInstanceId: 'ib' });
    expect(fencedCommit.map((c) => c.errorCode)).toEqual([ErrorCode.FENCED_INSTANCE_ID]);
  });

  it('a static leader restarting: before v9 the answer names the old leader (no assignment); from v9 it leads with skipAssignment', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await staticGroup(t);
    const v8 = await t.run(t.startJoin('a2', coordinator, 's', { groupInstanceId: 'ia', rebalanceTimeoutMs: 3_000, version: 8 }));
    expect(v8).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: a, skipAssignment: false, members: [] });
    const v9 = await t.run(t.startJoin('a3', coordinator, 's', { groupInstanceId: 'ia', rebalanceTimeoutMs: 3_000, version: 9 }));
    expect(v9).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, skipAssignment: true });
    expect(v9.leader).toBe(v9.memberId);
    expect(v9.members.map((m) => [m.groupInstanceId, m.memberId]).sort()).toEqual([
      ['ia', v9.memberId],
      ['ib', b],
    ]);
    expect((await t.describe(coordinator, 's')).groupState).toBe('Stable');
    // The earlier replacement (a2) is fenced in turn.
    expect(await t.heartbeat('a2', coordinator, 's', v8.memberId, 1, 'ia')).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('a static member that misses the rebalance keeps its place (only dynamic members are dropped at the rebalance timeout)', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await staticGroup(t);
    // The leader rejoins, which rebalances the group; B (static) does not rejoin within the 3000 ms rebalance timeout.
    const joinA = t.startJoin('a', coordinator, 's', { memberId: a, groupInstanceId: 'ia', rebalanceTimeoutMs: 3_000, version: 8 });
    const joined = await t.run(joinA);
    expect(joined.generationId).toBe(2);
    expect(joined.members.map((m) => m.memberId)).toEqual([a, b]);
  });

  it('LeaveGroup v3+ removes a static member by instance id alone; an unknown instance id is UNKNOWN_MEMBER_ID, a wrong member id FENCED_INSTANCE_ID', async () => {
    const t = await startGroupCluster();
    const { coordinator, a } = await staticGroup(t);
    const leave = await t.call('admin', coordinator, ApiKey.LeaveGroup, 5, {
      groupId: 's',
      members: [
        { memberId: '', groupInstanceId: 'ib', reason: 'admin' },
        { memberId: '', groupInstanceId: 'nobody', reason: null },
        { memberId: 'wrong', groupInstanceId: 'ia', reason: null },
      ],
    });
    expect(leave.members.map((m) => [m.groupInstanceId, m.errorCode])).toEqual([
      ['ib', ErrorCode.NONE],
      ['nobody', ErrorCode.UNKNOWN_MEMBER_ID],
      ['ia', ErrorCode.FENCED_INSTANCE_ID],
    ]);
    expect(await t.heartbeat('a', coordinator, 's', a, 1, 'ia')).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('static members that stay silent in a rebalance are dropped when their sessions expire, even with rebalance timeout 0', async () => {
    const t = await startGroupCluster();
    const { coordinator } = await staticGroup(t);
    // Both instances restart with rebalance timeout 0: the stable group takes the new member ids without rebalancing.
    const restart = (name: string, instanceId: string) => t.run(t.startJoin(name, coordinator, 's', { groupInstanceId: instanceId, rebalanceTimeoutMs: 0, sessionTimeoutMs: 10_000, version: 8 }));
    const a2 = await restart('a2', 'ia');
    const b2 = await restart('b2', 'ib');
    expect([a2.errorCode, b2.errorCode, b2.generationId]).toEqual([ErrorCode.NONE, ErrorCode.NONE, 1]);
    // B leaves; A never rejoins: the group waits for A's session, then ends up Empty.
    const leftAtMs = t.runtime.now();
    await t.call('b2', coordinator, ApiKey.LeaveGroup, 4, { groupId: 's', members: [{ memberId: b2.memberId, groupInstanceId: 'ib' }] });
    await t.runtime.advance(5_000);
    expect((await t.describe(coordinator, 's')).groupState).toBe('PreparingRebalance');
    await t.runtime.advance(6_000);
    const described = await t.describe(coordinator, 's');
    expect([described.groupState, described.members.length]).toEqual(['Empty', 0]);
    expect(t.runtime.now() - leftAtMs).toBeLessThan(12_000);
  });
});
