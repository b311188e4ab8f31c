/**
 * When offsets are committed (the intent of KafkaJS's commitOffsets.spec.js, handlerErrorRecovery.spec.js
 * "commits the previous offsets", consumeMessages.spec.js "commits the last offsets processed before
 * stopping"; semantics in `runner.js` and `offsetManager`): with autoCommit, once per batch (after the
 * handler), plus within the batch when autoCommitInterval or autoCommitThreshold says so; before rethrowing
 * a handler error; never without autoCommit. consumer.commitOffsets commits what it is given, whatever
 * autoCommit says, without moving the fetch position, and is a no-op while the runner is not running.
 */
import { describe, expect, it } from 'vitest';
import {
  collectInto,
  committedOffsets,
  consumerOf,
  ofType,
  produceValues,
  range,
  recordEvents,
  startCluster,
  type Delivery,
} from './support.ts';

async function setup(options: { maxWaitTimeInMs?: number } = {}) {
  const sim = startCluster({ topics: ['orders'] });
  const groupId = 'committers';
  const consumer = consumerOf(sim, { groupId, maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100 });
  const events = recordEvents(sim, consumer, [consumer.events.COMMIT_OFFSETS, consumer.events.END_BATCH_PROCESS]);
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
  return { sim, groupId, consumer, events };
}

type Recorded = ReturnType<typeof recordEvents>;
const commitsOf = (events: Recorded) =>
  ofType(events, 'consumer.commit_offsets').map((e) => (e.payload.topics as Array<{ partitions: Array<{ offset: string }> }>)[0].partitions[0].offset);

describe('consumer.commitOffsets', () => {
  it('commits the given offset with autoCommit off, without moving the fetch position', async () => {
    const { sim, groupId, consumer, events } = await setup();
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2']);
    const offsets: string[] = [];
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        offsets.push(message.offset);
        if (offsets.length === 1) await consumer.commitOffsets([{ topic: 'orders', partition: 0, offset: '1' }]);
      },
    });
    await sim.runUntil(() => offsets.length >= 3, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(offsets).toEqual(['0', '1', '2']);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '1' });
    expect(commitsOf(events)).toEqual(['1']);
    await consumer.disconnect();
  });

  it('stores the metadata given with the offset', async () => {
    const { sim, groupId, consumer } = await setup();
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await consumer.commitOffsets([{ topic: 'orders', partition: 0, offset: '7', metadata: 'event-id-3' }]);
    const admin = sim.kafka({ logLevel: 0 }).admin();
    const [fetched] = await admin.fetchOffsets({ groupId, topics: ['orders'] });
    expect(fetched.partitions).toEqual([{ partition: 0, offset: '7', metadata: 'event-id-3' }]);
    await admin.disconnect();
    await consumer.disconnect();
  });

  it('accepts a partition given as a numeric string, as KafkaJS does (its check is only isNaN)', async () => {
    const { sim, groupId, consumer } = await setup();
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await consumer.commitOffsets([{ topic: 'orders', partition: '0' as unknown as number, offset: '4' }]);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '4' });
    await consumer.disconnect();
  });

  it('is a no-op between run() and the end of the first join (the runner is not running yet)', async () => {
    const { sim, groupId, consumer } = await setup();
    const running = consumer.run({ eachMessage: async () => undefined });
    await expect(consumer.commitOffsets([{ topic: 'orders', partition: 0, offset: '5' }])).resolves.toBeUndefined();
    await running;
    await sim.sleep(1_000);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '-1' });
    await consumer.disconnect();
  });
});

describe('auto-commit', () => {
  it('by default commits once per batch, after the handler, with the next offset to read', async () => {
    const { sim, groupId, consumer, events } = await setup();
    await produceValues(sim, 'orders', 0, range(10, 'm'));
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    await sim.runUntil(() => deliveries.length === 10, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(commitsOf(events)).toEqual(['10']);
    const kinds = events.map((e) => e.type);
    expect(kinds.indexOf('consumer.end_batch_process')).toBeLessThan(kinds.indexOf('consumer.commit_offsets'));
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '10' });
    await consumer.disconnect();
  });

  it('autoCommitThreshold adds commits inside the batch each time that many offsets were resolved', async () => {
    const { sim, consumer, events } = await setup();
    await produceValues(sim, 'orders', 0, range(10, 'm'));
    const deliveries: Delivery[] = [];
    await consumer.run({ autoCommitThreshold: 3, eachMessage: collectInto(deliveries) });
    await sim.runUntil(() => deliveries.length === 10, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(commitsOf(events)).toEqual(['3', '6', '9', '10']);
    await consumer.disconnect();
  });

  it('autoCommitInterval adds a commit inside the batch once the interval has passed since the last commit', async () => {
    const { sim, consumer, events } = await setup();
    await produceValues(sim, 'orders', 0, range(10, 'm'));
    const deliveries: Delivery[] = [];
    await consumer.run({ autoCommitInterval: 1_000, eachMessage: collectInto(deliveries, () => sim.sleep(300)) });
    await sim.runUntil(() => deliveries.length === 10, { maxMs: 30_000 });
    await sim.sleep(2_000);
    const commits = ofType(events, consumer.events.COMMIT_OFFSETS);
    expect(commitsOf(events).at(-1)).toBe('10');
    const withinBatch = commits.slice(0, -1);
    expect(withinBatch.length).toBeGreaterThanOrEqual(2);
    expect(withinBatch.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < withinBatch.length; i++) expect(withinBatch[i].at - withinBatch[i - 1].at).toBeGreaterThanOrEqual(1_000);
    await consumer.disconnect();
  });

  it('autoCommit false never commits, not even at the end of a batch', async () => {
    const { sim, groupId, consumer, events } = await setup();
    await produceValues(sim, 'orders', 0, range(5, 'm'));
    const deliveries: Delivery[] = [];
    await consumer.run({ autoCommit: false, autoCommitThreshold: 1, eachMessage: collectInto(deliveries) });
    await sim.runUntil(() => deliveries.length === 5, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(commitsOf(events)).toEqual([]);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '-1' });
    await consumer.disconnect();
  });

  it('commits the last offsets processed when stop() is called from the end-of-batch event', async () => {
    const { sim, groupId, consumer } = await setup();
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    consumer.on(consumer.events.END_BATCH_PROCESS, async () => {
      await consumer.stop();
    });
    await produceValues(sim, 'orders', 0, range(100, 'm'));
    await sim.runUntil(() => deliveries.length === 100, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map((d) => d.offset)).toEqual(range(100, ''));
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '100' });
    await consumer.disconnect();
  });
});

describe('a handler that throws', () => {
  it('eachMessage: the offsets resolved before the failing message are committed', async () => {
    const { sim, groupId, consumer } = await setup();
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2']);
    let raised = false;
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value!.toString() === 'm2') {
          raised = true;
          throw new Error('some error');
        }
      },
    });
    await sim.runUntil(() => raised, { maxMs: 30_000 });
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '2' });
    await consumer.disconnect();
  });

  it('eachMessage with autoCommit false: nothing is committed', async () => {
    const { sim, groupId, consumer } = await setup();
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2']);
    let raised = false;
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.value!.toString() === 'm2') {
          raised = true;
          throw new Error('some error');
        }
      },
    });
    await sim.runUntil(() => raised, { maxMs: 30_000 });
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '-1' });
    await consumer.disconnect();
  });

  it('eachBatch: what the handler resolved before throwing is committed', async () => {
    const { sim, groupId, consumer } = await setup();
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2']);
    let raised = false;
    void consumer.run({
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const message of batch.messages) {
          if (message.value!.toString() === 'm2') {
            raised = true;
            throw new Error('some error');
          }
          resolveOffset(message.offset);
        }
      },
    });
    await sim.runUntil(() => raised, { maxMs: 30_000 });
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '2' });
    await consumer.disconnect();
  });
});

describe('stop() and run() again', () => {
  it('a stopped consumer may run again and resumes after what it committed', async () => {
    const { sim, consumer } = await setup();
    await produceValues(sim, 'orders', 0, ['m0', 'm1']);
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    await sim.runUntil(() => deliveries.length === 2, { maxMs: 30_000 });
    await consumer.stop();
    await produceValues(sim, 'orders', 0, ['m2']);
    await consumer.run({ eachMessage: collectInto(deliveries) });
    await sim.runUntil(() => deliveries.length >= 3, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map((d) => d.value)).toEqual(['m0', 'm1', 'm2']);
    await consumer.disconnect();
  });
});
