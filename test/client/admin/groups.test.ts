/**
 * admin groups: fetchOffsets, setOffsets, resetOffsets, listGroups, describeGroups and deleteGroups against
 * the simulated group coordinator (the intent of KafkaJS's fetchOffsets, setOffsets, resetOffsets,
 * listGroups, describeGroups and deleteGroups specs). A running member is a raw JoinGroup + SyncGroup
 * (support.ts), so these tests do not depend on the consumer.
 */
import { describe, expect, it } from 'vitest';
import { createCluster, KafkaJSDeleteGroupsError } from '../../../src/index.ts';
import { adminOf, joinGroup, produce } from './support.ts';

const partitionsOf = (offsets: Array<{ topic: string; partitions: Array<{ partition: number; offset: string; metadata: string | null }> }>, topic: string) =>
  [...(offsets.find((t) => t.topic === topic)?.partitions ?? [])].sort((a, b) => a.partition - b.partition);

describe('admin.setOffsets and fetchOffsets', () => {
  it('fetchOffsets answers -1 and null metadata for every partition of a group that committed nothing', async () => {
    const sim = createCluster({ topics: [{ topic: 'orders', numPartitions: 3 }] });
    const admin = adminOf(sim);
    const offsets = await admin.fetchOffsets({ groupId: 'fresh', topics: ['orders'] });
    expect(offsets).toHaveLength(1);
    expect(partitionsOf(offsets, 'orders')).toEqual([
      { partition: 0, offset: '-1', metadata: null },
      { partition: 1, offset: '-1', metadata: null },
      { partition: 2, offset: '-1', metadata: null },
    ]);
  });

  it('setOffsets commits the offsets of a group with no members; fetchOffsets reads them back', async () => {
    const sim = createCluster({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    const admin = adminOf(sim);
    await admin.setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition: 0, offset: '13' }, { partition: 1, offset: '7' }] });
    expect(partitionsOf(await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] }), 'orders')).toEqual([
      { partition: 0, offset: '13', metadata: null },
      { partition: 1, offset: '7', metadata: null },
    ]);
  });

  it('fetchOffsets without topics answers every topic the group has offsets for', async () => {
    const sim = createCluster({ topics: [{ topic: 'a', numPartitions: 2 }, 'b', 'c'] });
    const admin = adminOf(sim);
    await admin.setOffsets({ groupId: 'g', topic: 'a', partitions: [{ partition: 1, offset: '5' }] });
    await admin.setOffsets({ groupId: 'g', topic: 'b', partitions: [{ partition: 0, offset: '2' }] });
    const offsets = await admin.fetchOffsets({ groupId: 'g' });
    expect(offsets.map((t) => t.topic).sort()).toEqual(['a', 'b']);
    expect(partitionsOf(offsets, 'a')).toEqual([{ partition: 1, offset: '5', metadata: null }]);
    expect(partitionsOf(offsets, 'b')).toEqual([{ partition: 0, offset: '2', metadata: null }]);
  });

  it('setOffsets ignores partitions the topic does not have', async () => {
    const sim = createCluster({ topics: ['orders'] });
    const admin = adminOf(sim);
    await admin.setOffsets({ groupId: 'g', topic: 'orders', partitions: [{ partition: 0, offset: '3' }, { partition: 9, offset: '3' }] });
    expect(partitionsOf(await admin.fetchOffsets({ groupId: 'g', topics: ['orders'] }), 'orders')).toEqual([{ partition: 0, offset: '3', metadata: null }]);
  });

  it('setOffsets refuses offsets KafkaJS consumer.seek refuses', async () => {
    const sim = createCluster({ topics: ['orders'] });
    const admin = adminOf(sim);
    await expect(admin.setOffsets({ groupId: 'g', topic: 'orders', partitions: [{ partition: 0, offset: '-3' }] })).rejects.toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: 'Offset must not be a negative number',
    });
    await expect(admin.setOffsets({ groupId: 'g', topic: 'orders', partitions: [{ partition: 0, offset: 'soon' }] })).rejects.toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: 'Invalid offset, expected a long received soon',
    });
    expect(partitionsOf(await admin.fetchOffsets({ groupId: 'g', topics: ['orders'] }), 'orders')[0].offset).toBe('-1');
  });

  it('setOffsets and fetchOffsets of an unknown topic reject with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const sim = createCluster();
    const admin = adminOf(sim);
    await expect(admin.setOffsets({ groupId: 'g', topic: 'ghost', partitions: [{ partition: 0, offset: '1' }] })).rejects.toMatchObject({
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
    await expect(admin.fetchOffsets({ groupId: 'g', topics: ['ghost'] })).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('setOffsets refuses while the group has a member, and works once it has left', async () => {
    const sim = createCluster({ topics: ['orders'] });
    const admin = adminOf(sim);
    const member = await joinGroup(sim, 'busy', ['orders']);
    await expect(admin.setOffsets({ groupId: 'busy', topic: 'orders', partitions: [{ partition: 0, offset: '1' }] })).rejects.toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: 'The consumer group must have no running instances, current state: Stable',
    });
    await member.leave();
    await admin.setOffsets({ groupId: 'busy', topic: 'orders', partitions: [{ partition: 0, offset: '1' }] });
    expect(partitionsOf(await admin.fetchOffsets({ groupId: 'busy', topics: ['orders'] }), 'orders')[0].offset).toBe('1');
  });
});

describe('admin.resetOffsets', () => {
  it('stores -1 (latest) by default and -2 with earliest, verbatim, as KafkaJS does', async () => {
    const sim = createCluster({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    const admin = adminOf(sim);
    await admin.setOffsets({ groupId: 'g', topic: 'orders', partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '4' }] });
    await admin.resetOffsets({ groupId: 'g', topic: 'orders' });
    expect(partitionsOf(await admin.fetchOffsets({ groupId: 'g', topics: ['orders'] }), 'orders').map((p) => p.offset)).toEqual(['-1', '-1']);
    await admin.resetOffsets({ groupId: 'g', topic: 'orders', earliest: true });
    expect(partitionsOf(await admin.fetchOffsets({ groupId: 'g', topics: ['orders'] }), 'orders').map((p) => p.offset)).toEqual(['-2', '-2']);
  });

  it('refuses while the group has a member', async () => {
    const sim = createCluster({ topics: ['orders'] });
    const admin = adminOf(sim);
    await joinGroup(sim, 'busy', ['orders']);
    await expect(admin.resetOffsets({ groupId: 'busy', topic: 'orders', earliest: true })).rejects.toThrow(
      'The consumer group must have no running instances, current state: Stable',
    );
  });

  it('fetchOffsets with resolveOffsets turns -2/-1 into the low/high watermark and commits them', async () => {
    const sim = createCluster({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    await sim.sleep(100);
    await produce(sim, 'orders', 0, ['a', 'b', 'c']);
    await produce(sim, 'orders', 1, ['d', 'e']);
    const admin = adminOf(sim);
    await admin.fetchTopicMetadata();
    await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0, offset: '1' }] });
    await admin.resetOffsets({ groupId: 'g', topic: 'orders', earliest: true });
    await admin.setOffsets({ groupId: 'g', topic: 'orders', partitions: [{ partition: 1, offset: '-1' }] });
    const resolved = await admin.fetchOffsets({ groupId: 'g', topics: ['orders'], resolveOffsets: true });
    expect(partitionsOf(resolved, 'orders')).toEqual([
      { partition: 0, offset: '1', metadata: null },
      { partition: 1, offset: '2', metadata: null },
    ]);
    expect(partitionsOf(await admin.fetchOffsets({ groupId: 'g', topics: ['orders'] }), 'orders').map((p) => p.offset)).toEqual(['1', '2']);
  });
});

describe('admin.listGroups and describeGroups', () => {
  it('listGroups lists the groups of every coordinator', async () => {
    const sim = createCluster({ brokers: 3, topics: ['orders'] });
    const admin = adminOf(sim);
    await joinGroup(sim, 'group-a', ['orders'], 'member-a');
    await joinGroup(sim, 'group-b', ['orders'], 'member-b');
    await joinGroup(sim, 'group-c', ['orders'], 'member-c');
    const { groups } = await admin.listGroups();
    expect([...groups].sort((a, b) => a.groupId.localeCompare(b.groupId))).toEqual([
      { groupId: 'group-a', protocolType: 'consumer' },
      { groupId: 'group-b', protocolType: 'consumer' },
      { groupId: 'group-c', protocolType: 'consumer' },
    ]);
  });

  it('describeGroups describes a running group, its members, and an unknown group as Dead', async () => {
    const sim = createCluster({ brokers: 2, topics: ['orders'] });
    const admin = adminOf(sim);
    const member = await joinGroup(sim, 'running', ['orders'], 'the-member');
    const { groups } = await admin.describeGroups(['running', 'nobody']);
    const byId = Object.fromEntries(groups.map((g) => [g.groupId, g]));
    expect(byId.running).toMatchObject({ errorCode: 0, groupId: 'running', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
    expect(byId.running.members).toHaveLength(1);
    expect(byId.running.members[0]).toMatchObject({ memberId: member.memberId, clientId: 'the-member' });
    expect(Buffer.isBuffer(byId.running.members[0].memberMetadata)).toBe(true);
    expect(Buffer.isBuffer(byId.running.members[0].memberAssignment)).toBe(true);
    expect(byId.nobody).toMatchObject({ errorCode: 0, groupId: 'nobody', state: 'Dead', members: [] });

    await member.leave();
    const after = await admin.describeGroups(['running']);
    expect(after.groups[0].state).toBe('Empty');
  });
});

describe('admin.deleteGroups', () => {
  it('deletes empty groups and answers per group', async () => {
    const sim = createCluster({ brokers: 2, topics: ['orders'] });
    const admin = adminOf(sim);
    await admin.setOffsets({ groupId: 'old-1', topic: 'orders', partitions: [{ partition: 0, offset: '5' }] });
    await admin.setOffsets({ groupId: 'old-2', topic: 'orders', partitions: [{ partition: 0, offset: '6' }] });
    const results = await admin.deleteGroups(['old-1', 'old-2']);
    expect([...results].sort((a, b) => a.groupId.localeCompare(b.groupId))).toEqual([
      { groupId: 'old-1', errorCode: 0 },
      { groupId: 'old-2', errorCode: 0 },
    ]);
    expect(partitionsOf(await admin.fetchOffsets({ groupId: 'old-1', topics: ['orders'] }), 'orders')[0].offset).toBe('-1');
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('old-1');
  });

  it('rejects with KafkaJSDeleteGroupsError naming only the groups that could not be deleted', async () => {
    const sim = createCluster({ topics: ['orders'] });
    const admin = adminOf(sim);
    await joinGroup(sim, 'busy', ['orders']);
    await admin.setOffsets({ groupId: 'idle', topic: 'orders', partitions: [{ partition: 0, offset: '1' }] });
    const error = await admin.deleteGroups(['busy', 'idle', 'ghost']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaJSDeleteGroupsError);
    expect(error).toMatchObject({ name: 'KafkaJSDeleteGroupsError', message: 'Error in DeleteGroups' });
    const failed = (error as KafkaJSDeleteGroupsError).groups;
    expect(failed.map((g) => [g.groupId, g.errorCode, g.error?.type])).toEqual([
      ['busy', 68, 'NON_EMPTY_GROUP'],
      ['ghost', 69, 'GROUP_ID_NOT_FOUND'],
    ]);
    // The deletable group is gone all the same.
    expect((await admin.describeGroups(['idle'])).groups[0].state).toBe('Dead');
  });
});
