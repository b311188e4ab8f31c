/**
 * Shared pieces of the CLI tests: a fake `CliIo` (output captured, input lines given), servers on
 * ephemeral 127.0.0.1 ports that are always closed, and `runCli`, which spawns `node bin/kafkasim.js` with
 * a bounded wait and kills only the child it started, by its PID. Every wait here has a limit.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach } from 'vitest';
import type { CliIo } from '../../src/cli/io.ts';
import { startBrokerServer, type BrokerServer, type BrokerServerOptions } from '../../src/server/index.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface FakeIo extends CliIo {
  out: string;
  err: string;
  /** Resolves the pending `waitForStopSignal()` as a SIGINT would. */
  interrupt(): void;
}

/** Output captured; `lines` is standard input (none by default); no stop signal unless `interrupt()`. */
export function fakeIo(lines: readonly string[] = []): FakeIo {
  let interrupt: (signal: string) => void = () => {};
  const stop = new Promise<string>((resolveStop) => (interrupt = resolveStop));
  const io: FakeIo = {
    out: '',
    err: '',
    stdout: (text) => void (io.out += text),
    stderr: (text) => void (io.err += text),
    waitForStopSignal: () => stop,
    readLines: async function* () {
      yield* lines;
    },
    interrupt: () => interrupt('SIGINT'),
  };
  return io;
}

const servers: BrokerServer[] = [];
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

export function onCleanup(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

/**
 * A server on ephemeral loopback ports with its introspection endpoint, closed after the test. The first
 * group join does not wait the 3 s of `group.initial.rebalance.delay.ms`.
 */
export async function startServer(options: BrokerServerOptions = {}): Promise<BrokerServer> {
  const server = await startBrokerServer({
    port: 0,
    seed: 1,
    introspection: { port: 0 },
    ...options,
    brokerConfig: { 'group.initial.rebalance.delay.ms': 0, ...options.brokerConfig },
  });
  servers.push(server);
  return server;
}

export function bootstrapOf(server: BrokerServer): string {
  return server.bootstrapServers.join(',');
}

export function introspectionOf(server: BrokerServer): string {
  return `${server.introspection!.host}:${server.introspection!.port}`;
}

export interface CliRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

export interface SpawnedCli {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Sends a signal to this child only (by its PID). */
  signal(name: NodeJS.Signals): void;
  /** Resolves when the child exited; rejects (after killing it) when `timeoutMs` passes first. */
  exited(timeoutMs: number): Promise<CliRun>;
}

/** `node bin/kafkasim.js ...args` in the project root; `stdin` is written and closed (EOF) at once. */
export function spawnCli(args: readonly string[], options: { stdin?: string; keepStdinOpen?: boolean } = {}): SpawnedCli {
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/kafkasim.js', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let result: CliRun | undefined;
  const waiters: Array<(run: CliRun) => void> = [];
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.on('error', () => {});
  child.on('close', (code, signal) => {
    result = { code, signal, stdout, stderr, elapsedMs: Date.now() - started };
    for (const waiter of waiters.splice(0)) waiter(result);
  });
  if (options.stdin !== undefined) child.stdin!.write(options.stdin);
  if (options.keepStdinOpen !== true) child.stdin!.end();
  const pid = child.pid!;
  const kill = (name: NodeJS.Signals): void => {
    if (result === undefined) process.kill(pid, name);
  };
  onCleanup(() => kill('SIGKILL'));
  return {
    pid,
    stdout: () => stdout,
    stderr: () => stderr,
    signal: kill,
    exited: (timeoutMs) =>
      new Promise<CliRun>((resolveRun, reject) => {
        if (result !== undefined) return resolveRun(result);
        const timer = setTimeout(() => {
          kill('SIGKILL');
          reject(new Error(`kafkasim ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, timeoutMs);
        waiters.push((run) => {
          clearTimeout(timer);
          resolveRun(run);
        });
      }),
  };
}

/** Runs the CLI to its end (at most `timeoutMs`). */
export function runCli(args: readonly string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return spawnCli(args, { stdin: options.stdin }).exited(options.timeoutMs ?? 30_000);
}

export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}
