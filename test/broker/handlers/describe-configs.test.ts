import { describe, expect, it } from 'vitest';
import { ConfigSource, TOPIC_CONFIGS } from '../../../src/broker/config.ts';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './support.ts';

const TOPIC = 2;
const BROKER = 4;

async function describeConfigs(
  t: HandlerTestCluster,
  resources: Array<{ resourceType: number; resourceName: string; configurationKeys?: string[] | null }>,
  options: { version?: number; includeSynonyms?: boolean; includeDocumentation?: boolean; brokerId?: number } = {},
) {
  const response = await t.send(options.brokerId ?? 1, ApiKey.DescribeConfigs, options.version ?? 4, {
    resources: resources.map((r) => ({ ...r, configurationKeys: r.configurationKeys ?? null })),
    includeSynonyms: options.includeSynonyms ?? false,
    includeDocumentation: options.includeDocumentation ?? false,
  });
  return response.results;
}

describe('DescribeConfigs', () => {
  it('reports every topic config with its effective value and source', async () => {
    const t = await startCluster({ brokerConfig: { 'min.insync.replicas': 2 } });
    t.cluster.createTopic('described', { partitions: 1, configs: { 'retention.ms': 1000 } });
    await t.settle();
    const [result] = await describeConfigs(t, [{ resourceType: TOPIC, resourceName: 'described' }]);
    expect(result).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 'described' });
    expect(result.configs.map((c) => c.name)).toEqual(TOPIC_CONFIGS.map((d) => d.name));
    const byName = new Map(result.configs.map((c) => [c.name, c]));
    expect(byName.get('retention.ms')).toEqual({
      name: 'retention.ms',
      value: '1000',
      readOnly: false,
      isDefault: false,
      configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG,
      isSensitive: false,
      synonyms: [],
      configType: 5,
      documentation: null,
    });
    expect(byName.get('min.insync.replicas')).toMatchObject({ value: '2', configSource: ConfigSource.STATIC_BROKER_CONFIG, configType: 3 });
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'delete', configSource: ConfigSource.DEFAULT_CONFIG, configType: 7 });
    expect(byName.get('segment.ms')).toMatchObject({ value: '604800000', configSource: ConfigSource.DEFAULT_CONFIG });
  });

  it('lists synonyms in Kafka\'s order of precedence when asked (v1+)', async () => {
    const t = await startCluster({ brokerConfig: { 'min.insync.replicas': 2, 'log.retention.hours': 24 } });
    t.cluster.createTopic('syn', { partitions: 1, configs: { 'min.insync.replicas': 1 } });
    await t.settle();
    const [result] = await describeConfigs(t, [{ resourceType: TOPIC, resourceName: 'syn', configurationKeys: ['min.insync.replicas', 'retention.ms', 'cleanup.policy'] }], {
      version: 1,
      includeSynonyms: true,
    });
    expect(result.configs.map((c) => [c.name, c.value, c.configSource, c.synonyms])).toEqual([
      ['cleanup.policy', 'delete', ConfigSource.DEFAULT_CONFIG, [{ name: 'log.cleanup.policy', value: 'delete', source: ConfigSource.DEFAULT_CONFIG }]],
      [
        'min.insync.replicas',
        '1',
        ConfigSource.DYNAMIC_TOPIC_CONFIG,
        [
          { name: 'min.insync.replicas', value: '1', source: ConfigSource.DYNAMIC_TOPIC_CONFIG },
          { name: 'min.insync.replicas', value: '2', source: ConfigSource.STATIC_BROKER_CONFIG },
          { name: 'min.insync.replicas', value: '1', source: ConfigSource.DEFAULT_CONFIG },
        ],
      ],
      // Kafka drops synonyms ranked before log.retention.ms, so an hours setting shows as a default with none.
      ['retention.ms', '86400000', ConfigSource.DEFAULT_CONFIG, []],
    ]);
  });

  it('v0 marks defaults with isDefault; v3 carries config types and a null documentation', async () => {
    const t = await startCluster();
    t.cluster.createTopic('old', { partitions: 1, configs: { 'cleanup.policy': 'compact' } });
    await t.settle();
    const [v0] = await describeConfigs(t, [{ resourceType: TOPIC, resourceName: 'old', configurationKeys: ['cleanup.policy', 'segment.bytes'] }], { version: 0 });
    expect(v0.configs.map((c) => [c.name, c.value, c.isDefault])).toEqual([
      ['cleanup.policy', 'compact', false],
      ['segment.bytes', '1073741824', true],
    ]);
    const [v3] = await describeConfigs(t, [{ resourceType: TOPIC, resourceName: 'old', configurationKeys: ['segment.bytes'] }], { version: 3, includeDocumentation: true });
    expect(v3.configs).toEqual([
      {
        name: 'segment.bytes',
        value: '1073741824',
        readOnly: false,
        isDefault: false,
        configSource: ConfigSource.DEFAULT_CONFIG,
        isSensitive: false,
        synonyms: [],
        configType: 3,
        documentation: null,
      },
    ]);
  });

  it('answers an unknown topic with UNKNOWN_TOPIC_OR_PARTITION (no message) and an invalid name with INVALID_TOPIC_EXCEPTION', async () => {
    const t = await startCluster();
    const results = await describeConfigs(t, [
      { resourceType: TOPIC, resourceName: 'nope' },
      { resourceType: TOPIC, resourceName: 'bad name!' },
    ]);
    expect(results).toEqual([
      { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, resourceType: TOPIC, resourceName: 'nope', configs: [] },
      {
        errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
        errorMessage: 'Topic name "bad name!" is illegal, it contains a character other than ASCII alphanumerics, \'.\', \'_\' and \'-\'',
        resourceType: TOPIC,
        resourceName: 'bad name!',
        configs: [],
      },
    ]);
  });

  it('reports this broker\'s configs, refuses another broker id, and has no cluster-wide dynamic defaults', async () => {
    const t = await startCluster({ brokers: 2, brokerConfig: { 'num.partitions': 3 } });
    const [own, other, notANumber, clusterDefault] = await describeConfigs(
      t,
      [
        { resourceType: BROKER, resourceName: '2', configurationKeys: ['broker.id', 'num.partitions', 'log.retention.ms', 'log.retention.hours'] },
        { resourceType: BROKER, resourceName: '1' },
        { resourceType: BROKER, resourceName: 'one' },
        { resourceType: BROKER, resourceName: '' },
      ],
      { brokerId: 2, includeSynonyms: true },
    );
    expect(own.errorCode).toBe(ErrorCode.NONE);
    expect(own.configs.map((c) => [c.name, c.value, c.configSource, c.readOnly, c.synonyms])).toEqual([
      ['broker.id', '2', ConfigSource.STATIC_BROKER_CONFIG, true, [{ name: 'broker.id', value: '2', source: ConfigSource.STATIC_BROKER_CONFIG }]],
      [
        'num.partitions',
        '3',
        ConfigSource.STATIC_BROKER_CONFIG,
        true,
        [
          { name: 'num.partitions', value: '3', source: ConfigSource.STATIC_BROKER_CONFIG },
          { name: 'num.partitions', value: '1', source: ConfigSource.DEFAULT_CONFIG },
        ],
      ],
      ['log.retention.ms', null, ConfigSource.DEFAULT_CONFIG, true, []],
      ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG, true, [{ name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG }]],
    ]);
    expect(other).toEqual({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Unexpected broker id, expected 2 or empty string, but received 1',
      resourceType: BROKER,
      resourceName: '1',
      configs: [],
    });
    expect(notANumber.errorMessage).toBe('Broker id must be an integer, but it is: one');
    expect(clusterDefault).toEqual({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: BROKER, resourceName: '', configs: [] });
  });

  it('fails every resource when one has a resource type Kafka does not know', async () => {
    const t = await startCluster();
    t.cluster.createTopic('fine', { partitions: 1 });
    await t.settle();
    const results = await describeConfigs(t, [
      { resourceType: TOPIC, resourceName: 'fine' },
      { resourceType: 99, resourceName: 'x' },
    ]);
    expect(results.map((r) => [r.resourceName, r.errorCode, r.configs.length])).toEqual([
      ['fine', ErrorCode.INVALID_REQUEST, 0],
      ['x', ErrorCode.INVALID_REQUEST, 0],
    ]);
  });
});
