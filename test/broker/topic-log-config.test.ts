/**
 * A topic's configs reach its partition logs on every broker (Broker.logConfig): here the time-based roll and
 * its per-segment jitter, which only show over virtual time.
 */
import { describe, expect, it } from 'vitest';
import { createCluster, logLevel } from '../../src/index.ts';

/** Records per segment of `roller-0` on each broker after one record per virtual second for 60 s. */
async function recordsPerSegmentByBroker(configEntries: Array<{ name: string; value: string }>): Promise<number[][]> {
  const cluster = createCluster({ seed: 3, brokers: 2, topics: [{ topic: 'roller', numPartitions: 1, replicationFactor: 2, configEntries }] });
  const producer = cluster.kafka({ logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  for (let i = 0; i < 60; i++) {
    await producer.send({ topic: 'roller', messages: [{ value: String(i) }] });
    await cluster.sleep(1_000);
  }
  await producer.disconnect();
  const counts = [1, 2].map((brokerId) => {
    const segments = cluster.segments('roller', 0, brokerId);
    return segments.map((segment, i) => Number((segments[i + 1]?.baseOffset ?? 60n) - segment.baseOffset));
  });
  cluster.close();
  return counts;
}

describe('topic configs in the partition log', () => {
  it('segment.ms rolls a segment once its first record is that old; segment.jitter.ms rolls each segment up to that much sooner, differently on each replica', async () => {
    const [steady, steadyFollower] = await recordsPerSegmentByBroker([{ name: 'segment.ms', value: '10000' }]);
    // A record a second: every segment but the active one holds exactly ten, on both replicas.
    expect(steady.slice(0, -1).every((n) => n === 10)).toBe(true);
    expect(steadyFollower).toEqual(steady);
    const [jittered, jitteredFollower] = await recordsPerSegmentByBroker([
      { name: 'segment.ms', value: '10000' },
      { name: 'segment.jitter.ms', value: '9000' },
    ]);
    expect(jittered.slice(0, -1).every((n) => n >= 1 && n <= 10)).toBe(true);
    expect(jittered.slice(0, -1).some((n) => n < 10)).toBe(true);
    expect(jittered.length).toBeGreaterThan(steady.length);
    // Each replica draws its own jitter, as each Kafka log does: the two cut their segments differently.
    expect(jitteredFollower).not.toEqual(jittered);
  });
});
