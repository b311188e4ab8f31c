/**
 * A read-only window on a running server's logs, for `kafkasim dump-log`. Kafka has no API that returns a
 * segment's contents (kafka-dump-log.sh reads the files in the log directory), and kafkasim's segments live
 * in the broker process's memory, so the server can open a small HTTP endpoint on loopback that answers
 * with JSON what kafka-dump-log.sh would read: each segment of a partition replica (file names as Kafka
 * names them, base offset, size, batch and record counts) and, batch by batch, the v2 batch headers and
 * the records, straight from the model's segment bytes.
 *
 * Routes (GET only; anything else is 404 or 405, with `{ "error": "..." }`):
 * - `/` names the service, the cluster id, the brokers and the routes;
 * - `/topics/<topic>/partitions/<partition>/log[?broker=<id>][&records=false]`: a `LogDump` of the replica
 *   on broker `<id>` (default: the partition's leader); `records=false` leaves the records out.
 *
 * Offsets, producer ids and timestamps are decimal strings (int64); keys, values and header values are
 * base64 (null stays null). Batches of the first segment wholly below the log start offset are not
 * listed (the log reads from its start offset; Kafka's tool would still print them from the file).
 *
 * Left out: writes of any kind, the `.index`/`.timeindex` contents, authentication (it binds to 127.0.0.1
 * unless told otherwise, and shows what any consumer of the cluster could read).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Cluster } from '../broker/cluster.ts';
import {
  compressionCodecName,
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTxnMarkerValue,
  decodeRecordBatch,
  isCompressionCodec,
  readBatchHeader,
  TimestampType,
  verifyBatchCrc,
  type BatchRecord,
  type RecordBatch,
} from '../protocol/index.ts';

export interface RecordDump {
  offset: string;
  timestamp: string;
  keySize: number;
  valueSize: number;
  /** The record's producer sequence, -1 without idempotence. */
  sequence: number;
  headers: Array<{ key: string; value: string | null }>;
  /** base64, or null. */
  key: string | null;
  /** base64, or null. */
  value: string | null;
  /** For a transaction marker: `COMMIT` or `ABORT` and the coordinator epoch. */
  endTxnMarker?: { type: 'COMMIT' | 'ABORT'; coordinatorEpoch: number };
}

export interface BatchDump {
  /** Byte position of the batch in its segment's `.log`. */
  position: number;
  sizeInBytes: number;
  baseOffset: string;
  lastOffset: string;
  count: number;
  baseSequence: number;
  lastSequence: number;
  producerId: string;
  producerEpoch: number;
  partitionLeaderEpoch: number;
  isTransactional: boolean;
  isControl: boolean;
  /** KIP-534: set by the cleaner in place of the base timestamp; null when absent. */
  deleteHorizonMs: string | null;
  timestampType: 'CreateTime' | 'LogAppendTime';
  baseTimestamp: string;
  maxTimestamp: string;
  magic: number;
  compression: string;
  /** Unsigned CRC-32C as stored. */
  crc: number;
  isValid: boolean;
  /** Absent when asked for without records. */
  records?: RecordDump[];
}

export interface SegmentDump {
  fileName: string;
  indexFileName: string;
  timeIndexFileName: string;
  baseOffset: string;
  sizeInBytes: number;
  batchCount: number;
  recordCount: number;
  firstOffset: string | null;
  lastOffset: string | null;
  maxTimestamp: string;
  isActive: boolean;
  batches: BatchDump[];
}

export interface LogDump {
  topic: string;
  partition: number;
  brokerId: number;
  role: string;
  leader: number;
  leaderEpoch: number;
  logStartOffset: string;
  logEndOffset: string;
  highWatermark: string;
  segments: SegmentDump[];
}

export interface IntrospectionServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const INT32_MAX = 0x7fff_ffff;

function recordSequence(baseSequence: number, offsetDelta: number): number {
  if (baseSequence < 0) return -1;
  // Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at Integer.MAX_VALUE.
  const sum = baseSequence + offsetDelta;
  return sum > INT32_MAX ? sum - INT32_MAX - 1 : sum;
}

function base64(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('base64');
}

function markerOf(batch: RecordBatch, record: BatchRecord): RecordDump['endTxnMarker'] {
  if (!batch.isControl) return undefined;
  try {
    const { type } = decodeControlRecordKey(record.key);
    if (type !== ControlRecordType.COMMIT && type !== ControlRecordType.ABORT) return undefined;
    return { type: type === ControlRecordType.COMMIT ? 'COMMIT' : 'ABORT', coordinatorEpoch: decodeEndTxnMarkerValue(record.value).coordinatorEpoch };
  } catch {
    return undefined;
  }
}

function dumpRecords(batch: RecordBatch): RecordDump[] {
  const isLogAppendTime = batch.timestampType === TimestampType.LogAppendTime;
  return batch.records.map((record) => {
    const dump: RecordDump = {
      offset: String(batch.baseOffset + BigInt(record.offsetDelta)),
      timestamp: String(isLogAppendTime ? batch.maxTimestamp : batch.baseTimestamp + BigInt(record.timestampDelta)),
      keySize: record.key === null ? -1 : record.key.length,
      valueSize: record.value === null ? -1 : record.value.length,
      sequence: recordSequence(batch.baseSequence, record.offsetDelta),
      headers: record.headers.map((h) => ({ key: h.key, value: base64(h.value) })),
      key: base64(record.key),
      value: base64(record.value),
    };
    const marker = markerOf(batch, record);
    if (marker !== undefined) dump.endTxnMarker = marker;
    return dump;
  });
}

/** The batches of `bytes` (whole v2 batches as the log hands them out), the first one at `position` in its file. */
function dumpBatches(bytes: Buffer, position: number, withRecords: boolean): BatchDump[] {
  const batches: BatchDump[] = [];
  let at = 0;
  while (at < bytes.length) {
    const header = readBatchHeader(bytes, at);
    const whole = bytes.subarray(at, at + header.sizeInBytes);
    const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
    const dump: BatchDump = {
      position: position + at,
      sizeInBytes: header.sizeInBytes,
      baseOffset: String(header.baseOffset),
      lastOffset: String(lastOffset),
      count: header.recordsCount,
      baseSequence: header.baseSequence,
      lastSequence: recordSequence(header.baseSequence, header.lastOffsetDelta),
      producerId: String(header.producerId),
      producerEpoch: header.producerEpoch,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      isTransactional: header.isTransactional,
      isControl: header.isControl,
      deleteHorizonMs: header.hasDeleteHorizonMs ? String(header.baseTimestamp) : null,
      timestampType: header.timestampType === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime',
      baseTimestamp: String(header.baseTimestamp),
      maxTimestamp: String(header.maxTimestamp),
      magic: header.magic,
      compression: isCompressionCodec(header.compression) ? compressionCodecName(header.compression) : `unknown(${header.compression})`,
      crc: header.crc >>> 0,
      isValid: verifyBatchCrc(whole),
    };
    if (withRecords) dump.records = dumpRecords(decodeRecordBatch(whole, { verifyCrc: false }));
    batches.push(dump);
    at += header.sizeInBytes;
  }
  return batches;
}

/** What `kafka-dump-log.sh` would print of one partition replica, read from the model. */
export function dumpPartitionLog(cluster: Cluster, topic: string, partition: number, options: { brokerId?: number; withRecords?: boolean } = {}): LogDump {
  const registration = cluster.metadata.topics.get(topic)?.partitions[partition];
  if (registration === undefined) throw new HttpError(404, `no partition ${topic}-${partition}`);
  const brokerId = options.brokerId ?? registration.leader;
  const replica = cluster.brokers.get(brokerId)?.replicas.get(`${topic}-${partition}`);
  if (replica === undefined) throw new HttpError(404, `broker ${brokerId} hosts no running replica of ${topic}-${partition}`);
  const log = replica.log;
  const infos = cluster.segments(topic, partition, brokerId);
  const segments = infos.map((info): SegmentDump => {
    let batches: BatchDump[] = [];
    if (info.firstOffset !== null && info.lastOffset !== null && info.lastOffset >= log.logStartOffset) {
      const from = info.firstOffset > log.logStartOffset ? info.firstOffset : log.logStartOffset;
      const location = log.locate(from);
      // One segment's bytes: a read never crosses into the next segment.
      const read = log.read(from, { maxBytes: info.sizeInBytes, minOneMessage: true });
      if (location !== null && read.errorCode === 0) batches = dumpBatches(read.records, location.position, options.withRecords ?? true);
    }
    return {
      fileName: info.fileName,
      indexFileName: info.indexFileName,
      timeIndexFileName: info.timeIndexFileName,
      baseOffset: String(info.baseOffset),
      sizeInBytes: info.sizeInBytes,
      batchCount: info.batchCount,
      recordCount: info.recordCount,
      firstOffset: info.firstOffset === null ? null : String(info.firstOffset),
      lastOffset: info.lastOffset === null ? null : String(info.lastOffset),
      maxTimestamp: String(info.maxTimestamp),
      isActive: info.isActive,
      batches,
    };
  });
  return {
    topic,
    partition,
    brokerId,
    role: replica.role,
    leader: registration.leader,
    leaderEpoch: registration.leaderEpoch,
    logStartOffset: String(log.logStartOffset),
    logEndOffset: String(log.logEndOffset),
    highWatermark: String(replica.highWatermark),
    segments,
  };
}

const LOG_ROUTE = /^\/topics\/([^/]+)\/partitions\/([^/]+)\/log$/;

function answer(request: IncomingMessage, cluster: Cluster): unknown {
  if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, `${request.method} is not served: this endpoint is read-only`);
  const url = new URL(request.url ?? '/', 'http://introspection');
  if (url.pathname === '/') {
    return {
      service: 'kafkasim introspection (read-only)',
      clusterId: cluster.metadata.clusterId,
      brokers: [...cluster.brokers.values()].map((b) => ({ id: b.id, host: b.address.host, port: b.address.port, status: b.status })),
      routes: ['/topics/<topic>/partitions/<partition>/log[?broker=<id>][&records=false]'],
    };
  }
  const match = LOG_ROUTE.exec(url.pathname);
  if (match === null) throw new HttpError(404, `no route ${url.pathname}`);
  const topic = decodeURIComponent(match[1]);
  if (!/^\d+$/.test(match[2])) throw new HttpError(400, `partition must be a non-negative integer, got '${decodeURIComponent(match[2])}'`);
  const broker = url.searchParams.get('broker');
  if (broker !== null && !/^\d+$/.test(broker)) throw new HttpError(400, `broker must be a broker id, got '${broker}'`);
  const records = url.searchParams.get('records');
  if (records !== null && records !== 'true' && records !== 'false') throw new HttpError(400, `records must be true or false, got '${records}'`);
  return dumpPartitionLog(cluster, topic, Number(match[2]), { brokerId: broker === null ? undefined : Number(broker), withRecords: records !== 'false' });
}

function respond(response: ServerResponse, status: number, body: unknown, isHead: boolean): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(isHead ? undefined : text);
}

/** Serves the routes above for `cluster`; `port` 0 picks a free port. Rejects when the port cannot be bound. */
export function startIntrospectionServer(cluster: Cluster, options: { host?: string; port: number }): Promise<IntrospectionServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((request, response) => {
    const isHead = request.method === 'HEAD';
    try {
      respond(response, 200, answer(request, cluster), isHead);
    } catch (error) {
      if (error instanceof HttpError) respond(response, error.status, { error: error.message }, isHead);
      else respond(response, 500, { error: `kafkasim introspection failed: ${(error as Error)?.message ?? String(error)}` }, isHead);
    }
  });
  // Clients of a read-only endpoint need no keep-alive; closing the server must not wait for idle sockets.
  server.keepAliveTimeout = 1;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port }, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      let closing: Promise<void> | undefined;
      resolve({
        host,
        port,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          })),
      });
    });
  });
}
