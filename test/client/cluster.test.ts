import { describe, expect, it } from 'vitest';
import { createCluster } from '../../src/index.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { InstrumentationEmitter } from '../../src/client/instrumentation.ts';
import { createLogger, logLevel } from '../../src/client/logger.ts';
import { ClientProcess } from '../../src/client/process.ts';

function clientCluster(sim: ReturnType<typeof createCluster>, overrides: Partial<ConstructorParameters<typeof Cluster>[0]> = {}) {
  const env = sim.clientEnvironment;
  const process = new ClientProcess(env.runtime, env.transport, 'test-client');
  const cluster = new Cluster({
    process,
    logger: createLogger({ level: logLevel.NOTHING, now: () => env.runtime.now() }),
    brokers: sim.bootstrapBrokers,
    clientId: 'test',
    connectionTimeout: 1000,
    requestTimeout: 30000,
    enforceRequestTimeout: true,
    metadataMaxAge: 300000,
    retry: {},
    allowAutoTopicCreation: true,
    maxInFlightRequests: null,
    isolationLevel: 1,
    instrumentation: new InstrumentationEmitter(() => env.runtime.now(), env.runtime),
    offsets: new Map(),
    ...overrides,
  });
  return { cluster, process };
}

describe('client cluster view', () => {
  it('connects through the seed broker, learns every broker and auto-creates target topics', async () => {
    const sim = createCluster({ brokers: 3, brokerConfig: { 'num.partitions': 4 } });
    const { cluster, process } = clientCluster(sim);
    await process.track(cluster.connect());
    // A KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION while the controller creates the topic; KafkaJS's
    // metadata refresh does not retry that (its callers' retriers do), and forgets the target topic.
    await expect(process.track(cluster.addTargetTopic('orders'))).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(cluster.targetTopics.has('orders')).toBe(false);
    await sim.sleep(100);
    await process.track(cluster.addTargetTopic('orders'));
    expect(cluster.getNodeIds().sort()).toEqual([1, 2, 3]);
    const partitions = cluster.findTopicPartitionMetadata('orders');
    expect(partitions.map((p) => p.partitionId)).toEqual([0, 1, 2, 3]);
    const leaders = cluster.findLeaderForPartitions('orders', [0, 1, 2, 3]);
    expect(Object.values(leaders).flat().sort()).toEqual([0, 1, 2, 3]);
    const offsets = await process.track(cluster.fetchTopicsOffset([{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 3 }], fromBeginning: true }]));
    expect(offsets).toEqual([{ topic: 'orders', partitions: [{ partition: 0, offset: '0' }, { partition: 3, offset: '0' }] }]);
  });

  it('rotates the seed broker past addresses nobody listens at', async () => {
    const sim = createCluster();
    const { cluster, process } = clientCluster(sim, { brokers: ['localhost:9999', ...sim.bootstrapBrokers] });
    await process.track(cluster.connect());
    expect(cluster.isConnected()).toBe(true);
  });

  // Found by the simulation (idempotent-retries, seed 332936397): the refresh looked for a live broker through
  // the refreshing findBroker, met the crashed one and waited on its own shared promise forever.
  it.each([1, 2, 3, 4, 5])('a metadata refresh that meets crashed brokers moves on to a live one (seed %i)', async (seed) => {
    const sim = createCluster({ brokers: 3, seed });
    const { cluster, process } = clientCluster(sim);
    await process.track(cluster.connect());
    await process.track(cluster.refreshMetadata());
    expect(cluster.getNodeIds().sort()).toEqual([1, 2, 3]);
    sim.crashBroker(1);
    sim.crashBroker(2);
    await sim.sleep(10);
    let refreshed = false;
    void process.track(cluster.refreshMetadata()).then(() => (refreshed = true));
    await sim.runUntil(() => refreshed, { maxMs: 60_000 });
    expect(cluster.isConnected()).toBe(true);
  });

  it('a killed process never settles what it handed out', async () => {
    const sim = createCluster();
    const { cluster, process } = clientCluster(sim);
    let settled = false;
    const pending = process.track(cluster.connect()).then(() => (settled = true), () => (settled = true));
    process.kill();
    await sim.sleep(10_000);
    expect(settled).toBe(false);
    void pending;
  });
});

describe('broker list validation, as KafkaJS', () => {
  const theirs = async (brokers: unknown) => {
    const { Kafka: TheirKafka } = (await import('kafkajs')) as unknown as { Kafka: new (c: unknown) => { admin(): { connect(): Promise<void> } } };
    return new TheirKafka({ brokers, logLevel: 0 }).admin().connect();
  };
  const ours = async (brokers: unknown) => {
    const { Kafka } = await import('../../src/index.ts');
    return new Kafka({ brokers: brokers as string[], logLevel: 0 }).admin().connect();
  };
  for (const [label, brokers] of [
    ['an empty list', []],
    ['a non-string entry', ['localhost:9092', 42]],
    ['an empty string entry', ['']],
    ['null', null],
    ['a function that throws', () => {
      throw new Error('no brokers today');
    }],
  ] as Array<[string, unknown]>) {
    it(`rejects ${label} with KafkaJS's error class and message`, async () => {
      const expected = await theirs(brokers).then(() => null, (e: Error) => e);
      const actual = await ours(brokers).then(() => null, (e: Error) => e);
      expect(expected).not.toBeNull();
      expect({ name: actual?.name, message: actual?.message }).toEqual({ name: expected!.name, message: expected!.message });
    });
  }
});
