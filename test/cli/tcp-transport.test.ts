/**
 * `TcpTransport` and `createTcpKafka` (src/server/tcp-transport.ts), the client side the CLI commands
 * stand on: our KafkaJS-identical client against `startBrokerServer` over real sockets, and each way a
 * connection fails mapped to the transport error KafkaJS's mapping expects (refused, timed out, closed,
 * unreadable). Sockets on 127.0.0.1 only; every wait is bounded.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { logLevel } from '../../src/client/logger.ts';
import { ConnectionClosedError, ConnectionRefusedError, ConnectionTimeoutError, RequestTimeoutError } from '../../src/network/transport.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import { RealRuntime, type Runtime, type Timer } from '../../src/runtime/index.ts';
import { createTcpKafka, SocketConnectError, TcpTransport } from '../../src/server/index.ts';
import { onCleanup, startServer } from './support.ts';

const OPTIONS = { clientId: 'tcp-test', node: 'client-1', timeoutMs: 2_000 };

/** A TCP server of our own that does `onSocket` with each connection; closed after the test. */
async function rawServer(onSocket: (socket: Socket) => void): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0 };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('TcpTransport', () => {
  it('createTcpKafka: admin, producer and consumer of our client work against startBrokerServer over TCP', async () => {
    const server = await startServer({ brokers: 2 });
    const kafka = createTcpKafka({ clientId: 'tcp-kafka', brokers: [...server.bootstrapServers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    onCleanup(() => admin.disconnect());
    expect(await admin.createTopics({ topics: [{ topic: 'wire', numPartitions: 2, replicationFactor: 2 }] })).toBe(true);
    expect(await admin.listTopics()).toContain('wire');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'wire', messages: [{ key: 'k1', value: 'one' }, { key: 'k2', value: 'two' }, { key: 'k3', value: 'three' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'wire-group', maxWaitTimeInMs: 200 });
    await consumer.connect();
    onCleanup(() => consumer.disconnect());
    await consumer.subscribe({ topics: ['wire'], fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.length} of 3 records arrived`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(`${message.key}=${message.value}`);
          if (seen.length === 3) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    expect(seen.sort()).toEqual(['k1=one', 'k2=two', 'k3=three']);
    await consumer.disconnect();
    const offsets = await admin.fetchOffsets({ groupId: 'wire-group', topics: ['wire'] });
    expect(offsets[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0)).toBe(3);
  });

  it('nothing listening is ConnectionRefusedError with Node\'s message', async () => {
    const port = await closedPort();
    const error = await new TcpTransport(new RealRuntime()).connect({ host: '127.0.0.1', port }, OPTIONS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect((error as Error).message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('an unknown host is a SocketConnectError, a ConnectionRefusedError the client retries, with the resolver\'s code', async () => {
    const error = await new TcpTransport(new RealRuntime()).connect({ host: 'no-such-host.invalid', port: 9092 }, OPTIONS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SocketConnectError);
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect((error as SocketConnectError).code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
  });

  it('a handshake not done when the connect timer fires is ConnectionTimeoutError', async () => {
    const { port } = await rawServer(() => {});
    // The connect timer fires before any I/O can complete: a microtask after it is armed.
    const real = new RealRuntime();
    const impatient: Runtime = Object.assign(Object.create(real) as Runtime, {
      timer(_delayMs: number, callback: () => void): Timer {
        let isActive = true;
        queueMicrotask(() => {
          if (!isActive) return;
          isActive = false;
          callback();
        });
        return { dueMs: 0, get isActive() { return isActive; }, cancel: () => void (isActive = false) };
      },
    });
    const error = await new TcpTransport(impatient).connect({ host: '127.0.0.1', port }, { ...OPTIONS, timeoutMs: 1234 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionTimeoutError);
    expect((error as ConnectionTimeoutError).timeoutMs).toBe(1234);
  });

  it('a broker that closes the connection fails the pending request with ConnectionClosedError and tells onClose', async () => {
    const { port } = await rawServer((socket) => socket.once('data', () => socket.destroy()));
    const connection = await new TcpTransport(new RealRuntime()).connect({ host: '127.0.0.1', port }, OPTIONS);
    const reasons: Array<Error | null> = [];
    connection.onClose((reason) => reasons.push(reason));
    const error = await connection.request(ApiKey.ApiVersions, 0, {}, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(connection.isOpen).toBe(false);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(ConnectionClosedError);
  });

  it('an unreadable answer (a size beyond maxFrameBytes) closes the connection with ConnectionClosedError', async () => {
    const { port } = await rawServer((socket) => socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const connection = await new TcpTransport(new RealRuntime(), { maxFrameBytes: 1 << 20 }).connect({ host: '127.0.0.1', port }, OPTIONS);
    const error = await connection.request(ApiKey.ApiVersions, 0, {}, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as Error).message).toContain('unreadable response stream');
  });

  it('a request without an answer times out and leaves the connection open; close() is idempotent', async () => {
    const { port } = await rawServer(() => {});
    const connection = await new TcpTransport(new RealRuntime()).connect({ host: '127.0.0.1', port }, OPTIONS);
    const error = await connection.request(ApiKey.ApiVersions, 0, {}, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(connection.isOpen).toBe(true);
    const reasons: Array<Error | null> = [];
    connection.onClose((reason) => reasons.push(reason));
    connection.close();
    connection.close();
    expect(reasons).toEqual([null]);
    await expect(connection.request(ApiKey.ApiVersions, 0, {})).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('pipelined requests on one connection are each answered (several answers may arrive in one read)', async () => {
    const server = await startServer();
    const at = server.bootstrapServers[0].lastIndexOf(':');
    const connection = await new TcpTransport(new RealRuntime()).connect({ host: '127.0.0.1', port: Number(server.bootstrapServers[0].slice(at + 1)) }, OPTIONS);
    onCleanup(() => connection.close());
    const answers = await Promise.all([0, 1, 2, 3].map((version) => connection.request(ApiKey.ApiVersions, version, { clientSoftwareName: 'kafkasim-test', clientSoftwareVersion: '1' })));
    expect(answers.map((a) => a!.errorCode)).toEqual([0, 0, 0, 0]);
    const metadata = await connection.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(metadata!.brokers.map((b) => b.nodeId)).toEqual([1]);
  });
});
