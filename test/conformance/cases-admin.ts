/**
 * Conformance of the admin API's answers and errors (KafkaJS 2.2.4's `src/admin/index.js`): what each method
 * resolves to, field for field, and what it rejects with (class, `type`, `code`, `retriable`, message) for the
 * mistakes users make in tests. Written once, run on every backend (`conformance.test.ts` shares one backend
 * per file, so every name comes from `backend.unique`). Values that legitimately differ between clusters
 * (node ids, hosts, ports, member ids, cluster id) are checked by shape only.
 */
import { expect } from 'vitest';
import {
  ConfigResourceTypes,
  ConfigSource,
  KafkaJSAggregateError,
  KafkaJSBrokerNotFound,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSTopicMetadataNotLoaded,
} from '../../src/index.ts';
import type { Backend } from './backends.ts';
import { connectedAdmin, connectedProducer, createTopics, rejection, startReader, type ConformanceCase } from './cases.ts';

/** Admin calls that retry give up after one quick retry (KafkaJS's default retries for about 30 s). */
export const QUICK_RETRY = { retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } };

const byPartition = <T extends { partition: number }>(list: readonly T[]): T[] => [...list].sort((x, y) => x.partition - y.partition);

/** An admin whose methods give up after one quick retry. */
const quickAdmin = (b: Backend) => connectedAdmin(b, QUICK_RETRY);

export const ADMIN_CASES: readonly ConformanceCase[] = [
  {
    name: 'createTopics: validateOnly creates nothing (waiting for its leaders rejects with UNKNOWN_TOPIC_OR_PARTITION); a list mixing an existing and a new topic answers false and creates the new one; broker refusals are KafkaJSCreateTopicErrors in a KafkaJSAggregateError',
    async run(b) {
      const admin = await quickAdmin(b);
      const [topic, added] = [b.unique('validated'), b.unique('added')];

      const validateOnly = await rejection(admin.createTopics({ topics: [{ topic, numPartitions: 2 }], validateOnly: true }));
      expect(validateOnly).toBeInstanceOf(KafkaJSProtocolError);
      expect(validateOnly).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true });
      expect(await admin.listTopics()).not.toContain(topic);

      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }, { topic: added }] })).toBe(false);
      expect(await admin.listTopics()).toEqual(expect.arrayContaining([topic, added]));

      const duplicate = await rejection(admin.createTopics({ topics: [{ topic: b.unique('twice') }, { topic: 'twice-again' }, { topic: 'twice-again' }] }));
      expect(duplicate).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(duplicate).toMatchObject({ retriable: false, message: 'Invalid topics array, it cannot have multiple entries for the same topic' });

      const refused = async (topic: Parameters<typeof admin.createTopics>[0]['topics'][number]) => {
        const error = await rejection(admin.createTopics({ topics: [topic] }));
        expect(error).toBeInstanceOf(KafkaJSAggregateError);
        expect(error).toMatchObject({ name: 'KafkaJSAggregateError', message: 'Topic creation errors' });
        const { errors } = error as KafkaJSAggregateError;
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(KafkaJSCreateTopicError);
        expect(errors[0]).toMatchObject({ topic: topic.topic, retriable: false });
        return errors[0] as KafkaJSCreateTopicError;
      };
      expect(await refused({ topic: b.unique('too-replicated'), replicationFactor: 50 })).toMatchObject({
        type: 'INVALID_REPLICATION_FACTOR',
        code: 38,
        message: 'Replication-factor is invalid',
      });
      expect(await refused({ topic: b.unique('no-partitions'), numPartitions: 0 })).toMatchObject({ type: 'INVALID_PARTITIONS', code: 37 });
      expect(await refused({ topic: b.unique('bad-config'), configEntries: [{ name: 'cleanup.policy', value: 'sometimes' }] })).toMatchObject({
        type: 'INVALID_CONFIG',
        code: 40,
      });
      expect(await refused({ topic: 'x'.repeat(250) })).toMatchObject({ type: 'INVALID_TOPIC_EXCEPTION', code: 17 });
    },
  },
  {
    name: 'fetchTopicMetadata and describeCluster: without topics every topic is listed; partitions carry their replicas and ISR; describeCluster gives the brokers ({ nodeId, host, port }), the controller among them and a cluster id; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION',
    async run(b) {
      const topic = b.unique('described');
      await createTopics(b, [{ topic, numPartitions: 2, replicationFactor: 2 }]);
      const admin = await quickAdmin(b);
      const all = await admin.fetchTopicMetadata();
      expect(Object.keys(all)).toEqual(['topics']);
      expect(all.topics.map((t) => t.name)).toContain(topic);
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics).toHaveLength(1);
      expect(Object.keys(topics[0]).sort()).toEqual(['name', 'partitions']);
      for (const partition of topics[0].partitions) {
        expect(partition.replicas).toHaveLength(2);
        expect([...partition.isr].sort()).toEqual([...partition.replicas].sort());
      }

      const cluster = await admin.describeCluster();
      expect(Object.keys(cluster).sort()).toEqual(['brokers', 'clusterId', 'controller']);
      expect(cluster.brokers.length).toBeGreaterThanOrEqual(2);
      for (const broker of cluster.brokers) {
        expect(Object.keys(broker)).toEqual(['nodeId', 'host', 'port']);
        expect(broker).toEqual({ nodeId: expect.any(Number), host: expect.any(String), port: expect.any(Number) });
      }
      expect(cluster.brokers.map((broker) => broker.nodeId)).toContain(cluster.controller);
      expect(cluster.clusterId).toEqual(expect.stringMatching(/.+/));

      const unknown = await rejection(admin.fetchTopicMetadata({ topics: [b.unique('unknown')] }));
      expect(unknown).toBeInstanceOf(KafkaJSProtocolError);
      expect(unknown).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
      const invalid = await rejection(admin.fetchTopicMetadata({ topics: [''] }));
      expect(invalid).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(invalid.message).toBe('Invalid topic ');
    },
  },
  {
    name: 'fetchTopicOffsetsByTimestamp: per partition the first offset whose timestamp is at or after the one asked, the high watermark when there is none (no timestamp: the high watermark); an unknown topic exhausts the retries',
    async run(b) {
      const topic = b.unique('dated');
      await createTopics(b, [{ topic, numPartitions: 2 }]);
      const admin = await quickAdmin(b);
      expect(byPartition(await admin.fetchTopicOffsetsByTimestamp(topic, 0))).toEqual([
        { partition: 0, offset: '0' },
        { partition: 1, offset: '0' },
      ]);
      const producer = await connectedProducer(b);
      await producer.send({
        topic,
        messages: [
          { partition: 0, value: 'a', timestamp: '1000' },
          { partition: 0, value: 'b', timestamp: '2000' },
          { partition: 1, value: 'c', timestamp: '3000' },
        ],
      });
      const at = async (timestamp?: number) => byPartition(await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)).map((p) => p.offset);
      expect(await at(0)).toEqual(['0', '0']);
      expect(await at(1500)).toEqual(['1', '0']);
      expect(await at(2500)).toEqual(['2', '0']);
      expect(await at(9_000_000_000_000)).toEqual(['2', '1']);
      expect(await at()).toEqual(['2', '1']);

      const unknown = await rejection(admin.fetchTopicOffsetsByTimestamp(b.unique('unknown'), 0));
      expect(unknown).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
      expect(unknown).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, retryCount: 1 });
      expect(unknown.cause).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
      const invalid = await rejection(admin.fetchTopicOffsets(''));
      expect(invalid).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(invalid.message).toBe('Invalid topic ');
    },
  },
  {
    name: 'deleteTopicRecords moves the low watermark (offset -1: to the high one) and resolves undefined; past the high watermark it fails with OFFSET_OUT_OF_RANGE inside a KafkaJSDeleteTopicRecordsError; createPartitions resolves undefined and the new partitions start empty',
    async run(b) {
      const topic = b.unique('trimmed');
      await createTopics(b, [{ topic, numPartitions: 2 }]);
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }, { partition: 1, value: 'c' }] });
      const admin = await quickAdmin(b);
      // KafkaJS looks the leaders up in the metadata it has before loading any: a topic it never saw fails.
      const notLoaded = await rejection(admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] }));
      expect(notLoaded).toBeInstanceOf(KafkaJSTopicMetadataNotLoaded);
      expect(notLoaded).toMatchObject({ name: 'KafkaJSTopicMetadataNotLoaded', message: 'Topic metadata not loaded', retriable: true });
      await admin.fetchTopicOffsets(topic);

      expect(await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] })).toBeUndefined();
      expect(await admin.deleteTopicRecords({ topic, partitions: [{ partition: 1, offset: '-1' }] })).toBeUndefined();
      expect(byPartition(await admin.fetchTopicOffsets(topic))).toEqual([
        { partition: 0, offset: '2', high: '2', low: '1' },
        { partition: 1, offset: '1', high: '1', low: '1' },
      ]);

      const beyond = await rejection(admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '10' }] }));
      expect(beyond).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(beyond.message).toBe('Error while deleting records');
      expect(beyond.cause).toBeInstanceOf(KafkaJSDeleteTopicRecordsError);
      const [failed] = (beyond.cause as KafkaJSDeleteTopicRecordsError).partitions;
      expect(failed).toMatchObject({ partition: 0, offset: '10' });
      expect(failed.error).toBeInstanceOf(KafkaJSProtocolError);
      expect(failed.error).toMatchObject({ type: 'OFFSET_OUT_OF_RANGE', code: 1, retriable: false });

      const noLeader = await rejection(admin.deleteTopicRecords({ topic, partitions: [{ partition: 7, offset: '0' }] }));
      expect(noLeader).toBeInstanceOf(KafkaJSDeleteTopicRecordsError);
      expect((noLeader as KafkaJSDeleteTopicRecordsError).partitions[0].error).toBeInstanceOf(KafkaJSBrokerNotFound);
      expect((noLeader as KafkaJSDeleteTopicRecordsError).partitions[0]).toMatchObject({ partition: 7, offset: '0' });
      expect((await rejection(admin.deleteTopicRecords({ topic, partitions: [] }))).message).toBe('Invalid partitions');

      expect(await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] })).toBeUndefined();
      // KafkaJS's createPartitions does not wait for the brokers to learn the new partitions (Kafka's brokers
      // replay the controller's records on their own schedule), so the read-back waits until one answers with them.
      let offsets = await admin.fetchTopicOffsets(topic);
      for (let attempt = 0; offsets.length < 4 && attempt < 50; attempt++) {
        await b.sleep(20);
        offsets = await admin.fetchTopicOffsets(topic);
      }
      expect(byPartition(offsets).map((p) => [p.partition, p.low, p.high])).toEqual([
        [0, '1', '2'],
        [1, '1', '1'],
        [2, '0', '0'],
        [3, '0', '0'],
      ]);
      const sameCount = await rejection(admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] }));
      expect(sameCount).toBeInstanceOf(KafkaJSProtocolError);
      expect(sameCount).toMatchObject({ name: 'KafkaJSProtocolError', type: 'INVALID_PARTITIONS', code: 37, retriable: false });
      const unknown = await rejection(admin.createPartitions({ topicPartitions: [{ topic: b.unique('unknown'), count: 2 }] }));
      expect(unknown).toBeInstanceOf(KafkaJSProtocolError);
      expect(unknown).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    },
  },
  {
    name: 'describeConfigs: only the names asked for, each with configValue, readOnly, isDefault, configSource (TOPIC_CONFIG for overrides, DEFAULT_CONFIG otherwise), isSensitive and configSynonyms (filled with includeSynonyms); alterConfigs answers per resource and the next describe shows the change',
    async run(b) {
      const topic = b.unique('configured');
      await createTopics(b, [{ topic, configEntries: [{ name: 'retention.ms', value: '12345' }] }]);
      const admin = await quickAdmin(b);
      const resource = { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'cleanup.policy'] };
      const described = await admin.describeConfigs({ resources: [resource], includeSynonyms: false });
      expect(Object.keys(described)).toEqual(['resources']);
      expect(described.resources).toHaveLength(1);
      const [answer] = described.resources;
      expect(answer).toMatchObject({ errorCode: 0, errorMessage: null, resourceType: ConfigResourceTypes.TOPIC, resourceName: topic });
      const entries = [...answer.configEntries].sort((x, y) => x.configName.localeCompare(y.configName));
      expect(entries).toEqual([
        { configName: 'cleanup.policy', configValue: 'delete', readOnly: false, isDefault: true, configSource: ConfigSource.DEFAULT_CONFIG, isSensitive: false, configSynonyms: [] },
        { configName: 'retention.ms', configValue: '12345', readOnly: false, isDefault: false, configSource: ConfigSource.TOPIC_CONFIG, isSensitive: false, configSynonyms: [] },
      ]);

      const withSynonyms = await admin.describeConfigs({ resources: [resource], includeSynonyms: true });
      const retention = withSynonyms.resources[0].configEntries.find((e) => e.configName === 'retention.ms')!;
      expect(retention.configSynonyms[0]).toEqual({ configName: 'retention.ms', configValue: '12345', configSource: ConfigSource.TOPIC_CONFIG });
      const cleanup = withSynonyms.resources[0].configEntries.find((e) => e.configName === 'cleanup.policy')!;
      expect(cleanup.configSynonyms).toContainEqual({ configName: 'log.cleanup.policy', configValue: 'delete', configSource: ConfigSource.DEFAULT_CONFIG });

      const altered = await admin.alterConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '999' }] }],
      });
      expect(altered).toEqual({ resources: [{ errorCode: 0, errorMessage: null, resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }] });
      const after = await admin.describeConfigs({ resources: [{ ...resource, configNames: ['retention.ms'] }] });
      expect(after.resources[0].configEntries.map((e) => [e.configName, e.configValue])).toEqual([['retention.ms', '999']]);

      const unknown = await rejection(admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: b.unique('unknown') }] }));
      expect(unknown).toBeInstanceOf(KafkaJSProtocolError);
      expect(unknown).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    },
  },
  {
    name: 'groups: listGroups and describeGroups show a running group (an unknown one is Dead), fetchOffsets without topics gives every committed topic; deleteGroups refuses a running group (NON_EMPTY_GROUP) and an unknown one (GROUP_ID_NOT_FOUND) with KafkaJSDeleteGroupsError, and answers [{ groupId, errorCode: 0 }] for an empty one',
    async run(b) {
      const topic = b.unique('grouped');
      const groupId = b.unique('listed');
      const ghost = b.unique('ghost');
      await createTopics(b, [{ topic, numPartitions: 2 }]);
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }] });
      const reader = await startReader(b, topic, { groupId }, { fromBeginning: true, autoCommit: false });
      await b.waitFor(() => reader.deliveries.length >= 2, 'both messages');
      await reader.consumer.commitOffsets([
        { topic, partition: 0, offset: '1' },
        { topic, partition: 1, offset: '1' },
      ]);
      const admin = await quickAdmin(b);

      expect((await admin.listGroups()).groups).toContainEqual({ groupId, protocolType: 'consumer' });
      const { groups } = await admin.describeGroups([groupId, ghost]);
      expect(groups.map((g) => g.groupId).sort()).toEqual([groupId, ghost].sort());
      const running = groups.find((g) => g.groupId === groupId)!;
      expect(running).toMatchObject({ errorCode: 0, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      expect(running.members).toHaveLength(1);
      expect(Object.keys(running.members[0]).sort()).toEqual(['clientHost', 'clientId', 'memberAssignment', 'memberId', 'memberMetadata']);
      expect(running.members[0]).toMatchObject({ clientId: 'conformance', memberAssignment: expect.any(Buffer), memberMetadata: expect.any(Buffer) });
      expect(groups.find((g) => g.groupId === ghost)).toEqual({ errorCode: 0, groupId: ghost, state: 'Dead', protocolType: '', protocol: '', members: [] });

      const committed = await admin.fetchOffsets({ groupId });
      expect(committed.map((t) => ({ ...t, partitions: byPartition(t.partitions) }))).toEqual([
        {
          topic,
          partitions: [
            { partition: 0, offset: '1', metadata: null },
            { partition: 1, offset: '1', metadata: null },
          ],
        },
      ]);

      const nonEmpty = await rejection(admin.deleteGroups([groupId]));
      expect(nonEmpty).toBeInstanceOf(KafkaJSDeleteGroupsError);
      expect(nonEmpty).toMatchObject({ name: 'KafkaJSDeleteGroupsError', message: 'Error in DeleteGroups' });
      expect((nonEmpty as KafkaJSDeleteGroupsError).groups).toEqual([{ groupId, errorCode: 68, error: expect.any(KafkaJSProtocolError) }]);
      expect((nonEmpty as KafkaJSDeleteGroupsError).groups[0].error).toMatchObject({ type: 'NON_EMPTY_GROUP', retriable: false });

      await reader.consumer.disconnect();
      const [left] = (await admin.describeGroups([groupId])).groups;
      expect(left).toMatchObject({ state: 'Empty', protocolType: 'consumer', members: [] });
      expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }]);
      expect(await admin.deleteGroups([])).toEqual([]);
      const unknown = await rejection(admin.deleteGroups([groupId]));
      expect(unknown).toBeInstanceOf(KafkaJSDeleteGroupsError);
      expect((unknown as KafkaJSDeleteGroupsError).groups[0]).toMatchObject({ groupId, errorCode: 69 });
      expect((unknown as KafkaJSDeleteGroupsError).groups[0].error).toMatchObject({ type: 'GROUP_ID_NOT_FOUND', message: 'The group id was not found' });
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId);
    },
  },
  {
    name: 'resetOffsets commits -2 (earliest) or -1 (latest) for every partition; fetchOffsets with resolveOffsets turns them into the low or high watermark and commits that; setOffsets refuses a running group',
    async run(b) {
      const topic = b.unique('rewound');
      const [early, late, running] = [b.unique('early'), b.unique('late'), b.unique('running')];
      await createTopics(b, [{ topic, numPartitions: 2 }]);
      const producer = await connectedProducer(b);
      await producer.send({ topic, messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }, { partition: 1, value: 'c' }] });
      const admin = await quickAdmin(b);
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] });
      const reader = await startReader(b, topic, { groupId: running });
      await b.waitFor(() => reader.joins.length >= 1, 'the running group');
      const offsetsOf = async (groupId: string, resolveOffsets = false) =>
        byPartition((await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets }))[0].partitions).map((p) => p.offset);

      // KafkaJS's resetOffsets and resolveOffsets each run a consumer that waits out a fetch (5 s): run them side by side.
      const [, , refused] = await Promise.all([
        admin.resetOffsets({ groupId: early, topic, earliest: true }),
        admin.resetOffsets({ groupId: late, topic }),
        rejection(admin.setOffsets({ groupId: running, topic, partitions: [{ partition: 0, offset: '0' }] })),
      ]);
      expect(refused).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(refused.message).toBe('The consumer group must have no running instances, current state: Stable');
      expect(await offsetsOf(early)).toEqual(['-2', '-2']);
      expect(await offsetsOf(late)).toEqual(['-1', '-1']);
      const [resolvedEarly, resolvedLate] = await Promise.all([offsetsOf(early, true), offsetsOf(late, true)]);
      expect(resolvedEarly).toEqual(['1', '0']);
      expect(resolvedLate).toEqual(['2', '1']);
      expect(await offsetsOf(early)).toEqual(['1', '0']);
    },
  },
];
