/**
 * Append and fetch throughput through the cluster model: Produce requests (acks=1, batches of 100 records of
 * 100 bytes) sent over the in-process network to the leader, replicated to followers for RF 3, then the
 * whole partition fetched back by a consumer. Next to it, in the same run, the in-process ceiling: a plain
 * JavaScript array that appends the same records and scans them. The goal it watches: RF 1 within 3x of
 * that ceiling.
 */
import { Cluster } from '../src/broker/cluster.ts';
import { InProcessNetwork } from '../src/network/index.ts';
import { ApiKey, encodeRecordBatch, ErrorCode, splitBatches, readBatchHeader } from '../src/protocol/index.ts';
import { VirtualRuntime } from '../src/runtime/index.ts';

const BATCHES = 2_000;
const RECORDS_PER_BATCH = 100;
const VALUE_BYTES = 100;
const IN_FLIGHT = 16;

function makeBatch(i: number): Buffer {
  return encodeRecordBatch({
    baseTimestamp: 1_704_067_200_000n,
    records: Array.from({ length: RECORDS_PER_BATCH }, (_, r) => ({
      key: Buffer.from(`k${r}`),
      value: Buffer.alloc(VALUE_BYTES, 97 + ((i + r) % 26)),
      offsetDelta: r,
      timestampDelta: r,
    })),
  });
}

async function throughModel(replicationFactor: number, batches: Buffer[]): Promise<{ appendPerSec: number; fetchPerSec: number }> {
  const runtime = new VirtualRuntime({ seed: 1, drive: 'manual' });
  const network = new InProcessNetwork(runtime);
  const cluster = new Cluster({ runtime, network, brokers: 3 });
  cluster.createTopic('bench', { assignments: [replicationFactor === 1 ? [1] : [1, 2, 3]] });
  await runtime.advance(100);
  const connection = await (async () => {
    const pending = network.connect(cluster.broker(1).address, { clientId: 'bench', node: 'bench', timeoutMs: 1000 });
    let result: Awaited<typeof pending> | undefined;
    void pending.then((c) => (result = c));
    await runtime.runUntil(() => result !== undefined, { maxMs: 1000 });
    return result!;
  })();

  const started = performance.now();
  let next = 0;
  let done = 0;
  const sendOne = async (): Promise<void> => {
    while (next < batches.length) {
      const records = batches[next++];
      const response = await connection.request(ApiKey.Produce, 9, {
        acks: 1,
        timeoutMs: 30_000,
        transactionalId: null,
        topicData: [{ name: 'bench', partitionData: [{ index: 0, records }] }],
      });
      if (response?.responses[0].partitionResponses[0].errorCode !== ErrorCode.NONE) throw new Error('produce failed');
      done++;
    }
  };
  void Promise.all(Array.from({ length: IN_FLIGHT }, sendOne));
  const total = BigInt(batches.length * RECORDS_PER_BATCH);
  await runtime.runUntil(() => done === batches.length && cluster.partitionState('bench', 0).highWatermark === total, { maxMs: 3_600_000 });
  const appendMs = performance.now() - started;

  const fetchStarted = performance.now();
  let offset = 0n;
  let fetched = 0;
  let finished = false;
  void (async () => {
    while (offset < total) {
      const response = await connection.request(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic: 'bench', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const records = response!.responses[0].partitions[0].records ?? Buffer.alloc(0);
      for (const batch of splitBatches(records).batches) {
        const header = readBatchHeader(batch);
        fetched += header.recordsCount;
        offset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      }
    }
    finished = true;
  })();
  await runtime.runUntil(() => finished, { maxMs: 3_600_000 });
  const fetchMs = performance.now() - fetchStarted;
  if (fetched !== Number(total)) throw new Error(`fetched ${fetched} of ${total}`);
  const records = batches.length * RECORDS_PER_BATCH;
  return { appendPerSec: (records / appendMs) * 1000, fetchPerSec: (records / fetchMs) * 1000 };
}

function ceiling(): { appendPerSec: number; fetchPerSec: number } {
  const source = Array.from({ length: RECORDS_PER_BATCH }, (_, r) => ({ key: Buffer.from(`k${r}`), value: Buffer.alloc(VALUE_BYTES, 97) }));
  const log: Array<{ offset: number; key: Buffer; value: Buffer }> = [];
  const started = performance.now();
  for (let b = 0; b < BATCHES; b++) for (const record of source) log.push({ offset: log.length, key: record.key, value: record.value });
  const appendMs = performance.now() - started;
  const scanStarted = performance.now();
  let bytes = 0;
  for (const record of log) bytes += record.value.length + record.key.length + (record.offset & 1);
  const scanMs = performance.now() - scanStarted;
  if (bytes === 0) throw new Error('nothing scanned');
  const records = BATCHES * RECORDS_PER_BATCH;
  return { appendPerSec: (records / appendMs) * 1000, fetchPerSec: (records / scanMs) * 1000 };
}

const fmt = (n: number) => `${(n / 1e6).toFixed(2)} M`;

const ROUNDS = 5;

type Rates = { appendPerSec: number; fetchPerSec: number };

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

function medianRates(rounds: Rates[]): Rates {
  return { appendPerSec: median(rounds.map((r) => r.appendPerSec)), fetchPerSec: median(rounds.map((r) => r.fetchPerSec)) };
}

export default async function run(): Promise<void> {
  console.log('## cluster: append and fetch through the model vs a plain array');
  console.log(
    `workload: ${BATCHES} Produce requests (acks=1, ${IN_FLIGHT} in flight) of ${RECORDS_PER_BATCH} records x ${VALUE_BYTES} B over the in-process network, then one consumer fetching everything; RF 3 includes replication to 2 followers`,
  );
  console.log(
    `figures: records/s (wall clock), median of ${ROUNDS} interleaved rounds of each side after one full warm-up run of each ` +
      '(steady state, as JMH measures; the first run in a process also pays for fresh memory and JIT); ' +
      'ratio = plain array / model (lower is better); append + fetch = records over the time of both, the ' +
        "issue's append-and-scan ceiling (goal: RF 1 within 3x of it)\n",
  );
  const batches = Array.from({ length: BATCHES }, (_, i) => makeBatch(i));
  await throughModel(1, batches);
  await throughModel(3, batches);
  ceiling();
  const rounds: { array: Rates[]; rf1: Rates[]; rf3: Rates[] } = { array: [], rf1: [], rf3: [] };
  for (let round = 0; round < ROUNDS; round++) {
    rounds.array.push(ceiling());
    rounds.rf1.push(await throughModel(1, batches));
    rounds.rf3.push(await throughModel(3, batches));
  }
  const array = medianRates(rounds.array);
  const rf1 = medianRates(rounds.rf1);
  const rf3 = medianRates(rounds.rf3);
  // The ceiling is an append-and-scan: records/s over the time of both (harmonic combination).
  const both = (r: Rates) => 1 / (1 / r.appendPerSec + 1 / r.fetchPerSec);
  console.log('| path | append | fetch | append + fetch | append ratio | fetch ratio | append + fetch ratio |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  console.log(`| plain array (ceiling) | ${fmt(array.appendPerSec)} | ${fmt(array.fetchPerSec)} | ${fmt(both(array))} | 1.0x | 1.0x | 1.0x |`);
  for (const [label, result] of [['model RF 1', rf1], ['model RF 3', rf3]] as const) {
    console.log(
      `| ${label} | ${fmt(result.appendPerSec)} | ${fmt(result.fetchPerSec)} | ${fmt(both(result))} | ${(array.appendPerSec / result.appendPerSec).toFixed(1)}x | ` +
        `${(array.fetchPerSec / result.fetchPerSec).toFixed(1)}x | ${(both(array) / both(result)).toFixed(1)}x |`,
    );
  }
}
