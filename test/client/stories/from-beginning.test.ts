/**
 * `subscribe({ topics, fromBeginning })` in KafkaJS 2.2.4 only answers one question: where does a group
 * start reading a partition it has no committed offset for (Kafka's `auto.offset.reset`)? `true` is the
 * earliest offset, the default (`false`) is the latest, so a new group without it never sees what was
 * written before it joined. A group that has committed resumes from its committed offset whatever
 * `fromBeginning` says: the setting is not "replay the topic".
 */
import { describe, expect, it } from 'vitest';
import type { Consumer } from '../../../src/client/consumer/index.ts';
import { committedOffset } from '../producer/support.ts';
import { produceValues, quiet, startCluster, type SimCluster } from '../support.ts';

interface Reader {
  readonly consumer: Consumer;
  readonly received: string[];
}

async function startReader(sim: SimCluster, groupId: string, fromBeginning: boolean | undefined): Promise<Reader> {
  const received: string[] = [];
  const consumer = sim.kafka(quiet).consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe(fromBeginning === undefined ? { topics: ['news'] } : { topics: ['news'], fromBeginning });
  await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
  await sim.sleep(2_000); // joined, assigned, and its starting offset resolved
  return { consumer, received };
}

/** Lets the readers catch up with everything written so far. */
async function drain(sim: SimCluster): Promise<void> {
  await sim.sleep(5_000);
}

describe('fromBeginning', () => {
  it('a new group with fromBeginning: true reads what was written before it joined', async () => {
    const sim = startCluster({ topics: ['news'] });
    await produceValues(sim, 'news', 0, ['old-1', 'old-2']);
    const reader = await startReader(sim, 'archivist', true);
    await produceValues(sim, 'news', 0, ['new-1']);
    await drain(sim);
    expect(reader.received).toEqual(['old-1', 'old-2', 'new-1']);
    await reader.consumer.disconnect();
  });

  it('a new group by default (fromBeginning: false) starts at the end: it only sees what is written after it joined', async () => {
    const sim = startCluster({ topics: ['news'] });
    await produceValues(sim, 'news', 0, ['old-1', 'old-2']);
    const reader = await startReader(sim, 'live-ticker', undefined);
    await produceValues(sim, 'news', 0, ['new-1']);
    await drain(sim);
    expect(reader.received).toEqual(['new-1']);
    await reader.consumer.disconnect();
  });

  for (const fromBeginning of [true, false]) {
    it(`an existing group resumes from its committed offset with fromBeginning: ${fromBeginning}, neither replaying nor skipping`, async () => {
      const sim = startCluster({ topics: ['news'] });
      await produceValues(sim, 'news', 0, ['n-0', 'n-1', 'n-2']);
      // First run: reads everything there is, commits at the end of the batch, leaves.
      const first = await startReader(sim, 'subscribers', true);
      await drain(sim);
      expect(first.received).toEqual(['n-0', 'n-1', 'n-2']);
      await first.consumer.disconnect();
      expect(await committedOffset(sim, 'subscribers', 'news', 0)).toBe(3n);

      // Written while nobody of the group was running.
      await produceValues(sim, 'news', 0, ['n-3', 'n-4']);

      const second = await startReader(sim, 'subscribers', fromBeginning);
      await produceValues(sim, 'news', 0, ['n-5']);
      await drain(sim);
      // true would replay n-0..n-2 and false would skip n-3, n-4 if they applied; the commit wins.
      expect(second.received).toEqual(['n-3', 'n-4', 'n-5']);
      await second.consumer.disconnect();
    });
  }
});
