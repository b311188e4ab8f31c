import { describe, expect, it } from 'vitest';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeRecordKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../../src/broker/group/records.ts';

describe('__consumer_offsets records, as Kafka lays them out', () => {
  it('offset commit key v1: int16 version, group, topic, int32 partition', () => {
    expect(encodeOffsetCommitKey('g', 't', 3).toString('hex')).toBe('0001' + '000167' + '000174' + '00000003');
    expect(decodeRecordKey(encodeOffsetCommitKey('group', 'topic', 7))).toEqual({ kind: 'offset', group: 'group', topic: 'topic', partition: 7 });
    // Key v0 (Kafka before 0.10.1) reads the same way.
    expect(decodeRecordKey(Buffer.from('0000' + '000167' + '000174' + '00000001', 'hex'))).toEqual({ kind: 'offset', group: 'g', topic: 't', partition: 1 });
  });

  it('group metadata key v2; other key versions are unknown', () => {
    expect(encodeGroupMetadataKey('g').toString('hex')).toBe('0002' + '000167');
    expect(decodeRecordKey(encodeGroupMetadataKey('my-group'))).toEqual({ kind: 'group', group: 'my-group' });
    expect(decodeRecordKey(Buffer.from('0009', 'hex'))).toEqual({ kind: 'unknown', version: 9 });
  });

  it('offset commit value v3 (offset, leader epoch, metadata, commit timestamp); v1 when an expire timestamp is set', () => {
    const v3 = encodeOffsetCommitValue({ offset: 5n, leaderEpoch: 2, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: null });
    expect(v3.toString('hex')).toBe('0003' + '0000000000000005' + '00000002' + '00016d' + '00000000000003e8');
    expect(decodeOffsetCommitValue(v3)).toEqual({ offset: 5n, leaderEpoch: 2, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: null });
    const v1 = encodeOffsetCommitValue({ offset: -2n, leaderEpoch: -1, metadata: '', commitTimestamp: 1000n, expireTimestamp: 2000n });
    expect(v1.toString('hex')).toBe('0001' + 'fffffffffffffffe' + '0000' + '00000000000003e8' + '00000000000007d0');
    expect(decodeOffsetCommitValue(v1)).toEqual({ offset: -2n, leaderEpoch: -1, metadata: '', commitTimestamp: 1000n, expireTimestamp: 2000n });
    expect(decodeOffsetCommitValue(null)).toBeNull();
  });

  it('group metadata value v3 round trips with its members', () => {
    const group = {
      protocolType: 'consumer',
      generationId: 4,
      protocolName: 'range',
      leaderId: 'm-1',
      currentStateTimestamp: 1234n,
      members: [
        { memberId: 'm-1', groupInstanceId: 'i-1', clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 300_000, sessionTimeoutMs: 10_000, subscription: Buffer.from('sub'), assignment: Buffer.from('as') },
      ],
    };
    const encoded = encodeGroupMetadataValue(group);
    expect(encoded.readInt16BE(0)).toBe(3);
    expect(decodeGroupMetadataValue(encoded)).toEqual(group);
    const empty = { protocolType: '', generationId: 1, protocolName: null, leaderId: null, currentStateTimestamp: -1n, members: [] };
    expect(decodeGroupMetadataValue(encodeGroupMetadataValue(empty))).toEqual(empty);
  });
});
