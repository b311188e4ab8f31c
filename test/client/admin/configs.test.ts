/**
 * admin configs: describeConfigs and alterConfigs (the intent of KafkaJS's describeConfigs and alterConfigs
 * specs): answer shapes, broker resources routed to the broker they name, errors thrown as KafkaJS throws
 * them.
 */
import { describe, expect, it } from 'vitest';
import { createCluster } from '../../../src/index.ts';
import { ConfigResourceTypes, ConfigSource } from '../../../src/client/admin/index.ts';
import { adminOf } from './support.ts';

describe('admin.describeConfigs', () => {
  it('describes the named configs of a topic, in KafkaJS shape', async () => {
    const sim = createCluster({ topics: [{ topic: 'orders', configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
    const admin = adminOf(sim);
    const answer = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms', 'cleanup.policy'] }],
    });
    expect(Object.keys(answer)).toEqual(['resources']);
    expect(answer.resources).toHaveLength(1);
    const [resource] = answer.resources;
    expect(resource).toMatchObject({ errorCode: 0, errorMessage: null, resourceType: ConfigResourceTypes.TOPIC, resourceName: 'orders' });
    const entries = Object.fromEntries(resource.configEntries.map((e) => [e.configName, e]));
    expect(entries['retention.ms']).toEqual({
      configName: 'retention.ms',
      configValue: '60000',
      readOnly: false,
      isDefault: false,
      configSource: ConfigSource.TOPIC_CONFIG,
      isSensitive: false,
      configSynonyms: [],
    });
    expect(entries['cleanup.policy']).toMatchObject({ configValue: 'delete', isDefault: true, configSource: ConfigSource.DEFAULT_CONFIG });
  });

  it('describes every config when configNames is left out, with synonyms on request', async () => {
    const sim = createCluster({ topics: [{ topic: 'orders', configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
    const admin = adminOf(sim);
    const { resources } = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }] });
    expect(resources[0].configEntries.length).toBeGreaterThan(5);
    const retention = resources[0].configEntries.find((e) => e.configName === 'retention.ms');
    expect(retention?.configSynonyms[0]).toEqual({ configName: 'retention.ms', configValue: '60000', configSource: ConfigSource.TOPIC_CONFIG });
  });

  it('asks each broker for its own configs, and the controller for topics, in one call', async () => {
    const sim = createCluster({ brokers: 3, topics: ['orders'] });
    const admin = adminOf(sim);
    const targets: string[] = [];
    admin.on(admin.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'DescribeConfigs') targets.push(payload.broker);
    });
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.BROKER, name: '3', configNames: ['broker.id'] },
        { type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms'] },
        { type: ConfigResourceTypes.BROKER, name: '2', configNames: ['broker.id'] },
      ],
    });
    // One request per broker, answers in the order the brokers first appear.
    expect(resources.map((r) => [r.resourceType, r.resourceName, r.errorCode])).toEqual([
      [ConfigResourceTypes.BROKER, '3', 0],
      [ConfigResourceTypes.TOPIC, 'orders', 0],
      [ConfigResourceTypes.BROKER, '2', 0],
    ]);
    expect(resources[0].configEntries).toMatchObject([{ configName: 'broker.id', configValue: '3' }]);
    expect(resources[2].configEntries).toMatchObject([{ configName: 'broker.id', configValue: '2' }]);
    // Topic resources go to the broker Metadata names as controller (a KRaft broker names a random live one).
    const { controller } = await admin.describeCluster();
    expect(targets.sort()).toEqual([...new Set([2, 3, controller!])].sort().map((id) => `localhost:${9091 + id}`));
  });

  it('rejects with the first resource error, unwrapped; an unknown broker id with KafkaJSBrokerNotFound', async () => {
    const sim = createCluster();
    const admin = adminOf(sim);
    await expect(admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ghost' }] })).rejects.toMatchObject({
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
    await expect(admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '9' }] })).rejects.toMatchObject({
      name: 'KafkaJSBrokerNotFound',
      message: 'Broker 9 not found in the cached metadata',
    });
  });
});

describe('admin.alterConfigs', () => {
  it('replaces a topic config and answers per resource', async () => {
    const sim = createCluster({ brokers: 2, topics: ['orders'] });
    const admin = adminOf(sim);
    const answer = await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    expect(answer).toEqual({ resources: [{ errorCode: 0, errorMessage: null, resourceType: ConfigResourceTypes.TOPIC, resourceName: 'orders' }] });
    await sim.sleep(100);
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['cleanup.policy'] }] });
    expect(resources[0].configEntries[0]).toMatchObject({ configValue: 'compact', configSource: ConfigSource.TOPIC_CONFIG });
  });

  it('validateOnly changes nothing', async () => {
    const sim = createCluster({ topics: ['orders'] });
    const admin = adminOf(sim);
    await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    await sim.sleep(100);
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['cleanup.policy'] }] });
    expect(resources[0].configEntries[0].configValue).toBe('delete');
  });

  it('rejects with the broker error itself for a bad value or an unknown topic', async () => {
    const sim = createCluster({ topics: ['orders'] });
    const admin = adminOf(sim);
    await expect(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
    ).rejects.toMatchObject({ name: 'KafkaJSProtocolError', type: 'INVALID_CONFIG' });
    await expect(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ghost', configEntries: [{ name: 'retention.ms', value: '1' }] }] }),
    ).rejects.toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });
});
