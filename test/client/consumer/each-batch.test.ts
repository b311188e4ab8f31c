/**
 * The eachBatch payload and heartbeats from handlers (the intent of KafkaJS's consumeMessages.spec.js
 * "consume batches", "heartbeats are exposed in the eachMessage handler", "concurrent heartbeats are
 * consolidated and respect heartbeatInterval", the consume-transform-produce tests' uncommittedOffsets
 * checks, and issue #1729; semantics in `runner.processEachBatch` and `offsetManager`): resolveOffset,
 * eachBatchAutoResolve, uncommittedOffsets (partition keys are strings, as KafkaJS builds them from object
 * keys), commitOffsetsIfNecessary with and without offsets, isRunning after stop, and heartbeat().
 */
import { describe, expect, it } from 'vitest';
import type { Batch, EachBatchPayload, Offsets } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { committedOffsets, consumerOf, ofType, produceValues, range, recordEvents, startCluster } from './support.ts';

async function setup(options: { heartbeatInterval?: number; maxWaitTimeInMs?: number; partitions?: number } = {}) {
  const sim = startCluster({ topics: [{ topic: 'orders', numPartitions: options.partitions ?? 1 }] });
  const groupId = 'batches';
  const consumer = consumerOf(sim, {
    groupId,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100,
    heartbeatInterval: options.heartbeatInterval,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
  return { sim, groupId, consumer };
}

describe('eachBatch', () => {
  it('gets the fetched batch and the KafkaJS helper functions', async () => {
    const { sim, consumer } = await setup();
    const batches: Batch[] = [];
    const helpers: unknown[] = [];
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, uncommittedOffsets, commitOffsetsIfNecessary, pause }) => {
        batches.push(batch);
        helpers.push(resolveOffset, heartbeat, isRunning, isStale, uncommittedOffsets, commitOffsetsIfNecessary, pause);
      },
    });
    await produceValues(sim, 'orders', 0, [
      { key: 'key-1', value: 'value-1' },
      { key: 'key-2', value: 'value-2' },
    ]);
    await sim.runUntil(() => batches.length >= 1, { maxMs: 30_000 });
    expect(batches[0]).toMatchObject({
      topic: 'orders',
      partition: 0,
      highWatermark: '2',
      messages: [
        expect.objectContaining({ key: Buffer.from('key-1'), value: Buffer.from('value-1'), offset: '0' }),
        expect.objectContaining({ key: Buffer.from('key-2'), value: Buffer.from('value-2'), offset: '1' }),
      ],
    });
    expect(helpers).toEqual(Array.from({ length: 7 }, () => expect.any(Function)));
    await consumer.disconnect();
  });

  it('uncommittedOffsets() lists the next offset per resolved partition, keyed by a string partition, until it is committed', async () => {
    const { sim, consumer } = await setup();
    await produceValues(sim, 'orders', 0, range(3, 'm'));
    const seen: Offsets[] = [];
    let afterCommit: Offsets | undefined;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, uncommittedOffsets, commitOffsetsIfNecessary }) => {
        for (const message of batch.messages) {
          resolveOffset(message.offset);
          seen.push(uncommittedOffsets());
        }
        await commitOffsetsIfNecessary(uncommittedOffsets());
        afterCommit = uncommittedOffsets();
      },
    });
    await sim.runUntil(() => afterCommit !== undefined, { maxMs: 30_000 });
    expect(seen).toEqual(['1', '2', '3'].map((offset) => ({ topics: [{ topic: 'orders', partitions: [{ partition: '0', offset }] }] })));
    expect(afterCommit).toEqual({ topics: [] });
    await consumer.disconnect();
  });

  it('without eachBatchAutoResolve, what the handler did not resolve is not committed and comes back', async () => {
    const { sim, groupId, consumer } = await setup();
    await produceValues(sim, 'orders', 0, range(5, 'm'));
    const firstOffsets: string[] = [];
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        firstOffsets.push(batch.firstOffset()!);
        if (firstOffsets.length === 1) resolveOffset(batch.messages[1].offset);
      },
    });
    await sim.runUntil(() => firstOffsets.length >= 3, { maxMs: 30_000 });
    expect(firstOffsets.slice(0, 3)).toEqual(['0', '2', '2']);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '2' });
    await consumer.disconnect();
  });

  it('stop() during the batch: isRunning() turns false, and eachBatchAutoResolve still resolves the whole batch', async () => {
    const { sim, groupId, consumer } = await setup();
    await produceValues(sim, 'orders', 0, range(10, 'm'));
    const processed: string[] = [];
    const running: boolean[] = [];
    let stopping: Promise<void> | undefined;
    await consumer.run({
      eachBatch: async ({ batch, isRunning }) => {
        for (const message of batch.messages) {
          running.push(isRunning());
          if (!isRunning()) break;
          processed.push(message.offset);
          if (processed.length === 3) stopping = consumer.stop();
          await sim.sleep(10);
        }
      },
    });
    await sim.runUntil(() => stopping !== undefined, { maxMs: 30_000 });
    await stopping;
    expect(processed).toEqual(['0', '1', '2']);
    expect(running).toEqual([true, true, true, false]);
    // The handler stopped after three messages, yet the batch's last offset was resolved and committed.
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '10' });
    await consumer.disconnect();
  });

  it('stop() during the batch with eachBatchAutoResolve off commits only what the handler resolved', async () => {
    const { sim, groupId, consumer } = await setup();
    await produceValues(sim, 'orders', 0, range(10, 'm'));
    let stopping: Promise<void> | undefined;
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, isRunning, resolveOffset }) => {
        for (const message of batch.messages) {
          if (!isRunning()) break;
          resolveOffset(message.offset);
          if (message.offset === '2') stopping = consumer.stop();
          await sim.sleep(10);
        }
      },
    });
    await sim.runUntil(() => stopping !== undefined, { maxMs: 30_000 });
    await stopping;
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '3' });
    await consumer.disconnect();
  });
});

describe('eachBatch commitOffsetsIfNecessary (KafkaJS #1729)', () => {
  async function resolveAllThenCommitIfNecessary(run: { autoCommit: boolean; autoCommitThreshold?: number }, withOffsets: boolean) {
    const { sim, groupId, consumer } = await setup();
    await produceValues(sim, 'orders', 0, range(5, 'm'));
    let done = false;
    await consumer.run({
      ...run,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets }: EachBatchPayload) => {
        for (const message of batch.messages) {
          resolveOffset(message.offset);
          await heartbeat();
        }
        await commitOffsetsIfNecessary(withOffsets ? uncommittedOffsets() : undefined);
        done = true;
      },
    });
    await sim.runUntil(() => done, { maxMs: 30_000 });
    await sim.sleep(500);
    const committed = await committedOffsets(sim, groupId, 'orders');
    await consumer.disconnect();
    return committed;
  }

  it('without arguments and without interval or threshold, commits nothing (autoCommit false)', async () => {
    expect(await resolveAllThenCommitIfNecessary({ autoCommit: false }, false)).toEqual({ 0: '-1' });
  });

  it('without arguments, applies the threshold even though autoCommit is false', async () => {
    expect(await resolveAllThenCommitIfNecessary({ autoCommit: false, autoCommitThreshold: 1 }, false)).toEqual({ 0: '5' });
  });

  it('with offsets, commits exactly those whatever the auto-commit settings', async () => {
    expect(await resolveAllThenCommitIfNecessary({ autoCommit: false }, true)).toEqual({ 0: '5' });
  });
});

describe('heartbeat() from a handler', () => {
  it('eachMessage heartbeat() sends one heartbeat once heartbeatInterval has passed', async () => {
    const { sim, consumer } = await setup({ heartbeatInterval: 50, maxWaitTimeInMs: 5_000 });
    await produceValues(sim, 'orders', 0, ['only']);
    const events = recordEvents(sim, consumer, [consumer.events.HEARTBEAT]);
    let heartbeatsWhenConsumed = -1;
    await consumer.run({
      eachMessage: async ({ heartbeat }) => {
        await sim.sleep(100);
        await heartbeat();
        heartbeatsWhenConsumed = ofType(events, consumer.events.HEARTBEAT).length;
        await sim.sleep(100);
      },
    });
    await sim.runUntil(() => heartbeatsWhenConsumed >= 0, { maxMs: 30_000 });
    expect(heartbeatsWhenConsumed).toBe(1);
    await consumer.disconnect();
  });

  it('concurrent heartbeat() calls share one request and respect heartbeatInterval', async () => {
    const { sim, consumer } = await setup({ heartbeatInterval: 50, maxWaitTimeInMs: 0, partitions: 10 });
    for (let p = 0; p < 10; p++) await produceValues(sim, 'orders', p, range(20, `p${p}-`));
    const heartbeatRequests: number[] = [];
    sim.network.intercept(ApiKey.Heartbeat, ({ nowMs }) => {
      heartbeatRequests.push(nowMs);
      return { action: 'pass' };
    }, { keep: true });
    let consumed = 0;
    await consumer.run({
      partitionsConsumedConcurrently: 5,
      eachBatch: async ({ batch, heartbeat }) => {
        for (const _ of batch.messages) {
          await Promise.all([heartbeat(), heartbeat()]);
          await sim.sleep(10);
          consumed++;
        }
      },
    });
    await sim.runUntil(() => consumed >= 200, { maxMs: 60_000 });
    expect(heartbeatRequests.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < heartbeatRequests.length; i++) expect(heartbeatRequests[i] - heartbeatRequests[i - 1]).toBeGreaterThanOrEqual(50);
    await consumer.disconnect();
  });
});
