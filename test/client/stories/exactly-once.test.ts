/**
 * Exactly-once consume-transform-produce with KafkaJS 2.2.4 (Kafka's KIP-98 transactions, with the input
 * offsets committed inside the transaction as Java's `sendOffsetsToTransaction` does): a worker reads `payments`, and for each record opens a transaction, sends the
 * transformed record to `receipts`, adds the input offset with `sendOffsets({ consumerGroupId, topics })` and
 * commits. Output and input offset become visible together or not at all.
 *
 * The worker is killed (`sim.kill`: no commit, no abort, no LeaveGroup) after sending one output record and
 * before committing. A new worker with the same `transactionalId` takes over: its first `transaction()`
 * (InitProducerId) fences the dead one's producer epoch and makes the coordinator abort its open
 * transaction; the group, once the dead member's session has expired, hands the new worker the input
 * partition at the last offset committed through a transaction, so it transforms that record again. A
 * worker that only stalled (and was evicted from the group) is a zombie: when it wakes up after the takeover,
 * its transaction has been aborted and its producer epoch fenced, so it cannot commit (INVALID_PRODUCER_EPOCH).
 *
 * What readers of `receipts` see:
 * - read_committed (KafkaJS's default): every input once, in order; nothing of the aborted transaction;
 * - read_uncommitted (`readUncommitted: true`): the aborted output too, so that input appears twice;
 * - neither sees the transaction markers (control records) in `eachMessage`, yet offsets advance past them:
 *   the delivered offsets have gaps where the markers are. A marker between records is committed past with
 *   the next record; a marker that ends the log is skipped by the consumer but, as in KafkaJS, committed only
 *   through `autoCommitInterval`/`autoCommitThreshold` (a batch of filtered records gets no end-of-batch commit).
 */
import { describe, expect, it } from 'vitest';
import type { Consumer, ConsumerRunConfig } from '../../../src/client/consumer/index.ts';
import type { Producer } from '../../../src/client/producer/index.ts';
import { committedOffset, readPartition, valuesOf } from '../producer/support.ts';
import { produceValues, quiet, startCluster, type SimCluster } from '../support.ts';

const PAYMENTS = ['pay-0', 'pay-1', 'pay-2', 'pay-3', 'pay-4', 'pay-5'];
const receiptOf = (payment: string) => `receipt for ${payment}`;

interface Worker {
  readonly consumer: Consumer;
  readonly producer: Producer;
}

interface Stall {
  /** The input record on which the worker stops, after sending its output and before the offsets and the commit. */
  readonly payment: string;
  /** Resolves when the worker wakes up again; never, for a worker that is about to be killed. */
  readonly until: Promise<void>;
}

const FOREVER: Promise<void> = new Promise(() => {});

/**
 * A worker: one transaction per input record. With `stall`, it stops on that record after the output was sent
 * and before the offsets and the commit; once woken, it carries on, and if the transaction fails it logs why
 * and stops for good (a real worker would exit).
 */
async function startWorker(sim: SimCluster, name: string, log: string[], stall?: Stall): Promise<Worker> {
  const kafka = sim.kafka(quiet);
  const producer = kafka.producer({ transactionalId: 'receipt-writer', maxInFlightRequests: 1, idempotent: true });
  const consumer = kafka.consumer({ groupId: 'receipt-workers', sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: ['payments'], fromBeginning: true });
  await consumer.run({
    autoCommit: false, // the offsets are committed by the transaction
    eachMessage: async ({ topic, partition, message }) => {
      const payment = message.value!.toString();
      const transaction = await producer.transaction();
      await transaction.send({ topic: 'receipts', messages: [{ key: message.key, value: receiptOf(payment) }] });
      log.push(`${name} sent ${receiptOf(payment)}`);
      if (payment === stall?.payment) {
        log.push(`${name} stalls`);
        await stall.until;
        log.push(`${name} wakes up`);
      }
      try {
        await transaction.sendOffsets({
          consumerGroupId: 'receipt-workers',
          topics: [{ topic, partitions: [{ partition, offset: (BigInt(message.offset) + 1n).toString() }] }],
        });
        await transaction.commit();
      } catch (error) {
        log.push(`${name} failed: ${(error as { type?: string }).type ?? String(error)}`);
        await FOREVER;
      }
      log.push(`${name} committed ${payment}`);
    },
  });
  return { consumer, producer };
}

interface Delivery {
  readonly offset: string;
  readonly value: string;
}

/** A new group reading `receipts` from the beginning until nothing more comes. */
async function readReceipts(sim: SimCluster, groupId: string, readUncommitted: boolean, run: ConsumerRunConfig = {}): Promise<Delivery[]> {
  const delivered: Delivery[] = [];
  const consumer = sim.kafka(quiet).consumer({ groupId, readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topics: ['receipts'], fromBeginning: true });
  await consumer.run({ ...run, eachMessage: async ({ message }) => void delivered.push({ offset: message.offset, value: message.value!.toString() }) });
  await sim.sleep(10_000);
  await consumer.disconnect();
  return delivered;
}

/**
 * The story: worker A dies inside the transaction for pay-3, worker B takes over and finishes. Answers what
 * the broker held for readers of `receipts` between the kill and the takeover.
 */
async function killedMidTransaction(sim: SimCluster, log: string[]): Promise<{ beforeTakeover: { committed: Array<string | null>; uncommitted: Array<string | null> } }> {
  await produceValues(sim, 'payments', 0, PAYMENTS);
  const first = await startWorker(sim, 'A', log, { payment: 'pay-3', until: FOREVER });
  await sim.runUntil(() => log.includes('A stalls'), { maxMs: 60_000 });
  sim.kill(first.consumer);
  sim.kill(first.producer);
  const beforeTakeover = {
    committed: await valuesOf(sim, 'receipts', 0, { readCommitted: true }),
    uncommitted: await valuesOf(sim, 'receipts', 0),
  };
  const second = await startWorker(sim, 'B', log);
  await sim.runUntil(() => log.includes(`B committed ${PAYMENTS.at(-1)}`), { maxMs: 120_000 });
  await second.consumer.disconnect();
  await second.producer.disconnect();
  return { beforeTakeover };
}

describe('exactly once: consume, transform, produce in a transaction', () => {
  it('a worker killed mid-transaction is replaced: the new one redoes the record and read_committed readers see each receipt once', async () => {
    const sim = startCluster({ topics: ['payments', 'receipts'] });
    const log: string[] = [];
    const { beforeTakeover } = await killedMidTransaction(sim, log);
    // The dead worker's transaction is still open: read_committed readers stop before it (at the LSO).
    expect(beforeTakeover.committed).toEqual(PAYMENTS.slice(0, 3).map(receiptOf));
    expect(beforeTakeover.uncommitted).toEqual(PAYMENTS.slice(0, 4).map(receiptOf));
    expect(log).toEqual([
      ...['pay-0', 'pay-1', 'pay-2'].flatMap((p) => [`A sent ${receiptOf(p)}`, `A committed ${p}`]),
      `A sent ${receiptOf('pay-3')}`,
      'A stalls', // and is killed
      ...['pay-3', 'pay-4', 'pay-5'].flatMap((p) => [`B sent ${receiptOf(p)}`, `B committed ${p}`]),
    ]);
    const committed = await readReceipts(sim, 'auditors', false);
    expect(committed.map((d) => d.value)).toEqual(PAYMENTS.map(receiptOf));
    // The input offsets went in with the transactions: the group is past every payment.
    expect(await committedOffset(sim, 'receipt-workers', 'payments', 0)).toBe(BigInt(PAYMENTS.length));
  });

  it('a stalled worker that wakes up after the takeover is fenced: its transaction was aborted and it cannot commit', async () => {
    const sim = startCluster({ topics: ['payments', 'receipts'] });
    const log: string[] = [];
    await produceValues(sim, 'payments', 0, PAYMENTS);
    let wakeUp = (): void => {};
    const zombie = await startWorker(sim, 'A', log, { payment: 'pay-3', until: new Promise<void>((resolve) => (wakeUp = resolve)) });
    await sim.runUntil(() => log.includes('A stalls'), { maxMs: 60_000 });
    // A is stuck in eachMessage: no heartbeats, so the group evicts it and B gets the partition.
    const successor = await startWorker(sim, 'B', log);
    await sim.runUntil(() => log.includes(`B committed ${PAYMENTS.at(-1)}`), { maxMs: 120_000 });
    wakeUp();
    await sim.runUntil(() => log.some((line) => line.startsWith('A failed')), { maxMs: 60_000 });
    expect(log.filter((line) => line.startsWith('A '))).toEqual([
      ...['pay-0', 'pay-1', 'pay-2'].flatMap((p) => [`A sent ${receiptOf(p)}`, `A committed ${p}`]),
      `A sent ${receiptOf('pay-3')}`,
      'A stalls',
      'A wakes up',
      'A failed: INVALID_PRODUCER_EPOCH',
    ]);
    sim.kill(zombie.consumer);
    sim.kill(zombie.producer);
    await successor.consumer.disconnect();
    await successor.producer.disconnect();
    expect((await readReceipts(sim, 'auditors', false)).map((d) => d.value)).toEqual(PAYMENTS.map(receiptOf));
    expect(await committedOffset(sim, 'receipt-workers', 'payments', 0)).toBe(BigInt(PAYMENTS.length));
  });

  it('a read_uncommitted reader sees the dead worker\'s aborted receipt as well', async () => {
    const sim = startCluster({ topics: ['payments', 'receipts'] });
    await killedMidTransaction(sim, []);
    const uncommitted = await readReceipts(sim, 'snoopers', true);
    expect(uncommitted.map((d) => d.value)).toEqual([...PAYMENTS.slice(0, 4), ...PAYMENTS.slice(3)].map(receiptOf));
  });

  it('control records never reach eachMessage, but offsets advance past them', async () => {
    const sim = startCluster({ topics: ['payments', 'receipts'] });
    await killedMidTransaction(sim, []);
    // Seven transactions wrote one record and one marker each (six commits, one abort): fourteen offsets.
    const log = sim.partitionState('receipts', 0);
    expect(log.highWatermark).toBe(14n);
    const stored = await readPartition(sim, 'receipts', 0);
    expect(stored.map((r) => Number(r.offset))).toEqual([0, 2, 4, 6, 8, 10, 12]);

    const committed = await readReceipts(sim, 'auditors', false);
    const uncommitted = await readReceipts(sim, 'snoopers', true);
    // Only data records were delivered; the odd offsets (the markers) never were.
    expect(committed.map((d) => Number(d.offset))).toEqual([0, 2, 4, 8, 10, 12]);
    expect(uncommitted.map((d) => Number(d.offset))).toEqual([0, 2, 4, 6, 8, 10, 12]);
    // The abort marker at 7 was passed over: the group committed beyond it with the next record. The commit
    // marker at 13 ends the log, and KafkaJS commits a batch that held only filtered records solely through
    // autoCommitInterval/autoCommitThreshold (none set by default): the consumer moved past it, the commit
    // stays at 13, and the next member of the group fetches the marker again and delivers nothing.
    expect(await committedOffset(sim, 'auditors', 'receipts', 0)).toBe(13n);
    expect(await committedOffset(sim, 'snoopers', 'receipts', 0)).toBe(13n);
    expect(await readReceipts(sim, 'auditors', false)).toEqual([]);

    // With autoCommitThreshold: 1 that marker-only batch is committed too: the group ends at the log end.
    const thresholdOne = await readReceipts(sim, 'auditors-threshold', false, { autoCommitThreshold: 1 });
    expect(thresholdOne.map((d) => Number(d.offset))).toEqual([0, 2, 4, 8, 10, 12]);
    expect(await committedOffset(sim, 'auditors-threshold', 'receipts', 0)).toBe(14n);
  });
});
