/**
 * Shared pieces of the wire-server tests: servers on ephemeral loopback ports that are always closed,
 * the genuine KafkaJS 2.2.4 (with the snappy and lz4 codecs registered), a raw socket that speaks frames,
 * and bounded waits. Every wait here has a limit; nothing sleeps without one.
 */
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
