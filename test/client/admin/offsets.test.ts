/**
 * admin offsets by topic: fetchTopicOffsets, fetchTopicOffsetsByTimestamp and deleteTopicRecords (the intent
 * of KafkaJS's fetchTopicOffsets, fetchTopicOffsetsByTimestamp and deleteTopicRecords specs). Records are
 * written with raw Produce requests (support.ts).
 */
import { describe, expect, it } from 'vitest';
import { createCluster, type LogEntry } from '../../../src/index.ts';
import { adminOf, produce } from './support.ts';

const byPartition = <T extends { partition: number }>(list: T[]): T[] => [...list].sort((a, b) => a.partition - b.partition);

describe('admin.fetchTopicOffsets', () => {
  it('answers offset = high and low per partition', async () => {
    const sim = createCluster({ brokers: 2, topics: [{ topic: 'orders', numPartitions: 2 }] });
    await sim.sleep(100);
    await produce(sim, 'orders', 0, ['a', 'b', 'c']);
    await produce(sim, 'orders', 1, ['d']);
    const admin = adminOf(sim);
    expect(byPartition(await admin.fetchTopicOffsets('orders'))).toEqual([
      { partition: 0, offset: '3', high: '3', low: '0' },
      { partition: 1, offset: '1', high: '1', low: '0' },
    ]);
  });

  it('sees the low watermark move after deleteTopicRecords', async () => {
    const sim = createCluster({ topics: ['orders'] });
    await sim.sleep(100);
    await produce(sim, 'orders', 0, ['a', 'b', 'c', 'd']);
    const admin = adminOf(sim);
    await admin.connect();
    await admin.fetchTopicMetadata();
    await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0, offset: '2' }] });
    expect(await admin.fetchTopicOffsets('orders')).toEqual([{ partition: 0, offset: '4', high: '4', low: '2' }]);
  });

  it('retries an unknown topic, then gives up with KafkaJSNumberOfRetriesExceeded', async () => {
    const sim = createCluster();
    const admin = adminOf(sim, { retry: { retries: 1 } });
    await expect(admin.fetchTopicOffsets('ghost')).rejects.toMatchObject({
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: { type: 'UNKNOWN_TOPIC_OR_PARTITION' },
    });
  });
});

describe('admin.fetchTopicOffsetsByTimestamp', () => {
  it('answers the first offset at or after the timestamp, and the high watermark where there is none', async () => {
    const sim = createCluster({ topics: [{ topic: 'events', numPartitions: 2 }] });
    await sim.sleep(100);
    await produce(sim, 'events', 0, ['a', 'b', 'c'], [1000, 2000, 3000]);
    await produce(sim, 'events', 1, ['x'], [1500]);
    const admin = adminOf(sim);
    expect(byPartition(await admin.fetchTopicOffsetsByTimestamp('events', 1800))).toEqual([
      { partition: 0, offset: '1' },
      { partition: 1, offset: '1' },
    ]);
    expect(byPartition(await admin.fetchTopicOffsetsByTimestamp('events', 0))).toEqual([
      { partition: 0, offset: '0' },
      { partition: 1, offset: '0' },
    ]);
    expect(byPartition(await admin.fetchTopicOffsetsByTimestamp('events', 5000))).toEqual([
      { partition: 0, offset: '3' },
      { partition: 1, offset: '1' },
    ]);
    // Without a timestamp KafkaJS asks for the latest offset.
    expect(byPartition(await admin.fetchTopicOffsetsByTimestamp('events'))).toEqual([
      { partition: 0, offset: '3' },
      { partition: 1, offset: '1' },
    ]);
  });

  it('answers the high watermark of an empty topic', async () => {
    const sim = createCluster({ topics: ['empty'] });
    const admin = adminOf(sim);
    expect(await admin.fetchTopicOffsetsByTimestamp('empty', 1000)).toEqual([{ partition: 0, offset: '0' }]);
  });
});

describe('admin.deleteTopicRecords', () => {
  const withRecords = async (count: number) => {
    const sim = createCluster({ brokers: 2, topics: [{ topic: 'orders', numPartitions: 2, replicationFactor: 2 }] });
    await sim.sleep(100);
    await produce(sim, 'orders', 0, Array.from({ length: count }, (_, i) => `r${i}`));
    await produce(sim, 'orders', 1, Array.from({ length: count }, (_, i) => `r${i}`));
    return sim;
  };

  it("deletes up to the given offset; '-1' deletes up to the high watermark", async () => {
    const sim = await withRecords(5);
    const admin = adminOf(sim);
    await admin.fetchTopicMetadata({ topics: ['orders'] });
    await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '-1' }] });
    expect(byPartition(await admin.fetchTopicOffsets('orders'))).toEqual([
      { partition: 0, offset: '5', high: '5', low: '3' },
      { partition: 1, offset: '5', high: '5', low: '5' },
    ]);
  });

  it('needs metadata already loaded: a fresh admin fails with KafkaJSTopicMetadataNotLoaded (as KafkaJS does)', async () => {
    const sim = await withRecords(1);
    const admin = adminOf(sim);
    await admin.connect();
    await expect(admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0, offset: '1' }] })).rejects.toMatchObject({
      name: 'KafkaJSTopicMetadataNotLoaded',
      topic: 'orders',
    });
  });

  it('fails for a partition without a known leader, before sending anything', async () => {
    const sim = await withRecords(1);
    const admin = adminOf(sim);
    await admin.fetchTopicMetadata();
    const error = await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 7, offset: '1' }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KafkaJSDeleteTopicRecordsError', message: 'Error while deleting records', retriable: false });
    expect((error as { partitions: unknown[] }).partitions).toMatchObject([
      { partition: 7, offset: '1', error: { name: 'KafkaJSBrokerNotFound', message: 'Could not find the leader for the partition', retriable: false } },
    ]);
  });

  it('wraps a broker refusal (offset past the high watermark) in KafkaJSNonRetriableError', async () => {
    const sim = await withRecords(2);
    const admin = adminOf(sim);
    await admin.fetchTopicMetadata();
    const error = await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 1, offset: '20' }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KafkaJSNonRetriableError', message: 'Error while deleting records' });
    expect((error as { cause: unknown }).cause).toMatchObject({
      name: 'KafkaJSDeleteTopicRecordsError',
      partitions: [{ partition: 1, offset: '20', error: { type: 'OFFSET_OUT_OF_RANGE' } }],
    });
    expect(byPartition(await admin.fetchTopicOffsets('orders'))[1].low).toBe('0');
  });

  it('warns, and deletes nothing, for an offset below the low watermark', async () => {
    const sim = await withRecords(4);
    const logs: LogEntry[] = [];
    const admin = adminOf(sim, { logs });
    await admin.fetchTopicMetadata();
    await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0, offset: '3' }] });
    await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0, offset: '1' }] });
    const warning = logs.find((entry) => entry.log.message.startsWith('The requested offset is before the earliest offset'));
    expect(warning).toMatchObject({ namespace: 'Admin', label: 'WARN', log: { topic: 'orders', partition: 0, offset: '1' } });
    expect(byPartition(await admin.fetchTopicOffsets('orders'))[0].low).toBe('3');
  });
});
