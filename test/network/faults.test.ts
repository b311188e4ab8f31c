import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/index.ts';
import { ConnectionClosedError, ConnectionTimeoutError, RequestTimeoutError } from '../../src/network/index.ts';
import { FakeBroker, heartbeat, outcome, produceAcks0, setup } from './support/fake-broker.ts';

describe('network faults: partitions', () => {
  it('a partition black-holes both ways: requests never arrive, the connection stays open, heal restores', async () => {
    const { network, broker, connect, settle } = setup();
    const connection = await connect();
    const handle = network.partition(['client-1'], ['broker-1']);
    expect(network.isReachable('client-1', 'broker-1')).toBe(false);
    expect(network.isReachable('broker-1', 'client-1')).toBe(false);
    expect(network.isReachable('client-2', 'broker-1')).toBe(true);
    await expect(settle(connection.request(ApiKey.Heartbeat, 4, heartbeat(), { timeoutMs: 3_000 }))).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(connection.isOpen).toBe(true);
    expect(broker.handled).toEqual([]);
    expect(network.trace.filter((e) => e.kind === 'request').map((e) => e.outcome)).toEqual(['partitioned']);
    handle.heal();
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).toEqual({ throttleTimeMs: 0, errorCode: 0 });
  });

  it('a response already on its way when the partition starts is lost too', async () => {
    const { network, broker, connect, settle, runtime } = setup();
    network.setLatency('broker-1', 'client-1', { minMs: 100, maxMs: 100 });
    const connection = await connect();
    const pending = outcome(connection.request(ApiKey.Heartbeat, 4, heartbeat(), { timeoutMs: 1_000 }));
    await runtime.advance(50);
    expect(broker.handled).toHaveLength(1);
    network.partition(['broker-1'], ['client-1']);
    await settle(new Promise<void>((resolve) => runtime.timer(2_000, resolve)));
    expect(pending.error).toBeInstanceOf(RequestTimeoutError);
    const response = network.trace.find((e) => e.kind === 'response');
    // Checked when it would have arrived: sent before the partition, lost all the same.
    expect(response).toMatchObject({ outcome: 'partitioned' });
    expect((response?.atMs ?? 0) - (response?.sentMs ?? 0)).toBe(100);
  });

  it('connects across a partition time out; after heal they succeed', async () => {
    const { network, connect, runtime } = setup();
    network.partition(['client-1', 'client-2'], ['broker-1', 'broker-2']);
    const startMs = runtime.now();
    await expect(connect('client-1', 2_500)).rejects.toBeInstanceOf(ConnectionTimeoutError);
    expect(runtime.now() - startMs).toBe(2_500);
    network.heal();
    expect((await connect('client-1')).isOpen).toBe(true);
  });

  it('isolate cuts a node off from every node, including ones that appear later', async () => {
    const { network, connect } = setup();
    const handle = network.isolate('broker-1');
    expect(network.isReachable('client-1', 'broker-1')).toBe(false);
    expect(network.isReachable('broker-1', 'controller')).toBe(false);
    expect(network.isReachable('client-1', 'controller')).toBe(true);
    await expect(connect('client-7', 500)).rejects.toBeInstanceOf(ConnectionTimeoutError);
    handle.heal();
    expect((await connect('client-7')).isOpen).toBe(true);
  });

  it('partitionOneWay blocks one direction only: requests arrive, answers do not', async () => {
    const { network, broker, connect, settle } = setup();
    const connection = await connect();
    network.partitionOneWay(['broker-1'], ['client-1']);
    expect(network.isReachable('client-1', 'broker-1')).toBe(true);
    await expect(settle(connection.request(ApiKey.Heartbeat, 4, heartbeat(), { timeoutMs: 1_000 }))).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(broker.handled).toHaveLength(1);
  });

  it('a broker that crashed behind a partition leaves the client half-open; after heal the next request is reset', async () => {
    const { network, broker, connect, settle, runtime } = setup();
    const connection = await connect();
    network.partition(['client-1'], ['broker-1']);
    broker.crash(network);
    broker.isAvailable = true; // restarted
    await runtime.advance(100);
    // The close was black-holed: the client cannot know.
    expect(connection.isOpen).toBe(true);
    network.heal();
    await expect(settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(connection.isOpen).toBe(false);
    expect(broker.handled).toEqual([]);
    expect((await connect()).isOpen).toBe(true);
  });
});

describe('network faults: drops and disconnects', () => {
  it('drops individual messages on a link with the given probability, seeded', async () => {
    async function run(seed: number) {
      const { network, broker, connect, settle, runtime } = setup(seed);
      const connection = await connect();
      network.dropProbability('client-1', 'broker-1', 0.5);
      const results = await settle(
        Promise.all(
          Array.from({ length: 40 }, () =>
            connection.request(ApiKey.Heartbeat, 4, heartbeat(), { timeoutMs: 1_000 }).then(
              () => 'ok',
              (error: unknown) => (error instanceof RequestTimeoutError ? 'timeout' : 'other'),
            ),
          ),
        ),
      );
      await runtime.runUntilIdle();
      return { results, handled: broker.handled.length, dropped: network.trace.filter((e) => e.outcome === 'dropped').length };
    }
    const first = await run(11);
    expect(first.results).not.toContain('other');
    expect(first.dropped).toBeGreaterThan(5);
    expect(first.dropped).toBeLessThan(35);
    expect(first.handled).toBe(40 - first.dropped);
    expect(first.results.filter((r) => r === 'timeout')).toHaveLength(first.dropped);
    expect(await run(11)).toEqual(first);
  });

  it('drop probability 1 on the response link: the broker processes, the client times out', async () => {
    const { network, broker, connect, settle } = setup();
    const connection = await connect();
    network.dropProbability('broker-1', '*', 1);
    await expect(settle(connection.request(ApiKey.Heartbeat, 4, heartbeat(), { timeoutMs: 1_000 }))).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(broker.handled).toHaveLength(1);
    network.dropProbability('broker-1', '*', 0);
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).toBeDefined();
  });

  it('disconnect(node) closes every connection of that node at once on both ends', async () => {
    const { network, connect, runtime } = setup();
    const one = await connect('client-1');
    const two = await connect('client-1');
    const other = await connect('client-2');
    const pending = outcome(one.request(ApiKey.Heartbeat, 4, heartbeat('slow-100')));
    await runtime.advance(1);
    network.disconnect('client-1');
    expect([one.isOpen, two.isOpen, other.isOpen]).toEqual([false, false, true]);
    await runtime.runUntilIdle();
    expect(pending.error).toBeInstanceOf(ConnectionClosedError);
    expect(network.connections().map((c) => c.clientNode)).toEqual(['client-2']);
    expect(network.trace.filter((e) => e.kind === 'response')).toEqual([]);
  });

  it('disconnect(connectionId) closes just that connection', async () => {
    const { network, connect } = setup();
    const one = await connect('client-1');
    const two = await connect('client-1');
    network.disconnect(one.id);
    expect([one.isOpen, two.isOpen]).toEqual([false, true]);
  });
});

describe('network faults: interceptors (kfake ControlKey)', () => {
  it('drop: the request never reaches the broker; one-shot, so the next one passes', async () => {
    const { network, broker, connect, settle } = setup();
    const connection = await connect();
    const handle = network.intercept(ApiKey.Heartbeat, () => ({ action: 'drop' }));
    await expect(settle(connection.request(ApiKey.Heartbeat, 4, heartbeat(), { timeoutMs: 1_000 }))).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(handle).toMatchObject({ isActive: false, hits: 1 });
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).toBeDefined();
    expect(broker.handled).toHaveLength(1);
    expect(network.trace.filter((e) => e.kind === 'intercept')).toEqual([
      expect.objectContaining({ outcome: 'intercepted', action: 'drop', apiKey: ApiKey.Heartbeat, correlationId: 0, detail: 'request' }),
    ]);
  });

  it('pass leaves a one-shot armed until it handles a message; keep acts on every one', async () => {
    const { network, connect, settle } = setup();
    const connection = await connect();
    const seen: string[] = [];
    const once = network.intercept(ApiKey.Heartbeat, ({ request }) => {
      seen.push(request.body.groupId);
      return request.body.groupId === 'target' ? { action: 'respond', body: { errorCode: 27 } } : { action: 'pass' };
    });
    const always = network.intercept(ApiKey.ApiVersions, () => ({ action: 'respond', body: { errorCode: 35, apiKeys: [] } }), { keep: true });
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat('a')))).toMatchObject({ errorCode: 0 });
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat('target')))).toMatchObject({ errorCode: 27 });
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat('target')))).toMatchObject({ errorCode: 0 });
    expect(seen).toEqual(['a', 'target']);
    expect(once.isActive).toBe(false);
    for (let i = 0; i < 3; i++) expect(await settle(connection.request(ApiKey.ApiVersions, 3, {}))).toMatchObject({ errorCode: 35 });
    expect(always).toMatchObject({ isActive: true, hits: 3 });
    always.remove();
    expect(await settle(connection.request(ApiKey.ApiVersions, 3, {}))).toMatchObject({ errorCode: 0 });
  });

  it('respond answers without the broker seeing the request', async () => {
    const { network, broker, connect, settle } = setup();
    const connection = await connect();
    network.intercept(ApiKey.Heartbeat, ({ apiVersion, clientNode, node }) => {
      expect({ apiVersion, clientNode, node }).toEqual({ apiVersion: 4, clientNode: 'client-1', node: 'broker-1' });
      return { action: 'respond', body: { throttleTimeMs: 0, errorCode: 25 } };
    });
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).toEqual({ throttleTimeMs: 0, errorCode: 25 });
    expect(broker.handled).toEqual([]);
  });

  it('delay holds the request, and later requests of the connection wait behind it', async () => {
    const { network, broker, connect, settle, runtime } = setup();
    const connection = await connect();
    network.intercept(ApiKey.Heartbeat, () => ({ action: 'delay', ms: 300 }));
    const startMs = runtime.now();
    const first = connection.request(ApiKey.Heartbeat, 4, heartbeat('first'));
    const second = connection.request(ApiKey.Heartbeat, 4, heartbeat('second'));
    await settle(Promise.all([first, second]));
    expect(broker.handled.map((h) => [h.groupId, h.startedMs - startMs])).toEqual([
      ['first', 301],
      ['second', 301],
    ]);
  });

  it('response drop: the broker processed the request but the answer is lost, so a retry is a duplicate', async () => {
    const { network, broker, connect, settle } = setup();
    const connection = await connect();
    network.intercept(ApiKey.Produce, ({ response }) => {
      expect(response).toEqual({ responses: [], throttleTimeMs: 0, nodeEndpoints: [] });
      return { action: 'drop' };
    }, { direction: 'response' });
    const produce = { ...produceAcks0, acks: 1 };
    await expect(settle(connection.request(ApiKey.Produce, 7, produce, { timeoutMs: 1_000 }))).rejects.toBeInstanceOf(RequestTimeoutError);
    await settle(connection.request(ApiKey.Produce, 7, produce, { timeoutMs: 1_000 }));
    expect(broker.handled.map((h) => h.apiKey)).toEqual([ApiKey.Produce, ApiKey.Produce]);
  });

  it('response respond replaces the broker\'s answer; response delay holds it', async () => {
    const { network, connect, settle, runtime } = setup();
    const connection = await connect();
    network.intercept(ApiKey.Heartbeat, () => ({ action: 'respond', body: { errorCode: 22 } }), { direction: 'response' });
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).toMatchObject({ errorCode: 22 });
    network.intercept(ApiKey.Heartbeat, () => ({ action: 'delay', ms: 1_000 }), { direction: 'response' });
    const startMs = runtime.now();
    await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()));
    expect(runtime.now() - startMs).toBe(1_002);
  });

  it('request duplicate: the broker handles the request twice and the client gets the second answer', async () => {
    const { network, broker, connect, settle } = setup();
    const connection = await connect();
    const handle = network.intercept(ApiKey.Heartbeat, () => ({ action: 'duplicate' }));
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat('twice')))).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    expect(broker.handled.map((h) => [h.groupId, h.correlationId])).toEqual([
      ['twice', 0],
      ['twice', 0],
    ]);
    expect(handle.isActive).toBe(false);
    await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat('once')));
    expect(broker.handled.map((h) => h.groupId)).toEqual(['twice', 'twice', 'once']);
    expect(network.trace.filter((e) => e.kind === 'intercept')).toEqual([expect.objectContaining({ action: 'duplicate', detail: 'request' })]);
  });

  it('response duplicate: the copy matches no pending request and is ignored; the connection carries on', async () => {
    const { network, broker, connect, settle } = setup();
    const connection = await connect();
    network.intercept(ApiKey.Heartbeat, () => ({ action: 'duplicate' }), { direction: 'response' });
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    expect(broker.handled).toHaveLength(2);
    expect(network.trace.filter((e) => e.kind === 'unmatched-response')).toEqual([expect.objectContaining({ outcome: 'ignored', correlationId: 0 })]);
    expect(connection.isOpen).toBe(true);
  });

  it('close closes the connection; node and clientNode filters pick where an interceptor applies', async () => {
    const { network, runtime, connect, settle } = setup();
    const other = new FakeBroker(runtime, 'broker-2', 9093);
    network.listen(other);
    network.intercept(ApiKey.Heartbeat, () => ({ action: 'close' }), { node: 'broker-2', clientNode: 'client-2' });
    const toOne = await connect('client-2');
    const fromOne = await connect('client-1', 1_000, other);
    const target = await connect('client-2', 1_000, other);
    await settle(toOne.request(ApiKey.Heartbeat, 4, heartbeat()));
    await settle(fromOne.request(ApiKey.Heartbeat, 4, heartbeat()));
    await expect(settle(target.request(ApiKey.Heartbeat, 4, heartbeat()))).rejects.toBeInstanceOf(ConnectionClosedError);
    expect([toOne.isOpen, fromOne.isOpen, target.isOpen]).toEqual([true, true, false]);
  });

  it('clearFaults heals partitions and removes drops and interceptors, keeping latencies', async () => {
    const { network, connect, settle } = setup();
    network.setLatency('*', '*', { minMs: 5, maxMs: 5 });
    network.partition(['a'], ['b']);
    network.dropProbability('*', '*', 1);
    const handle = network.intercept(ApiKey.Heartbeat, () => ({ action: 'drop' }), { keep: true });
    network.clearFaults();
    expect(network.isReachable('a', 'b')).toBe(true);
    expect(handle.isActive).toBe(false);
    const connection = await connect();
    expect(await settle(connection.request(ApiKey.Heartbeat, 4, heartbeat()))).toBeDefined();
    expect(network.latencyOf('x', 'y')).toEqual({ minMs: 5, maxMs: 5 });
  });
});
