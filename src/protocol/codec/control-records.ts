/**
 * Control batches: the one-record batches a transaction coordinator writes to end a transaction (KIP-98), with
 * Kafka's control record key (`ControlRecordType`) and end-transaction marker value (`EndTransactionMarker`).
 * Split from record-batch.ts, which they build on.
 */
import { RecordBatchDecodeError } from './compression.ts';
import { encodeRecordBatch } from './record-batch.ts';

const corrupt = (message: string): RecordBatchDecodeError => new RecordBatchDecodeError(message);

/**
 * Control record types (`ControlRecordType`): transaction markers (KIP-98) and KRaft's own (KIP-595, KIP-630),
 * listed so a decoded key names them; kafkasim writes only ABORT and COMMIT.
 */
export const ControlRecordType = { ABORT: 0, COMMIT: 1, LEADER_CHANGE: 2, SNAPSHOT_HEADER: 3, SNAPSHOT_FOOTER: 4 } as const;

export interface ControlRecordKey {
  version: number;
  type: number;
}

export interface EndTxnMarker {
  version: number;
  coordinatorEpoch: number;
}

const CONTROL_KEY_VERSION = 0;
const END_TXN_MARKER_VERSION = 0;

export function encodeControlRecordKey(type: number): Buffer {
  const key = Buffer.allocUnsafe(4);
  key.writeInt16BE(CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(type, 2);
  return key;
}

/** `ControlRecordType.parse`: a later key version may append fields, which are ignored. */
export function decodeControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < 4) throw corrupt(`invalid control record key size ${key === null ? -1 : key.length}`);
  const version = key.readInt16BE(0);
  if (version < 0) throw corrupt(`invalid version found for control record: ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(6);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** `EndTransactionMarker.deserializeValue`. */
export function decodeEndTxnMarkerValue(value: Buffer | null): EndTxnMarker {
  if (value === null || value.length < 6) throw corrupt(`invalid end transaction marker value size ${value === null ? -1 : value.length}`);
  const version = value.readInt16BE(0);
  if (version < 0) throw corrupt(`invalid version found for end transaction marker: ${version}`);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

export interface EndTxnMarkerInput {
  type: typeof ControlRecordType.ABORT | typeof ControlRecordType.COMMIT;
  coordinatorEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  timestamp: bigint;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}

/** The one-record control batch a transaction coordinator writes (`MemoryRecords.withEndTransactionMarker`). */
export function encodeEndTxnMarkerBatch(input: EndTxnMarkerInput): Buffer {
  return encodeRecordBatch({
    baseOffset: input.baseOffset ?? 0n,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    isTransactional: true,
    isControl: true,
    baseTimestamp: input.timestamp,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: -1,
    records: [{ key: encodeControlRecordKey(input.type), value: encodeEndTxnMarkerValue(input.coordinatorEpoch) }],
  });
}
