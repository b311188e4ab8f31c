import { describe, expect, it } from 'vitest';
import { ApiKey, type ApiKeyNumber, type ResponseByKey } from '../../src/protocol/index.ts';
import { VirtualRuntime } from '../../src/runtime/index.ts';
import type { ClusterNetwork } from '../../src/broker/ports.ts';
import {
  ConnectionClosedError,
  ConnectionRefusedError,
  InProcessNetwork,
  RequestTimeoutError,
  type Connection,
} from '../../src/network/index.ts';
import { FakeBroker, heartbeat, outcome, produceAcks0, setup } from './support/fake-broker.ts';

describe('in-process network: requests', () => {
  it('a typed request travels as a frame and resolves with the decoded response body', async () => {
    const { network, broker, connect, settle, runtime } = setup();
    const connection = await connect();
    expect(connection.isOpen).toBe(true);
    expect(connection.node).toBe('client-1');
    expect(connection.remote).toEqual({ host: 'localhost', port: 9092 });
    const startMs = runtime.now();
    const versions = await settle(connection.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'kafkasim', clientSoftwareVersion: '0' }));
    expect(versions).toMatchObject({ errorCode: 0, apiKeys: [{ apiKey: ApiKey.Heartbeat, minVersion: 0, maxVersion: 4 }] });
    // Default latency: 1 ms each way.
    expect(runtime.now() - startMs).toBe(2);
    const answer = await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()));
    expect(answer).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    // Correlation ids count from 0 per connection, as KafkaJS does.
    expect(broker.handled.map((h) => h.correlationId)).toEqual([0, 1]);
    expect(broker.handled[0]).toMatchObject({ clientNode: 'client-1', connectionId: connection.id });
    expect(network.connections()).toEqual([
      expect.objectContaining({ id: connection.id, clientNode: 'client-1', clientId: 'client-1-app', node: 'broker-1', isClientOpen: true, isServerOpen: true }),
    ]);
  });

  it('satisfies the broker model\'s ClusterNetwork port', () => {
    const network: ClusterNetwork = new InProcessNetwork(new VirtualRuntime({ drive: 'manual' }));
    expect(network.isReachable('broker-1', 'controller')).toBe(true);
    expect(network.sampleLatencyMs('broker-1', 'controller')).toBe(1);
  });

  it('Produce with acks=0 resolves undefined once sent and the broker sends nothing back', async () => {
    const { network, broker, connect, settle, runtime } = setup();
    const connection = await connect();
    const sent = await settle(connection.request(ApiKey.Produce, 7, produceAcks0, { expectResponse: false }));
    expect(sent).toBeUndefined();
    await runtime.runUntilIdle();
    expect(broker.handled.map((h) => h.apiKey)).toEqual([ApiKey.Produce]);
    expect(network.trace.filter((e) => e.kind === 'response')).toEqual([]);
  });

  it('a request nobody answers rejects with RequestTimeoutError and the connection stays open', async () => {
    const { network, connect, settle, runtime } = setup();
    const connection = await connect();
    network.intercept(ApiKey.Heartbeat, () => ({ action: 'drop' }));
    const startMs = runtime.now();
    await expect(settle(connection.request(ApiKey.Heartbeat, 4, heartbeat(), { timeoutMs: 5_000 }))).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(runtime.now() - startMs).toBe(5_000);
    expect(connection.isOpen).toBe(true);
    expect(network.trace.at(-1)).toMatchObject({ kind: 'request-timeout', outcome: 'timed-out', apiKey: ApiKey.Heartbeat, correlationId: 0 });
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).toEqual({ throttleTimeMs: 0, errorCode: 0 });
  });

  it('the late answer to a timed-out request is ignored, as KafkaJS ignores a "Response without match"', async () => {
    const { network, connect, settle } = setup();
    const connection = await connect();
    const late = settle(connection.request(ApiKey.Heartbeat, 4, heartbeat('slow-3000'), { timeoutMs: 1_000 }));
    await expect(late).rejects.toBeInstanceOf(RequestTimeoutError);
    // The slow answer arrives while the next request waits behind it (one at a time per connection).
    const next = await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()));
    expect(next).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    expect(connection.isOpen).toBe(true);
    expect(network.trace.filter((e) => e.kind === 'unmatched-response')).toEqual([
      expect.objectContaining({ outcome: 'ignored', correlationId: 0 }),
    ]);
  });
});

describe('in-process network: latency and ordering', () => {
  async function deliveryTimes(seed: number): Promise<number[]> {
    const { network, connect, settle, runtime } = setup(seed);
    network.setLatency('*', '*', { minMs: 1, maxMs: 50 });
    const connection = await connect();
    for (let i = 0; i < 5; i++) await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()));
    await runtime.runUntilIdle();
    return network.trace.filter((e) => e.outcome === 'delivered').map((e) => e.atMs - runtime.startMs);
  }

  it('draws jitter from the seed: the same seed gives the same delivery times, another seed others', async () => {
    const first = await deliveryTimes(7);
    expect(await deliveryTimes(7)).toEqual(first);
    expect(await deliveryTimes(8)).not.toEqual(first);
  });

  it('applies per-link latency in each direction, exact before wildcard before default', async () => {
    const { network, connect, settle, runtime } = setup();
    network.setLatency('client-1', 'broker-1', { minMs: 30, maxMs: 30 });
    network.setLatency('*', 'client-1', { minMs: 7, maxMs: 7 });
    network.setLatency('client-1', '*', { minMs: 500, maxMs: 500 });
    const connection = await connect();
    const sentMs = runtime.now();
    await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()));
    expect(runtime.now() - sentMs).toBe(37);
    const [request, response] = network.trace.filter((e) => e.kind === 'request' || e.kind === 'response');
    expect(request).toMatchObject({ from: 'client-1', to: 'broker-1', atMs: sentMs + 30, sentMs });
    expect(response).toMatchObject({ from: 'broker-1', to: 'client-1', atMs: sentMs + 37 });
    expect(network.latencyOf('client-2', 'broker-1')).toEqual({ minMs: 1, maxMs: 1 });
    expect(() => network.setLatency('a', 'b', { minMs: 5, maxMs: 2 })).toThrow(RangeError);
  });

  it('keeps each connection FIFO under jitter: messages never overtake one another', async () => {
    const { network, broker, connect, settle, runtime } = setup(3);
    network.setLatency('*', '*', { minMs: 0, maxMs: 100 });
    const connection = await connect();
    const requests = Array.from({ length: 40 }, () => connection.request(ApiKey.Produce, 7, produceAcks0, { expectResponse: false }));
    await settle(Promise.all(requests));
    await runtime.runUntilIdle();
    expect(broker.handled.map((h) => h.correlationId)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const arrivals = network.trace.filter((e) => e.kind === 'request' && e.outcome === 'delivered').map((e) => e.atMs);
    expect([...arrivals].sort((a, b) => a - b)).toEqual(arrivals);
    // Jitter did vary: not all arrived together.
    expect(new Set(arrivals).size).toBeGreaterThan(1);
  });

  it('processes one request per connection at a time, while other connections proceed concurrently', async () => {
    const { broker, connect, settle, runtime } = setup();
    const first = await connect('client-1');
    const second = await connect('client-2');
    const startMs = runtime.now();
    // A slow request (a long-polling Fetch, say) and a quick one behind it on the same connection.
    const slow = outcome(first.request(ApiKey.Heartbeat, 4, heartbeat('slow-500')));
    const behind = outcome(first.request(ApiKey.Heartbeat, 4, heartbeat('quick')));
    const elsewhere = outcome(second.request(ApiKey.Heartbeat, 4, heartbeat('other')));
    await settle(new Promise<void>((resolve) => runtime.timer(600, resolve)));
    expect(slow.settled && behind.settled && elsewhere.settled).toBe(true);
    const started = Object.fromEntries(broker.handled.map((h) => [h.groupId, h.startedMs - startMs]));
    expect(started).toEqual({ 'slow-500': 1, other: 1, quick: 501 });
  });
});

describe('in-process network: connections', () => {
  it('refuses a connect when nothing listens at the address', async () => {
    const { network, settle, runtime } = setup();
    const startMs = runtime.now();
    await expect(settle(network.connect({ host: 'localhost', port: 1 }, { clientId: 'c', node: 'client-1', timeoutMs: 1_000 }))).rejects.toBeInstanceOf(
      ConnectionRefusedError,
    );
    // Refused after a round trip, not at once.
    expect(runtime.now() - startMs).toBe(2);
    expect(network.trace.at(-1)).toMatchObject({ kind: 'connect', outcome: 'refused' });
  });

  it('refuses a connect while the endpoint is down and accepts again once it is back', async () => {
    const { broker, connect } = setup();
    broker.isAvailable = false;
    await expect(connect()).rejects.toBeInstanceOf(ConnectionRefusedError);
    broker.isAvailable = true;
    expect((await connect()).isOpen).toBe(true);
  });

  it('an endpoint crash closes all its connections: pending requests fail, sessions see the close', async () => {
    const { network, broker, connect, settle, runtime } = setup();
    const connections = [await connect('client-1'), await connect('client-2')];
    const reasons: Array<Error | null> = [];
    for (const c of connections) c.onClose((reason) => reasons.push(reason));
    const pending = outcome(connections[0].request(ApiKey.Heartbeat, 4, heartbeat('slow-1000')));
    await runtime.advance(10);
    expect(broker.handled).toHaveLength(1);
    broker.crash(network);
    await settle(new Promise<void>((resolve) => runtime.timer(5, resolve)));
    expect(pending.error).toBeInstanceOf(ConnectionClosedError);
    expect(connections.map((c) => c.isOpen)).toEqual([false, false]);
    expect(reasons).toHaveLength(2);
    expect(reasons.every((r) => r instanceof ConnectionClosedError)).toBe(true);
    await expect(connections[1].request(ApiKey.Heartbeat, 4, heartbeat())).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(connect('client-3')).rejects.toBeInstanceOf(ConnectionRefusedError);
    // The slow handler finishing after the crash sends nothing.
    await runtime.runUntilIdle();
    expect(network.trace.filter((e) => e.kind === 'response')).toEqual([]);
    expect(network.connections()).toEqual([]);
  });

  it('closeAll also closes the node\'s own outgoing connections (a broker\'s replica fetcher)', async () => {
    const { network, broker, runtime, connect } = setup();
    const sessionsClosed: string[] = [];
    const fetcher = await connect('broker-2');
    const original = broker.handleFrame.bind(broker);
    broker.handleFrame = (frame, session) => {
      session.onClose(() => sessionsClosed.push(session.connectionId));
      return original(frame, session);
    };
    void fetcher.request(ApiKey.Heartbeat, 4, heartbeat()).catch(() => {});
    await runtime.advance(1);
    network.closeAll('broker-2');
    expect(fetcher.isOpen).toBe(false);
    await runtime.runUntilIdle();
    expect(sessionsClosed).toEqual([fetcher.id]);
  });

  it('a client close reaches the broker after the requests sent before it (in-band, like a FIN)', async () => {
    const { broker, connect, runtime } = setup();
    const connection = await connect();
    void connection.request(ApiKey.Produce, 7, produceAcks0, { expectResponse: false });
    const pending = outcome(connection.request(ApiKey.Heartbeat, 4, heartbeat()));
    connection.close();
    expect(connection.isOpen).toBe(false);
    await runtime.runUntilIdle();
    expect(pending.error).toBeInstanceOf(ConnectionClosedError);
    // Both requests were on the wire before the close: the broker still processed them.
    expect(broker.handled.map((h) => h.apiKey)).toEqual([ApiKey.Produce, ApiKey.Heartbeat]);
  });

  it('a connection the endpoint rejects a frame on (malformed request) closes, and the client sees why', async () => {
    const { network, connect, settle } = setup();
    const connection = await connect();
    const reasons: Array<Error | null> = [];
    connection.onClose((reason) => reasons.push(reason));
    await expect(settle(connection.request(ApiKey.Heartbeat, 4, heartbeat('reject')))).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(connection.isOpen).toBe(false);
    expect(reasons[0]?.message).toMatch(/closed by broker-1/);
    expect(network.trace.find((e) => e.kind === 'close' && e.from === 'broker-1')?.detail).toMatch(/cannot parse this/);
  });

  it('a frame the broker cannot decode closes the connection', async () => {
    const { broker, connect, runtime } = setup();
    const connection = await connect();
    // Connection.request only sends what encodes, so reach under it for the link: a Heartbeat v4 header
    // (correlation id 5, client id '') followed by a truncated body.
    const link = (connection as unknown as { link: { sendFrame(frame: Buffer): void } }).link;
    link.sendFrame(Buffer.from('000c000400000005000000ff', 'hex'));
    await runtime.runUntilIdle();
    expect(connection.isOpen).toBe(false);
    expect(broker.handled).toEqual([]);
  });

  it('an endpoint that does not serve an api key closes the connection', async () => {
    const { connect, settle } = setup();
    const connection = await connect();
    await expect(
      settle(connection.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })),
    ).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(connection.isOpen).toBe(false);
  });

  it('any other endpoint error closes the connection too and is reported to onEndpointError', async () => {
    const errors: unknown[] = [];
    const { connect, settle } = setup(1, { onEndpointError: (error) => errors.push(error) });
    const connection = await connect();
    await expect(settle(connection.request(ApiKey.Heartbeat, 4, heartbeat('crash')))).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(errors).toEqual([expect.objectContaining({ message: 'handler bug' })]);
  });

  it('listen refuses a second endpoint on a taken address; unlisten closes the endpoint\'s connections', async () => {
    const { network, broker, connect, runtime } = setup();
    expect(() => network.listen(new FakeBroker(runtime, 'broker-9', 9092))).toThrow(/EADDRINUSE/);
    const connection = await connect();
    network.unlisten(broker);
    await runtime.runUntilIdle();
    expect(connection.isOpen).toBe(false);
    await expect(connect()).rejects.toBeInstanceOf(ConnectionRefusedError);
  });
});

describe('in-process network: runtime modes and observation', () => {
  it('works under auto drive: awaiting a tracked request runs virtual time just long enough', async () => {
    const runtime = new VirtualRuntime({ seed: 5 });
    const network = new InProcessNetwork(runtime);
    network.setLatency('*', '*', { minMs: 20, maxMs: 20 });
    network.listen(new FakeBroker(runtime, 'broker-1', 9092));
    const startMs = runtime.now();
    const connection = await runtime.track(network.connect({ host: 'localhost', port: 9092 }, { clientId: 'c', node: 'client-1', timeoutMs: 1_000 }));
    expect(await runtime.track(connection.request(ApiKey.Heartbeat, 4, heartbeat('slow-100')))).toMatchObject({ errorCode: 0 });
    expect(runtime.now() - startMs).toBe(40 + 40 + 100);
  });

  it('records nothing unless asked, and streams events to onTrace listeners either way', async () => {
    const runtime = new VirtualRuntime({ drive: 'manual' });
    const network = new InProcessNetwork(runtime);
    network.listen(new FakeBroker(runtime, 'broker-1', 9092));
    const seen: string[] = [];
    const unsubscribe = network.onTrace((event) => seen.push(`${event.kind} ${event.outcome}`));
    const connecting = outcome(network.connect({ host: 'localhost', port: 9092 }, { clientId: 'c', node: 'client-1', timeoutMs: 1_000 }));
    await runtime.runUntilIdle();
    unsubscribe();
    void (connecting.value as Connection).request(ApiKey.Heartbeat, 4, heartbeat());
    await runtime.runUntilIdle();
    expect(seen).toEqual(['connect delivered']);
    expect(network.trace).toEqual([]);
  });
});

/** A type-level check that request() is typed by api key. */
export async function typedRequest(connection: Connection): Promise<void> {
  const body: ResponseByKey[typeof ApiKey.Heartbeat] | undefined = await connection.request(ApiKey.Heartbeat, 4, heartbeat());
  void body;
  const key: ApiKeyNumber = ApiKey.Produce;
  void key;
}
