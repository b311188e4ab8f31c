/**
 * End-to-end through the KafkaJS-identical client on an in-process cluster (virtual clock): `sendBatch` of
 * 1,000 x 100-byte messages at a time, consumed by `eachBatch` and, separately, by `eachMessage`; and the wall
 * time of the rebalance that follows killing one of two members with `sessionTimeout: 30000` (30 s of
 * virtual time). Goals on this machine: >= 1 M msgs/s with eachBatch, >= 300 k msgs/s with eachMessage,
 * the rebalance in under 20 ms of wall time.
 */
import { performance } from 'node:perf_hooks';
import { createCluster, logLevel } from '../src/index.ts';

const BATCH = 1_000;
const BATCHES = 100;
const TOTAL = BATCH * BATCHES;
const ROUNDS = 3;
const VALUE = Buffer.alloc(100, 97);

async function endToEnd(mode: 'eachBatch' | 'eachMessage', batches = BATCHES): Promise<{ produceSec: number; consumeSec: number }> {
  const total = BATCH * batches;
  const sim = createCluster({ topics: [{ topic: 'bench', numPartitions: 4 }] });
  const kafka = sim.kafka({ logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: () => ({ message }) => Number(message.key) % 4 });
  await producer.connect();
  const messages = Array.from({ length: BATCH }, (_, i) => ({ key: String(i), value: VALUE }));
  const produceStart = performance.now();
  for (let i = 0; i < batches; i++) await producer.sendBatch({ topicMessages: [{ topic: 'bench', messages }] });
  const produceSec = (performance.now() - produceStart) / 1000;
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `bench-${mode}` });
  await consumer.connect();
  await consumer.subscribe({ topics: ['bench'], fromBeginning: true });
  let consumed = 0;
  const consumeStart = performance.now();
  if (mode === 'eachBatch') {
    await consumer.run({ eachBatch: async ({ batch }) => void (consumed += batch.messages.length) });
  } else {
    await consumer.run({ eachMessage: async () => void consumed++ });
  }
  await sim.runUntil(() => consumed >= total, { maxMs: 600_000 });
  const consumeSec = (performance.now() - consumeStart) / 1000;
  await consumer.disconnect();
  return { produceSec, consumeSec };
}

async function rebalanceAfterKill(): Promise<number> {
  const sim = createCluster({ topics: [{ topic: 'r', numPartitions: 4 }], brokerConfig: { 'group.initial.rebalance.delay.ms': 0 } });
  const kafka = sim.kafka({ logLevel: logLevel.NOTHING });
  const survivor = kafka.consumer({ groupId: 'r', sessionTimeout: 30_000 });
  const victim = kafka.consumer({ groupId: 'r', sessionTimeout: 30_000 });
  for (const c of [survivor, victim]) {
    await c.connect();
    await c.subscribe({ topics: ['r'] });
  }
  let survivorPartitions = 0;
  survivor.on(survivor.events.GROUP_JOIN, (e) => {
    survivorPartitions = ((e.payload as { memberAssignment: Record<string, number[]> }).memberAssignment.r ?? []).length;
  });
  await survivor.run({ eachMessage: async () => undefined });
  await victim.run({ eachMessage: async () => undefined });
  await sim.runUntil(() => survivorPartitions === 2, { maxMs: 120_000 });
  sim.kill(victim);
  const start = performance.now();
  await sim.runUntil(() => survivorPartitions === 4, { maxMs: 120_000 });
  const wallMs = performance.now() - start;
  await survivor.disconnect();
  return wallMs;
}

export default async function run(): Promise<void> {
  console.log(
    `client end to end: ${BATCHES} x sendBatch(${BATCH} x ${VALUE.length} B), 4 partitions, virtual clock; ` +
      `median of ${ROUNDS} interleaved rounds per mode after one full warm-up run per mode (steady state, as the ` +
      'cluster bench measures; the first run in a process also pays for JIT and fresh memory)',
  );
  for (const mode of ['eachBatch', 'eachMessage'] as const) await endToEnd(mode);
  const rounds = { eachBatch: [] as Array<{ produceSec: number; consumeSec: number }>, eachMessage: [] as Array<{ produceSec: number; consumeSec: number }> };
  for (let round = 0; round < ROUNDS; round++) for (const mode of ['eachBatch', 'eachMessage'] as const) rounds[mode].push(await endToEnd(mode));
  for (const mode of ['eachBatch', 'eachMessage'] as const) {
    const produce = rounds[mode].map((r) => TOTAL / r.produceSec / 1000).sort((a, b) => a - b);
    const consume = rounds[mode].map((r) => TOTAL / r.consumeSec / 1000).sort((a, b) => a - b);
    const mid = ROUNDS >> 1;
    console.log(
      `  ${mode.padEnd(11)} produce ${produce[mid].toFixed(0).padStart(6)} k msgs/s   consume ${consume[mid].toFixed(0).padStart(6)} k msgs/s   (goal ${mode === 'eachBatch' ? '1000' : '300'} k; ` +
        `consume rounds ${consume.map((c) => c.toFixed(0)).join(', ')})`,
    );
  }
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) samples.push(await rebalanceAfterKill());
  samples.sort((a, b) => a - b);
  console.log(`  rebalance after a kill (sessionTimeout 30000): median ${samples[2].toFixed(1)} ms wall (goal < 20 ms), runs ${samples.map((s) => s.toFixed(1)).join(', ')}`);
}
