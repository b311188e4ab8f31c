/**
 * kafka-python (Debian's python3-kafka, 2.0.2) against the wire server where Kafka refuses, reports or
 * positions: KafkaAdminClient's errors and group APIs (test/server/python/admin_errors.py), and the
 * producer's acks/gzip/headers/size limits with a manually assigned KafkaConsumer's offset APIs
 * (test/server/python/positions.py). Every expectation is what a Kafka 3.x/4.0 broker answers and the
 * exception class kafka-python raises for it. The two scripts run side by side on one server.
 *
 * Skipped with a notice without kafka-python for /usr/bin/python3 (see kafka-python.test.ts).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInstalled, kafkaFor, onCleanup, runToEnd, startServer, type ChildRun } from './support.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPTS = resolve(import.meta.dirname, 'python');
const HAS_KAFKA_PYTHON = isInstalled(
  PYTHON,
  ['-c', 'import kafka'],
  'the kafka-python admin and positions wire tests',
  "Install Debian's python3-kafka (`apt-get install python3-kafka`; .ci/run does it).",
);

type Events = Map<string, Record<string, unknown>>;

function python(name: string, args: readonly string[]): Promise<ChildRun> {
  return runToEnd(PYTHON, ['-B', resolve(SCRIPTS, name), ...args], { cwd: SCRIPTS, timeoutMs: 60_000 });
}

function eventsOf(run: ChildRun): Events {
  const events: Events = new Map();
  for (const line of run.stdoutLines()) {
    let parsed: { event: string };
    try {
      parsed = JSON.parse(line) as { event: string };
    } catch {
      throw new Error(`not a JSON event: ${line}\n${run.output()}`);
    }
    events.set(parsed.event, parsed);
  }
  if (!events.has('closed')) throw new Error(`the script did not finish\n${run.output()}`);
  return events;
}

const raised = (error: string, errno: number | null) => ({ ok: false, error, errno });
const returned = (value: unknown) => ({ ok: true, value });

describe.skipIf(!HAS_KAFKA_PYTHON)(`kafka-python admin and positions over TCP${HAS_KAFKA_PYTHON ? '' : ' (skipped: python3-kafka is not installed)'}`, () => {
  it('KafkaAdminClient errors and group APIs, producer acks/size limits and KafkaConsumer offset APIs get what a Kafka broker answers', async () => {
    const server = await startServer({
      brokers: 3,
      // Off, so a send to a missing topic times out as against such a Kafka, and a validate_only create leaves nothing.
      brokerConfig: { 'auto.create.topics.enable': false, 'group.initial.rebalance.delay.ms': 0 },
    });
    const bootstrap = server.bootstrapServers.join(',');
    const admin = kafkaFor(server).admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'py-positions', numPartitions: 1, replicationFactor: 3 },
        { topic: 'py-small', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'max.message.bytes', value: '10000' }] },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();

    const [adminRun, positionsRun] = await Promise.all([
      python('admin_errors.py', [bootstrap]),
      python('positions.py', [bootstrap, 'py-positions', 'py-small', 'py-missing']),
    ]);

    const a = eventsOf(adminRun);
    expect(a.get('create')).toMatchObject(returned([['py-admin', 0]]));
    expect(a.get('create_invalid_name')).toMatchObject(raised('InvalidTopicError', 17));
    expect(a.get('create_too_many_replicas')).toMatchObject(raised('InvalidReplicationFactorError', 38));
    expect(a.get('create_zero_partitions')).toMatchObject(raised('InvalidPartitionsError', 37));
    expect(a.get('create_unknown_config')).toMatchObject(raised('InvalidConfigurationError', 40));
    expect(a.get('create_validate_only')).toMatchObject(returned([['py-dry-run', 0]]));
    expect(a.get('create_partitions')).toMatchObject(returned([['py-admin', 0]]));
    expect(a.get('create_partitions_fewer')).toMatchObject(raised('InvalidPartitionsError', 37));
    expect(a.get('create_partitions_unknown')).toMatchObject(raised('UnknownTopicOrPartitionError', 3));
    // [value, config_source]: 1 is a topic override (DYNAMIC_TOPIC_CONFIG), 5 Kafka's default.
    expect(a.get('describe_configs')).toMatchObject(
      returned({ error_code: 0, name: 'py-admin', configs: { 'retention.ms': ['3600000', 1], 'cleanup.policy': ['delete', 5] } }),
    );
    expect(a.get('alter_configs')).toMatchObject(returned([[0, null]]));
    expect(a.get('describe_configs_altered')).toMatchObject(returned({ error_code: 0, configs: { 'retention.ms': ['7200000', 1] } }));
    // kafka-python returns AlterConfigs' per-resource errors rather than raising them.
    expect(a.get('alter_configs_unknown_name')).toMatchObject(returned([[40, 'Unknown topic config name: no.such.config']]));
    expect(a.get('describe_configs_unknown_topic')).toMatchObject(returned({ error_code: 3, name: 'py-nowhere', configs: {} }));

    expect(a.get('list_groups')).toMatchObject(returned([['py-active', 'consumer'], ['py-committed', '']]));
    expect(a.get('describe_groups')).toMatchObject(
      returned([
        // Offsets committed without joining: a group with no protocol type, as Kafka keeps it.
        { group: 'py-committed', state: 'Empty', protocol_type: '', protocol: '', members: [] },
        { group: 'py-active', state: 'Stable', protocol_type: 'consumer', protocol: 'range', members: [[['py-admin', [0, 1, 2, 3]]]] },
        // A group Kafka never heard of is described as Dead, without an error.
        { group: 'py-never', state: 'Dead', protocol_type: '', protocol: '', members: [] },
      ]),
    );
    expect(a.get('group_offsets')).toMatchObject(returned({ 'py-admin-0': [2, 'from-python'] }));
    expect(a.get('group_offsets_partitions')).toMatchObject(returned({ 'py-admin-0': 2, 'py-admin-1': -1 }));
    expect(a.get('delete_groups')).toMatchObject(
      returned([
        ['py-committed', 'NoError'],
        ['py-active', 'NonEmptyGroupError'],
        ['py-never', 'GroupIdNotFoundError'],
      ]),
    );
    expect(a.get('delete_groups_after_leave')).toMatchObject(returned([['py-active', 'NoError']]));
    expect(a.get('list_groups_after_delete')).toMatchObject(returned([]));
    expect(a.get('delete_topics_unknown')).toMatchObject(raised('UnknownTopicOrPartitionError', 3));
    expect(a.get('delete_topics')).toMatchObject(returned([['py-admin', 0]]));
    // py-admin is gone and the validate_only create left nothing; the other script's topics remain.
    expect(a.get('topics_left')).toMatchObject({ topics: ['py-positions', 'py-small'] });

    const p = eventsOf(positionsRun);
    // acks=0 gets no answer, so kafka-python reports offset -1; the records are written all the same.
    expect(p.get('sent')).toMatchObject({
      records: [0, 0, 0, 1, 1, 1, 'all', 'all', 'all'].map((acks, i) => ({ acks: String(acks), offset: acks === 0 ? -1 : i })),
    });
    expect(p.get('too_large')).toMatchObject({ outcome: { error: 'MessageSizeTooLargeError', errno: 10 } });
    expect(p.get('small_after')).toMatchObject({ offset: 0 });
    expect(p.get('missing_topic')).toMatchObject({ outcome: { error: 'KafkaTimeoutError' } });
    expect(p.get('offsets')).toMatchObject({ beginning: 0, end: 9 });
    expect(p.get('offsets_for_times')).toMatchObject({ offset: 4, timestamp: 4000, after_last: null, first: 0 });
    expect(p.get('committed_before')).toMatchObject({ offset: null });
    expect(p.get('position_after_seek')).toMatchObject({ offset: 4 });
    expect(p.get('records')).toMatchObject({
      position: 7,
      records: [4, 5, 6].map((offset) => ({
        offset,
        key: `key-${offset}`,
        value: `value-${offset}`,
        timestamp: offset * 1000,
        timestamp_type: 0,
        headers: [
          ['acks', offset < 6 ? '1' : 'all'],
          ['empty', ''],
        ],
      })),
    });
    expect(p.get('seek_to')).toMatchObject({ end: 9, beginning: 0 });
    expect(p.get('committed')).toMatchObject({ offset: 7 });
    expect(p.get('reset_latest')).toMatchObject({ position: 9 });
    expect(p.get('reset_none')).toMatchObject({ outcome: { error: 'OffsetOutOfRangeError', errno: 1 } });

    const topics = [...server.cluster.metadata.topics.keys()];
    expect(topics).not.toContain('py-dry-run');
    expect(topics).not.toContain('py-missing');
  });
});
