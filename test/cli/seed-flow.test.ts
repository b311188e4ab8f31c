/**
 * The CLI as users run it: `node bin/kafkasim.js <command>` in child processes against a broker on free
 * 127.0.0.1 ports. First the seed's shell-script flow (create a topic, produce keyed lines, consume them
 * from the beginning in a group, see lag 0, dump the segment), then the process-level behaviours: SIGINT
 * ends a console consumer cleanly, an unreachable broker is a one-line exit 1 within a bound, and
 * `kafkasim broker` advertises the introspection endpoint dump-log reads. Children are killed only by
 * their own PIDs (support.ts), and every wait is bounded.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { bootstrapOf, introspectionOf, runCli, spawnCli, startServer, waitFor } from './support.ts';

const SPAWN_TIMEOUT_MS = 45_000;

describe('kafkasim CLI in child processes', () => {
  it(
    "the seed's flow: create topic, console-producer with keys, console-consumer --from-beginning --group g, consumer-groups lag 0, dump-log shows 00000000000000000000.log",
    async () => {
      const server = await startServer();
      const b = ['--bootstrap-server', bootstrapOf(server)];

      const created = await runCli(['topics', ...b, '--create', '--topic', 'seed', '--partitions', '3', '--replication-factor', '1'], { timeoutMs: SPAWN_TIMEOUT_MS });
      expect(created, created.stderr).toMatchObject({ code: 0, stdout: 'Created topic seed.\n', stderr: '' });

      const produced = await runCli(['console-producer', ...b, '--topic', 'seed', '--property', 'parse.key=true', '--property', 'key.separator=:'], {
        stdin: 'alice:one\nbob:two\ncarol:three\nalice:four\n',
        timeoutMs: SPAWN_TIMEOUT_MS,
      });
      expect(produced, produced.stderr).toMatchObject({ code: 0, stdout: '', stderr: '' });

      const consumed = await runCli(['console-consumer', ...b, '--topic', 'seed', '--from-beginning', '--group', 'g', '--max-messages', '4', '--property', 'print.key=true', '--property', 'key.separator=:'], {
        timeoutMs: SPAWN_TIMEOUT_MS,
      });
      expect(consumed, consumed.stderr).toMatchObject({ code: 0, stderr: 'Processed a total of 4 messages\n' });
      const lines = consumed.stdout.trimEnd().split('\n');
      expect([...lines].sort()).toEqual(['alice:four', 'alice:one', 'bob:two', 'carol:three']);
      // One key, one partition: alice's records come out in the order they were written.
      expect(lines.indexOf('alice:one')).toBeLessThan(lines.indexOf('alice:four'));

      const groups = await runCli(['consumer-groups', ...b, '--describe', '--group', 'g'], { timeoutMs: SPAWN_TIMEOUT_MS });
      expect(groups.code, groups.stderr).toBe(0);
      const rows = groups.stdout.trim().split('\n').slice(1).map((row) => row.split(/\s+/));
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((row) => row[5])).toEqual(rows.map(() => '0'));
      expect(rows.reduce((sum, row) => sum + Number(row[3]), 0)).toBe(4);

      const partition = [0, 1, 2].find((p) => server.cluster.partitionState('seed', p).logEndOffset >= 2n)!;
      const dumped = await runCli(['dump-log', '--introspection-server', introspectionOf(server), '--topic', 'seed', '--partition', String(partition), '--print-data-log'], {
        timeoutMs: SPAWN_TIMEOUT_MS,
      });
      expect(dumped.code, dumped.stderr).toBe(0);
      expect(dumped.stdout).toContain(`Dumping seed-${partition}/00000000000000000000.log\nLog starting offset: 0\n`);
      expect(dumped.stdout).toMatch(/key: alice payload: one\n(.*\n)*.*key: alice payload: four\n/);
    },
    180_000,
  );

  it(
    'SIGINT ends a running console consumer: exit 0, its summary, the printed record committed',
    async () => {
      const server = await startServer();
      const b = ['--bootstrap-server', bootstrapOf(server)];
      server.cluster.createTopic('signals', { partitions: 1, replicationFactor: 1 });
      // --from-beginning: the record is read whether it is written before or after the consumer joins.
      const consumer = spawnCli(['console-consumer', ...b, '--topic', 'signals', '--group', 'sig', '--from-beginning']);
      const produced = await runCli(['console-producer', ...b, '--topic', 'signals'], { stdin: 'hello\n', timeoutMs: SPAWN_TIMEOUT_MS });
      expect(produced.code, produced.stderr).toBe(0);
      await waitFor(() => consumer.stdout() === 'hello\n', 'the consumer to print the record', SPAWN_TIMEOUT_MS);
      consumer.signal('SIGINT');
      const exited = await consumer.exited(20_000);
      expect(exited).toMatchObject({ code: 0, signal: null, stdout: 'hello\n', stderr: 'Processed a total of 1 messages\n' });
      const groups = await runCli(['consumer-groups', ...b, '--describe', '--group', 'sig'], { timeoutMs: SPAWN_TIMEOUT_MS });
      expect(groups.stdout.trim().split('\n')[1].split(/\s+/).slice(0, 6)).toEqual(['sig', 'signals', '0', '1', '1', '0']);
    },
    120_000,
  );

  it(
    'SIGINT ends a console producer whose input is still open: what it read is sent, exit 0',
    async () => {
      const server = await startServer();
      server.cluster.createTopic('typed', { partitions: 1, replicationFactor: 1 });
      const producer = spawnCli(['console-producer', '--bootstrap-server', bootstrapOf(server), '--topic', 'typed'], { stdin: 'typed by hand\n', keepStdinOpen: true });
      await waitFor(() => server.cluster.partitionState('typed', 0).highWatermark === 1n, 'the line to be sent', SPAWN_TIMEOUT_MS);
      producer.signal('SIGINT');
      expect(await producer.exited(20_000)).toMatchObject({ code: 0, signal: null, stdout: '', stderr: '' });
    },
    120_000,
  );

  it(
    'an unreachable broker is one line on stderr and exit 1, within a bound',
    async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
      const port = (probe.address() as { port: number }).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const result = await runCli(['topics', '--bootstrap-server', `127.0.0.1:${port}`, '--list'], { timeoutMs: SPAWN_TIMEOUT_MS });
      expect(result).toMatchObject({ code: 1, stdout: '', stderr: `kafkasim topics: cannot reach a Kafka broker at 127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})\n` });
      const usage = await runCli(['console-consumer', '--topic', 't'], { timeoutMs: SPAWN_TIMEOUT_MS });
      expect(usage).toMatchObject({ code: 2, stdout: '' });
      expect(usage.stderr).toBe("kafkasim console-consumer: missing required option --bootstrap-server <host:port>\nRun 'kafkasim console-consumer --help' for the options.\n");
    },
    120_000,
  );

  it(
    '`kafkasim broker` prints its introspection endpoint, dump-log reads it, SIGTERM stops both',
    async () => {
      const broker = spawnCli(['broker', '--port', '0', '--config', 'num.partitions=1'], { keepStdinOpen: true });
      await waitFor(() => /introspection: http:\/\/(\S+)/.test(broker.stdout()), 'the broker to print its introspection endpoint', SPAWN_TIMEOUT_MS);
      const introspection = /introspection: http:\/\/(\S+)/.exec(broker.stdout())![1];
      const bootstrap = /bootstrap servers: (\S+)/.exec(broker.stdout())![1];
      expect(broker.stdout()).toContain(`kafkasim dump-log --introspection-server ${introspection} --topic <t> --partition <p>`);
      const produced = await runCli(['console-producer', '--bootstrap-server', bootstrap, '--topic', 'auto'], { stdin: 'created by auto.create.topics.enable\n', timeoutMs: SPAWN_TIMEOUT_MS });
      expect(produced.code, produced.stderr).toBe(0);
      const dumped = await runCli(['dump-log', '--introspection-server', introspection, '--topic', 'auto', '--partition', '0', '--print-data-log'], { timeoutMs: SPAWN_TIMEOUT_MS });
      expect(dumped.code, dumped.stderr).toBe(0);
      expect(dumped.stdout).toContain('Dumping auto-0/00000000000000000000.log');
      expect(dumped.stdout).toContain('key: null payload: created by auto.create.topics.enable');
      broker.signal('SIGTERM');
      expect(await broker.exited(20_000)).toMatchObject({ code: 0, signal: null, stderr: '' });
      const after = await runCli(['dump-log', '--introspection-server', introspection, '--topic', 'auto', '--partition', '0'], { timeoutMs: SPAWN_TIMEOUT_MS });
      expect(after.code).toBe(1);
    },
    120_000,
  );
});
