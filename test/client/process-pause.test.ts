/**
 * `cluster.pause(client)` / `cluster.resume(client)`: a client stopped like SIGSTOP or a long GC pause.
 * Nothing of it runs and nothing leaves it while paused; what came due runs on resume, in order.
 */
import { describe, expect, it } from 'vitest';
import type { EachMessagePayload } from '../../src/index.ts';
import { quiet, startCluster } from './support.ts';

describe('a paused client', () => {
  it('a send made while paused leaves only on resume, then completes', async () => {
    const sim = startCluster({ topics: [{ topic: 'orders', numPartitions: 1 }] });
    const producer = sim.kafka(quiet).producer();
    await producer.connect();
    const node = sim.clientNode(producer);
    let requests = 0;
    sim.network.onTrace((e) => void (e.kind === 'request' && e.from === node && requests++));
    const requestsFrom = () => requests;
    const before = requestsFrom();
    sim.pause(producer);
    const pausedAt = sim.now();
    let acknowledgedAt: number | undefined;
    const sent = producer.send({ topic: 'orders', messages: [{ value: 'during the pause' }] }).then((r) => {
      acknowledgedAt = sim.now();
      return r;
    });
    await sim.sleep(5_000);
    expect(requestsFrom()).toBe(before);
    expect(acknowledgedAt).toBeUndefined();
    sim.resume(producer);
    const [metadata] = await sent;
    expect(metadata).toMatchObject({ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: '0' });
    expect(acknowledgedAt! - pausedAt).toBeGreaterThanOrEqual(5_000);
    expect(requestsFrom()).toBeGreaterThan(before);
    await producer.disconnect();
  });

  it('an answer that arrives while paused is delivered on resume, not before', async () => {
    const sim = startCluster({ topics: [{ topic: 'orders', numPartitions: 1 }] });
    const producer = sim.kafka(quiet).producer();
    await producer.connect();
    let acknowledgedAt: number | undefined;
    const sent = producer.send({ topic: 'orders', messages: [{ value: 'v' }] }).then(() => (acknowledgedAt = sim.now()));
    // The request is on its way (sent synchronously enough to leave before the pause takes effect, or
    // deferred with it): either way the caller hears nothing until the process runs again.
    sim.runtime.timer(1, () => sim.pause(producer));
    sim.runtime.timer(3_000, () => sim.resume(producer));
    const start = sim.now();
    await sent;
    expect(acknowledgedAt! - start).toBeGreaterThanOrEqual(3_000);
    expect(sim.partitionState('orders', 0).highWatermark).toBe(1n);
  });

  it('a consumer paused past its session timeout is evicted, its partitions move, and it re-joins on resume', async () => {
    const sim = startCluster({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    const kafka = sim.kafka(quiet);
    const assignments = new Map<string, number[]>();
    const start = async (name: string) => {
      const consumer = kafka.consumer({ groupId: 'workers', sessionTimeout: 10_000, heartbeatInterval: 1_000 });
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => assignments.set(name, payload.memberAssignment.orders ?? []));
      await consumer.connect();
      await consumer.subscribe({ topics: ['orders'] });
      await consumer.run({ eachMessage: async (_: EachMessagePayload) => undefined });
      return consumer;
    };
    const slow = await start('slow');
    const steady = await start('steady');
    await sim.runUntil(() => (assignments.get('slow')?.length ?? 0) === 1 && (assignments.get('steady')?.length ?? 0) === 1, { maxMs: 60_000 });

    sim.pause(slow);
    await sim.runUntil(() => assignments.get('steady')?.length === 2, { maxMs: 60_000 });

    assignments.delete('slow');
    sim.resume(slow);
    await sim.runUntil(() => assignments.get('slow')?.length === 1 && assignments.get('steady')?.length === 1, { maxMs: 60_000 });
    await Promise.all([slow.disconnect(), steady.disconnect()]);
  });

  it('pause and resume take only clients made by kafka(), and a killed client stays dead', async () => {
    const sim = startCluster();
    expect(() => sim.pause({})).toThrow(TypeError);
    expect(() => sim.resume({})).toThrow(TypeError);
    const producer = sim.kafka(quiet).producer();
    await producer.connect();
    sim.pause(producer);
    sim.kill(producer);
    sim.resume(producer);
    let settled = false;
    void producer.send({ topic: 'orders', messages: [{ value: 'v' }] }).finally(() => (settled = true));
    await sim.sleep(60_000);
    expect(settled).toBe(false);
  });

  it('a killed client sends nothing more, even when code of it still runs and asks', async () => {
    const sim = startCluster({ topics: [{ topic: 'orders', numPartitions: 1 }] });
    const producer = sim.kafka(quiet).producer();
    await producer.connect();
    const node = sim.clientNode(producer);
    let attempts = 0;
    sim.network.onTrace((e) => void ((e.kind === 'request' || e.kind === 'connect') && e.from === node && attempts++));
    sim.kill(producer);
    void producer.send({ topic: 'orders', messages: [{ value: 'after death' }] });
    await sim.sleep(10_000);
    expect(attempts).toBe(0);
  });
});
