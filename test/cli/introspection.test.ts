/**
 * The server's read-only introspection endpoint (src/server/introspection.ts), what `kafkasim dump-log`
 * reads: a partition replica's segments as the model holds them (Kafka's file names, base offsets, sizes,
 * counts), its batches and records, transaction markers, a follower's copy, the log start offset after
 * DeleteRecords; its errors; and how `startBrokerServer` binds it (a taken port fails, or is a warning when
 * optional).
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { logLevel } from '../../src/client/logger.ts';
import { checkServerOptions, createTcpKafka, startBrokerServer, type BrokerServer, type LogDump } from '../../src/server/index.ts';
import { onCleanup, startServer, waitFor } from './support.ts';

async function get(server: BrokerServer, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.introspection!.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.json() };
}

function kafkaFor(server: BrokerServer) {
  return createTcpKafka({ clientId: 'introspection-test', brokers: [...server.bootstrapServers], logLevel: logLevel.NOTHING });
}

async function produce(server: BrokerServer, topic: string, messages: Array<{ key: string; value: string; partition?: number }>, oneByOne = false): Promise<void> {
  const producer = kafkaFor(server).producer();
  await producer.connect();
  try {
    if (oneByOne) for (const message of messages) await producer.send({ topic, messages: [message] });
    else await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

const text = (base64: string | null): string | null => (base64 === null ? null : Buffer.from(base64, 'base64').toString());

describe('introspection endpoint', () => {
  it('/ names the service, the cluster and its brokers', async () => {
    const server = await startServer({ brokers: 2 });
    const { status, body } = await get(server, '/');
    expect(status).toBe(200);
    expect(body).toMatchObject({ service: 'kafkasim introspection (read-only)', clusterId: server.cluster.metadata.clusterId });
    expect(body.brokers.map((b: { id: number; status: string }) => [b.id, b.status])).toEqual([
      [1, 'running'],
      [2, 'running'],
    ]);
  });

  it("a partition's segments carry Kafka's file names, base offsets, sizes and counts, and every record", async () => {
    const server = await startServer();
    // Small segments: each batch of one record rolls a new one.
    server.cluster.createTopic('rolled', { partitions: 1, replicationFactor: 1, configs: { 'segment.bytes': 100 } });
    await produce(server, 'rolled', [0, 1, 2].map((i) => ({ key: `k${i}`, value: `value-${i}`, partition: 0 })), true);
    const { status, body } = await get(server, '/topics/rolled/partitions/0/log');
    expect(status).toBe(200);
    const dump = body as LogDump;
    expect(dump).toMatchObject({ topic: 'rolled', partition: 0, brokerId: 1, role: 'leader', leader: 1, logStartOffset: '0', logEndOffset: '3', highWatermark: '3' });
    const model = server.cluster.segments('rolled', 0);
    expect(dump.segments.map((s) => [s.fileName, s.baseOffset, s.sizeInBytes, s.recordCount, s.isActive])).toEqual(
      model.map((s) => [s.fileName, String(s.baseOffset), s.sizeInBytes, s.recordCount, s.isActive]),
    );
    expect(dump.segments[0].fileName).toBe('00000000000000000000.log');
    expect(dump.segments[1].fileName).toBe('00000000000000000001.log');
    const records = dump.segments.flatMap((s) => s.batches.flatMap((b) => b.records!));
    expect(records.map((r) => [r.offset, text(r.key), text(r.value), r.keySize, r.valueSize])).toEqual([
      ['0', 'k0', 'value-0', 2, 7],
      ['1', 'k1', 'value-1', 2, 7],
      ['2', 'k2', 'value-2', 2, 7],
    ]);
    for (const segment of dump.segments.filter((s) => s.batchCount > 0)) {
      expect(segment.batches.map((b) => b.position)).toEqual([0]);
      expect(segment.batches[0]).toMatchObject({ magic: 2, compression: 'none', isValid: true, isControl: false, count: 1, sizeInBytes: segment.sizeInBytes });
    }
    const bare = await get(server, '/topics/rolled/partitions/0/log?records=false');
    expect(bare.body.segments[0].batches[0].records).toBeUndefined();
  });

  it('a transaction shows its records with their sequences and the COMMIT marker', async () => {
    const server = await startServer({ brokerConfig: { 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1 } });
    server.cluster.createTopic('txn', { partitions: 1, replicationFactor: 1 });
    const producer = kafkaFor(server).producer({ transactionalId: 'tx-1', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    onCleanup(() => producer.disconnect());
    const transaction = await producer.transaction();
    await transaction.send({ topic: 'txn', messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] });
    await transaction.commit();
    await waitFor(() => server.cluster.partitionState('txn', 0).highWatermark === 3n, 'the marker to be written');
    const dump = (await get(server, '/topics/txn/partitions/0/log')).body as LogDump;
    const [data, marker] = dump.segments[0].batches;
    expect(data).toMatchObject({ isTransactional: true, isControl: false, count: 2, baseSequence: 0, lastSequence: 1 });
    expect(data.records!.map((r) => r.sequence)).toEqual([0, 1]);
    expect(marker).toMatchObject({ isTransactional: true, isControl: true, baseOffset: '2' });
    expect(marker.records![0].endTxnMarker).toEqual({ type: 'COMMIT', coordinatorEpoch: expect.any(Number) });
  });

  it("?broker= reads a follower's copy; a crashed broker's replica is not served", async () => {
    const server = await startServer({ brokers: 2 });
    server.cluster.createTopic('copied', { assignments: [[1, 2]] });
    await produce(server, 'copied', [{ key: 'k', value: 'v' }]);
    await waitFor(() => server.cluster.partitionState('copied', 0).replicaStates.every((r) => r.logEndOffset === 1n), 'the follower to catch up');
    const follower = (await get(server, '/topics/copied/partitions/0/log?broker=2')).body as LogDump;
    expect(follower).toMatchObject({ brokerId: 2, role: 'follower', leader: 1, logEndOffset: '1' });
    expect(text(follower.segments[0].batches[0].records![0].value)).toBe('v');
    server.cluster.crashBroker(2);
    const gone = await get(server, '/topics/copied/partitions/0/log?broker=2');
    expect(gone).toEqual({ status: 404, body: { error: 'broker 2 hosts no running replica of copied-0' } });
  });

  it('after DeleteRecords the batches start at the log start offset', async () => {
    const server = await startServer();
    server.cluster.createTopic('trimmed', { partitions: 1, replicationFactor: 1 });
    await produce(server, 'trimmed', [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}` })), true);
    const admin = kafkaFor(server).admin();
    await admin.connect();
    onCleanup(() => admin.disconnect());
    // As in KafkaJS, deleteTopicRecords finds leaders in metadata already loaded.
    await admin.fetchTopicMetadata({ topics: ['trimmed'] });
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '2' }] });
    const dump = (await get(server, '/topics/trimmed/partitions/0/log')).body as LogDump;
    expect(dump.logStartOffset).toBe('2');
    expect(dump.segments[0].batches.map((b) => b.baseOffset)).toEqual(['2']);
    expect(dump.segments[0].batches[0].position).toBeGreaterThan(0);
  });

  it.each([
    ['/topics/none/partitions/0/log', 404, 'no partition none-0'],
    ['/topics/t/partitions/x/log', 400, "partition must be a non-negative integer, got 'x'"],
    ['/topics/t/partitions/0/log?broker=me', 400, "broker must be a broker id, got 'me'"],
    ['/topics/t/partitions/0/log?records=maybe', 400, "records must be true or false, got 'maybe'"],
    ['/metrics', 404, 'no route /metrics'],
  ])('GET %s answers %i', async (path, status, error) => {
    const server = await startServer();
    server.cluster.createTopic('t', { partitions: 1, replicationFactor: 1 });
    expect(await get(server, path)).toEqual({ status, body: { error } });
  });

  it('anything but GET is refused: the endpoint is read-only', async () => {
    const server = await startServer();
    expect(await get(server, '/', { method: 'POST', body: '{}' })).toEqual({ status: 405, body: { error: 'POST is not served: this endpoint is read-only' } });
  });

  it('a taken port fails startBrokerServer, or is a warning when the endpoint is optional; bad ports are refused up front', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
    onCleanup(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const port = (squatter.address() as { port: number }).port;
    await expect(startBrokerServer({ port: 0, introspection: { port } })).rejects.toThrow(`the introspection endpoint cannot listen on 127.0.0.1:${port}: the port is already in use`);
    const warnings: string[] = [];
    const server = await startBrokerServer({ port: 0, introspection: { port, isOptional: true }, onWarning: (w) => warnings.push(w) });
    onCleanup(() => server.close());
    expect(server.introspection).toBeNull();
    expect(warnings).toEqual([`the introspection endpoint cannot listen on 127.0.0.1:${port}: the port is already in use; running without it`]);
    expect(checkServerOptions({ introspection: { port: 70000 } })).toBe('introspection port must be an integer from 0 to 65535, got 70000');
    expect(checkServerOptions({ port: 19092, brokers: 3, introspection: { port: 19094 } })).toBe("introspection port 19094 is one of the brokers' ports 19092..19094");
  });
});
