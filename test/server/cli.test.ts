/**
 * `kafkasim broker`, the command `npm start` runs: flags and their errors (in process, through a fake
 * `CliIo`), and the real thing in a child process: it prints the bootstrap servers, answers KafkaJS, and
 * exits 0 on SIGTERM or SIGINT. The child listens on ephemeral ports (`--port 0`) and is killed only by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseBrokerArgs } from '../../src/cli/broker-command.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { kafkajs, onCleanup, waitFor, withTimeout } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function fakeIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    waitForStopSignal: () => new Promise<string>(() => {}),
  };
  return io;
}

describe('kafkasim broker: the command line', () => {
  it('parses its flags into server options', () => {
    expect(parseBrokerArgs(['--brokers', '3', '--port', '19092', '--host', '127.0.0.1', '--config', 'num.partitions=3', '--config', 'log.retention.ms=1000'])).toEqual({
      help: false,
      options: { brokers: 3, port: 19092, host: '127.0.0.1', advertisedHost: undefined, seed: undefined, brokerConfig: { 'num.partitions': '3', 'log.retention.ms': '1000' } },
    });
    expect(parseBrokerArgs(['--help'])).toEqual({ help: true });
  });

  it.each([
    [['--brokers', 'three'], "--brokers takes a non-negative integer, got 'three'"],
    [['--brokers', '0'], 'brokers must be an integer from 1 to 100, got 0'],
    [['--port=-1'], "--port takes a non-negative integer, got '-1'"],
    [['--port', '70000'], 'port must be an integer from 0 to 65535, got 70000'],
    [['--config', 'num.partitions'], "--config takes name=value, got 'num.partitions'"],
    [['--config', 'num.partitions=lots'], 'Invalid value lots for configuration num.partitions: Not a number of type INT'],
    [['--verbose'], "Unknown option '--verbose'"],
    [['extra'], "Unexpected argument 'extra'"],
    [['--host', ''], '--host must not be empty'],
  ])('rejects %j with a clear message and exit code 2', async (args, message) => {
    const io = fakeIo();
    expect(await main(['broker', ...args], io)).toBe(2);
    expect(io.err).toContain(`kafkasim broker: ${message}`);
    expect(io.err).toContain("Run 'kafkasim broker --help'");
    expect(io.out).toBe('');
  });

  it('prints usage for --help and for an unknown command', async () => {
    const help = fakeIo();
    expect(await main(['broker', '--help'], help)).toBe(0);
    expect(help.out).toContain('Usage: kafkasim broker [options]');
    const unknown = fakeIo();
    expect(await main(['brokers'], unknown)).toBe(2);
    expect(unknown.err).toContain("kafkasim: unknown command 'brokers'");
    const none = fakeIo();
    expect(await main([], none)).toBe(2);
    expect(none.err).toContain('Usage: kafkasim <command>');
  });

  it('npm start runs bin/kafkasim.js broker, which package.json exposes as the kafkasim bin', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toBe('node bin/kafkasim.js broker');
    expect(pkg.bin).toEqual({ kafkasim: 'bin/kafkasim.js' });
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('the real CLI prints its bootstrap servers, serves KafkaJS, and exits 0 on %s', async (stopSignal) => {
    const child: ChildProcess = spawn(process.execPath, ['bin/kafkasim.js', 'broker', '--port', '0', '--brokers', '2', '--config', 'num.partitions=2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let exited: number | null | undefined;
    let signalled: string | null = null;
    child.on('exit', (code, signal) => {
      exited = code;
      signalled = signal;
    });
    onCleanup(() => {
      if (exited === undefined && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    await waitFor(() => /bootstrap servers: (\S+)/.test(out) || exited !== undefined, 'the CLI to print its bootstrap servers', 30_000);
    const bootstrap = /bootstrap servers: (\S+)/.exec(out)?.[1];
    expect(bootstrap, `stdout: ${out}\nstderr: ${err}`).toMatch(/^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    expect(out).toMatch(/broker 1 listening on 127\.0\.0\.1:\d+/);
    expect(out).toMatch(/broker 2 listening on 127\.0\.0\.1:\d+/);
    expect(out).toContain('example: ');

    const kafka = new kafkajs.Kafka({ clientId: 'cli-test', brokers: bootstrap!.split(','), logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'from-cli' }], waitForLeaders: true });
    expect(await admin.listTopics()).toContain('from-cli');
    const metadata = await admin.fetchTopicMetadata({ topics: ['from-cli'] });
    expect(metadata.topics[0].partitions).toHaveLength(2); // --config num.partitions=2 reached the brokers
    await admin.disconnect();

    process.kill(child.pid!, stopSignal);
    await withTimeout(
      new Promise<void>((resolveExit) => (exited !== undefined ? resolveExit() : child.once('exit', () => resolveExit()))),
      10_000,
      `the CLI to exit after ${stopSignal}`,
    );
    expect({ exited, signalled, err }).toEqual({ exited: 0, signalled: null, err: '' });
    expect(out).toContain(`${stopSignal} received, shutting down`);
  });
});
