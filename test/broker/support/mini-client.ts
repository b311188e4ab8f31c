/**
 * A deliberately small protocol client for broker tests: it refreshes metadata, sends Produce to the
 * partition leader it believes in and Fetch to read a partition back, over the in-process network. It is
 * not the KafkaJS-identical client (that lives in src/client); it exists so broker tests speak real
 * requests through real connections without depending on the client layer.
 */
import {
  ApiKey,
  decodeRecordBatch,
  encodeRecordBatch,
  ErrorCode,
  splitBatches,
  type ApiKeyNumber,
  type MetadataResponse,
  type RequestInputByKey,
  type ResponseByKey,
} from '../../../src/protocol/index.ts';
import type { Runtime } from '../../../src/runtime/index.ts';
import type { Cluster } from '../../../src/broker/cluster.ts';
import type { BrokerConnection } from '../../../src/broker/ports.ts';

export interface ProduceOutcome {
  readonly errorCode: number;
  readonly baseOffset: bigint;
}

export interface FetchedRecord {
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
}

export class MiniClient {
  private readonly connections = new Map<number, BrokerConnection>();
  private metadata: MetadataResponse | null = null;

  constructor(
    private readonly cluster: Cluster,
    private readonly runtime: Runtime,
    readonly node = 'client-1',
    readonly requestTimeoutMs = 5_000,
  ) {}

  private async connection(brokerId: number): Promise<BrokerConnection> {
    const existing = this.connections.get(brokerId);
    if (existing !== undefined && existing.isOpen) return existing;
    const broker = this.cluster.broker(brokerId);
    const connection = await this.cluster.network.connect(broker.address, { clientId: this.node, node: this.node, timeoutMs: 2_000 });
    this.connections.set(brokerId, connection);
    return connection;
  }

  async request<K extends ApiKeyNumber>(brokerId: number, apiKey: K, version: number, body: RequestInputByKey[K], expectResponse = true) {
    const connection = await this.connection(brokerId);
    return (await connection.request(apiKey, version, body, { timeoutMs: this.requestTimeoutMs, expectResponse })) as ResponseByKey[K];
  }

  /** Asks any reachable broker for metadata (Metadata v12), trying brokers in id order. */
  async refreshMetadata(topics: string[] | null = null): Promise<MetadataResponse> {
    let lastError: unknown = new Error('no broker answered');
    for (const id of [...this.cluster.brokers.keys()].sort((a, b) => a - b)) {
      if (this.cluster.broker(id).status !== 'running') continue;
      try {
        this.metadata = await this.request(id, ApiKey.Metadata, 12, {
          topics: topics === null ? null : topics.map((name) => ({ name })),
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        });
        return this.metadata;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  leaderOf(topic: string, partition: number): number {
    const t = this.metadata?.topics.find((x) => x.name === topic);
    return t?.partitions.find((p) => p.partitionIndex === partition)?.leaderId ?? -1;
  }

  /** One Produce attempt to the believed leader (no retries: tests decide). Network failures become error -1. */
  async produce(topic: string, partition: number, values: Array<string | { key: string | null; value: string | null }>, acks: -1 | 0 | 1, timeoutMs = 5_000): Promise<ProduceOutcome> {
    if (this.metadata === null) await this.refreshMetadata();
    const leader = this.leaderOf(topic, partition);
    if (leader < 0) return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, baseOffset: -1n };
    const now = BigInt(this.runtime.now());
    const records = encodeRecordBatch({
      baseTimestamp: now,
      records: values.map((v, i) => {
        const record = typeof v === 'string' ? { key: null, value: v } : v;
        return {
          offsetDelta: i,
          timestampDelta: 0,
          key: record.key === null ? null : Buffer.from(record.key),
          value: record.value === null ? null : Buffer.from(record.value),
          headers: [],
        };
      }),
    });
    try {
      const response = await this.request(leader, ApiKey.Produce, 9, {
        acks,
        timeoutMs,
        transactionalId: null,
        topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
      }, acks !== 0);
      if (acks === 0) return { errorCode: ErrorCode.NONE, baseOffset: -1n };
      const answer = response.responses[0].partitionResponses[0];
      return { errorCode: answer.errorCode, baseOffset: answer.baseOffset };
    } catch {
      return { errorCode: -1, baseOffset: -1n };
    }
  }

  /** Reads a partition from `offset` to the leader's high watermark (or LSO for readCommitted). */
  async fetchAll(topic: string, partition: number, fromOffset = 0n, brokerId?: number): Promise<{ errorCode: number; records: FetchedRecord[]; highWatermark: bigint }> {
    if (this.metadata === null) await this.refreshMetadata();
    const leader = brokerId ?? this.leaderOf(topic, partition);
    const records: FetchedRecord[] = [];
    let offset = fromOffset;
    let highWatermark = -1n;
    for (let round = 0; round < 1000; round++) {
      const response = await this.request(leader, ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const answer = response.responses[0].partitions[0];
      if (answer.errorCode !== ErrorCode.NONE) return { errorCode: answer.errorCode, records, highWatermark };
      highWatermark = answer.highWatermark;
      const before = offset;
      for (const batch of splitBatches(answer.records ?? Buffer.alloc(0)).batches) {
        const decoded = decodeRecordBatch(batch);
        for (const record of decoded.records) {
          const recordOffset = decoded.baseOffset + BigInt(record.offsetDelta);
          if (recordOffset < offset) continue;
          records.push({ offset: recordOffset, key: record.key?.toString() ?? null, value: record.value?.toString() ?? null });
          offset = recordOffset + 1n;
        }
      }
      if (offset >= highWatermark || offset === before) break;
    }
    return { errorCode: ErrorCode.NONE, records, highWatermark };
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
