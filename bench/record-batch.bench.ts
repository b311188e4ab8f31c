/**
 * RecordBatch v2 encode/decode throughput, kafkasim against KafkaJS's own RecordBatch encoder and decoder on
 * the same batch, measured in the same run. The goal it watches: decode at least 2x KafkaJS.
 *
 * Fairness: both sides start from the same in-memory records and produce the same information. Our decode
 * yields every record's key, value, headers, offsetDelta and timestampDelta (Buffer views, as KafkaJS's
 * `slice`s are); KafkaJS's also turns offsets and timestamps into decimal strings, which is its design. KafkaJS
 * is called as its producer and consumer call it (async); LZ4 for KafkaJS is kafkajs-lz4 (node-lz4), so the
 * lz4 rows include each side's codec.
 */
import { createRequire } from 'node:module';
import { CompressionCodec, compressionCodecName } from '../src/protocol/codec/compression.ts';
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from '../src/protocol/codec/record-batch.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- KafkaJS is untyped CommonJS */
const require = createRequire(import.meta.url);
const Decoder: any = require('kafkajs/src/protocol/decoder');
const KafkaRecord: (record: any) => any = require('kafkajs/src/protocol/recordBatch/record/v0');
const { RecordBatch: KafkaRecordBatch }: { RecordBatch: (batch: any) => Promise<any> } = require('kafkajs/src/protocol/recordBatch/v0');
const decodeKafkaRecordBatch: (decoder: any) => Promise<any> = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const compression: { Codecs: Record<number, () => any>; Types: Record<string, number> } = require('kafkajs/src/protocol/message/compression');
const LZ4Codec: new () => { codec: () => any } = require('kafkajs-lz4');

const RECORDS = 1000;
const VALUE_BYTES = 100;
const ROUND_MS = 60;
const ROUNDS = 5;
const WARMUP_MS = 100;

function makeRecords(): RecordInput[] {
  const records: RecordInput[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const value = Buffer.alloc(VALUE_BYTES);
    for (let b = 0; b < VALUE_BYTES; b++) value[b] = 97 + ((i * 7 + b * 13) % 26);
    records.push({ key: Buffer.from(`key-${String(i).padStart(6, '0')}`), value, offsetDelta: i, timestampDelta: i % 50 });
  }
  return records;
}

type Operation = () => unknown;
type AsyncOperation = () => Promise<unknown>;

/** Median operations per second over several timed rounds, after a warm-up. */
function measureSync(operation: Operation): number {
  const deadline = performance.now() + WARMUP_MS;
  while (performance.now() < deadline) operation();
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let iterations = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ROUND_MS) {
      operation();
      iterations++;
      now = performance.now();
    }
    rates.push(iterations / ((now - start) / 1000));
  }
  return rates.sort((a, b) => a - b)[ROUNDS >> 1];
}

async function measureAsync(operation: AsyncOperation): Promise<number> {
  const deadline = performance.now() + WARMUP_MS;
  while (performance.now() < deadline) await operation();
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let iterations = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ROUND_MS) {
      await operation();
      iterations++;
      now = performance.now();
    }
    rates.push(iterations / ((now - start) / 1000));
  }
  return rates.sort((a, b) => a - b)[ROUNDS >> 1];
}

function format(recordsPerSecond: number): string {
  return `${(recordsPerSecond / 1e6).toFixed(2)} M`;
}

export default async function run(): Promise<void> {
  compression.Codecs[compression.Types.LZ4] = new LZ4Codec().codec;
  const records = makeRecords();
  const baseTimestamp = 1_700_000_000_000n;
  const kafkajsMessages = records.map((r) => ({ key: r.key, value: r.value, offsetDelta: r.offsetDelta, timestampDelta: r.timestampDelta, headers: {} }));

  console.log('## record-batch: RecordBatch v2 encode/decode, kafkasim vs KafkaJS 2.2.4');
  console.log(
    `workload: one batch of ${RECORDS} records (key 10 B, value ${VALUE_BYTES} B, no headers); encode = records -> batch bytes,` +
      ' decode = bytes -> every key, value, headers, offsetDelta, timestampDelta (CRC verified by ours, not by KafkaJS)',
  );
  console.log(`figures: records/s, median of ${ROUNDS} rounds of ${ROUND_MS} ms after a ${WARMUP_MS} ms warm-up; ratio = kafkasim / KafkaJS\n`);
  console.log('| codec | operation | kafkasim | KafkaJS | ratio |');
  console.log('|---|---|---:|---:|---:|');

  for (const codec of [CompressionCodec.None, CompressionCodec.LZ4]) {
    const oursEncode = () => encodeRecordBatch({ baseTimestamp, compression: codec, records });
    const theirsEncode = async () => {
      const batch = await KafkaRecordBatch({
        compression: codec,
        firstOffset: 0,
        firstTimestamp: 1_700_000_000_000,
        maxTimestamp: 1_700_000_000_049,
        lastOffsetDelta: RECORDS - 1,
        records: kafkajsMessages.map(KafkaRecord),
      });
      return batch.buffer;
    };
    const ours = oursEncode();
    const theirs: Buffer = await theirsEncode();
    // Both decoders must read both encodings, or the comparison means nothing.
    if (decodeRecordBatch(theirs).records.length !== RECORDS) throw new Error('kafkasim cannot decode the KafkaJS batch');
    if ((await decodeKafkaRecordBatch(new Decoder(ours))).records.length !== RECORDS) throw new Error('KafkaJS cannot decode the kafkasim batch');

    const rows: [string, number, number][] = [
      ['encode', measureSync(oursEncode) * RECORDS, (await measureAsync(theirsEncode)) * RECORDS],
      ['decode', measureSync(() => decodeRecordBatch(ours)) * RECORDS, (await measureAsync(() => decodeKafkaRecordBatch(new Decoder(ours)))) * RECORDS],
    ];
    for (const [operation, mine, kafkajs] of rows) {
      console.log(`| ${compressionCodecName(codec)} | ${operation} | ${format(mine)} | ${format(kafkajs)} | ${(mine / kafkajs).toFixed(1)}x |`);
    }
  }
}
