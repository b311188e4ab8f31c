/**
 * The wire server under hostile or careless clients. Kafka's SocketServer is the reference: a frame it
 * cannot read closes that one connection; everyone else carries on, and the server keeps no more memory
 * for a connection than its frames need. Every case runs beside a well-behaved KafkaJS client whose data
 * must survive, and every wait is bounded.
 */
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { supportedApiVersions } from '../../src/broker/broker.ts';
import { ApiKey, decodeResponse, encodeRecordBatch, encodeRequest, ErrorCode } from '../../src/protocol/index.ts';
import { kafkaFor, kafkajs, onCleanup, RawClient, sizePrefixed, startServer, waitFor, withTimeout } from './support.ts';
import type { BrokerServer } from '../../src/server/index.ts';

function apiVersionsRequest(correlationId: number, apiVersion = 3): Buffer {
  return encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion, correlationId, clientId: 'raw' }, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
}

function metadataRequest(correlationId: number): Buffer {
  return encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId, clientId: 'raw' }, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
}

function fetchRequest(correlationId: number, topic: string, maxWaitMs: number, maxBytes = 1 << 20): Buffer {
  return encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 11, correlationId, clientId: 'raw' }, {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

/** A header for `apiKey`/`apiVersion` (request header v1) followed by `body`, size-prefixed. */
function rawRequest(apiKey: number, apiVersion: number, correlationId: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(-1, 8); // null client id
  return sizePrefixed(Buffer.concat([header, body]));
}

/** A well-behaved KafkaJS producer writing to `survivor` for as long as the test runs; its data must survive. */
async function bystander(server: BrokerServer) {
  const kafka = kafkaFor(server);
  const admin = kafka.admin();
  onCleanup(() => admin.disconnect());
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'survivor', numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  onCleanup(() => producer.disconnect());
  await producer.connect();
  let sent = 0;
  return {
    async send(): Promise<void> {
      await producer.send({ topic: 'survivor', acks: -1, messages: [{ value: `v${sent}` }] });
      sent++;
    },
    async check(): Promise<void> {
      await this.send();
      const [offsets] = await admin.fetchTopicOffsets('survivor');
      expect(offsets.high).toBe(String(sent));
      const state = server.cluster.partitionState('survivor', 0);
      expect(state.highWatermark).toBe(BigInt(sent));
    },
  };
}

async function apiVersionsAnswered(port: number): Promise<void> {
  const client = await RawClient.open(port);
  client.send(apiVersionsRequest(7));
  const frame = await client.nextFrame();
  expect(decodeResponse(ApiKey.ApiVersions, 3, frame).body.errorCode).toBe(ErrorCode.NONE);
  client.destroy();
}

describe('wire server robustness', () => {
  it('malformed, truncated and oversized frames close only their own connection', async () => {
    const server = await startServer({ brokers: 1 });
    const port = server.addresses[0].port;
    const good = await bystander(server);
    await good.send();

    const closesWithoutAnswer = async (bytes: Buffer, what: string, options: { clientEnds?: boolean } = {}) => {
      const client = await RawClient.open(port);
      client.send(bytes);
      if (options.clientEnds === true) client.socket.end();
      await client.waitClosed().catch((error) => {
        throw new Error(`${what}: ${(error as Error).message}`);
      });
      expect(client.frames, what).toHaveLength(0);
      await good.send();
    };
    const size = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n, 0);
      return b;
    };
    // Declared sizes: above socket.request.max.bytes (100 MiB, refused before a body byte is read), negative.
    await closesWithoutAnswer(size(104_857_601), 'a frame one byte above socket.request.max.bytes');
    await closesWithoutAnswer(size(0x7fffffff), 'a 2 GiB frame');
    await closesWithoutAnswer(size(-1), 'a negative size');
    // Frames too short for a header, or whose body does not parse.
    await closesWithoutAnswer(size(0), 'an empty frame');
    await closesWithoutAnswer(Buffer.concat([size(3), Buffer.from([0, 18, 0])]), 'a frame shorter than its header');
    await closesWithoutAnswer(rawRequest(ApiKey.Metadata, 9, 1, Buffer.from([0xff, 0xff, 0xff])), 'a Metadata body that does not parse');
    const produce = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 2, clientId: 'raw' }, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'survivor', partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from('x') }] }) }] }],
    });
    await closesWithoutAnswer(produce.subarray(0, produce.length - 5), 'a truncated Produce, then the client closes', { clientEnds: true });
    const truncatedBody = Buffer.from(produce);
    truncatedBody.writeInt32BE(produce.length - 4 - 6, 0);
    await closesWithoutAnswer(truncatedBody.subarray(0, produce.length - 6), 'a Produce whose size cuts its body short');

    // A frame that never completes: nothing is answered, the connection just waits (Kafka has no read timeout
    // short of connections.max.idle.ms), and nobody else notices.
    const waiting = await RawClient.open(port);
    waiting.send(Buffer.concat([size(1000), Buffer.alloc(10)]));
    await good.send();
    await apiVersionsAnswered(port);
    expect(waiting.closed).toBe(false);
    waiting.destroy();

    // A valid request after garbage on another connection is served normally.
    await apiVersionsAnswered(port);
    await good.check();
    await waitFor(() => server.connectionCount <= 3, 'raw connections to be gone');
  });

  it('a lower socket.request.max.bytes refuses larger frames and serves smaller ones', async () => {
    const server = await startServer({ brokerConfig: { 'socket.request.max.bytes': 200 } });
    const port = server.addresses[0].port;
    const big = await RawClient.open(port);
    big.send(rawRequest(ApiKey.ApiVersions, 0, 1, Buffer.alloc(191)));
    await big.waitClosed();
    expect(big.frames).toHaveLength(0);
    await apiVersionsAnswered(port);
  });

  it('an unknown api key gets a clean close (FIN, no answer, no reset), as Kafka does', async () => {
    const server = await startServer();
    const client = await RawClient.open(server.addresses[0].port);
    let ended = false;
    client.socket.on('end', () => (ended = true));
    client.send(rawRequest(9999, 0, 42));
    await client.waitClosed();
    expect(ended).toBe(true);
    expect(client.error).toBeUndefined();
    expect(client.frames).toHaveLength(0);
    await apiVersionsAnswered(server.addresses[0].port);
  });

  it('ApiVersions advertises exactly the handlers; an unsupported ApiVersions version gets UNSUPPORTED_VERSION (KIP-511), other APIs a close', async () => {
    const server = await startServer();
    const port = server.addresses[0].port;
    const client = await RawClient.open(port);
    client.send(apiVersionsRequest(1, 3));
    const supported = decodeResponse(ApiKey.ApiVersions, 3, await client.nextFrame()).body;
    expect(supported.errorCode).toBe(ErrorCode.NONE);
    expect(supported.apiKeys.map((k) => ({ apiKey: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion }))).toEqual(supportedApiVersions());

    // A version from the future: the answer is a v0 body (header v0) listing ApiVersions' own range, and the
    // connection stays open so the client can retry with a version it shares.
    client.send(rawRequest(ApiKey.ApiVersions, 99, 2, Buffer.from([0, 0, 0])));
    const unsupported = await client.nextFrame();
    const decoded = decodeResponse(ApiKey.ApiVersions, 0, unsupported);
    expect(decoded.correlationId).toBe(2);
    expect(decoded.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const own = supportedApiVersions().find((k) => k.apiKey === ApiKey.ApiVersions)!;
    expect(decoded.body.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion])).toEqual([[ApiKey.ApiVersions, own.minVersion, own.maxVersion]]);
    client.send(apiVersionsRequest(3, 2));
    expect(decodeResponse(ApiKey.ApiVersions, 2, await client.nextFrame()).body.errorCode).toBe(ErrorCode.NONE);

    // Any other API in a version we do not serve: Kafka's InvalidRequestException, the connection closes.
    const metadata = supportedApiVersions().find((k) => k.apiKey === ApiKey.Metadata)!;
    const other = await RawClient.open(port);
    other.send(rawRequest(ApiKey.Metadata, metadata.maxVersion + 1, 4, Buffer.alloc(16)));
    await other.waitClosed();
    expect(other.frames).toHaveLength(0);
    await apiVersionsAnswered(port);
  });

  it('a client vanishing mid-request is harmless: its requests finish in the model, the answers are dropped', async () => {
    const server = await startServer();
    const port = server.addresses[0].port;
    const good = await bystander(server);
    await good.send();
    for (let i = 0; i < 20; i++) {
      const client = await RawClient.open(port);
      // A long-polling Fetch, then the socket is torn down before its answer.
      client.send(fetchRequest(1, 'survivor', 500));
      client.send(metadataRequest(2));
      if (i % 2 === 0) client.socket.resetAndDestroy();
      else client.destroy();
    }
    const produce = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 9, clientId: 'raw' }, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'survivor', partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from('orphan') }] }) }] }],
    });
    const orphan = await RawClient.open(port);
    orphan.send(produce);
    orphan.destroy();
    // The produce was taken (as Kafka appends a request whose client then disappears); the server carries on.
    await waitFor(() => server.cluster.partitionState('survivor', 0).highWatermark === 2n, 'the orphan produce to be appended');
    await good.send();
    await waitFor(() => server.connectionCount <= 2, 'vanished connections to be closed');
    expect(server.cluster.partitionState('survivor', 0).highWatermark).toBe(3n);
  });

  it('a slow reader is held back by its own buffers: the broker stops serving it, others are unaffected', async () => {
    const server = await startServer();
    const port = server.addresses[0].port;
    const good = await bystander(server);
    const kafka = kafkaFor(server);
    const admin = kafka.admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'big', numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    onCleanup(() => producer.disconnect());
    await producer.connect();
    const value = Buffer.alloc(100_000, 7);
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'big', acks: 1, messages: [{ value }] });

    // Nobody else sends Fetch requests here: every Fetch the broker answers is one for the slow reader.
    const broker = server.cluster.broker(1);
    const original = broker.handleFrame.bind(broker);
    let fetchesHandled = 0;
    broker.handleFrame = async (frame, session) => {
      const response = await original(frame, session);
      if (frame.readInt16BE(0) === ApiKey.Fetch) fetchesHandled++;
      return response;
    };
    const REQUESTS = 60;
    const slow = await RawClient.open(port);
    slow.socket.pause();
    for (let i = 0; i < REQUESTS; i++) slow.send(fetchRequest(i, 'big', 0, 600_000));

    // Each answer is ~500 kB; the client reads none. Serving stops once kernel buffers and our 1 MiB are full.
    let last = -1;
    let unchangedSince = Date.now();
    await waitFor(() => {
      if (fetchesHandled !== last) {
        last = fetchesHandled;
        unchangedSince = Date.now();
      }
      return fetchesHandled > 0 && Date.now() - unchangedSince > 300;
    }, 'serving the slow reader to stall', 20_000);
    // About 11 on Linux defaults (kernel socket buffers plus our 1 MiB); the point is that it stops.
    expect(fetchesHandled).toBeLessThan(REQUESTS);
    for (let i = 0; i < 5; i++) await good.send();
    await good.check();

    // Once it reads, everything arrives, in order.
    slow.socket.resume();
    await waitFor(() => slow.frames.length === REQUESTS, `all ${REQUESTS} answers to reach the slow reader`, 30_000);
    expect(slow.frames.map((f) => f.readInt32BE(0))).toEqual(Array.from({ length: REQUESTS }, (_, i) => i));
    slow.destroy();
  });

  it('1,000 connections at once, each doing ApiVersions, are all answered', async () => {
    const server = await startServer();
    const port = server.addresses[0].port;
    const CONNECTIONS = 1000;
    const sockets: Socket[] = [];
    onCleanup(() => sockets.forEach((s) => s.destroy()));
    const one = (i: number) =>
      new Promise<number>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port });
        sockets.push(socket);
        let received = Buffer.alloc(0);
        socket.on('error', reject);
        socket.on('connect', () => socket.write(apiVersionsRequest(i)));
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
            const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 3, received.subarray(4));
            if (correlationId !== i || body.errorCode !== ErrorCode.NONE) reject(new Error(`bad answer on connection ${i}`));
            resolve(i);
          }
        });
      });
    const started = Date.now();
    const answered = await withTimeout(Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => one(i))), 45_000, '1,000 ApiVersions');
    expect(answered).toHaveLength(CONNECTIONS);
    expect(server.connectionCount).toBe(CONNECTIONS);
    expect(Date.now() - started).toBeLessThan(45_000);
    for (const socket of sockets) socket.destroy();
    await waitFor(() => server.connectionCount === 0, 'every connection to close', 20_000);
    await apiVersionsAnswered(port);
  });

  it('fuzz: random bytes against the live server never stop it, while a KafkaJS producer keeps its data', async () => {
    const server = await startServer();
    const port = server.addresses[0].port;
    const good = await bystander(server);
    const valid = [apiVersionsRequest(1), metadataRequest(2), fetchRequest(3, 'survivor', 0)].map((f) => f.subarray(4));
    const sized = (body: Uint8Array) => sizePrefixed(Buffer.from(body));
    const bytes = fc.oneof(
      // Anything at all, size prefix included.
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
      // A consistent size prefix around random content, sometimes after a real header.
      fc.uint8Array({ maxLength: 300 }).map(sized),
      fc.tuple(fc.integer({ min: -1, max: 80 }), fc.integer({ min: -1, max: 20 }), fc.uint8Array({ maxLength: 200 })).map(([key, version, body]) =>
        rawRequest(key, version, 5, Buffer.from(body)),
      ),
      // Real requests with a byte flipped or cut short.
      fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([frame, at, x]) => {
        const copy = Buffer.from(frame);
        copy[at % copy.length] ^= x;
        return sizePrefixed(copy);
      }),
      fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([frame, n]) => sizePrefixed(frame.subarray(0, n % frame.length))),
    );
    let runs = 0;
    const deadline = Date.now() + 40_000;
    await fc.assert(
      fc.asyncProperty(bytes, async (payload) => {
        if (Date.now() > deadline) return;
        runs++;
        const client = await RawClient.open(port);
        client.send(payload);
        // Answered, closed, or still waiting for bytes that never come: all fine, within 150 ms.
        await waitFor(() => client.closed || client.frames.length > 0, 'an outcome', 150).catch(() => {});
        client.destroy();
        if (runs % 20 === 0) await good.send();
      }),
      { numRuns: 200, seed: 5 },
    );
    expect(runs).toBeGreaterThan(50);
    await apiVersionsAnswered(port);
    await good.check();
  });
});
