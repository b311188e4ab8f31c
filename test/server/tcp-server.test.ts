/**
 * The programmatic wire server: where it listens and what it advertises, how it refuses bad options, what
 * a broker crash does to its TCP clients, and that `close()` leaves nothing running.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRequest } from '../../src/protocol/index.ts';
import { startBrokerServer } from '../../src/server/index.ts';
import { kafkaFor, kafkajs, onCleanup, RawClient, startServer, waitFor } from './support.ts';

function metadataRequest(correlationId: number): Buffer {
  return encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId, clientId: 'raw' }, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port }, () => probe.close(() => resolve(true)));
  });
}

/** A base port with `count` free ports after it (probed, so a race with another process stays possible). */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await isFree(base + i);
    if (ok) return base;
  }
  throw new Error('no free port range found');
}

describe('startBrokerServer', () => {
  it('listens on consecutive ports from --port and advertises each broker at its own listener in Metadata', async () => {
    const base = await freePorts(3);
    const server = await startServer({ brokers: 3, port: base });
    expect(server.bootstrapServers).toEqual([`127.0.0.1:${base}`, `127.0.0.1:${base + 1}`, `127.0.0.1:${base + 2}`]);
    for (const address of server.addresses) {
      const client = await RawClient.open(address.port);
      client.send(metadataRequest(1));
      const { body } = decodeResponse(ApiKey.Metadata, 9, await client.nextFrame());
      expect(body.brokers.map((b) => [b.nodeId, b.host, b.port])).toEqual([
        [1, '127.0.0.1', base],
        [2, '127.0.0.1', base + 1],
        [3, '127.0.0.1', base + 2],
      ]);
      client.destroy();
    }
  });

  it('a port in use is a clear error and nothing stays bound', async () => {
    const taken = await startServer();
    const port = taken.addresses[0].port;
    await expect(startBrokerServer({ port, seed: 1 })).rejects.toThrow(`broker 1 cannot listen on 127.0.0.1:${port}: the port is already in use`);
  });

  it('refuses impossible options, warns about unknown configs and starts anyway, as Kafka does', async () => {
    await expect(startBrokerServer({ brokers: 0 })).rejects.toThrow(/brokers must be an integer/);
    await expect(startBrokerServer({ port: 70000 })).rejects.toThrow(/port must be an integer/);
    await expect(startBrokerServer({ port: 65535, brokers: 2 })).rejects.toThrow(/do not all exist/);
    await expect(startBrokerServer({ port: 0, brokerConfig: { 'num.partitions': 'many' } })).rejects.toThrow(/Invalid value many for configuration num.partitions/);
    const warnings: string[] = [];
    const server = await startServer({ brokerConfig: { 'num.io.threads': 8 }, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual(["the configuration 'num.io.threads' was supplied but isn't a known config"]);
    expect(server.cluster.config.get('num.io.threads')).toBe('8');
  });

  it('a wildcard bind advertises 127.0.0.1 unless told otherwise', async () => {
    const server = await startServer({ host: '0.0.0.0' });
    expect(server.addresses[0].host).toBe('127.0.0.1');
    const named = await startServer({ host: '127.0.0.1', advertisedHost: 'localhost' });
    expect(named.bootstrapServers[0]).toMatch(/^localhost:\d+$/);
  });

  it('a crashed broker drops its TCP clients at once and refuses new ones; a restart serves again', async () => {
    const server = await startServer({ brokers: 2 });
    const [first, second] = server.addresses;
    const client = await RawClient.open(first.port);
    const bystander = await RawClient.open(second.port);
    client.send(metadataRequest(1));
    await client.nextFrame();
    server.cluster.crashBroker(1);
    await client.waitClosed();
    bystander.send(metadataRequest(1));
    expect(decodeResponse(ApiKey.Metadata, 9, await bystander.nextFrame()).correlationId).toBe(1);
    const late = await RawClient.open(first.port);
    await late.waitClosed();
    expect(late.frames).toHaveLength(0);
    server.cluster.restartBroker(1);
    const again = await RawClient.open(first.port);
    again.send(metadataRequest(3));
    expect(decodeResponse(ApiKey.Metadata, 9, await again.nextFrame()).correlationId).toBe(3);
  });

  it('connections.max.idle.ms closes a silent connection, as Kafka does', async () => {
    const server = await startServer({ brokerConfig: { 'connections.max.idle.ms': 200 } });
    const client = await RawClient.open(server.addresses[0].port);
    client.send(metadataRequest(1));
    await client.nextFrame();
    await client.waitClosed(3_000);
    // The client can see the FIN before the server's socket emits 'close' and drops it from its count.
    await waitFor(() => server.connectionCount === 0, 'the server to forget the idle connection', 3_000);
  });

  it('a failure inside the model (a bug) closes that connection, is reported, and the server stays up', async () => {
    const reported: string[] = [];
    const server = await startServer({ onError: (error, info) => reported.push(`${info.apiKey}: ${(error as Error).message}`) });
    const broker = server.cluster.broker(1);
    const original = broker.handleFrame.bind(broker);
    broker.handleFrame = async (frame, session) => {
      if (frame.readInt16BE(0) === ApiKey.Metadata) throw new Error('kafkasim invariant violated: for the test');
      return original(frame, session);
    };
    const client = await RawClient.open(server.addresses[0].port);
    client.send(metadataRequest(1));
    await client.waitClosed();
    expect(reported).toEqual([`${ApiKey.Metadata}: kafkasim invariant violated: for the test`]);
    broker.handleFrame = original;
    const next = await RawClient.open(server.addresses[0].port);
    next.send(metadataRequest(2));
    expect(decodeResponse(ApiKey.Metadata, 9, await next.nextFrame()).correlationId).toBe(2);
  });

  it('close() stops listening, drops connections and cancels every model timer', async () => {
    const server = await startBrokerServer({ port: 0, brokers: 3, seed: 1 });
    onCleanup(() => server.close());
    const kafka = kafkaFor(server);
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 'auto-created', acks: -1, messages: [{ value: 'x' }] });
    const raw = await RawClient.open(server.addresses[0].port);
    expect(server.runtime.armedTimers).toBeGreaterThan(0);
    await server.close();
    await server.close(); // idempotent
    await raw.waitClosed();
    await waitFor(() => server.connectionCount === 0, 'connections to be gone');
    expect(server.runtime.armedTimers).toBe(0);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap')).toHaveLength(0);
    await producer.disconnect();
  });
});
