/**
 * The client commands run in process (`main(argv, io)` with a fake `CliIo`) against `startBrokerServer`
 * on ephemeral loopback ports: what each prints and its exit code, for topics, console-producer,
 * console-consumer, consumer-groups and dump-log, and the one-line failures for unreachable brokers and
 * missing things. The same commands as child processes are in seed-flow.test.ts.
 */
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { logLevel } from '../../src/client/logger.ts';
import { createTcpKafka, type BrokerServer } from '../../src/server/index.ts';
import { bootstrapOf, fakeIo, introspectionOf, onCleanup, startServer, type FakeIo } from './support.ts';

async function run(args: string[], lines: string[] = []): Promise<{ code: number; out: string; err: string; io: FakeIo }> {
  const io = fakeIo(lines);
  const code = await main(args, io);
  return { code, out: io.out, err: io.err, io };
}

function admin(server: BrokerServer) {
  const client = createTcpKafka({ clientId: 'commands-test', brokers: [...server.bootstrapServers], logLevel: logLevel.NOTHING }).admin();
  onCleanup(() => client.disconnect());
  return client;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('kafkasim topics', () => {
  it('creates, lists, describes, alters and deletes, printing what kafka-topics.sh prints', async () => {
    const server = await startServer({ brokers: 2 });
    const b = ['--bootstrap-server', bootstrapOf(server)];
    expect(await run(['topics', ...b, '--create', '--topic', 'orders', '--partitions', '2', '--replication-factor', '2', '--config', 'retention.ms=60000'])).toMatchObject({
      code: 0,
      out: 'Created topic orders.\n',
      err: '',
    });
    await run(['topics', ...b, '--create', '--topic', 'audit', '--partitions', '1', '--replication-factor', '1']);
    expect(await run(['topics', ...b, '--list'])).toMatchObject({ code: 0, out: 'audit\norders\n' });
    const described = await run(['topics', ...b, '--describe', '--topic', 'orders']);
    expect(described.code).toBe(0);
    const lines = described.out.trimEnd().split('\n');
    expect(lines[0]).toBe('Topic: orders\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: retention.ms=60000');
    expect(lines.slice(1)).toHaveLength(2);
    for (const [i, line] of lines.slice(1).entries()) {
      const state = server.cluster.partitionState('orders', i);
      expect(line).toBe(`\tTopic: orders\tPartition: ${i}\tLeader: ${state.leader}\tReplicas: ${state.replicas.join(',')}\tIsr: ${state.isr.join(',')}`);
    }
    expect(await run(['topics', ...b, '--alter', '--topic', 'audit', '--partitions', '3'])).toMatchObject({ code: 0, out: '' });
    expect((await run(['topics', ...b, '--describe', '--topic', 'audit'])).out).toMatch(/^Topic: audit\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: \n(\tTopic: audit\tPartition: \d\tLeader: \d\tReplicas: \d\tIsr: \d\n){3}$/);
    const all = await run(['topics', ...b, '--describe']);
    expect(all.out.split('\n').filter((line) => line.startsWith('Topic: ')).map((line) => line.split('\t')[0])).toEqual(['Topic: audit', 'Topic: orders']);
    expect(await run(['topics', ...b, '--delete', '--topic', 'audit'])).toMatchObject({ code: 0, out: '', err: '' });
    expect((await run(['topics', ...b, '--list'])).out).toBe('orders\n');
  });

  it('says so in one line, exit 1, when a topic exists already or does not exist; --if-(not-)exists make that fine', async () => {
    const server = await startServer();
    const b = ['--bootstrap-server', bootstrapOf(server)];
    await run(['topics', ...b, '--create', '--topic', 't']);
    expect(await run(['topics', ...b, '--create', '--topic', 't'])).toMatchObject({ code: 1, out: '', err: "kafkasim topics: Topic 't' already exists.\n" });
    expect(await run(['topics', ...b, '--create', '--topic', 't', '--if-not-exists'])).toMatchObject({ code: 0, out: '', err: '' });
    expect(await run(['topics', ...b, '--describe', '--topic', 'nope'])).toMatchObject({ code: 1, err: "kafkasim topics: Topic 'nope' does not exist as expected\n" });
    expect(await run(['topics', ...b, '--delete', '--topic', 'nope,t2'])).toMatchObject({ code: 1, err: "kafkasim topics: Topics 'nope', 't2' do not exist as expected\n" });
    expect(await run(['topics', ...b, '--delete', '--topic', 'nope', '--if-exists'])).toMatchObject({ code: 0, err: '' });
    expect(await run(['topics', ...b, '--alter', '--topic', 'nope', '--partitions', '2'])).toMatchObject({ code: 1, err: "kafkasim topics: Topic 'nope' does not exist as expected\n" });
    const invalid = await run(['topics', ...b, '--create', '--topic', 'bad', '--config', 'retention.ms=soon']);
    expect(invalid.code).toBe(1);
    // KafkaJS's CreateTopics error keeps the code's message, not the broker's errorMessage (which names the config).
    expect(invalid.err).toBe('kafkasim topics: Topic creation errors: Configuration is invalid\n');
    const shrink = await run(['topics', ...b, '--alter', '--topic', 't', '--partitions', '1']);
    expect(shrink.code).toBe(1);
    expect(shrink.err.split('\n')).toHaveLength(2);
  });

  it('--exclude-internal leaves out __consumer_offsets, which --list otherwise shows as Kafka does', async () => {
    const server = await startServer();
    const b = ['--bootstrap-server', bootstrapOf(server)];
    await run(['topics', ...b, '--create', '--topic', 't']);
    await admin(server).fetchOffsets({ groupId: 'makes-the-offsets-topic' });
    expect((await run(['topics', ...b, '--list'])).out).toBe('__consumer_offsets\nt\n');
    expect((await run(['topics', ...b, '--list', '--exclude-internal'])).out).toBe('t\n');
    expect(await run(['topics', ...b, '--delete', '--topic', '__consumer_offsets'])).toMatchObject({
      code: 1,
      err: "kafkasim topics: Topic '__consumer_offsets' is a kafka internal topic and is not allowed to be marked for deletion.\n",
    });
  });
});

describe('kafkasim console-producer and console-consumer', () => {
  it('lines with keys go in, come out in order with their keys, and the group commits exactly what was printed', async () => {
    const server = await startServer();
    const b = ['--bootstrap-server', bootstrapOf(server)];
    await run(['topics', ...b, '--create', '--topic', 'lines', '--partitions', '1']);
    expect(await run(['console-producer', ...b, '--topic', 'lines', '--property', 'parse.key=true', '--property', 'key.separator=:'], ['a:1', 'b:2', 'c:3:with colon'])).toMatchObject({
      code: 0,
      out: '',
      err: '',
    });
    const firstTwo = await run(['console-consumer', ...b, '--topic', 'lines', '--from-beginning', '--group', 'g', '--max-messages', '2', '--property', 'print.key=true']);
    expect(firstTwo).toMatchObject({ code: 0, out: 'a\t1\nb\t2\n', err: 'Processed a total of 2 messages\n' });
    expect(await admin(server).fetchOffsets({ groupId: 'g', topics: ['lines'] })).toEqual([{ topic: 'lines', partitions: [{ partition: 0, offset: '2', metadata: null }] }]);
    const rest = await run(['console-consumer', ...b, '--topic', 'lines', '--group', 'g', '--max-messages', '1', '--property', 'print.offset=true', '--property', 'print.key=true', '--property', 'key.separator= | ']);
    expect(rest).toMatchObject({ code: 0, out: 'Offset:2 | c | 3:with colon\n' });
  });

  it('a line without the key separator fails the producer after sending the lines before it', async () => {
    const server = await startServer();
    const b = ['--bootstrap-server', bootstrapOf(server)];
    await run(['topics', ...b, '--create', '--topic', 'strict', '--partitions', '1']);
    expect(await run(['console-producer', ...b, '--topic', 'strict', '--key-separator', '='], ['k=v', 'no separator', 'never=sent'])).toMatchObject({
      code: 1,
      err: "kafkasim console-producer: No key separator found on line number 2: 'no separator'\n",
    });
    expect(server.cluster.partitionState('strict', 0).logEndOffset).toBe(1n);
    expect(await run(['console-producer', ...b, '--topic', 'strict', '--key-separator', '=', '--property', 'ignore.error=true', '--sync'], ['loose'])).toMatchObject({ code: 0 });
    const out = await run(['console-consumer', ...b, '--topic', 'strict', '--from-beginning', '--max-messages', '2', '--property', 'print.key=true']);
    expect(out.out).toBe('k\tv\nnull\tloose\n');
  });

  it('--timeout-ms ends a consumer that waits for records; without --group nothing is committed', async () => {
    const server = await startServer();
    const b = ['--bootstrap-server', bootstrapOf(server)];
    await run(['topics', ...b, '--create', '--topic', 'quiet', '--partitions', '2']);
    await run(['console-producer', ...b, '--topic', 'quiet', '--compression-codec', 'gzip'], ['only']);
    const started = Date.now();
    const result = await run(['console-consumer', ...b, '--topic', 'quiet', '--from-beginning', '--timeout-ms', '500']);
    expect(result).toMatchObject({ code: 0, out: 'only\n', err: 'Processed a total of 1 messages\n' });
    expect(Date.now() - started).toBeLessThan(15_000);
    const { groups } = await admin(server).listGroups();
    expect(groups).toHaveLength(1);
    expect(groups[0].groupId).toMatch(/^console-consumer-\d+$/);
    expect(await admin(server).fetchOffsets({ groupId: groups[0].groupId, topics: ['quiet'] })).toEqual([
      { topic: 'quiet', partitions: [{ partition: 0, offset: '-1', metadata: null }, { partition: 1, offset: '-1', metadata: null }] },
    ]);
  });

  it('SIGINT stops the consumer cleanly: exit 0, the printed records committed, the group left', async () => {
    const server = await startServer();
    const b = ['--bootstrap-server', bootstrapOf(server)];
    await run(['topics', ...b, '--create', '--topic', 'live', '--partitions', '1']);
    await run(['console-producer', ...b, '--topic', 'live', '--compression-codec', 'snappy'], ['x', 'y']);
    const io = fakeIo();
    const running = main(['console-consumer', ...b, '--topic', 'live', '--group', 'live-group', '--from-beginning'], io);
    const deadline = Date.now() + 20_000;
    while (io.out !== 'x\ny\n' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(io.out).toBe('x\ny\n');
    const describedWhileRunning = await run(['consumer-groups', ...b, '--describe', '--group', 'live-group']);
    const row = describedWhileRunning.out.trim().split('\n')[1].split(/\s+/);
    expect(row.slice(0, 6)).toEqual(['live-group', 'live', '0', '2', '2', '0']);
    expect(row[6]).toMatch(/^kafkasim-console-consumer-/);
    expect(row[8]).toBe('kafkasim-console-consumer');
    const members = (await run(['consumer-groups', ...b, '--describe', '--group', 'live-group', '--members'])).out.trim().split('\n');
    expect(members[1].split(/\s+/)).toEqual(['live-group', row[6], row[7], 'kafkasim-console-consumer', '1']);
    const state = (await run(['consumer-groups', ...b, '--describe', '--group', 'live-group', '--state'])).out.trim().split('\n');
    expect(state[1].split(/\s+/)).toEqual(['live-group', 'RoundRobinAssigner', 'Stable', '1']);
    io.interrupt();
    expect(await running).toBe(0);
    expect(io.err).toBe('Processed a total of 2 messages\n');
    expect((await admin(server).describeGroups(['live-group'])).groups[0].state).toBe('Empty');
  });
});

describe('kafkasim consumer-groups', () => {
  it('describes offsets, log end offsets and lag per partition, members and state, lists and deletes groups', async () => {
    const server = await startServer();
    const b = ['--bootstrap-server', bootstrapOf(server)];
    await run(['topics', ...b, '--create', '--topic', 'lagging', '--partitions', '2']);
    await run(['console-producer', ...b, '--topic', 'lagging', '--key-separator', ':'], ['a:1', 'b:2', 'c:3', 'd:4', 'e:5', 'f:6']);
    // Both partitions get records (murmur2 of the keys), so the group commits to both.
    await run(['console-consumer', ...b, '--topic', 'lagging', '--from-beginning', '--group', 'half', '--max-messages', '6']);
    await run(['console-producer', ...b, '--topic', 'lagging', '--key-separator', ':'], ['g:7', 'h:8']);
    const described = await run(['consumer-groups', ...b, '--describe', '--group', 'half']);
    expect(described.code).toBe(0);
    expect(described.err).toBe("\nConsumer group 'half' has no active members.\n");
    const [blank, header, ...rows] = described.out.trimEnd().split('\n');
    expect(blank).toBe('');
    expect(header.split(/\s+/)).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
    const cells = rows.map((row) => row.split(/\s+/));
    expect(cells.map((c) => c[2])).toEqual(['0', '1']);
    for (const c of cells) {
      expect(c.slice(0, 2)).toEqual(['half', 'lagging']);
      expect(c.slice(6)).toEqual(['-', '-', '-']);
      expect(c[4]).toBe(String(server.cluster.partitionState('lagging', Number(c[2])).logEndOffset));
      expect(Number(c[5])).toBe(Number(c[4]) - Number(c[3]));
    }
    expect(cells.reduce((sum, c) => sum + Number(c[3]), 0)).toBe(6);
    expect(cells.reduce((sum, c) => sum + Number(c[5]), 0)).toBe(2);

    const state = await run(['consumer-groups', ...b, '--describe', '--group', 'half', '--state']);
    expect(state.out.trim().split('\n')[1].split(/\s+/)).toEqual(['half', '-', 'Empty', '0']);
    const members = await run(['consumer-groups', ...b, '--describe', '--group', 'half', '--members']);
    expect(members.out.trim().split('\n')).toEqual(['GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS']);
    expect(await run(['consumer-groups', ...b, '--list'])).toMatchObject({ code: 0, out: 'half\n' });
    expect(await run(['consumer-groups', ...b, '--delete', '--group', 'half'])).toMatchObject({ code: 0, out: "Deletion of requested consumer groups ('half') was successful.\n" });
    expect(await run(['consumer-groups', ...b, '--list'])).toMatchObject({ code: 0, out: '' });
  });

  it('a group that does not exist is an error, exit 1', async () => {
    const server = await startServer();
    expect(await run(['consumer-groups', '--bootstrap-server', bootstrapOf(server), '--describe', '--group', 'ghost'])).toMatchObject({
      code: 1,
      out: '',
      err: "Error: Consumer group 'ghost' does not exist.\n",
    });
  });
});

describe('kafkasim dump-log', () => {
  it("prints the partition's segment and records from the broker's introspection endpoint", async () => {
    const server = await startServer();
    const b = ['--bootstrap-server', bootstrapOf(server)];
    await run(['topics', ...b, '--create', '--topic', 'dumped', '--partitions', '1']);
    await run(['console-producer', ...b, '--topic', 'dumped', '--key-separator', ':'], ['k1:hello', 'k2:world']);
    const dumped = await run(['dump-log', '--introspection-server', introspectionOf(server), '--topic', 'dumped', '--partition', '0', '--print-data-log']);
    expect(dumped.code).toBe(0);
    const lines = dumped.out.trimEnd().split('\n');
    expect(lines[0]).toBe('Partition dumped-0 on broker 1 (leader, leader 1, epoch 0): logStartOffset 0, highWatermark 2, logEndOffset 2, 1 segment');
    expect(lines[1]).toBe('Dumping dumped-0/00000000000000000000.log');
    expect(lines[2]).toBe('Log starting offset: 0');
    const [segment] = server.cluster.segments('dumped', 0);
    expect(lines[3]).toBe(`Segment: ${segment.sizeInBytes} bytes, ${segment.batchCount} batch${segment.batchCount === 1 ? '' : 'es'}, 2 records (active)`);
    expect(lines.filter((line) => line.startsWith('baseOffset: '))).toHaveLength(segment.batchCount);
    // KafkaJS's non-idempotent producer writes base sequence 0 in every batch, so sequences depend on batching.
    expect(lines.filter((line) => line.startsWith('| offset: ')).map((line) => line.replace(/CreateTime: \d+/, 'CreateTime: T').replace(/sequence: \d+/, 'sequence: S'))).toEqual([
      '| offset: 0 CreateTime: T keySize: 2 valueSize: 5 sequence: S headerKeys: [] key: k1 payload: hello',
      '| offset: 1 CreateTime: T keySize: 2 valueSize: 5 sequence: S headerKeys: [] key: k2 payload: world',
    ]);
    const json = await run(['dump-log', '--introspection-server', introspectionOf(server), '--topic', 'dumped', '--partition', '0', '--json']);
    expect(JSON.parse(json.out).segments[0].fileName).toBe('00000000000000000000.log');
    expect(await run(['dump-log', '--introspection-server', introspectionOf(server), '--topic', 'dumped', '--partition', '5'])).toMatchObject({
      code: 1,
      err: 'kafkasim dump-log: no partition dumped-5\n',
    });
  });
});

describe('unreachable brokers', () => {
  it.each(['topics --list', 'console-producer --topic t', 'console-consumer --topic t', 'consumer-groups --list'])(
    '%s: a closed port fails at once with one line, exit 1',
    async (command) => {
      const port = await closedPort();
      const started = Date.now();
      const result = await run([...command.split(' '), '--bootstrap-server', `127.0.0.1:${port}`]);
      expect(result.code).toBe(1);
      expect(result.err).toBe(`kafkasim ${command.split(' ')[0]}: cannot reach a Kafka broker at 127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})\n`);
      expect(result.out).toBe('');
      expect(Date.now() - started).toBeLessThan(5_000);
    },
  );

  it('a port that accepts but never answers fails after --connect-timeout-ms', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
    onCleanup(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      silent.close(() => resolve());
    }));
    const port = (silent.address() as { port: number }).port;
    const started = Date.now();
    const result = await run(['topics', '--bootstrap-server', `127.0.0.1:${port}`, '--list', '--connect-timeout-ms', '300']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(new RegExp(`^kafkasim topics: cannot reach a Kafka broker at 127\\.0\\.0\\.1:${port} \\(request \\(apiKey 18 v0, correlation id 0\\) to 127\\.0\\.0\\.1:${port} timed out after 300 ms\\)\\n$`));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('dump-log without an introspection endpoint says where the address comes from', async () => {
    const port = await closedPort();
    const result = await run(['dump-log', '--introspection-server', `127.0.0.1:${port}`, '--topic', 't', '--partition', '0']);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `kafkasim dump-log: cannot read from the introspection endpoint at 127.0.0.1:${port} (fetch failed (connect ECONNREFUSED 127.0.0.1:${port})); \`kafkasim broker\` prints its address as 'introspection: http://...'\n`,
    );
  });
});
