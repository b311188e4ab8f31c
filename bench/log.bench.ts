/**
 * Partition log throughput: `PartitionLog.appendAsLeader` of pre-encoded batches (100 records x 100-byte values)
 * and a full read back with `read()`, next to a plain JS array that pushes the same batches and scans them, in
 * the same run. The array is the floor: no validation, no offsets assigned, no copy, no index. The ratio says
 * what the log's faithfulness (CRC-32C check, every record walked for LogValidator, in-place offset/epoch/
 * timestamp rewrite, a copy into the segment file, segment rolls and sparse indexes, index lookup + scan per
 * read) costs per record.
 */
import { CompressionCodec } from '../src/protocol/codec/compression.ts';
import { encodeRecordBatch, splitBatches } from '../src/protocol/codec/record-batch.ts';
import { InMemorySegmentStore, PartitionLog } from '../src/broker/log/index.ts';

const RECORDS_PER_BATCH = 100;
const VALUE_BYTES = 100;
const BATCHES = 2000;
const ROUNDS = 5;
const SEGMENT_BYTES = 8 * 1024 * 1024;
const READ_MAX_BYTES = 1024 * 1024;
const NOW = 1_700_000_000_000;

function makeBatches(): Buffer[] {
  const batches: Buffer[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const records = [];
    for (let i = 0; i < RECORDS_PER_BATCH; i++) {
      const value = Buffer.alloc(VALUE_BYTES, 97 + ((b + i) % 26));
      records.push({ key: Buffer.from(`key-${i}`), value, timestampDelta: i });
    }
    batches.push(encodeRecordBatch({ baseTimestamp: BigInt(NOW + b), compression: CompressionCodec.None, records }));
  }
  return batches;
}

interface Round {
  appendMs: number;
  readMs: number;
}

function timeLog(batches: Buffer[]): Round {
  const log = new PartitionLog({ store: new InMemorySegmentStore(), config: { segmentBytes: SEGMENT_BYTES }, nowMs: NOW });
  let start = performance.now();
  for (const batch of batches) {
    const result = log.appendAsLeader(batch, { leaderEpoch: 0, nowMs: NOW });
    if (result.errorCode !== 0) throw new Error(`append failed: ${result.errorMessage}`);
  }
  const appendMs = performance.now() - start;
  start = performance.now();
  let offset = 0n;
  let batchesRead = 0;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, { maxBytes: READ_MAX_BYTES });
    batchesRead += read.batchCount;
    offset = read.lastOffset + 1n;
  }
  const readMs = performance.now() - start;
  if (batchesRead !== BATCHES) throw new Error(`read ${batchesRead} batches, appended ${BATCHES}`);
  return { appendMs, readMs };
}

/** The floor: push each batch (a reference, or a copy as any store keeping request bytes must), then scan headers. */
function timeArray(batches: Buffer[], isCopying: boolean): Round {
  const array: Buffer[] = [];
  let start = performance.now();
  if (isCopying) for (const batch of batches) array.push(Buffer.from(batch));
  else for (const batch of batches) array.push(batch);
  const appendMs = performance.now() - start;
  start = performance.now();
  let records = 0;
  for (const batch of array) records += batch.readInt32BE(57);
  const readMs = performance.now() - start;
  if (records !== BATCHES * RECORDS_PER_BATCH) throw new Error('array scan lost records');
  return { appendMs, readMs };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

function perSecond(ms: number): number {
  return (BATCHES * RECORDS_PER_BATCH) / (ms / 1000);
}

function format(recordsPerSecond: number): string {
  return recordsPerSecond >= 1e9 ? `${(recordsPerSecond / 1e9).toFixed(1)} G` : `${(recordsPerSecond / 1e6).toFixed(2)} M`;
}

export default async function run(): Promise<void> {
  const batches = makeBatches();
  const bytes = batches.reduce((sum, b) => sum + b.length, 0);
  timeLog(batches);
  timeArray(batches, false);
  timeArray(batches, true);
  const log: Round[] = [];
  const array: Round[] = [];
  const copies: Round[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    log.push(timeLog(batches));
    array.push(timeArray(batches, false));
    copies.push(timeArray(batches, true));
  }
  if (splitBatches(batches[0]).batches.length !== 1) throw new Error('bad batch');

  console.log('## log: PartitionLog append + read vs a plain JS array');
  console.log(
    `workload: ${BATCHES} batches of ${RECORDS_PER_BATCH} records (value ${VALUE_BYTES} B, uncompressed), ${(bytes / 1e6).toFixed(1)} MB; ` +
      `segment.bytes ${SEGMENT_BYTES / 1024 / 1024} MiB, index.interval.bytes 4096; read = read(offset, maxBytes 1 MiB) until LEO`,
  );
  console.log(
    `figures: records/s, median of ${ROUNDS} rounds after a warm-up; JS array = push the batch (or a copy of it), ` +
      'then scan each header; ratio = JS array / PartitionLog (how many times slower the log is)\n',
  );
  console.log('| operation | PartitionLog | JS array (push) | ratio | JS array (push a copy) | ratio |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, key] of [['append', 'appendMs'], ['read', 'readMs']] as const) {
    const mine = perSecond(median(log.map((r) => r[key])));
    const floor = perSecond(median(array.map((r) => r[key])));
    const copying = perSecond(median(copies.map((r) => r[key])));
    console.log(`| ${name} | ${format(mine)} | ${format(floor)} | ${(floor / mine).toFixed(1)}x | ${format(copying)} | ${(copying / mine).toFixed(1)}x |`);
  }
}
