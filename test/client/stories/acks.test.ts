/**
 * What an acknowledgement is worth (Kafka's replication design §4.7; SEMANTICS.md "Producer and replication
 * settings"), on 3 brokers with a topic of replication factor 3 and `min.insync.replicas=2`.
 *
 * The fault: the partition's leader is cut off from the other two brokers and from the controller by a
 * network partition, while clients still reach it. It does not know it is cut off, so it keeps taking
 * writes. The controller stops hearing its heartbeats, fences it after `broker.session.timeout.ms`, and makes
 * a follower leader. When the partition heals, the old leader learns the new leader epoch, becomes a follower
 * and truncates its log to the new leader's.
 *
 * - acks=1: the isolated leader acknowledges a write that no follower has. The truncation removes it: an
 *   acknowledged write is lost, and its offset is later given to another record.
 * - acks=-1 (all): the isolated leader appends the write but cannot acknowledge it, since no follower
 *   fetches it. Either the send fails (the caller knows the write is not safe) or, once the producer reaches
 *   the new leader, it is written there and survives. An acknowledged write is never lost.
 *
 * A KafkaJS detail the acks=-1 stories show: a Produce that times out is retried against the same broker
 * without a metadata refresh (KafkaJS refreshes only on stale-metadata, connection and retriable protocol
 * errors), and the periodic refresh (`metadataMaxAge`, 5 minutes) asks a connected broker, here the isolated
 * one, which still names itself leader. So a long enough outage exhausts the retries on the old leader.
 */
import { describe, expect, it } from 'vitest';
import { Partitioners, type EmbeddedCluster } from '../../../src/index.ts';
import { cluster, kafka, readPartition } from '../producer/support.ts';

async function setup(retry: { retries?: number } = {}) {
  const sim = cluster({
    seed: 1,
    brokers: 3,
    brokerConfig: { 'min.insync.replicas': 2 },
    topics: [{ topic: 'ledger', numPartitions: 1, replicationFactor: 3 }],
  });
  const producer = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner, retry });
  await producer.connect();
  await producer.send({ topic: 'ledger', messages: [{ value: 'opening balance' }] }); // acks=-1: on all three
  await sim.sleep(1_000);
  return { sim, producer };
}

/** Cuts the current leader off from the other brokers and the controller; clients still reach it. */
function isolateLeader(sim: EmbeddedCluster): { oldLeader: number; heal: () => void } {
  const oldLeader = sim.partitionState('ledger', 0).leader;
  const others = [...sim.model.brokers.keys()].filter((id) => id !== oldLeader).map((id) => `broker-${id}`);
  const cut = sim.network.partition([`broker-${oldLeader}`], [...others, 'controller']);
  return { oldLeader, heal: () => cut.heal() };
}

/** What the partition holds up to its high watermark, as `offset:value`. */
async function ledger(sim: EmbeddedCluster): Promise<string[]> {
  return (await readPartition(sim, 'ledger', 0)).map((r) => `${r.offset}:${r.value}`);
}

function replicaOf(sim: EmbeddedCluster, brokerId: number) {
  return sim.partitionState('ledger', 0).replicaStates.find((r) => r.brokerId === brokerId)!;
}

type Outcome = { acknowledged: true; baseOffset: string } | { acknowledged: false; error: string };

describe('acks and a leader failover', () => {
  it('acks=1: an isolated leader acknowledges a write, the failover truncates it, and its offset goes to another record', async () => {
    const { sim, producer } = await setup();
    const { oldLeader, heal } = isolateLeader(sim);

    const [ack] = await producer.send({ topic: 'ledger', acks: 1, messages: [{ value: 'deposit 100' }] });
    expect(ack).toMatchObject({ partition: 0, errorCode: 0, baseOffset: '1' }); // the caller believes it is stored

    await sim.sleep(20_000); // the controller fences the old leader and elects a follower
    const during = sim.partitionState('ledger', 0);
    expect(during.leader).not.toBe(oldLeader);
    expect(during.isr).not.toContain(oldLeader);
    // The old leader still thinks it leads, holds the write, but could never count it as committed: its high
    // watermark stayed below it, so no consumer could have read it.
    expect(replicaOf(sim, oldLeader)).toMatchObject({ role: 'leader', logEndOffset: 2n, highWatermark: 1n });

    heal();
    await sim.sleep(20_000);
    expect(replicaOf(sim, oldLeader)).toMatchObject({ role: 'follower', logEndOffset: 1n }); // truncated
    expect(await ledger(sim)).toEqual(['0:opening balance']); // LOSS of an acknowledged write

    // The next write (its retry finds the old leader is now a follower, refreshes metadata and goes to the
    // new leader) takes the acknowledged offset: the ack and the log now disagree about offset 1.
    const [next] = await producer.send({ topic: 'ledger', acks: 1, messages: [{ value: 'withdraw 30' }] });
    expect(next.baseOffset).toBe('1');
    expect(await ledger(sim)).toEqual(['0:opening balance', '1:withdraw 30']);
  });

  it('acks=-1, min.insync.replicas=2, a short outage: the send is acknowledged only by the new leader, and the record survives', async () => {
    const { sim, producer } = await setup();
    const { oldLeader, heal } = isolateLeader(sim);

    let outcome: Outcome | undefined;
    void producer.send({ topic: 'ledger', messages: [{ value: 'deposit 100' }] }).then(
      ([meta]) => (outcome = { acknowledged: true, baseOffset: meta.baseOffset! }),
      (error: Error) => (outcome = { acknowledged: false, error: error.name }),
    );
    await sim.sleep(20_000);
    expect(outcome).toBeUndefined(); // no follower fetched it: the old leader cannot acknowledge it
    expect(replicaOf(sim, oldLeader)).toMatchObject({ role: 'leader', logEndOffset: 2n, highWatermark: 1n });

    heal();
    await sim.runUntil(() => outcome !== undefined, { maxMs: 60_000 });
    expect(outcome).toEqual({ acknowledged: true, baseOffset: '1' });
    await sim.sleep(10_000);
    expect(sim.partitionState('ledger', 0).leader).not.toBe(oldLeader);
    // Once, although the old leader had appended a copy: that copy was truncated and the retry written anew.
    expect(await ledger(sim)).toEqual(['0:opening balance', '1:deposit 100']);
    expect(replicaOf(sim, oldLeader)).toMatchObject({ role: 'follower', logEndOffset: 2n });
  });

  it('acks=-1, min.insync.replicas=2, an outage longer than the retries: the send fails, and nothing of it remains', async () => {
    const { sim, producer } = await setup({ retries: 3 });
    const { oldLeader, heal } = isolateLeader(sim);

    const started = sim.now();
    const error = await producer.send({ topic: 'ledger', messages: [{ value: 'deposit 100' }] }).catch((e: unknown) => e);
    // Each of the four attempts waited the request timeout (30 s) on the old leader, then a retry backoff.
    expect(error).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', message: 'Request Produce(key: 0, version: 7) timed out' });
    expect(sim.now() - started).toBeGreaterThan(4 * 30_000);
    // Each attempt was appended by the isolated leader and never committed.
    expect(replicaOf(sim, oldLeader)).toMatchObject({ role: 'leader', highWatermark: 1n });
    expect(replicaOf(sim, oldLeader).logEndOffset).toBeGreaterThan(2n);

    heal();
    await sim.sleep(20_000);
    expect(replicaOf(sim, oldLeader)).toMatchObject({ role: 'follower', logEndOffset: 1n });
    expect(await ledger(sim)).toEqual(['0:opening balance']); // not acknowledged, not stored: the caller knew
  });
});
