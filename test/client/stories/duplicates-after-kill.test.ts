/**
 * The seed's ctrl+z story in KafkaJS's terms: KafkaJS commits at the end of each batch (and, with
 * `autoCommitThreshold`/`autoCommitInterval`, also inside it). A process killed in the middle of a batch
 * commits nothing more, so the next member of the group gets the uncommitted messages again.
 */
import { describe, expect, it } from 'vitest';
import type { Consumer } from '../../../src/client/consumer/index.ts';
import type { ConsumerRunConfig } from '../../../src/client/consumer/index.ts';
import { produceValues, quiet, startCluster, type SimCluster } from '../support.ts';

const TEN = Array.from({ length: 10 }, (_, i) => `m${i}`);

async function slowMember(sim: SimCluster, log: string[], run: ConsumerRunConfig = {}): Promise<Consumer> {
  const consumer = sim.kafka(quiet).consumer({ groupId: 'workers' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['jobs'], fromBeginning: true });
  await consumer.run({
    ...run,
    eachMessage: async ({ message }) => {
      log.push(`start ${message.value}`);
      await sim.sleep(1_000); // each message takes a second of (virtual) work
      log.push(`done ${message.value}`);
    },
  });
  return consumer;
}

/** What a fresh member of the group reads within a minute of joining. */
async function nextMemberReads(sim: SimCluster): Promise<string[]> {
  const received: string[] = [];
  const next = sim.kafka(quiet).consumer({ groupId: 'workers' });
  await next.connect();
  await next.subscribe({ topics: ['jobs'], fromBeginning: true });
  await next.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
  await sim.sleep(60_000);
  await next.disconnect();
  return received;
}

describe('duplicates after a kill', () => {
  it('a member killed mid-batch committed nothing: the next member gets the whole batch again', async () => {
    const sim = startCluster({ topics: ['jobs'] });
    await produceValues(sim, 'jobs', 0, TEN);
    const log: string[] = [];
    const first = await slowMember(sim, log);
    await sim.runUntil(() => log.includes('start m4'), { maxMs: 60_000 });
    sim.kill(first); // no disconnect, no commit, no LeaveGroup
    const again = await nextMemberReads(sim);
    // The dead process takes no further message (the handler's own await may still finish, as user code).
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start m0', 'start m1', 'start m2', 'start m3', 'start m4']);
    expect(again).toEqual(TEN); // m0..m3 were processed already: four duplicates, plus the interrupted m4
  });

  it('with autoCommitThreshold: 1 only the unfinished message comes back', async () => {
    const sim = startCluster({ topics: ['jobs'] });
    await produceValues(sim, 'jobs', 0, TEN);
    const log: string[] = [];
    const first = await slowMember(sim, log, { autoCommitThreshold: 1 });
    await sim.runUntil(() => log.includes('start m4'), { maxMs: 60_000 });
    sim.kill(first);
    expect(await nextMemberReads(sim)).toEqual(TEN.slice(4));
  });

  it('after a finished batch nothing comes back: KafkaJS committed at the end of the batch', async () => {
    const sim = startCluster({ topics: ['jobs'] });
    await produceValues(sim, 'jobs', 0, TEN);
    const log: string[] = [];
    const first = await slowMember(sim, log);
    await sim.runUntil(() => log.includes('done m9'), { maxMs: 60_000 });
    await sim.sleep(100);
    sim.kill(first);
    expect(await nextMemberReads(sim)).toEqual([]);
  });

  it('a normal disconnect lets the current message finish and commits what was processed', async () => {
    const sim = startCluster({ topics: ['jobs'] });
    await produceValues(sim, 'jobs', 0, TEN);
    const log: string[] = [];
    const first = await slowMember(sim, log);
    await sim.runUntil(() => log.includes('start m4'), { maxMs: 60_000 });
    await first.disconnect();
    expect(log.at(-1)).toBe('done m4');
    expect(await nextMemberReads(sim)).toEqual(TEN.slice(5));
  });
});
