/**
 * An `eachMessage` slower than the session timeout: KafkaJS heartbeats only between messages, so the member
 * misses its heartbeats, the coordinator evicts it, its partition moves to the other member and is read
 * again from the last commit. The evicted member learns it on its next heartbeat (UNKNOWN_MEMBER_ID) and
 * re-joins without committing.
 */
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../../src/index.ts';
import { produceValues, startCluster } from '../support.ts';

describe('a consumer too slow for its group', () => {
  it('is evicted, its messages are delivered again to the other member, and it re-joins', async () => {
    const sim = startCluster({ topics: [{ topic: 'work', numPartitions: 2 }] });
    const logs: LogEntry[] = [];
    const kafka = sim.kafka({ logLevel: 1, logCreator: () => (entry) => void logs.push(entry) });
    const deliveries: Array<{ member: string; partition: number; value: string }> = [];
    const options = { groupId: 'slow', sessionTimeout: 10_000, heartbeatInterval: 1_000 };

    const slow = kafka.consumer(options);
    await slow.connect();
    await slow.subscribe({ topics: ['work'], fromBeginning: true });
    let stuck = false;
    await slow.run({
      eachMessage: async ({ partition, message }) => {
        deliveries.push({ member: 'slow', partition, value: message.value!.toString() });
        if (!stuck) {
          stuck = true;
          await sim.sleep(25_000); // stuck on its first message for longer than sessionTimeout
        }
      },
    });
    const fast = kafka.consumer(options);
    await fast.connect();
    await fast.subscribe({ topics: ['work'], fromBeginning: true });
    await fast.run({ eachMessage: async ({ partition, message }) => void deliveries.push({ member: 'fast', partition, value: message.value!.toString() }) });
    await sim.sleep(5_000); // both members joined and assigned

    await produceValues(sim, 'work', 0, ['p0-0', 'p0-1', 'p0-2']);
    await produceValues(sim, 'work', 1, ['p1-0']);
    await sim.sleep(90_000);

    const byFast = deliveries.filter((d) => d.member === 'fast').map((d) => d.value);
    // The slow member got stuck on the first message of its partition; that batch was never committed, so
    // after the eviction the fast member reads the partition again from the start: the message is delivered twice.
    const stuckOn = deliveries.find((d) => d.member === 'slow')!;
    expect(byFast).toContain(stuckOn.value);
    expect(byFast).toEqual(expect.arrayContaining(['p0-0', 'p0-1', 'p0-2', 'p1-0']));
    const messages = logs.map((l) => String(l.log.message));
    expect(messages.some((m) => m.includes('The coordinator is not aware of this member, re-joining the group'))).toBe(true);
    await slow.disconnect();
    await fast.disconnect();
  });
});
