/**
 * The genuine KafkaJS 2.2.4 over TCP against the kafkasim wire server (`startBrokerServer`, one broker on an
 * ephemeral 127.0.0.1 port, real clock): 100 x `sendBatch` of 1,000 x 100-byte messages (acks -1, 4
 * partitions), then one consumer reading them all with `eachBatch`. What it shows is the server's cost per
 * message as a real client sees it (framing, decoding, handlers, sockets) next to the in-process figures of
 * client.bench.ts. Bounded: each phase stops at 120 s of wall time and reports what it did.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { startBrokerServer } from '../src/index.ts';

const require = createRequire(import.meta.url);
const kafkajs = require('kafkajs') as typeof import('kafkajs');

const BATCH = 1_000;
const BATCHES = 100;
const TOTAL = BATCH * BATCHES;
const VALUE = Buffer.alloc(100, 97);
const PARTITIONS = 4;
const PHASE_LIMIT_MS = 120_000;

interface Phase {
  readonly messages: number;
  readonly seconds: number;
  readonly complete: boolean;
}

const rate = (phase: Phase) => `${(phase.messages / phase.seconds / 1000).toFixed(0).padStart(5)} k msgs/s`;
const describePhase = (phase: Phase) =>
  `${rate(phase)}  (${phase.messages.toLocaleString('en-US')} msgs in ${phase.seconds.toFixed(2)} s${phase.complete ? '' : `, stopped at the ${PHASE_LIMIT_MS / 1000} s bound`})`;

export default async function run(): Promise<void> {
  console.log(
    `wire: genuine KafkaJS ${require('kafkajs/package.json').version} over TCP to the kafkasim server (1 broker, 127.0.0.1, real clock), ` +
      `${BATCHES} x sendBatch(${BATCH} x ${VALUE.length} B), ${PARTITIONS} partitions, acks -1, consumed with eachBatch`,
  );
  const server = await startBrokerServer({ brokers: 1, host: '127.0.0.1', port: 0, seed: 1, brokerConfig: { 'group.initial.rebalance.delay.ms': 0 } });
  const kafka = new kafkajs.Kafka({ clientId: 'wire-bench', brokers: [...server.bootstrapServers], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: () => ({ message }) => Number(message.key) % PARTITIONS });
  const consumer = kafka.consumer({ groupId: 'wire-bench', maxWaitTimeInMs: 100 });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: PARTITIONS }], waitForLeaders: true });
    await producer.connect();

    const messages = Array.from({ length: BATCH }, (_, i) => ({ key: String(i), value: VALUE }));
    const produceStart = performance.now();
    let produced = 0;
    while (produced < TOTAL && performance.now() - produceStart < PHASE_LIMIT_MS) {
      await producer.sendBatch({ topicMessages: [{ topic: 'bench', messages }] });
      produced += BATCH;
    }
    const produce: Phase = { messages: produced, seconds: (performance.now() - produceStart) / 1000, complete: produced >= TOTAL };

    await consumer.connect();
    await consumer.subscribe({ topics: ['bench'], fromBeginning: true });
    let consumed = 0;
    let firstBatchAt: number | undefined;
    let joinedAt: number | undefined;
    consumer.on(consumer.events.GROUP_JOIN, () => void (joinedAt ??= performance.now()));
    const consumeStart = performance.now();
    await consumer.run({
      eachBatch: async ({ batch }) => {
        firstBatchAt ??= performance.now();
        consumed += batch.messages.length;
      },
    });
    while (consumed < produced && performance.now() - consumeStart < PHASE_LIMIT_MS) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const consumeEnd = performance.now();
    const consume: Phase = { messages: consumed, seconds: (consumeEnd - consumeStart) / 1000, complete: consumed >= produced };
    const steady: Phase = { messages: consumed, seconds: (consumeEnd - (firstBatchAt ?? consumeStart)) / 1000, complete: consume.complete };

    console.log(`  produce  ${describePhase(produce)}`);
    console.log(`  consume  ${describePhase(consume)}, from run() (group join included)`);
    console.log(`           ${rate(steady)}  from the first batch to the last`);
    const ms = (at: number | undefined) => (at === undefined ? 'never' : `${(at - consumeStart).toFixed(0)} ms`);
    console.log(`  group joined ${ms(joinedAt)}, first batch ${ms(firstBatchAt)} after run() (the first group creates __consumer_offsets)`);
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await server.close();
  }
}
