import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { overridesOf, startCluster, type HandlerTestCluster } from './support.ts';

const TOPIC = 2;
const BROKER = 4;

type Resource = { resourceType: number; resourceName: string; configs: Array<{ name: string; value: string | null }> };

async function alterConfigs(t: HandlerTestCluster, resources: Resource[], validateOnly = false, version = 2) {
  const response = await t.send(1, ApiKey.AlterConfigs, version, { resources, validateOnly });
  return response.responses;
}

const topic = (name: string, configs: Record<string, string | null>): Resource => ({
  resourceType: TOPIC,
  resourceName: name,
  configs: Object.entries(configs).map(([key, value]) => ({ name: key, value })),
});

describe('AlterConfigs', () => {
  it('replaces all of a topic\'s overrides; brokers adopt them with the next image', async () => {
    const t = await startCluster({ brokers: 2 });
    t.cluster.createTopic('replaced', { partitions: 1, configs: { 'retention.ms': 1000, 'cleanup.policy': 'compact' } });
    await t.settle();
    expect(await alterConfigs(t, [topic('replaced', { 'segment.ms': '5000', 'cleanup.policy': 'compact,delete' })])).toEqual([
      { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 'replaced' },
    ]);
    expect(overridesOf(t.cluster, 'replaced')).toEqual({ 'segment.ms': '5000', 'cleanup.policy': 'compact,delete' });
    await t.settle();
    for (const id of [1, 2]) {
      expect(Object.fromEntries(t.cluster.broker(id).image.topics.get('replaced')!.configs)).toEqual({ 'segment.ms': '5000', 'cleanup.policy': 'compact,delete' });
    }
    const described = await t.send(2, ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: TOPIC, resourceName: 'replaced', configurationKeys: ['retention.ms', 'segment.ms'] }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(described.results[0].configs.map((c) => [c.name, c.value])).toEqual([
      ['retention.ms', '604800000'],
      ['segment.ms', '5000'],
    ]);
  });

  it('rejects bad values and unknown names with INVALID_CONFIG and Kafka\'s messages, leaving the overrides as they were', async () => {
    const t = await startCluster();
    t.cluster.createTopic('guarded', { partitions: 1, configs: { 'retention.ms': 1000 } });
    const results = await alterConfigs(t, [topic('guarded', { 'retention.ms': 'soon' })]);
    expect(results).toEqual([
      {
        errorCode: ErrorCode.INVALID_CONFIG,
        errorMessage: 'Invalid value soon for configuration retention.ms: Not a number of type LONG',
        resourceType: TOPIC,
        resourceName: 'guarded',
      },
    ]);
    expect((await alterConfigs(t, [topic('guarded', { 'segment.ms': '10', 'no.such.config': '1' })]))[0]).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: 'Unknown topic config name: no.such.config',
    });
    expect((await alterConfigs(t, [topic('guarded', { 'cleanup.policy': 'sometimes' })]))[0]).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: 'Invalid value sometimes for configuration cleanup.policy: String must be one of: compact, delete',
    });
    expect((await alterConfigs(t, [topic('guarded', { 'min.compaction.lag.ms': '100', 'max.compaction.lag.ms': '10' })]))[0]).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: 'conflict topic config setting min.compaction.lag.ms (100) > max.compaction.lag.ms (10)',
    });
    expect(overridesOf(t.cluster, 'guarded')).toEqual({ 'retention.ms': '1000' });
  });

  it('checks values before existence: an unknown topic is UNKNOWN_TOPIC_OR_PARTITION only with valid configs', async () => {
    const t = await startCluster();
    const results = await alterConfigs(t, [topic('nope', { 'retention.ms': '5' }), topic('nope2', { 'retention.ms': 'x' }), topic('', { 'retention.ms': '5' })]);
    expect(results.map((r) => [r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'nope' does not exist."],
      ['nope2', ErrorCode.INVALID_CONFIG, 'Invalid value x for configuration retention.ms: Not a number of type LONG'],
      ['', ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.'],
    ]);
    expect(t.cluster.metadata.topics.has('nope')).toBe(false);
  });

  it('refuses null values, duplicate keys and duplicate resources with INVALID_REQUEST', async () => {
    const t = await startCluster();
    t.cluster.createTopic('strict', { partitions: 1 });
    t.cluster.createTopic('other', { partitions: 1 });
    const results = await alterConfigs(t, [
      topic('strict', { 'retention.ms': null, 'segment.ms': null }),
      { resourceType: TOPIC, resourceName: 'other', configs: [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }] },
      topic('twice', { 'retention.ms': '1' }),
      topic('twice', { 'retention.ms': '2' }),
    ]);
    expect(results.map((r) => [r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      ['strict', ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms, segment.ms'],
      ['other', ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
      ['twice', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      ['twice', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
    ]);
    expect(overridesOf(t.cluster, 'strict')).toEqual({});
    expect(overridesOf(t.cluster, 'other')).toEqual({});
  });

  it('validateOnly answers as a real change would and changes nothing', async () => {
    const t = await startCluster();
    t.cluster.createTopic('dry', { partitions: 1, configs: { 'retention.ms': 1000 } });
    expect((await alterConfigs(t, [topic('dry', { 'segment.ms': '5000' })], true))[0].errorCode).toBe(ErrorCode.NONE);
    expect((await alterConfigs(t, [topic('dry', { 'segment.ms': 'x' })], true))[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(overridesOf(t.cluster, 'dry')).toEqual({ 'retention.ms': '1000' });
  });

  it('treats broker configs as static: changes are refused as Kafka refuses read-only configs; other ids are refused', async () => {
    const t = await startCluster({ brokers: 2 });
    const results = await alterConfigs(t, [
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', value: '1000' }, { name: 'num.partitions', value: '2' }] },
      { resourceType: BROKER, resourceName: '2', configs: [{ name: 'log.retention.ms', value: '1000' }] },
      { resourceType: BROKER, resourceName: 'x', configs: [] },
      { resourceType: BROKER, resourceName: '', configs: [] },
      { resourceType: 8, resourceName: '1', configs: [] },
    ]);
    expect(results.map((r) => [r.resourceType, r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      [BROKER, '1', ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(log.retention.ms, num.partitions)'],
      [BROKER, '2', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1, but received 2'],
      [BROKER, 'x', ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: x'],
      [BROKER, '', ErrorCode.NONE, null],
      [8, '1', ErrorCode.INVALID_REQUEST, 'Unknown resource type 8'],
    ]);
    expect(t.cluster.config.get('log.retention.ms')).toBeNull();
  });

  it('v0 speaks the same protocol', async () => {
    const t = await startCluster();
    t.cluster.createTopic('v0', { partitions: 1 });
    expect(await alterConfigs(t, [topic('v0', { 'retention.ms': '7' })], false, 0)).toEqual([
      { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 'v0' },
    ]);
    expect(overridesOf(t.cluster, 'v0')).toEqual({ 'retention.ms': '7' });
  });
});
