import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, type JoinGroupResponse } from '../../../src/protocol/index.ts';
import { stableGroup, startGroupCluster, subscription } from './support.ts';

/** Settles a promise and records the virtual time it settled at. */
function timed<T>(t: { runtime: { now(): number } }, promise: Promise<T>): Promise<{ value: T; atMs: number }> {
  return promise.then((value) => ({ value, atMs: t.runtime.now() }));
}

describe('group membership: JoinGroup and SyncGroup', () => {
  it('two members join: MEMBER_ID_REQUIRED round, initial delay extended once for the second member, first joiner leads, followers get the leader\'s assignment', async () => {
    const t = await startGroupCluster();
    const coordinator = await t.findCoordinator('g');
    const a = await t.memberIdFor('a', coordinator, 'g');
    expect(a).toMatch(/^a-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const b = await t.memberIdFor('b', coordinator, 'g');
    expect(b).not.toBe(a);

    const startedMs = t.runtime.now();
    const joinA = timed(t, t.startJoin('a', coordinator, 'g', { memberId: a, protocols: [{ name: 'roundrobin', metadata: subscription(['x']) }, { name: 'range', metadata: subscription(['orders']) }] }));
    const joinB = timed(t, t.startJoin('b', coordinator, 'g', { memberId: b }));
    // group.initial.rebalance.delay.ms (3000) after A; B arrived meanwhile, so one more delay (rebalance timeout 10000 leaves room).
    await t.runtime.advance(5_900);
    expect((await t.describe(coordinator, 'g')).groupState).toBe('PreparingRebalance');
    const [ja, jb] = await t.run(Promise.all([joinA, joinB]));
    expect(ja.atMs - startedMs).toBeGreaterThanOrEqual(6_000);
    expect(ja.atMs - startedMs).toBeLessThan(6_010);

    const common = { errorCode: ErrorCode.NONE, generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: a, skipAssignment: false };
    expect(ja.value).toMatchObject({ ...common, memberId: a });
    expect(ja.value.members.map((m) => [m.memberId, m.metadata.equals(subscription(['orders']))])).toEqual([
      [a, true],
      [b, true],
    ]);
    expect(jb.value).toMatchObject({ ...common, memberId: b, members: [] });

    // The follower waits for the leader's assignment.
    let followerAnswered = false;
    const syncB = t.startSync('b', coordinator, 'g', b, 1).then((r) => ((followerAnswered = true), r));
    await t.runtime.advance(500);
    expect(followerAnswered).toBe(false);
    expect((await t.describe(coordinator, 'g')).groupState).toBe('CompletingRebalance');
    const syncA = t.startSync('a', coordinator, 'g', a, 1, [{ memberId: a, assignment: Buffer.from('for-a') }]);
    const [sa, sb] = await t.run(Promise.all([syncA, syncB]));
    expect([sa.errorCode, sa.assignment.toString(), sa.protocolName]).toEqual([ErrorCode.NONE, 'for-a', 'range']);
    // A member the leader left out gets an empty assignment.
    expect([sb.errorCode, sb.assignment.length]).toEqual([ErrorCode.NONE, 0]);
    const described = await t.describe(coordinator, 'g');
    expect(described).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(described.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.memberAssignment.toString()])).toEqual([
      [a, 'a', '/a', 'for-a'],
      [b, 'b', '/b', ''],
    ]);
  });

  it('the initial delay is not extended when the rebalance timeout leaves no room (rebalance timeout 3000)', async () => {
    const t = await startGroupCluster();
    const coordinator = await t.findCoordinator('g');
    const a = await t.memberIdFor('a', coordinator, 'g');
    const b = await t.memberIdFor('b', coordinator, 'g');
    const startedMs = t.runtime.now();
    const joins = Promise.all([
      timed(t, t.startJoin('a', coordinator, 'g', { memberId: a, rebalanceTimeoutMs: 3_000 })),
      timed(t, t.startJoin('b', coordinator, 'g', { memberId: b, rebalanceTimeoutMs: 3_000 })),
    ]);
    const [ja] = await t.run(joins);
    expect(ja.atMs - startedMs).toBeGreaterThanOrEqual(3_000);
    expect(ja.atMs - startedMs).toBeLessThan(3_010);
  });

  it('JoinGroup v3 (before KIP-394) joins without the MEMBER_ID_REQUIRED round; v0 uses the session timeout as rebalance timeout', async () => {
    const t = await startGroupCluster({ brokerConfig: { 'group.initial.rebalance.delay.ms': 0 } });
    const coordinator = await t.findCoordinator('g');
    const joined = await t.run(t.startJoin('a', coordinator, 'g', { version: 3 }));
    expect(joined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, protocolName: 'range' });
    expect(joined.leader).toBe(joined.memberId);
    const v0 = await t.run(t.startJoin('z', coordinator, 'g0', { version: 0, sessionTimeoutMs: 7_000 }));
    expect(v0).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1 });
  });

  it('a third member joining a stable group starts a rebalance: heartbeats answer REBALANCE_IN_PROGRESS until everyone rejoined, then generation 2', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await stableGroup(t, 'g');
    const c = await t.memberIdFor('c', coordinator, 'g', { rebalanceTimeoutMs: 3_000 });
    // A pending member (MEMBER_ID_REQUIRED) does not rebalance the group yet.
    expect(await t.heartbeat('a', coordinator, 'g', a, 1)).toBe(ErrorCode.NONE);
    const joinC = t.startJoin('c', coordinator, 'g', { memberId: c, rebalanceTimeoutMs: 3_000 });
    await t.runtime.advance(10);
    expect(await t.heartbeat('a', coordinator, 'g', a, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(await t.heartbeat('b', coordinator, 'g', b, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const beforeMs = t.runtime.now();
    const joins = await t.run(Promise.all([joinC, t.startJoin('a', coordinator, 'g', { memberId: a, rebalanceTimeoutMs: 3_000 }), t.startJoin('b', coordinator, 'g', { memberId: b, rebalanceTimeoutMs: 3_000 })]));
    // Everyone is in: the join completes without waiting for the rebalance timeout.
    expect(t.runtime.now() - beforeMs).toBeLessThan(100);
    expect(joins.map((j) => [j.errorCode, j.generationId, j.leader])).toEqual([
      [ErrorCode.NONE, 2, a],
      [ErrorCode.NONE, 2, a],
      [ErrorCode.NONE, 2, a],
    ]);
    expect(joins[1].members.map((m) => m.memberId)).toEqual([a, b, c]);
    // Heartbeats between the JoinGroup answer and the SyncGroup are answered NONE (Kafka's CompletingRebalance case).
    expect(await t.heartbeat('b', coordinator, 'g', b, 2)).toBe(ErrorCode.NONE);
    expect(await t.heartbeat('b', coordinator, 'g', b, 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
  });

  it('a member whose session expires is removed and the remaining member rebalances alone', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await stableGroup(t, 'g');
    // Only A heartbeats (session 10000).
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      await t.runtime.advance(3_000);
      codes.push(await t.heartbeat('a', coordinator, 'g', a, 1));
    }
    expect(codes).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE, ErrorCode.REBALANCE_IN_PROGRESS]);
    const rejoined = await t.run(t.startJoin('a', coordinator, 'g', { memberId: a, rebalanceTimeoutMs: 3_000 }));
    expect(rejoined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leader: a });
    expect(rejoined.members.map((m) => m.memberId)).toEqual([a]);
    expect(await t.heartbeat('b', coordinator, 'g', b, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('members that do not rejoin within the rebalance timeout are removed (dynamic members only)', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await stableGroup(t, 'g', { sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 5_000 });
    // A (the leader) rejoins: the group waits up to 5000 for B, which never comes.
    const startedMs = t.runtime.now();
    const joinA = timed(t, t.startJoin('a', coordinator, 'g', { memberId: a, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 5_000 }));
    const { value, atMs } = await t.run(joinA);
    expect(atMs - startedMs).toBeGreaterThanOrEqual(5_000);
    expect(atMs - startedMs).toBeLessThan(5_010);
    expect(value.members.map((m) => m.memberId)).toEqual([a]);
    expect(await t.heartbeat('b', coordinator, 'g', b, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a pending member (MEMBER_ID_REQUIRED, never rejoined) holds the rebalance until its session timeout', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await stableGroup(t, 'g', { sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000 });
    await t.memberIdFor('x', coordinator, 'g', { sessionTimeoutMs: 8_000 });
    const startedMs = t.runtime.now();
    const joins = Promise.all([
      timed(t, t.startJoin('a', coordinator, 'g', { memberId: a, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000 })),
      timed(t, t.startJoin('b', coordinator, 'g', { memberId: b, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000 })),
    ]);
    const [ja] = await t.run(joins);
    expect(ja.atMs - startedMs).toBeGreaterThanOrEqual(7_990);
    expect(ja.atMs - startedMs).toBeLessThan(8_010);
    expect(ja.value.generationId).toBe(2);
  });

  it('a member that never sends SyncGroup is removed after the rebalance timeout and the group rebalances', async () => {
    const t = await startGroupCluster();
    const coordinator = await t.findCoordinator('g');
    const a = await t.memberIdFor('a', coordinator, 'g');
    const b = await t.memberIdFor('b', coordinator, 'g');
    const options = { rebalanceTimeoutMs: 3_000, sessionTimeoutMs: 30_000 };
    await t.run(Promise.all([t.startJoin('a', coordinator, 'g', { ...options, memberId: a }), t.startJoin('b', coordinator, 'g', { ...options, memberId: b })]));
    const syncA = t.startSync('a', coordinator, 'g', a, 1, [{ memberId: a, assignment: Buffer.from('A') }]);
    expect((await t.run(syncA)).errorCode).toBe(ErrorCode.NONE);
    await t.runtime.advance(3_100);
    expect((await t.describe(coordinator, 'g')).groupState).toBe('PreparingRebalance');
    expect(await t.heartbeat('b', coordinator, 'g', b, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await t.heartbeat('a', coordinator, 'g', a, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('a new member that never completes its join is dropped after 5 minutes (NewMemberJoinTimeoutMs) with UNKNOWN_MEMBER_ID', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await stableGroup(t, 'g', { sessionTimeoutMs: 600_000, rebalanceTimeoutMs: 600_000 });
    const c = await t.memberIdFor('c', coordinator, 'g', { sessionTimeoutMs: 600_000, rebalanceTimeoutMs: 600_000 });
    const joinC = timed(t, t.startJoin('c', coordinator, 'g', { memberId: c, sessionTimeoutMs: 600_000, rebalanceTimeoutMs: 600_000 }));
    const startedMs = t.runtime.now();
    // A and B keep heartbeating but never rejoin; C's JoinGroup gives up first.
    let answer: { value: JoinGroupResponse; atMs: number } | undefined;
    void joinC.then((x) => (answer = x));
    while (answer === undefined && t.runtime.now() - startedMs < 400_000) {
      await t.runtime.advance(5_000);
      await t.heartbeat('a', coordinator, 'g', a, 1);
      await t.heartbeat('b', coordinator, 'g', b, 1);
    }
    expect(answer?.value.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(answer!.atMs - startedMs).toBeGreaterThanOrEqual(300_000);
    expect(answer!.atMs - startedMs).toBeLessThan(300_020);
  });
});

describe('group membership: errors', () => {
  it('JoinGroup: INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT, UNKNOWN_MEMBER_ID, INCONSISTENT_GROUP_PROTOCOL, NOT_COORDINATOR', async () => {
    const t = await startGroupCluster({ brokers: 3 });
    const coordinator = await t.findCoordinator('g');
    const other = [1, 2, 3].find((id) => id !== coordinator)!;
    const join = (groupId: string, options: Parameters<typeof t.startJoin>[3] = {}, brokerId = coordinator) => t.run(t.startJoin('a', brokerId, groupId, options));
    expect((await join('')).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await join('g', { sessionTimeoutMs: 5_999 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await join('g', { sessionTimeoutMs: 1_800_001 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await join('g', { memberId: 'ghost' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await join('g', { protocolType: '' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join('g', {}, other)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    const h = await stableGroup(t, 'h');
    expect((await join('h', { protocolType: 'connect' }, h.coordinator)).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join('h', { protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }, h.coordinator)).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // An error answer before v7 carries "" as protocol name, from v7 null.
    const v6 = await t.call('a', h.coordinator, ApiKey.JoinGroup, 6, { groupId: '', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: h.a, groupInstanceId: null, protocolType: 'consumer', protocols: [] });
    expect([v6.errorCode, v6.protocolName, v6.generationId, v6.leader]).toEqual([ErrorCode.INVALID_GROUP_ID, '', -1, '']);
  });

  it('JoinGroup: GROUP_MAX_SIZE_REACHED beyond group.max.size', async () => {
    const t = await startGroupCluster({ brokerConfig: { 'group.max.size': 1, 'group.initial.rebalance.delay.ms': 0 } });
    const coordinator = await t.findCoordinator('g');
    const a = await t.memberIdFor('a', coordinator, 'g');
    expect((await t.run(t.startJoin('a', coordinator, 'g', { memberId: a }))).errorCode).toBe(ErrorCode.NONE);
    // The group is full before the newcomer even gets a member id.
    const refused = await t.run(t.startJoin('b', coordinator, 'g'));
    expect([refused.errorCode, refused.memberId]).toEqual([ErrorCode.GROUP_MAX_SIZE_REACHED, '']);
    // A member already in the group is still accepted.
    expect((await t.run(t.startJoin('a', coordinator, 'g', { memberId: a }))).errorCode).toBe(ErrorCode.NONE);
  });

  it('SyncGroup: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, INCONSISTENT_GROUP_PROTOCOL (v5)', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await stableGroup(t, 'g');
    const sync = (body: Partial<{ groupId: string; memberId: string; generationId: number; protocolType: string | null; protocolName: string | null }>, version = 5) =>
      t.call('a', coordinator, ApiKey.SyncGroup, version, {
        groupId: 'g',
        memberId: a,
        generationId: 1,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [],
        ...body,
      });
    expect((await sync({ groupId: 'nope' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await sync({ memberId: 'ghost' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await sync({ generationId: 7 })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await sync({ protocolType: null })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await sync({ protocolName: 'roundrobin' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // v4 has no protocol fields: nothing to check.
    const stable = await sync({ protocolType: null, protocolName: null }, 4);
    expect([stable.errorCode, stable.assignment.toString()]).toEqual([ErrorCode.NONE, 'A']);
    expect((await sync({ groupId: '' })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    // B rejoins: the group prepares a rebalance.
    const rejoin = t.startJoin('b', coordinator, 'g', { memberId: b, protocols: [{ name: 'range', metadata: subscription(['orders', 'more']) }] });
    await t.runtime.advance(10);
    expect((await sync({})).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    void rejoin;
  });

  it('Heartbeat: INVALID_GROUP_ID, UNKNOWN_MEMBER_ID for unknown groups and members, ILLEGAL_GENERATION, NOT_COORDINATOR', async () => {
    const t = await startGroupCluster({ brokers: 3 });
    const { coordinator, a } = await stableGroup(t, 'g');
    const other = [1, 2, 3].find((id) => id !== coordinator)!;
    expect(await t.heartbeat('a', coordinator, '', a, 1)).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(await t.heartbeat('a', coordinator, 'unknown-group', a, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await t.heartbeat('a', coordinator, 'g', 'ghost', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await t.heartbeat('a', coordinator, 'g', a, 0)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await t.heartbeat('a', other, 'g', a, 1)).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await t.heartbeat('a', coordinator, 'g', a, 1)).toBe(ErrorCode.NONE);
  });
});

describe('group membership: LeaveGroup', () => {
  it('v1 leave rebalances the rest; v3 leaves several members with per-member errors; the last one leaving empties the group', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await stableGroup(t, 'g');
    const leaveV1 = await t.call('b', coordinator, ApiKey.LeaveGroup, 1, { groupId: 'g', memberId: b });
    expect(leaveV1.errorCode).toBe(ErrorCode.NONE);
    expect(await t.heartbeat('a', coordinator, 'g', a, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const again = await t.call('b', coordinator, ApiKey.LeaveGroup, 2, { groupId: 'g', memberId: b });
    expect(again.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const rejoined = await t.run(t.startJoin('a', coordinator, 'g', { memberId: a }));
    expect([rejoined.generationId, rejoined.members.map((m) => m.memberId)]).toEqual([2, [a]]);

    const leaveV3 = await t.call('a', coordinator, ApiKey.LeaveGroup, 4, {
      groupId: 'g',
      members: [
        { memberId: a, groupInstanceId: null },
        { memberId: 'ghost', groupInstanceId: null },
      ],
    });
    expect(leaveV3).toMatchObject({
      errorCode: ErrorCode.NONE,
      members: [
        { memberId: a, groupInstanceId: null, errorCode: ErrorCode.NONE },
        { memberId: 'ghost', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
      ],
    });
    const described = await t.describe(coordinator, 'g');
    expect([described.groupState, described.members]).toEqual(['Empty', []]);
    const unknownGroup = await t.call('a', coordinator, ApiKey.LeaveGroup, 0, { groupId: 'nope', memberId: 'x' });
    expect(unknownGroup.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const invalid = await t.call('a', coordinator, ApiKey.LeaveGroup, 3, { groupId: '', members: [] });
    expect(invalid).toMatchObject({ errorCode: ErrorCode.INVALID_GROUP_ID, members: [] });
  });

  it('a pending member may leave (its rebalance is no longer held)', async () => {
    const t = await startGroupCluster();
    const { coordinator, a, b } = await stableGroup(t, 'g', { sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000 });
    const x = await t.memberIdFor('x', coordinator, 'g', { sessionTimeoutMs: 20_000 });
    const joins = Promise.all([
      t.startJoin('a', coordinator, 'g', { memberId: a, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000 }),
      t.startJoin('b', coordinator, 'g', { memberId: b, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000 }),
    ]);
    await t.runtime.advance(1_000);
    const startedMs = t.runtime.now();
    expect((await t.call('x', coordinator, ApiKey.LeaveGroup, 3, { groupId: 'g', members: [{ memberId: x, groupInstanceId: null }] })).members[0].errorCode).toBe(ErrorCode.NONE);
    const [ja] = await t.run(joins);
    expect(t.runtime.now() - startedMs).toBeLessThan(100);
    expect(ja.generationId).toBe(2);
  });
});
