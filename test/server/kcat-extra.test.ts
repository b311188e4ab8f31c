/**
 * kcat (librdkafka) against the wire server beyond kcat.test.ts: an idempotent producer with headers, the
 * consumer's start offsets (`-o -N`, `-o N -c`, `-o end`), offset queries by time (`-Q`), a transactional
 * producer read back read_committed, and metadata for a topic that does not exist while auto-creation is off.
 * Each expectation is what librdkafka prints against a Kafka broker. Skipped with a notice without kcat.
 */
import { describe, expect, it } from 'vitest';
import { isInstalled, kafkaFor, onCleanup, runToEnd, startServer, waitFor } from './support.ts';

const HAS_KCAT = isInstalled('kcat', ['-V'], 'the extra kcat wire tests', "Install Debian's kcat (`apt-get install kcat`; .ci/run does it).");

function kcat(args: readonly string[], input?: string) {
  return runToEnd('kcat', args, { input, timeoutMs: 30_000 });
}

describe.skipIf(!HAS_KCAT)(`kcat offsets, queries, idempotence and transactions over TCP${HAS_KCAT ? '' : ' (skipped: kcat is not installed)'}`, () => {
  it('kcat: headers through an idempotent producer, -o -N / N / end, -Q by time, a transaction read_committed, -L of a missing topic', async () => {
    const server = await startServer({ brokers: 3, brokerConfig: { 'auto.create.topics.enable': false } });
    const b = server.bootstrapServers.join(',');
    const admin = kafkaFor(server).admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'tape', numPartitions: 1, replicationFactor: 3 },
        { topic: 'ledger', numPartitions: 1, replicationFactor: 3 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();

    // Record timestamps are the producer's clock; the query times bracket the produce.
    const beforeMs = Date.now() - 1000;
    const lines = Array.from({ length: 10 }, (_, i) => `k${i}:v${i}\n`).join('');
    await kcat(['-b', b, '-P', '-t', 'tape', '-p', '0', '-K:', '-H', 'origin=kcat', '-H', 'empty=', '-X', 'enable.idempotence=true', '-X', 'acks=all'], lines);
    expect(server.cluster.partitionState('tape', 0).highWatermark).toBe(10n);

    const tail = await kcat(['-b', b, '-C', '-t', 'tape', '-o', '-3', '-e', '-q', '-f', '%k %s %o %h\n']);
    expect(tail.stdoutLines()).toEqual(['k7 v7 7 origin=kcat,empty=', 'k8 v8 8 origin=kcat,empty=', 'k9 v9 9 origin=kcat,empty=']);
    const middle = await kcat(['-b', b, '-C', '-t', 'tape', '-o', '5', '-c', '2', '-q', '-f', '%o\n']);
    expect(middle.stdoutLines()).toEqual(['5', '6']);
    const end = await kcat(['-b', b, '-C', '-t', 'tape', '-o', 'end', '-e', '-f', '%o\n']);
    expect(end.stdoutLines()).toEqual([]);
    expect(end.stderr).toContain('Reached end of topic tape [0] at offset 10');

    // One query per run: librdkafka keeps one entry per partition, so a second -t of it would replace the first.
    const offsetAt = async (time: number) => (await kcat(['-b', b, '-Q', '-t', `tape:0:${time}`])).stdoutLines();
    // The first offset at or after a time; none after the last record (-1); earliest (-2) and latest (-1).
    expect(await offsetAt(beforeMs)).toEqual(['tape [0] offset 0']);
    expect(await offsetAt(Date.now() + 3_600_000)).toEqual(['tape [0] offset -1']);
    expect(await offsetAt(-2)).toEqual(['tape [0] offset 0']);
    expect(await offsetAt(-1)).toEqual(['tape [0] offset 10']);

    await kcat(['-b', b, '-P', '-t', 'ledger', '-X', 'transactional.id=kcat-ledger', '-X', 'acks=all'], 'one\ntwo\nthree\n');
    // Three records and the commit marker, which takes an offset but is never delivered; the coordinator writes
    // the marker just after answering EndTxn, in Kafka as here.
    await waitFor(() => server.cluster.partitionState('ledger', 0).highWatermark === 4n, 'the commit marker');
    const committed = await kcat(['-b', b, '-C', '-t', 'ledger', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s@%o\n']);
    expect(committed.stdoutLines()).toEqual(['one@0', 'two@1', 'three@2']);

    const missing = JSON.parse((await kcat(['-b', b, '-L', '-J', '-t', 'nowhere'])).stdout) as { topics: Array<{ topic: string; error?: string; partitions: unknown[] }> };
    expect(missing.topics).toEqual([{ topic: 'nowhere', error: 'Broker: Unknown topic or partition', partitions: [] }]);
    expect(server.cluster.metadata.topics.has('nowhere')).toBe(false);
  });
});
