/**
 * kcat (librdkafka, Debian's kcat package) against the wire server over TCP: metadata (`-L`), keyed produce
 * (`-P -K:`) in every codec librdkafka offers, consume to the end (`-C -o beginning -e`), and a balanced
 * consumer group (`-G`) of two kcat processes splitting a topic's partitions. Without kcat the suite is
 * skipped with a notice; `.ci/run` installs it, so in CI it runs.
 *
 * kcat buffers stdout when it is not a terminal, so consumers run with `-u` (unbuffered) and print one
 * record per line with `-f`; group members are stopped with SIGTERM (kcat then leaves the group and exits 0).
 */
import { describe, expect, it } from 'vitest';
import { ChildRun, isInstalled, kafkaFor, onCleanup, runToEnd, startServer } from './support.ts';

const HAS_KCAT = isInstalled('kcat', ['-V'], 'the kcat wire tests', 'Install Debian\'s kcat (`apt-get install kcat`; .ci/run does it).');
const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': 0 };
/** key, value, partition, offset: one record per line. */
const RECORD_FORMAT = '%k\t%s\t%p\t%o\n';

interface KcatRecord {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  readonly offset: number;
}

function parseRecords(run: ChildRun): KcatRecord[] {
  return run.stdoutLines().map((line) => {
    const [key, value, partition, offset] = line.split('\t');
    return { key, value, partition: Number(partition), offset: Number(offset) };
  });
}

async function createTopics(server: Awaited<ReturnType<typeof startServer>>, topics: Array<{ topic: string; numPartitions: number; replicationFactor: number }>) {
  const admin = kafkaFor(server).admin();
  onCleanup(() => admin.disconnect());
  await admin.connect();
  await admin.createTopics({ topics, waitForLeaders: true });
  await admin.disconnect();
}

function kcat(args: readonly string[], input?: string): Promise<ChildRun> {
  return runToEnd('kcat', args, { input, timeoutMs: 30_000 });
}

/** The partitions of `topic` in each "assigned:" line kcat printed on a group rebalance, in order. */
function assignments(run: ChildRun, topic: string): number[][] {
  return [...run.stderr.matchAll(/rebalanced \(memberid [^)]*\): assigned: (.*)$/gm)].map(([, assigned]) =>
    [...assigned.matchAll(new RegExp(`${topic} \\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])).sort((a, b) => a - b),
  );
}

/** The partitions a member holds now: its last assignment, unless it has been revoked since. */
function currentAssignment(run: ChildRun, topic: string): number[] {
  const isRevoked = run.stderr.lastIndexOf('revoked:') > run.stderr.lastIndexOf('assigned:');
  return isRevoked ? [] : (assignments(run, topic).at(-1) ?? []);
}

describe.skipIf(!HAS_KCAT)(`kcat over TCP${HAS_KCAT ? '' : ' (skipped: kcat is not installed)'}`, () => {
  it('kcat -L lists every broker at its own listener, the topics and their partitions with leaders, replicas and ISR', async () => {
    const server = await startServer({ brokers: 3 });
    await createTopics(server, [
      { topic: 'orders', numPartitions: 6, replicationFactor: 3 },
      { topic: 'audit', numPartitions: 1, replicationFactor: 2 },
    ]);
    const bootstrap = server.bootstrapServers[1];
    const json = JSON.parse((await kcat(['-b', bootstrap, '-L', '-J'])).stdout) as {
      brokers: Array<{ id: number; name: string }>;
      controllerid: number;
      topics: Array<{ topic: string; error?: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
    };
    expect(json.brokers.map((b) => `${b.id}@${b.name}`).sort()).toEqual(server.addresses.map((a) => `${a.brokerId}@${a.host}:${a.port}`).sort());
    expect([1, 2, 3]).toContain(json.controllerid);
    const byName = new Map(json.topics.map((t) => [t.topic, t]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['orders', 'audit']));
    for (const [topic, partitions, replicas] of [['orders', 6, 3], ['audit', 1, 2]] as const) {
      const described = byName.get(topic)!;
      expect(described.error).toBeUndefined();
      expect(described.partitions.map((p) => p.partition).sort()).toEqual([...Array(partitions).keys()]);
      for (const p of described.partitions) {
        expect(p.replicas).toHaveLength(replicas);
        expect(p.isrs.map((r) => r.id).sort()).toEqual(p.replicas.map((r) => r.id).sort());
        expect(p.replicas.map((r) => r.id)).toContain(p.leader);
        expect(p.leader).toBe(server.cluster.partitionState(topic, p.partition).leader);
      }
    }
    const text = (await kcat(['-b', bootstrap, '-L', '-t', 'orders'])).stdout;
    expect(text).toContain(' 3 brokers:');
    expect(text).toContain('topic "orders" with 6 partitions:');
  });

  it('kcat -P -K: produces keyed messages in every codec, and kcat -C -o beginning -e reads them all back, in order per key', async () => {
    const server = await startServer({ brokers: 3 });
    await createTopics(server, [{ topic: 'keyed', numPartitions: 3, replicationFactor: 3 }]);
    const bootstrap = server.bootstrapServers.join(',');
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    for (const codec of codecs) {
      const lines = Array.from({ length: 12 }, (_, i) => `user-${i % 4}:${codec}-${i}\n`).join('');
      await kcat(['-b', bootstrap, '-P', '-t', 'keyed', '-K:', '-z', codec, '-X', 'acks=all'], lines);
    }
    const records = parseRecords(await kcat(['-b', bootstrap, '-C', '-t', 'keyed', '-o', 'beginning', '-e', '-q', '-f', RECORD_FORMAT]));
    expect(records).toHaveLength(12 * codecs.length);
    for (const codec of codecs) {
      const values = records.filter((r) => r.value.startsWith(`${codec}-`)).map((r) => Number(r.value.split('-')[1]));
      expect(values.sort((a, b) => a - b), codec).toEqual([...Array(12).keys()]);
    }
    for (const record of records) expect(record.key).toBe(`user-${Number(record.value.split('-')[1]) % 4}`);
    for (let user = 0; user < 4; user++) {
      // One key, one partition (librdkafka's consistent_random partitioner), in the order it was produced.
      const ofUser = records.filter((r) => r.key === `user-${user}`);
      expect(new Set(ofUser.map((r) => r.partition)).size).toBe(1);
      const order = ofUser.sort((a, b) => a.offset - b.offset).map((r) => r.value);
      expect(order).toEqual(codecs.flatMap((codec) => [user, user + 4, user + 8].map((i) => `${codec}-${i}`)));
    }
    for (const partition of [0, 1, 2]) {
      const offsets = records.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual([...Array(offsets.length).keys()]);
      expect(server.cluster.partitionState('keyed', partition).highWatermark).toBe(BigInt(offsets.length));
    }
  });

  it('kcat -G: two balanced consumers of one group split the partitions and together read every message once', async () => {
    const server = await startServer({ brokers: 3, brokerConfig: FAST_GROUPS });
    await createTopics(server, [{ topic: 'shared', numPartitions: 4, replicationFactor: 3 }]);
    const bootstrap = server.bootstrapServers.join(',');
    const member = () => new ChildRun('kcat', ['-b', bootstrap, '-G', 'kcat-group', '-X', 'auto.offset.reset=earliest', '-u', '-f', RECORD_FORMAT, 'shared']);
    const first = member();
    await first.waitUntil(() => currentAssignment(first, 'shared').length === 4, 'all 4 partitions assigned to the only member', 30_000);
    const second = member();
    const split = () => {
      const [a, b] = [currentAssignment(first, 'shared'), currentAssignment(second, 'shared')];
      return a.length > 0 && b.length > 0 && [...a, ...b].sort().join() === '0,1,2,3';
    };
    await first.waitUntil(split, 'a rebalance splitting the 4 partitions between both members', 30_000);
    const lines = Array.from({ length: 40 }, (_, i) => `key-${i}:message-${i}\n`).join('');
    await kcat(['-b', bootstrap, '-P', '-t', 'shared', '-K:'], lines);

    await first.waitUntil(() => first.stdoutLines().length + second.stdoutLines().length >= 40, 'both members to read 40 messages together', 30_000);
    for (const run of [first, second]) run.kill('SIGTERM');
    for (const run of [first, second]) expect(await run.waitExit(15_000), run.output()).toEqual({ code: 0, signal: null });

    const [fromFirst, fromSecond] = [parseRecords(first), parseRecords(second)];
    expect([...fromFirst, ...fromSecond].map((r) => r.value).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `message-${i}`).sort());
    for (const [records, run] of [[fromFirst, first], [fromSecond, second]] as const) {
      expect(records.length, 'each member read its own share').toBeGreaterThan(0);
      // Its last assignment is the split one (on SIGTERM kcat only revokes it, then leaves).
      const owned = assignments(run, 'shared').at(-1);
      for (const record of records) expect(owned).toContain(record.partition);
    }
  });
});
