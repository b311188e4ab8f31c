/**
 * kafka-python (Debian's python3-kafka, 2.0.2) against the wire server over TCP: its admin client, its
 * producer's three ways to send, a KafkaConsumer in a group, and the duplicates story: a consumer killed
 * before its auto-commit timer fires has its messages redelivered to the next member of the group, while
 * one that closes cleanly (close() commits) does not.
 *
 * The Python side lives in test/server/python/ (one JSON event per stdout line). Debian installs kafka-python
 * for the system interpreter, so the scripts always run under /usr/bin/python3, never the `python3` first on
 * PATH. Without the module the suite is skipped with a notice; `.ci/run` installs it, so in CI it runs.
 *
 * kafka-python guesses the broker's release from the ApiVersions answer; without DescribeAcls (its marker for
 * 2.5) it settles on 2.4.0 and picks its request versions from that, so no explicit `api_version` is needed.
 * It then sends old versions (Produce v7, Fetch v4, Metadata v1 and v5, JoinGroup v2, OffsetCommit v2,
 * OffsetFetch v1), which kafkasim still serves (docs/reference/supported-apis.md).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChildRun, isInstalled, kafkaFor, kafkajs, onCleanup, runToEnd, startServer } from './support.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPTS = resolve(import.meta.dirname, 'python');
const HAS_KAFKA_PYTHON = isInstalled(
  PYTHON,
  ['-c', 'import kafka'],
  'the kafka-python wire tests',
  "Install Debian's python3-kafka (`apt-get install python3-kafka`; .ci/run does it).",
);
/** Groups join at once; sessions may be as short as 1 s so a killed member leaves the group quickly. */
const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000 };
/** kafka-python's default auto_commit_interval_ms, which the consumers keep. */
const AUTO_COMMIT_INTERVAL_MS = 5000;

interface PythonEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

interface ConsumedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: { way?: string; i?: number; marker?: boolean };
}

/** The interpreter's arguments for a script of test/server/python (`-B`: no __pycache__ left in the tree). */
function scriptArgs(name: string, args: ReadonlyArray<string | number>): string[] {
  return ['-B', resolve(SCRIPTS, name), ...args.map(String)];
}

function eventsOf(run: ChildRun): PythonEvent[] {
  return run.stdoutLines().map((line) => {
    try {
      return JSON.parse(line) as PythonEvent;
    } catch {
      throw new Error(`not a JSON event: ${line}\n${run.output()}`);
    }
  });
}

function eventOf(run: ChildRun, name: string): PythonEvent {
  const found = eventsOf(run).find((e) => e.event === name);
  if (found === undefined) throw new Error(`no '${name}' event\n${run.output()}`);
  return found;
}

function recordsOf(run: ChildRun): ConsumedRecord[] {
  return eventsOf(run)
    .filter((e) => e.event === 'record')
    .map((e) => e as unknown as ConsumedRecord);
}

function python(name: string, args: ReadonlyArray<string | number>, timeoutMs = 40_000): Promise<ChildRun> {
  return runToEnd(PYTHON, scriptArgs(name, args), { cwd: SCRIPTS, timeoutMs });
}

async function createTopic(server: Awaited<ReturnType<typeof startServer>>, topic: string, numPartitions: number, replicationFactor: number) {
  const admin = kafkaFor(server).admin();
  onCleanup(() => admin.disconnect());
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor }], waitForLeaders: true });
  return admin;
}

async function produceJson(server: Awaited<ReturnType<typeof startServer>>, topic: string, values: object[]): Promise<void> {
  const producer = kafkaFor(server).producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  onCleanup(() => producer.disconnect());
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value: JSON.stringify(value) })) });
  await producer.disconnect();
}

describe.skipIf(!HAS_KAFKA_PYTHON)(`kafka-python over TCP${HAS_KAFKA_PYTHON ? '' : ' (skipped: python3-kafka is not installed)'}`, () => {
  it('KafkaAdminClient: create_topics, TopicAlreadyExistsError on a second create, list_topics and describe_topics', async () => {
    const server = await startServer({ brokers: 3 });
    const run = await python('admin.py', [server.bootstrapServers.join(','), 'py-orders', 3, 3]);
    const version = eventOf(run, 'api_version').value as number[];
    expect(version[0], `kafka-python guessed the broker release ${version.join('.')}`).toBeGreaterThanOrEqual(2);
    expect(eventOf(run, 'created').topics).toEqual([['py-orders', 0]]);
    expect(eventOf(run, 'create_again_failed')).toMatchObject({ error: 'TopicAlreadyExistsError', errno: 36 });
    expect(eventOf(run, 'listed').topics).toContain('py-orders');
    expect(eventOf(run, 'described').topics).toEqual([{ topic: 'py-orders', error_code: 0, partitions: [0, 1, 2], replicas: [3, 3, 3] }]);
    expect(server.cluster.partitionState('py-orders', 2).highWatermark).toBe(0n);
  });

  it('producer: JSON values sent fire-and-forget + flush(), with future.get(timeout=10) and with add_callback all reach a KafkaConsumer of a group', async () => {
    const server = await startServer({ brokers: 3, brokerConfig: FAST_GROUPS });
    const bootstrap = server.bootstrapServers.join(',');
    await createTopic(server, 'py-events', 3, 3);
    const perWay = 10;
    const producer = await python('producer.py', [bootstrap, 'py-events', perWay]);
    expect(eventOf(producer, 'flushed')).toMatchObject({ way: 'fire-and-forget', count: perWay });
    const synchronous = eventsOf(producer).filter((e) => e.event === 'sent') as unknown as Array<{ i: number; topic: string; partition: number; offset: number }>;
    expect(synchronous.map((s) => s.i)).toEqual([...Array(perWay).keys()]);
    const callbacks = eventOf(producer, 'callbacks') as unknown as { acknowledged: Array<{ i: number; partition: number; offset: number }>; failed: unknown[] };
    expect(callbacks.failed).toEqual([]);
    expect(callbacks.acknowledged.map((a) => a.i).sort((a, b) => a - b)).toEqual([...Array(perWay).keys()]);

    const consumer = await python('consumer.py', [bootstrap, 'py-events', 'py-readers', 3 * perWay, 'close']);
    const records = recordsOf(consumer);
    expect(records).toHaveLength(3 * perWay);
    for (const way of ['fire-and-forget', 'sync', 'callback']) {
      expect(records.filter((r) => r.value.way === way).map((r) => r.value.i).sort((a, b) => a! - b!), way).toEqual([...Array(perWay).keys()]);
    }
    // The partition and offset a send reported are where the consumer found that very record.
    const at = (partition: number, offset: number) => records.find((r) => r.partition === partition && r.offset === offset)?.value;
    for (const sent of synchronous) expect(at(sent.partition, sent.offset)).toEqual({ way: 'sync', i: sent.i });
    for (const acknowledged of callbacks.acknowledged) expect(at(acknowledged.partition, acknowledged.offset)).toEqual({ way: 'callback', i: acknowledged.i });
    // Same key, same partition (kafka-python's murmur2 partitioner, as Java's).
    for (const key of ['sync-0', 'sync-1']) expect(new Set(records.filter((r) => r.key === key).map((r) => r.partition)).size).toBe(1);
    // Offsets are contiguous from 0 in each partition and end at its high watermark.
    for (const partition of [0, 1, 2]) {
      const offsets = records.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual([...Array(offsets.length).keys()]);
      expect(server.cluster.partitionState('py-events', partition).highWatermark).toBe(BigInt(offsets.length));
    }
    expect(eventOf(consumer, 'closed')).toBeDefined();
  });

  it(`group: a consumer SIGKILLed before its auto-commit fires has its messages redelivered to the next consumer (1 partition, auto_commit_interval_ms ${AUTO_COMMIT_INTERVAL_MS})`, async () => {
    const server = await startServer({ brokerConfig: FAST_GROUPS });
    const bootstrap = server.bootstrapServers.join(',');
    const admin = await createTopic(server, 'py-story', 1, 1);
    await produceJson(server, 'py-story', [...Array(5).keys()].map((i) => ({ way: 'story', i })));

    const doomed = new ChildRun(PYTHON, scriptArgs('consumer.py', [bootstrap, 'py-story', 'py-story-group', 5, 'keep-polling', '--session-timeout-ms', 2000]), {
      cwd: SCRIPTS,
    });
    await doomed.waitUntil(() => eventsOf(doomed).some((e) => e.event === 'processed'), 'processing 5 records', 30_000);
    doomed.kill('SIGKILL');
    expect(await doomed.waitExit(5_000)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(eventOf(doomed, 'api_version').auto_commit_interval_ms).toBe(AUTO_COMMIT_INTERVAL_MS);
    expect(recordsOf(doomed).map((r) => r.value.i)).toEqual([0, 1, 2, 3, 4]);
    // The story needs the kill to land inside the first interval after the assignment (the timer restarts there).
    const sinceAssignmentMs = eventOf(doomed, 'processed').since_assignment_ms as number;
    expect(sinceAssignmentMs, 'processing took longer than the auto-commit interval; the timer may have fired').toBeLessThan(AUTO_COMMIT_INTERVAL_MS - 1000);
    const [committed] = (await admin.fetchOffsets({ groupId: 'py-story-group', topics: ['py-story'] }))[0].partitions;
    expect(committed.offset, 'nothing was committed before the kill').toBe('-1');

    await produceJson(server, 'py-story', [{ marker: true }]);
    // The next member waits for the dead one's session (2 s) to expire, then starts again from 'earliest'.
    const next = await python('consumer.py', [bootstrap, 'py-story', 'py-story-group', 0, 'until-marker']);
    expect(recordsOf(next).map((r) => r.value)).toEqual([...[0, 1, 2, 3, 4].map((i) => ({ way: 'story', i })), { marker: true }]);
  });

  it('group: a consumer that closes cleanly commits in close(), so the next consumer of the group gets no duplicates', async () => {
    const server = await startServer({ brokerConfig: FAST_GROUPS });
    const bootstrap = server.bootstrapServers.join(',');
    const admin = await createTopic(server, 'py-story', 1, 1);
    await produceJson(server, 'py-story', [...Array(5).keys()].map((i) => ({ way: 'story', i })));

    const polite = await python('consumer.py', [bootstrap, 'py-story', 'py-story-group', 5, 'close', '--session-timeout-ms', '2000']);
    expect(recordsOf(polite).map((r) => r.value.i)).toEqual([0, 1, 2, 3, 4]);
    expect(eventOf(polite, 'closed')).toBeDefined();
    const [committed] = (await admin.fetchOffsets({ groupId: 'py-story-group', topics: ['py-story'] }))[0].partitions;
    expect(committed.offset, 'close() committed the position').toBe('5');

    await produceJson(server, 'py-story', [{ marker: true }]);
    const next = await python('consumer.py', [bootstrap, 'py-story', 'py-story-group', 0, 'until-marker']);
    expect(recordsOf(next).map((r) => r.value)).toEqual([{ marker: true }]);
  });
});
