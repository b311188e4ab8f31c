/**
 * Producer lifecycle and instrumentation: connect/disconnect and the connection status sends check, the
 * producer's events with KafkaJS's envelope and payload keys, listener errors, maxInFlightRequests, kill,
 * and what happens to sends still running when `disconnect()` is called (KafkaJS does not wait for them).
 */
import { describe, expect, it } from 'vitest';
import { Partitioners, type EmbeddedCluster } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { cluster, kafka, valuesOf } from './support.ts';

const REQUEST_KEYS = ['apiKey', 'apiName', 'apiVersion', 'broker', 'clientId', 'correlationId', 'createdAt', 'duration', 'pendingDuration', 'sentAt', 'size'];
const REQUEST_TIMEOUT_KEYS = ['apiKey', 'apiName', 'apiVersion', 'broker', 'clientId', 'correlationId', 'createdAt', 'pendingDuration', 'sentAt'];

function producerOf(sim: EmbeddedCluster, config: Record<string, unknown> = {}, kafkaConfig: Record<string, unknown> = {}) {
  return kafka(sim, kafkaConfig).producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
}

describe('producer lifecycle and events', () => {
  it('emits connect and disconnect with the KafkaJS envelope, on the virtual clock; send checks the status', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = producerOf(sim);
    const seen: unknown[] = [];
    producer.on(producer.events.CONNECT, (event) => void seen.push({ ...event, at: sim.now() }));
    producer.on(producer.events.DISCONNECT, (event) => void seen.push({ ...event, at: sim.now() }));
    await expect(producer.send({ topic: 't', messages: [{ value: 'early' }] })).rejects.toThrow('The producer is disconnected');
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    await producer.disconnect();
    await expect(producer.send({ topic: 't', messages: [{ value: 'late' }] })).rejects.toMatchObject({
      name: 'KafkaJSError',
      message: 'The producer is disconnected',
      retriable: true,
    });
    expect(seen).toHaveLength(2);
    const [connect, disconnect] = seen as Array<{ id: number; type: string; timestamp: number; payload: unknown; at: number }>;
    expect(connect).toEqual({ id: expect.any(Number), type: 'producer.connect', timestamp: connect.at, payload: undefined, at: connect.at });
    expect(disconnect).toMatchObject({ type: 'producer.disconnect', timestamp: disconnect.at, payload: undefined });
    expect(disconnect.id).toBeGreaterThan(connect.id);
    expect(await valuesOf(sim, 't', 0)).toEqual(['a']);
  });

  it('emits producer.network.request for every request with KafkaJS payload keys', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = producerOf(sim, {}, { clientId: 'my-app' });
    const events: Array<{ type: string; payload: Record<string, unknown> }> = [];
    producer.on(producer.events.REQUEST, (event) => void events.push(event as never));
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    const names = events.map((e) => e.payload.apiName);
    expect(names[0]).toBe('ApiVersions');
    expect(names).toContain('Metadata');
    expect(names).toContain('Produce');
    for (const event of events) {
      expect(event.type).toBe('producer.network.request');
      expect(Object.keys(event.payload).sort()).toEqual(REQUEST_KEYS);
      expect(event.payload.clientId).toBe('my-app');
    }
    const produce = events.find((e) => e.payload.apiName === 'Produce')!;
    expect(produce.payload).toMatchObject({ apiKey: 0, apiVersion: 7, broker: sim.bootstrapBrokers[0] });
  });

  it('emits producer.network.request_timeout when a Produce gets no answer', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = producerOf(sim, {}, { requestTimeout: 500 });
    const timeouts: Array<{ type: string; payload: Record<string, unknown> }> = [];
    producer.on(producer.events.REQUEST_TIMEOUT, (event) => void timeouts.push(event as never));
    await producer.connect();
    sim.network.intercept(ApiKey.Produce, () => ({ action: 'drop' }));
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0].type).toBe('producer.network.request_timeout');
    expect(Object.keys(timeouts[0].payload).sort()).toEqual(REQUEST_TIMEOUT_KEYS);
    expect(timeouts[0].payload.apiName).toBe('Produce');
  });

  it('maxInFlightRequests: 1 queues requests per broker (request_queue_size events) and keeps call order', async () => {
    const sim = cluster({ topics: [{ topic: 't', numPartitions: 1 }] });
    const producer = producerOf(sim, { maxInFlightRequests: 1 });
    const sizes: Array<{ type: string; payload: Record<string, unknown> }> = [];
    producer.on(producer.events.REQUEST_QUEUE_SIZE, (event) => void sizes.push(event as never));
    const spans: Array<[number, number]> = [];
    producer.on(producer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'Produce') spans.push([payload.sentAt, payload.sentAt + payload.duration]);
    });
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ value: 'warm' }] });
    const values = Array.from({ length: 6 }, (_, i) => `m${i}`);
    await Promise.all(values.map((value) => producer.send({ topic: 't', messages: [{ value }] })));
    expect(sizes.length).toBeGreaterThan(0);
    expect(sizes[0]).toMatchObject({ type: 'producer.network.request_queue_size' });
    expect(Object.keys(sizes[0].payload).sort()).toEqual(['broker', 'clientId', 'queueSize']);
    expect(Math.max(...sizes.map((s) => s.payload.queueSize as number))).toBeGreaterThanOrEqual(1);
    const sorted = [...spans].sort((a, b) => a[0] - b[0]);
    expect(sorted.every((span, i) => i === 0 || span[0] >= sorted[i - 1][1])).toBe(true);
    expect(await valuesOf(sim, 't', 0)).toEqual(['warm', ...values]);
  });

  it('removes listeners, and logs (without failing the call) a listener that rejects', async () => {
    const sim = cluster({ topics: ['t'] });
    const errors: Array<{ message: string; eventName: unknown }> = [];
    const logCreator = () => (entry: { level: number; log: { message: string; eventName?: unknown } }) => {
      if (entry.level === 1) errors.push({ message: entry.log.message, eventName: entry.log.eventName });
    };
    const producer = producerOf(sim, {}, { logLevel: 1, logCreator });
    let calls = 0;
    const remove = producer.on(producer.events.CONNECT, () => void (calls += 1));
    producer.on(producer.events.CONNECT, async () => {
      throw new Error('listener broke');
    });
    remove();
    await producer.connect();
    await sim.sleep(1);
    expect(calls).toBe(0);
    expect(errors).toEqual([{ message: 'Failed to execute listener: listener broke', eventName: 'producer.connect' }]);
  });

  it('gives access to its namespaced logger', () => {
    const sim = cluster();
    const lines: Array<{ namespace: string; message: string }> = [];
    const logCreator = () => (entry: { namespace: string; log: { message: string } }) => void lines.push({ namespace: entry.namespace, message: entry.log.message });
    const producer = producerOf(sim, {}, { logLevel: 4, logCreator });
    producer.logger().info('hello');
    expect(lines).toEqual([{ namespace: 'Producer', message: 'hello' }]);
  });

  it('a killed producer never settles its sends', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = producerOf(sim);
    await producer.connect();
    let settled = false;
    void producer.send({ topic: 't', messages: [{ value: 'x' }] }).finally(() => (settled = true));
    sim.kill(producer);
    await sim.sleep(60_000);
    expect(settled).toBe(false);
  });

  it('disconnect() does not wait for a send that has not reached the broker yet: the send reconnects and completes', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = producerOf(sim);
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ value: 'warm' }] });
    let resolvedAt: number | null = null;
    const fireAndForget = producer.send({ topic: 't', messages: [{ value: 'ff' }] }).then((result) => ((resolvedAt = sim.now()), result));
    await producer.disconnect();
    const disconnectedAt = sim.now();
    expect(resolvedAt).toBeNull();
    // KafkaJS's retry loop sees a disconnected cluster, reconnects it and sends anyway: the producer ends up
    // connected again although its status says disconnected.
    expect(await fireAndForget).toHaveLength(1);
    expect(resolvedAt!).toBeGreaterThan(disconnectedAt);
    expect(await valuesOf(sim, 't', 0)).toEqual(['warm', 'ff']);
    await expect(producer.send({ topic: 't', messages: [{ value: 'after' }] })).rejects.toThrow('The producer is disconnected');
  });

  // KafkaJS's connection.disconnect() waits for requests already queued on the socket
  // (`requestQueue.waitForPendingRequests()`), so an in-flight Produce gets its answer and the record is
  // written once (closing at once would make the send resend it and the broker store it twice).
  it('disconnect() waits for a Produce already in flight, as KafkaJS does', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = producerOf(sim);
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ value: 'warm' }] });
    sim.network.intercept(ApiKey.Produce, () => ({ action: 'delay', ms: 100 }), { direction: 'response' });
    const inFlight = producer.send({ topic: 't', messages: [{ value: 'ff' }] });
    await sim.sleep(10);
    await producer.disconnect();
    expect(await inFlight).toMatchObject([{ baseOffset: '1' }]);
    expect(await valuesOf(sim, 't', 0)).toEqual(['warm', 'ff']);
  });
});
