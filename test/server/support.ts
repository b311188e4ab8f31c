/**
 * Shared pieces of the wire-server tests: servers on ephemeral loopback ports that are always closed,
 * the genuine KafkaJS 2.2.4 (with the snappy and lz4 codecs registered), a raw socket that speaks frames,
 * bounded waits, and child processes for the non-JS clients (kcat, kafka-python) that are killed by their
 * own PID after the test. Every wait here has a limit; nothing sleeps without one.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { FrameDecoder } from '../../src/protocol/index.ts';
import { startBrokerServer, type BrokerServer, type BrokerServerOptions } from '../../src/server/index.ts';

const require = createRequire(import.meta.url);
export const kafkajs = require('kafkajs') as typeof import('kafkajs');
const SnappyCodec = require('kafkajs-snappy');
const LZ4Codec = require('kafkajs-lz4');
kafkajs.CompressionCodecs[kafkajs.CompressionTypes.Snappy] = SnappyCodec;
kafkajs.CompressionCodecs[kafkajs.CompressionTypes.LZ4] = new LZ4Codec().codec;
// @kafkajs/zstd does not build here (it downloads a prebuilt binary); this codec has its shape, on zstd-napi.
const zstd = require('zstd-napi') as { compress(data: Buffer): Buffer; decompress(data: Buffer): Buffer };
kafkajs.CompressionCodecs[kafkajs.CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => zstd.compress(encoder.buffer),
  decompress: async (buffer: Buffer) => zstd.decompress(buffer),
});

const servers: BrokerServer[] = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Runs after the test, before its servers close (clients disconnect first). */
export function onCleanup(cleanup: () => Promise<unknown> | unknown): void {
  cleanups.push(cleanup);
}

/** A server on ephemeral 127.0.0.1 ports, closed after the test. */
export async function startServer(options: BrokerServerOptions = {}): Promise<BrokerServer> {
  const server = await startBrokerServer({ port: 0, seed: 1, ...options });
  servers.push(server);
  return server;
}

/** A KafkaJS client for the server, quiet unless something is really wrong. */
export function kafkaFor(server: { bootstrapServers: readonly string[] }, config: Partial<import('kafkajs').KafkaConfig> = {}) {
  return new kafkajs.Kafka({
    clientId: 'wire-test',
    brokers: [...server.bootstrapServers],
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
    ...config,
  });
}

export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A plain TCP connection that reads size-prefixed response frames and remembers how it ended. */
export class RawClient {
  readonly frames: Buffer[] = [];
  closed = false;
  error: Error | undefined;
  private readonly decoder = new FrameDecoder(1 << 30);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.frames.push(frame);
    });
    socket.on('error', (error) => (this.error = error));
    socket.on('close', () => (this.closed = true));
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const client = new RawClient(socket);
        onCleanup(() => socket.destroy());
        resolve(client);
      });
    });
  }

  /** Sends a frame; `sizePrefixed` false adds the size prefix. */
  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async nextFrame(timeoutMs = 5_000): Promise<Buffer> {
    const seen = this.frames.length;
    await waitFor(() => this.frames.length > seen || this.closed, 'a response frame', timeoutMs);
    if (this.frames.length <= seen) throw new Error(`connection closed before a response (${this.error?.message ?? 'clean close'})`);
    return this.frames[seen];
  }

  async waitClosed(timeoutMs = 5_000): Promise<void> {
    await waitFor(() => this.closed, 'the server to close the connection', timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function sizePrefixed(frame: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length, 0);
  return Buffer.concat([size, frame]);
}

/** How a child process ended: an exit code, or the signal that ended it. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A process a test started (a real client: kcat, kafka-python): stdout and stderr collected as they arrive,
 * stdin optionally written and closed, and, if it is still running after the test, SIGKILLed by its own PID
 * (never by name) and waited for.
 */
export class ChildRun {
  stdout = '';
  stderr = '';
  exit: ProcessExit | undefined;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<ProcessExit>;

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    options: { cwd?: string; input?: string } = {},
  ) {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolveExit) => {
      child.once('error', (error) => {
        this.stderr += `spawn failed: ${error.message}\n`;
        this.exit ??= { code: null, signal: null };
        resolveExit(this.exit);
      });
      child.once('close', (code, signal) => {
        this.exit ??= { code, signal };
        resolveExit(this.exit);
      });
    });
    child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    child.stdin.on('error', () => {}); // a client that exits early closes its stdin under us
    if (options.input !== undefined) child.stdin.end(options.input);
    onCleanup(async () => {
      if (this.exit === undefined) this.kill('SIGKILL');
      await withTimeout(this.exited, 5_000, `${this.describe()} to exit after SIGKILL`);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `signal` to this process by its PID, if it is still running. */
  kill(signal: NodeJS.Signals): void {
    if (this.exit === undefined && this.child.pid !== undefined) process.kill(this.child.pid, signal);
  }

  waitExit(timeoutMs: number): Promise<ProcessExit> {
    return withTimeout(this.exited, timeoutMs, `${this.describe()} to exit\n${this.output()}`);
  }

  /** Waits until `predicate` holds; fails early, with the output, if the process exits first. */
  async waitUntil(predicate: () => boolean, what: string, timeoutMs: number): Promise<void> {
    await waitFor(() => predicate() || this.exit !== undefined, `${what} from ${this.describe()}`, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.output()}`);
    });
    if (!predicate()) throw new Error(`${this.describe()} exited (${JSON.stringify(this.exit)}) before ${what}\n${this.output()}`);
  }

  stdoutLines(): string[] {
    return this.stdout.split('\n').filter((line) => line !== '');
  }

  describe(): string {
    return `${this.command} ${this.args.join(' ')} (pid ${this.child.pid})`;
  }

  output(): string {
    return `--- stdout of ${this.describe()}\n${this.stdout}--- stderr\n${this.stderr}`;
  }
}

/** Runs a process to its end (bounded: SIGKILLed by PID after `timeoutMs`) and expects exit code 0. */
export async function runToEnd(command: string, args: readonly string[], options: { cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<ChildRun> {
  const run = new ChildRun(command, args, options);
  const exit = await run.waitExit(options.timeoutMs ?? 30_000);
  if (exit.code !== 0) throw new Error(`${run.describe()} ended with ${JSON.stringify(exit)}\n${run.output()}`);
  return run;
}

/**
 * Whether `command args` runs and exits 0 within 10 s (is a client installed?). When it does not, prints
 * a notice saying what is skipped and how to install it, so a skip is never silent.
 */
export function isInstalled(command: string, args: readonly string[], skipped: string, install: string): boolean {
  const result = spawnSync(command, args, { timeout: 10_000, stdio: 'ignore' });
  if (result.status === 0) return true;
  process.stderr.write(`\nNOTICE: skipping ${skipped}: \`${command} ${args.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status}`}). ${install}\n\n`);
  return false;
}
