/**
 * consumer.seek (the intent of KafkaJS's seek.spec.js and of consumeMessages.spec.js "discarding messages
 * after seeking"; semantics in `consumerGroup.seekOffsets` and `offsetManager.seek`): a seek is queued and
 * applied at the next fetch of its partition; with autoCommit it is an OffsetCommit of the seek offset (so
 * the committed offset can move backward, and -1/-2 are committed as they are and then resolved through
 * fromBeginning); without autoCommit it only moves the local position. While a seek is pending, eachMessage
 * stops iterating the partition's batch, eachBatch's isStale() is true and fetched batches are dropped.
 */
import { describe, expect, it } from 'vitest';
import {
  collectInto,
  committedOffsets,
  consumerOf,
  produceValues,
  range,
  startCluster,
  watchFetches,
  type Delivery,
} from './support.ts';

const at = (d: Delivery) => `${d.partition}@${d.offset}`;

async function seekSetup(options: { partitions?: number; fromBeginning?: boolean; maxWaitTimeInMs?: number; minBytes?: number } = {}) {
  const sim = startCluster({ topics: [{ topic: 'orders', numPartitions: options.partitions ?? 1 }] });
  const groupId = 'seekers';
  const consumer = consumerOf(sim, { groupId, maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100, minBytes: options.minBytes });
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders'], fromBeginning: options.fromBeginning ?? true });
  return { sim, groupId, consumer };
}

describe('consumer.seek', () => {
  it('recovers from an offset out of range by resetting to fromBeginning', async () => {
    const { sim, consumer } = await seekSetup();
    await produceValues(sim, 'orders', 0, ['only']);
    const deliveries: Delivery[] = [];
    const running = consumer.run({ eachMessage: collectInto(deliveries) });
    consumer.seek({ topic: 'orders', partition: 0, offset: '100' });
    await running;
    await sim.runUntil(() => deliveries.length >= 1, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map(at)).toEqual(['0@0']);
    await consumer.disconnect();
  });

  it('a committed offset beyond the end of the log is reset through fromBeginning (OFFSET_OUT_OF_RANGE)', async () => {
    const { sim, groupId, consumer } = await seekSetup();
    const admin = sim.kafka({ logLevel: 0 }).admin();
    await admin.connect();
    await admin.setOffsets({ groupId, topic: 'orders', partitions: [{ partition: 0, offset: '11' }] });
    await admin.disconnect();
    await produceValues(sim, 'orders', 0, ['only']);
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    await sim.runUntil(() => deliveries.length >= 1, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map(at)).toEqual(['0@0']);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '1' });
    await consumer.disconnect();
  });

  it('with autoCommit false moves only the local position: nothing is committed, and seeking back re-reads', async () => {
    const { sim, groupId, consumer } = await seekSetup();
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2']);
    const deliveries: Delivery[] = [];
    const running = consumer.run({ autoCommit: false, eachMessage: collectInto(deliveries) });
    consumer.seek({ topic: 'orders', partition: 0, offset: '2' });
    await running;
    await sim.runUntil(() => deliveries.length >= 1, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map(at)).toEqual(['0@2']);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '-1' });

    consumer.seek({ topic: 'orders', partition: 0, offset: '1' });
    await sim.runUntil(() => deliveries.length >= 3, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map(at)).toEqual(['0@2', '0@1', '0@2']);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '-1' });
    await consumer.disconnect();
  });

  it('moves one partition and leaves the other at its default', async () => {
    const { sim, consumer } = await seekSetup({ partitions: 2 });
    await produceValues(sim, 'orders', 1, ['a', 'b', 'c']);
    await produceValues(sim, 'orders', 0, ['d']);
    const deliveries: Delivery[] = [];
    void consumer.run({ eachMessage: collectInto(deliveries) });
    consumer.seek({ topic: 'orders', partition: 1, offset: '1' });
    await sim.runUntil(() => deliveries.length >= 3, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map(at).sort()).toEqual(['0@0', '1@1', '1@2']);
    await consumer.disconnect();
  });

  it('works for both partitions at once', async () => {
    const { sim, consumer } = await seekSetup({ partitions: 2 });
    await produceValues(sim, 'orders', 1, ['a', 'b']);
    await produceValues(sim, 'orders', 0, ['c', 'd', 'e']);
    const deliveries: Delivery[] = [];
    void consumer.run({ eachMessage: collectInto(deliveries) });
    consumer.seek({ topic: 'orders', partition: 0, offset: '2' });
    consumer.seek({ topic: 'orders', partition: 1, offset: '1' });
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map(at).sort()).toEqual(['0@2', '1@1']);
    await consumer.disconnect();
  });

  it('uses the last seek for a partition', async () => {
    const { sim, consumer } = await seekSetup();
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2']);
    const deliveries: Delivery[] = [];
    void consumer.run({ eachMessage: collectInto(deliveries) });
    for (const offset of ['0', '1', '2']) consumer.seek({ topic: 'orders', partition: 0, offset });
    await sim.runUntil(() => deliveries.length >= 1, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map(at)).toEqual(['0@2']);
    await consumer.disconnect();
  });

  it('with autoCommit commits the seek offset before fetching, so the committed offset moves backward', async () => {
    const { sim, groupId, consumer } = await seekSetup();
    await produceValues(sim, 'orders', 0, range(5, 'm'));
    const deliveries: Delivery[] = [];
    const committedWhenRedelivered: Array<Record<number, string>> = [];
    await consumer.run({
      eachMessage: collectInto(deliveries, async ({ message }) => {
        if (deliveries.length === 6 && message.offset === '2') committedWhenRedelivered.push(await committedOffsets(sim, groupId, 'orders'));
      }),
    });
    await sim.runUntil(() => deliveries.length === 5, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '5' });
    consumer.seek({ topic: 'orders', partition: 0, offset: '2' });
    await sim.runUntil(() => deliveries.length === 8, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.slice(5).map(at)).toEqual(['0@2', '0@3', '0@4']);
    expect(committedWhenRedelivered).toEqual([{ 0: '2' }]);
    expect(await committedOffsets(sim, groupId, 'orders')).toEqual({ 0: '5' });
    await consumer.disconnect();
  });
});

describe('seeking to the special offsets -2 (earliest) and -1 (latest)', () => {
  async function consumeAllThenSeek(fromBeginning: boolean, offset: string, autoCommit = true) {
    const { sim, groupId, consumer } = await seekSetup({ fromBeginning });
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2']);
    const deliveries: Delivery[] = [];
    const committedAtRedelivery: Array<Record<number, string>> = [];
    const running = consumer.run({
      autoCommit,
      eachMessage: collectInto(deliveries, async () => {
        if (deliveries.length === 4) committedAtRedelivery.push(await committedOffsets(sim, groupId, 'orders'));
      }),
    });
    // Start from the beginning whatever fromBeginning says, so both cases have consumed everything first.
    consumer.seek({ topic: 'orders', partition: 0, offset: '0' });
    await running;
    await sim.runUntil(() => deliveries.length === 3, { maxMs: 30_000 });
    await sim.sleep(1_000);
    consumer.seek({ topic: 'orders', partition: 0, offset });
    await sim.sleep(2_000);
    await produceValues(sim, 'orders', 0, ['m3']);
    await sim.runUntil(() => deliveries.length >= 4, { maxMs: 30_000 });
    await sim.sleep(1_000);
    await consumer.disconnect();
    return { deliveries: deliveries.slice(3).map(at), committedAtRedelivery };
  }

  it('seek -2 with autoCommit commits -2 and re-reads from the start when fromBeginning is true', async () => {
    const { deliveries, committedAtRedelivery } = await consumeAllThenSeek(true, '-2');
    expect(deliveries).toEqual(['0@0', '0@1', '0@2', '0@3']);
    expect(committedAtRedelivery).toEqual([{ 0: '-2' }]);
  });

  it('KafkaJS quirk: seek -2 with autoCommit goes to the end when fromBeginning is false', async () => {
    const { deliveries } = await consumeAllThenSeek(false, '-2');
    expect(deliveries).toEqual(['0@3']);
  });

  it('seek -1 with autoCommit skips to the end when fromBeginning is false', async () => {
    const { deliveries, committedAtRedelivery } = await consumeAllThenSeek(false, '-1');
    expect(deliveries).toEqual(['0@3']);
    expect(committedAtRedelivery).toEqual([{ 0: '-1' }]);
  });

  it('KafkaJS quirk: seek -1 with autoCommit re-reads from the start when fromBeginning is true', async () => {
    const { deliveries } = await consumeAllThenSeek(true, '-1');
    expect(deliveries).toEqual(['0@0', '0@1', '0@2', '0@3']);
  });

  it('KafkaJS quirk: without autoCommit, seek -1 resolves locally to an invalid position and fetches from offset 0', async () => {
    const { deliveries } = await consumeAllThenSeek(false, '-1', false);
    expect(deliveries).toEqual(['0@0', '0@1', '0@2', '0@3']);
  });
});

describe('a seek while a batch is being processed or fetched', () => {
  it('eachMessage stops iterating the stale batch; the seek offset is fetched again', async () => {
    const { sim, consumer } = await seekSetup({ minBytes: 1024, maxWaitTimeInMs: 500 });
    await produceValues(sim, 'orders', 0, range(10, 'm'));
    const offsets: string[] = [];
    void consumer.run({
      eachMessage: async ({ message }) => {
        offsets.push(message.offset);
        if (offsets.length === 1) consumer.seek({ topic: 'orders', partition: 0, offset: message.offset });
      },
    });
    await sim.runUntil(() => offsets.length >= 11, { maxMs: 30_000 });
    expect(offsets.slice(0, 11)).toEqual(['0', ...range(10, '')]);
    await consumer.disconnect();
  });

  it('eachBatch sees isStale() once seek was called for its partition', async () => {
    const { sim, consumer } = await seekSetup({ minBytes: 1024, maxWaitTimeInMs: 500 });
    await produceValues(sim, 'orders', 0, range(10, 'm'));
    const offsets: string[] = [];
    const staleness: boolean[] = [];
    void consumer.run({
      eachBatch: async ({ batch, isStale, heartbeat, resolveOffset }) => {
        for (const message of batch.messages) {
          staleness.push(isStale());
          if (isStale()) break;
          offsets.push(message.offset);
          if (offsets.length === 1) consumer.seek({ topic: 'orders', partition: 0, offset: message.offset });
          resolveOffset(message.offset);
          await heartbeat();
        }
      },
    });
    await sim.runUntil(() => offsets.length >= 11, { maxMs: 30_000 });
    expect(staleness.slice(0, 2)).toEqual([false, true]);
    expect(offsets.slice(0, 11)).toEqual(['0', ...range(10, '')]);
    await consumer.disconnect();
  });

  it('a fetch in flight when seek is called comes back discarded; the next fetch starts at the seek offset', async () => {
    const { sim, consumer } = await seekSetup({ maxWaitTimeInMs: 1000 });
    await produceValues(sim, 'orders', 0, range(10, 'm'));
    const offsets: string[] = [];
    void consumer.run({
      eachBatch: async ({ batch, heartbeat }) => {
        for (const message of batch.messages) offsets.push(message.offset);
        await heartbeat();
      },
    });
    await sim.runUntil(() => offsets.length === 10, { maxMs: 30_000 });
    const fetches = watchFetches(sim);
    await sim.runUntil(() => fetches.requests > 0, { maxMs: 30_000 });
    consumer.seek({ topic: 'orders', partition: 0, offset: '5' });
    await produceValues(sim, 'orders', 0, range(10, 'n')); // completes the long poll with offsets 10..19
    await sim.runUntil(() => offsets.length > 10, { maxMs: 30_000 });
    expect(fetches.withRecords[0]).toBe('orders/0');
    expect(offsets[10]).toBe('5');
    await consumer.disconnect();
  });
});
