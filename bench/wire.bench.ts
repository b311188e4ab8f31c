/**
 * The genuine KafkaJS 2.2.4 over TCP against the kafkasim wire server (`startBrokerServer`, one broker on an
 * ephemeral 127.0.0.1 port, real clock): 100 x `sendBatch` of 1,000 x 100-byte messages (acks -1, 4
 * partitions), then one consumer reading them all with `eachBatch`. What it shows is the server's cost per
 * message as a real client sees it (framing, decoding, handlers, sockets) next to the in-process figures of
 * client.bench.ts. Bounded: each phase stops at 120 s of wall time and reports what it did.
 *
 * Issue 5's goal is that the server is never the bottleneck: KafkaJS's own work should dominate. The server
 * runs in this process, so each phase is also sampled with V8's CPU profiler (node:inspector, every 500 µs, on
 * the main thread, where both sides run) and its busy time is split by who runs it:
 * - kafkasim: frames from src/** (server, broker, protocol, network, runtime...) and its runtime packages
 *   (@node-rs/crc32, the codecs, eventemitter3);
 * - kafkajs: frames from node_modules/kafkajs/**;
 * - a frame of Node itself (node:* internals, Buffer copies, socket writes, natives) counts for the nearest
 *   kafkasim or KafkaJS frame below it on the stack (who asked for the copy or the write);
 * - gc: V8's garbage collector. The CPU profile cannot tell whose garbage it collects; a sampling heap profile
 *   of this workload put 94-97% of the JS heap allocated in either phase on KafkaJS, so gc is mostly KafkaJS's;
 * - other: what neither side called (the event loop, socket reads before a listener runs, module loading,
 *   this bench's loop); idle is left out of every share.
 * `server share` is kafkasim's part of the busy time (kafkasim + kafkajs + gc + other); the goal holds in a
 * phase when kafkasim < kafkajs (gc left out of both). Each sample counts for the time until the next one, as
 * DevTools counts it, so time the thread loses to other processes lands on whatever it was running: on a
 * loaded machine repeat the run and read ranges. The profiler costs a few percent of throughput at most.
 */
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startBrokerServer } from '../src/index.ts';

const require = createRequire(import.meta.url);
const kafkajs = require('kafkajs') as typeof import('kafkajs');

const BATCH = 1_000;
const BATCHES = 100;
const TOTAL = BATCH * BATCHES;
const VALUE = Buffer.alloc(100, 97);
const PARTITIONS = 4;
const PHASE_LIMIT_MS = 120_000;
const SAMPLING_INTERVAL_US = 500;

/** URL prefix of kafkasim's own sources, and the packages it runs on (their frames are kafkasim's work). */
const SRC_URL = `${pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src')).href}/`;
const KAFKASIM_PACKAGES = ['/node_modules/@node-rs/crc32', '/node_modules/lz4-napi', '/node_modules/snappy', '/node_modules/zstd-napi', '/node_modules/eventemitter3/'];
const KAFKAJS_PACKAGE = '/node_modules/kafkajs/';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** Seconds of a phase's main thread by who spent them (see the header). */
interface CpuSplit {
  readonly kafkasim: number;
  /** kafkasim's part by source directory: server, broker, protocol, and the rest (network, runtime, packages). */
  readonly kafkasimBy: Readonly<Record<'server' | 'broker' | 'protocol' | 'rest', number>>;
  readonly kafkajs: number;
  readonly gc: number;
  readonly other: number;
  readonly idle: number;
}

type Owner = 'server' | 'broker' | 'protocol' | 'rest' | 'kafkajs' | 'gc' | 'idle' | 'other' | null;

/** Who a frame's own code belongs to; null for Node's frames, which count for their caller. */
function ownerOf(frame: ProfileNode['callFrame']): Owner {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)' || functionName === '(root)') return 'other';
    return null;
  }
  if (url.includes(KAFKAJS_PACKAGE)) return 'kafkajs';
  if (url.startsWith(SRC_URL)) {
    const dir = url.slice(SRC_URL.length).split('/', 1)[0];
    return dir === 'server' || dir === 'broker' || dir === 'protocol' ? dir : 'rest';
  }
  if (KAFKASIM_PACKAGES.some((name) => url.includes(name))) return 'rest';
  if (url.startsWith('node:')) return null;
  return 'other'; // this bench, tsx, anything else
}

export function splitProfile(profile: CpuProfile): CpuSplit {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // Each node's owner, resolved once: its own, or (for Node's frames) its nearest caller's.
  const owners = new Map<number, Exclude<Owner, null>>();
  const resolve = (id: number): Exclude<Owner, null> => {
    const known = owners.get(id);
    if (known !== undefined) return known;
    const own = ownerOf(byId.get(id)!.callFrame);
    const parent = parentOf.get(id);
    const owner = own ?? (parent === undefined ? 'other' : resolve(parent));
    owners.set(id, owner);
    return owner;
  };
  const micros: Record<Exclude<Owner, null>, number> = { server: 0, broker: 0, protocol: 0, rest: 0, kafkajs: 0, gc: 0, idle: 0, other: 0 };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time from sample i-1 to sample i: the interval after a sample is spent where it was.
  for (let i = 0; i + 1 < samples.length; i++) micros[resolve(samples[i])] += Math.max(0, deltas[i + 1]);
  const s = (us: number) => us / 1e6;
  return {
    kafkasim: s(micros.server + micros.broker + micros.protocol + micros.rest),
    kafkasimBy: { server: s(micros.server), broker: s(micros.broker), protocol: s(micros.protocol), rest: s(micros.rest) },
    kafkajs: s(micros.kafkajs),
    gc: s(micros.gc),
    other: s(micros.other),
    idle: s(micros.idle),
  };
}

/** Samples the main thread (V8's CPU profiler through node:inspector) while `body` runs. */
async function profiled<T>(session: Session, body: () => Promise<T>): Promise<{ result: T; cpu: CpuSplit }> {
  await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  await session.post('Profiler.start');
  let isStopped = false;
  try {
    const result = await body();
    const { profile } = await session.post('Profiler.stop');
    isStopped = true;
    return { result, cpu: splitProfile(profile as CpuProfile) };
  } finally {
    if (!isStopped) await session.post('Profiler.stop').catch(() => {});
  }
}

const describeCpu = (cpu: CpuSplit) => {
  const busy = cpu.kafkasim + cpu.kafkajs + cpu.gc + cpu.other;
  const pct = (part: number) => `${busy > 0 ? Math.round((100 * part) / busy) : 0}%`;
  const sec = (value: number) => `${value.toFixed(2)} s`;
  const by = cpu.kafkasimBy;
  const verdict = cpu.kafkasim < cpu.kafkajs ? 'KafkaJS dominates' : 'kafkasim >= KafkaJS, the server side costs more';
  return (
    `cpu: server share ${pct(cpu.kafkasim)}, kafkajs ${pct(cpu.kafkajs)} of ${sec(busy)} busy ` +
    `(kafkasim ${sec(cpu.kafkasim)}, kafkajs ${sec(cpu.kafkajs)}, gc ${sec(cpu.gc)}, other ${sec(cpu.other)}; idle ${sec(cpu.idle)}): ${verdict}\n` +
    `                kafkasim = server ${sec(by.server)} + broker ${sec(by.broker)} + protocol ${sec(by.protocol)} + rest ${sec(by.rest)}`
  );
};

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
  const session = new Session();
  session.connect();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: PARTITIONS }], waitForLeaders: true });
    await producer.connect();

    await session.post('Profiler.enable');

    const messages = Array.from({ length: BATCH }, (_, i) => ({ key: String(i), value: VALUE }));
    const { result: produce, cpu: produceCpu } = await profiled(session, async (): Promise<Phase> => {
      const produceStart = performance.now();
      let produced = 0;
      while (produced < TOTAL && performance.now() - produceStart < PHASE_LIMIT_MS) {
        await producer.sendBatch({ topicMessages: [{ topic: 'bench', messages }] });
        produced += BATCH;
      }
      return { messages: produced, seconds: (performance.now() - produceStart) / 1000, complete: produced >= TOTAL };
    });

    await consumer.connect();
    await consumer.subscribe({ topics: ['bench'], fromBeginning: true });
    let consumed = 0;
    let firstBatchAt: number | undefined;
    let joinedAt: number | undefined;
    consumer.on(consumer.events.GROUP_JOIN, () => void (joinedAt ??= performance.now()));
    const consumeStart = performance.now();
    const { result: consumeEnd, cpu: consumeCpu } = await profiled(session, async () => {
      await consumer.run({
        eachBatch: async ({ batch }) => {
          firstBatchAt ??= performance.now();
          consumed += batch.messages.length;
        },
      });
      while (consumed < produce.messages && performance.now() - consumeStart < PHASE_LIMIT_MS) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return performance.now();
    });
    const consume: Phase = { messages: consumed, seconds: (consumeEnd - consumeStart) / 1000, complete: consumed >= produce.messages };
    const steady: Phase = { messages: consumed, seconds: (consumeEnd - (firstBatchAt ?? consumeStart)) / 1000, complete: consume.complete };

    console.log(`  produce  ${describePhase(produce)}`);
    console.log(`           ${describeCpu(produceCpu)}`);
    console.log(`  consume  ${describePhase(consume)}, from run() (group join included)`);
    console.log(`           ${rate(steady)}  from the first batch to the last`);
    console.log(`           ${describeCpu(consumeCpu)}`);
    const ms = (at: number | undefined) => (at === undefined ? 'never' : `${(at - consumeStart).toFixed(0)} ms`);
    console.log(`  group joined ${ms(joinedAt)}, first batch ${ms(firstBatchAt)} after run() (the first group creates __consumer_offsets)`);
    console.log(`  cpu: the main thread sampled every ${SAMPLING_INTERVAL_US} µs per phase, Node's own frames counted for their caller, shares of busy time (see the header)`);
  } finally {
    session.disconnect();
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await server.close();
  }
}
