import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { overridesOf, startCluster, type HandlerTestCluster } from './support.ts';

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

type Op = [name: string, operation: number, value: string | null];

async function alter(t: HandlerTestCluster, resources: Array<[type: number, name: string, ops: Op[]]>, validateOnly = false, version = 1) {
  const response = await t.send(1, ApiKey.IncrementalAlterConfigs, version, {
    resources: resources.map(([resourceType, resourceName, ops]) => ({
      resourceType,
      resourceName,
      configs: ops.map(([name, configOperation, value]) => ({ name, configOperation, value })),
    })),
    validateOnly,
  });
  return response.responses.map((r) => [r.resourceName, r.errorCode, r.errorMessage]);
}

describe('IncrementalAlterConfigs', () => {
  it('SETs and DELETEs single keys and leaves the other overrides alone', async () => {
    const t = await startCluster();
    t.cluster.createTopic('inc', { partitions: 1, configs: { 'retention.ms': 1000, 'segment.ms': 2000 } });
    expect(await alter(t, [[TOPIC, 'inc', [['retention.ms', SET, '3000'], ['segment.ms', DELETE, null], ['max.message.bytes', SET, '2048']]]])).toEqual([
      ['inc', ErrorCode.NONE, null],
    ]);
    expect(overridesOf(t.cluster, 'inc')).toEqual({ 'retention.ms': '3000', 'max.message.bytes': '2048' });
  });

  it('APPENDs to and SUBTRACTs from a list config, starting from the topic default', async () => {
    const t = await startCluster();
    t.cluster.createTopic('lists', { partitions: 1 });
    expect(await alter(t, [[TOPIC, 'lists', [['cleanup.policy', APPEND, 'compact']]]])).toEqual([['lists', ErrorCode.NONE, null]]);
    expect(overridesOf(t.cluster, 'lists')).toEqual({ 'cleanup.policy': 'delete,compact' });
    expect(await alter(t, [[TOPIC, 'lists', [['cleanup.policy', APPEND, 'delete,compact']]]])).toEqual([['lists', ErrorCode.NONE, null]]);
    expect(overridesOf(t.cluster, 'lists')).toEqual({ 'cleanup.policy': 'delete,compact' });
    expect(await alter(t, [[TOPIC, 'lists', [['cleanup.policy', SUBTRACT, 'delete']]]])).toEqual([['lists', ErrorCode.NONE, null]]);
    expect(overridesOf(t.cluster, 'lists')).toEqual({ 'cleanup.policy': 'compact' });
  });

  it('refuses APPEND and SUBTRACT on a key that is not a list, and bad values, changing nothing', async () => {
    const t = await startCluster();
    t.cluster.createTopic('typed', { partitions: 1, configs: { 'retention.ms': 1000 } });
    expect(await alter(t, [[TOPIC, 'typed', [['retention.ms', APPEND, '5']]]])).toEqual([
      ['typed', ErrorCode.INVALID_CONFIG, "Can't APPEND to key retention.ms because its type is not LIST."],
    ]);
    expect(await alter(t, [[TOPIC, 'typed', [['segment.ms', SET, '5'], ['retention.ms', SUBTRACT, '5']]]])).toEqual([
      ['typed', ErrorCode.INVALID_CONFIG, "Can't SUBTRACT to key retention.ms because its type is not LIST."],
    ]);
    expect(await alter(t, [[TOPIC, 'typed', [['segment.ms', SET, '0']]]])).toEqual([
      ['typed', ErrorCode.INVALID_CONFIG, 'Invalid value 0 for configuration segment.ms: Value must be at least 1'],
    ]);
    expect(await alter(t, [[TOPIC, 'typed', [['no.such', SET, '1']]]])).toEqual([['typed', ErrorCode.INVALID_CONFIG, 'Unknown topic config name: no.such']]);
    expect(overridesOf(t.cluster, 'typed')).toEqual({ 'retention.ms': '1000' });
  });

  it('DELETE of a key that is not overridden, even an unknown one, succeeds and changes nothing', async () => {
    const t = await startCluster();
    t.cluster.createTopic('quiet', { partitions: 1, configs: { 'retention.ms': 1000 } });
    expect(await alter(t, [[TOPIC, 'quiet', [['no.such', DELETE, null], ['segment.ms', DELETE, null]]]])).toEqual([['quiet', ErrorCode.NONE, null]]);
    expect(overridesOf(t.cluster, 'quiet')).toEqual({ 'retention.ms': '1000' });
  });

  it('answers request-shape errors with INVALID_REQUEST and an unknown topic with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const t = await startCluster();
    t.cluster.createTopic('shape', { partitions: 1 });
    expect(
      await alter(t, [
        [TOPIC, 'shape', [['retention.ms', SET, null]]],
        [TOPIC, 'nope', [['retention.ms', SET, '1']]],
        [TOPIC, 'dup', [['retention.ms', SET, '1']]],
        [TOPIC, 'dup', [['retention.ms', SET, '2']]],
        [TOPIC, 'keys', [['retention.ms', SET, '1'], ['retention.ms', DELETE, null]]],
        [TOPIC, 'ops', [['retention.ms', 9, '1']]],
        [16, 'metrics', []],
      ]),
    ).toEqual([
      ['shape', ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms'],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'nope' does not exist."],
      ['dup', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      ['dup', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      ['keys', ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
      ['ops', ErrorCode.INVALID_REQUEST, 'Unknown operations type 9'],
      ['metrics', ErrorCode.INVALID_REQUEST, 'Unknown resource type 16'],
    ]);
    expect(overridesOf(t.cluster, 'shape')).toEqual({});
  });

  it('validateOnly checks and changes nothing', async () => {
    const t = await startCluster();
    t.cluster.createTopic('dry', { partitions: 1 });
    expect(await alter(t, [[TOPIC, 'dry', [['retention.ms', SET, '5']]]], true, 0)).toEqual([['dry', ErrorCode.NONE, null]]);
    expect(await alter(t, [[TOPIC, 'dry', [['retention.ms', SET, 'x']]]], true, 0)).toEqual([
      ['dry', ErrorCode.INVALID_CONFIG, 'Invalid value x for configuration retention.ms: Not a number of type LONG'],
    ]);
    expect(overridesOf(t.cluster, 'dry')).toEqual({});
  });

  it('refuses broker config changes as read-only, lets pure DELETEs through, and checks list operations', async () => {
    const t = await startCluster();
    expect(
      await alter(t, [
        [BROKER, '1', [['log.retention.ms', SET, '1000']]],
        [BROKER, '', [['log.retention.ms', DELETE, null]]],
        [BROKER, '2', [['log.retention.ms', DELETE, null]]],
      ]),
    ).toEqual([
      ['1', ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(log.retention.ms)'],
      ['', ErrorCode.NONE, null],
      ['2', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1, but received 2'],
    ]);
    expect(await alter(t, [[BROKER, '1', [['num.partitions', APPEND, '2']]]])).toEqual([
      ['1', ErrorCode.INVALID_CONFIG, 'Config value append is not allowed for config key: num.partitions'],
    ]);
    expect(await alter(t, [[BROKER, '1', [['log.cleanup.policy', APPEND, 'compact']]]])).toEqual([
      ['1', ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(log.cleanup.policy)'],
    ]);
    expect(t.cluster.config.get('log.cleanup.policy')).toBe('delete');
  });
});
