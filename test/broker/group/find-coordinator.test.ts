import { describe, expect, it } from 'vitest';
import { coordinatorPartition } from '../../../src/broker/internal-topics.ts';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startGroupCluster } from './support.ts';

describe('FindCoordinator', () => {
  it('creates __consumer_offsets on the first group lookup (COORDINATOR_NOT_AVAILABLE), then names the leader of the group\'s partition', async () => {
    const t = await startGroupCluster({ brokers: 3 });
    const first = await t.call('admin', 1, ApiKey.FindCoordinator, 3, { key: 'g', keyType: 0 });
    expect(first).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 });
    expect(first.errorMessage).toBe('The group coordinator is not available');
    const topic = t.cluster.metadata.topics.get('__consumer_offsets')!;
    expect(topic.isInternal).toBe(true);
    expect(topic.partitions).toHaveLength(50);
    expect(topic.partitions[0].replicas).toHaveLength(3);
    expect(Object.fromEntries(topic.configs)).toEqual({ 'cleanup.policy': 'compact', 'segment.bytes': '104857600', 'compression.type': 'producer' });

    await t.runtime.advance(5);
    const second = await t.call('admin', 1, ApiKey.FindCoordinator, 3, { key: 'g', keyType: 0 });
    const leader = topic.partitions[coordinatorPartition('g', 50)].leader;
    const address = t.cluster.broker(leader).address;
    expect(second).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: 'NONE', nodeId: leader, host: address.host, port: address.port });
    // The coordinator answers right away (its partition loaded one tick after it became leader).
    expect((await t.call('admin', leader, ApiKey.Heartbeat, 0, { groupId: 'g', generationId: 0, memberId: 'm' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('v4 looks up a batch of keys; v0 works; unknown key types are INVALID_REQUEST; transactional ids go to the transaction coordinator', async () => {
    const t = await startGroupCluster({ brokers: 1, brokerConfig: { 'offsets.topic.num.partitions': 4 } });
    await t.findCoordinator('warm-up');
    expect(t.cluster.metadata.topics.get('__consumer_offsets')!.partitions).toHaveLength(4);
    const v4 = await t.call('admin', 1, ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['a', 'b', ''] });
    expect(v4.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.errorMessage])).toEqual([
      ['a', ErrorCode.NONE, 1, null],
      ['b', ErrorCode.NONE, 1, null],
      ['', ErrorCode.NONE, 1, null],
    ]);
    const v0 = await t.call('admin', 1, ApiKey.FindCoordinator, 0, { key: 'a' });
    expect([v0.errorCode, v0.nodeId]).toEqual([ErrorCode.NONE, 1]);
    const invalid = await t.call('admin', 1, ApiKey.FindCoordinator, 4, { keyType: 7, coordinatorKeys: ['a'] });
    expect(invalid.coordinators.map((c) => [c.errorCode, c.nodeId])).toEqual([[ErrorCode.INVALID_REQUEST, -1]]);
    const invalidV2 = await t.call('admin', 1, ApiKey.FindCoordinator, 2, { key: 'a', keyType: 2 });
    expect([invalidV2.errorCode, invalidV2.nodeId]).toEqual([ErrorCode.INVALID_REQUEST, -1]);
    // Key type 1 is answered by the transaction coordinator, whatever it says (asked twice: it may create its topic first).
    await t.call('admin', 1, ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['tx'] });
    await t.runtime.advance(100);
    const txn = await t.call('admin', 1, ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['tx'] });
    const expected = t.cluster.broker(1).transactionCoordinator.findCoordinator('tx');
    expect(txn.coordinators.map((c) => [c.errorCode, c.nodeId])).toEqual([[expected.errorCode, expected.nodeId]]);
  });

  it('with one broker and the default offsets.topic.replication.factor (3) the topic gets one replica; set explicitly, Kafka\'s refusal stands', async () => {
    const t = await startGroupCluster({ brokers: 1 });
    await t.findCoordinator('g');
    expect(t.cluster.metadata.topics.get('__consumer_offsets')!.partitions[0].replicas).toEqual([1]);

    const strict = await startGroupCluster({ brokers: 1, brokerConfig: { 'offsets.topic.replication.factor': 3 } });
    await strict.runtime.advance(1_000);
    const answer = await strict.call('admin', 1, ApiKey.FindCoordinator, 3, { key: 'g', keyType: 0 });
    expect(answer.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(strict.cluster.metadata.topics.has('__consumer_offsets')).toBe(false);
  });
});
