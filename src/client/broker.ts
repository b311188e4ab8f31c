/**
 * One broker as the client sees it (KafkaJS's `src/broker` + `network/connection` + `requestQueue`): a
 * connection opened through the Transport, the ApiVersions handshake, the request version chosen as
 * KafkaJS does (`min(KafkaJS's own maximum, the broker's maximum)`, minVersion ignored), an in-flight limit
 * (`maxInFlightRequests`), KafkaJS's network errors, and the `network.request*` instrumentation events.
 * Requests are real protocol messages: the caller builds the body for the negotiated version.
 */
import {
  API_SCHEMAS,
  ApiKey,
  type ApiKeyNumber,
  type RequestInputByKey,
  type ResponseByKey,
} from '../protocol/index.ts';
import {
  ConnectionClosedError,
  ConnectionRefusedError,
  ConnectionTimeoutError,
  RequestTimeoutError,
  type BrokerAddress,
  type Connection,
} from '../network/transport.ts';
import {
  KafkaJSConnectionClosedError,
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSRequestTimeoutError,
  KafkaJSServerDoesNotSupportApiKey,
  createErrorFromCode,
} from './errors.ts';
import type { InstrumentationEmitter } from './instrumentation.ts';
import type { Logger } from './logger.ts';
import type { ClientProcess } from './process.ts';

/** The highest version KafkaJS 2.2.4 implements per API (its `src/protocol/requests/*\/v*`); others: ours. */
export const KAFKAJS_MAX_VERSIONS: Readonly<Record<number, number>> = {
  0: 7, 1: 11, 2: 3, 3: 6, 8: 5, 9: 4, 10: 2, 11: 5, 12: 3, 13: 3, 14: 3, 15: 2, 16: 2, 17: 1, 18: 2, 19: 3, 20: 1,
  21: 1, 22: 1, 24: 1, 25: 1, 26: 1, 28: 1, 29: 1, 30: 1, 31: 1, 32: 2, 33: 1, 36: 1, 37: 1, 42: 1, 45: 0, 46: 0,
};

/** KafkaJS's names for API keys (`apiKeys.js`): key 10 is "GroupCoordinator" there. */
export function apiName(apiKey: number): string {
  if (apiKey === ApiKey.FindCoordinator) return 'GroupCoordinator';
  return API_SCHEMAS.get(apiKey)?.name ?? `Unknown(${apiKey})`;
}

export type ApiVersionsMap = Map<number, { minVersion: number; maxVersion: number }>;

export interface BrokerOptions {
  readonly process: ClientProcess;
  readonly address: BrokerAddress;
  readonly nodeId?: number;
  readonly rack?: string | null;
  readonly clientId: string;
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly enforceRequestTimeout: boolean;
  readonly maxInFlightRequests: number | null;
  readonly logger: Logger;
  readonly instrumentation: InstrumentationEmitter | null;
  /** Event names of the owner (producer/consumer/admin), e.g. `producer.network.request`. */
  readonly eventNames?: { request: string; requestTimeout: string; requestQueueSize: string };
  readonly versions?: ApiVersionsMap | null;
}

export interface RequestOptions {
  /** Produce with acks=0: no answer comes. */
  readonly expectResponse?: boolean;
  /** Extra time on top of the request timeout (Fetch's maxWait and JoinGroup's rebalance timeout, as KafkaJS adds). */
  readonly extraTimeoutMs?: number;
}

export class Broker {
  nodeId: number | undefined;
  rack: string | null;
  readonly address: BrokerAddress;
  versions: ApiVersionsMap | null;
  private connection: Connection | null = null;
  private connecting: Promise<void> | null = null;
  private inFlight = 0;
  /** Requests sent or queued and not yet settled: `disconnect()` waits for them, as KafkaJS's does. */
  private readonly pendingRequests = new Set<Promise<unknown>>();
  private readonly queue: Array<() => void> = [];
  private readonly logger: Logger;

  constructor(private readonly options: BrokerOptions) {
    this.address = options.address;
    this.nodeId = options.nodeId;
    this.rack = options.rack ?? null;
    this.versions = options.versions ?? null;
    this.logger = options.logger.namespace('Connection');
  }

  get brokerName(): string {
    return `${this.address.host}:${this.address.port}`;
  }

  isConnected(): boolean {
    return this.connection !== null && this.connection.isOpen && this.versions !== null;
  }

  connect(): Promise<void> {
    if (this.isConnected()) return Promise.resolve();
    this.connecting ??= this.doConnect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    const { process, clientId, connectionTimeout } = this.options;
    let connection: Connection;
    try {
      connection = await process.transport.connect(this.address, { clientId, node: process.name, timeoutMs: connectionTimeout });
    } catch (error) {
      throw this.connectionError(error);
    }
    this.connection = connection;
    // An open connection keeps the program alive, as KafkaJS's socket does.
    const release = process.keepAlive();
    connection.onClose((reason) => {
      release();
      if (this.connection === connection) this.connection = null;
      if (reason !== null) this.logger.debug('Kafka server has closed connection', { broker: this.brokerName, clientId });
    });
    if (this.versions === null) this.versions = await this.apiVersions();
  }

  /** ApiVersions, stepping down from v2 on UNSUPPORTED_VERSION as KafkaJS does. */
  private async apiVersions(): Promise<ApiVersionsMap> {
    for (const version of [2, 1, 0]) {
      const response = await this.rawRequest(ApiKey.ApiVersions, version, {});
      if (response === undefined) continue;
      if (response.errorCode === 35 && version > 0) continue;
      if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
      return new Map(response.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]));
    }
    throw new KafkaJSNonRetriableError('API Versions not supported');
  }

  async disconnect(): Promise<void> {
    // KafkaJS's connection.disconnect() waits for pending requests before closing the socket, so a Produce
    // already sent still gets its answer (closing first would make the producer resend it).
    while (this.pendingRequests.size > 0) await Promise.allSettled([...this.pendingRequests]);
    const connection = this.connection;
    this.connection = null;
    connection?.close();
  }

  /** KafkaJS's version choice; throws KafkaJSServerDoesNotSupportApiKey when the broker lacks the API. */
  versionFor(apiKey: ApiKeyNumber): number {
    const advertised = this.versions?.get(apiKey);
    if (advertised === undefined) {
      throw new KafkaJSServerDoesNotSupportApiKey('The Kafka server does not support the requested API version', {
        apiKey,
        apiName: apiName(apiKey),
      });
    }
    const own = KAFKAJS_MAX_VERSIONS[apiKey] ?? advertised.maxVersion;
    return Math.min(own, advertised.maxVersion);
  }

  /** Sends a request built for the negotiated version; resolves with the decoded response. */
  async request<K extends ApiKeyNumber>(
    apiKey: K,
    build: (version: number) => RequestInputByKey[K],
    options: RequestOptions = {},
  ): Promise<{ version: number; response: ResponseByKey[K] }> {
    if (!this.isConnected()) await this.connect();
    const version = this.versionFor(apiKey);
    const pending = this.rawRequest(apiKey, version, build(version), options);
    this.pendingRequests.add(pending);
    try {
      const response = await pending;
      return { version, response: response as ResponseByKey[K] };
    } finally {
      this.pendingRequests.delete(pending);
    }
  }

  private async rawRequest<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: RequestInputByKey[K],
    options: RequestOptions = {},
  ): Promise<ResponseByKey[K] | undefined> {
    const connection = this.connection;
    if (connection === null || !connection.isOpen) {
      throw new KafkaJSConnectionError('Not connected', { broker: this.brokerName });
    }
    const { process, clientId, requestTimeout, enforceRequestTimeout, instrumentation, eventNames } = this.options;
    const createdAt = process.now();
    await this.acquireSlot();
    const sentAt = process.now();
    let correlationId = -1;
    let size = 0;
    const timeoutMs = enforceRequestTimeout ? requestTimeout + (options.extraTimeoutMs ?? 0) : 2 ** 31 - 1;
    try {
      const response = await connection.request(apiKey, version, body, {
        timeoutMs,
        expectResponse: options.expectResponse !== false,
        onSent: (info) => (correlationId = info.correlationId),
        onResponse: (info) => (size = info.responseBytes),
      });
      if (instrumentation !== null && eventNames !== undefined) {
        instrumentation.emit(eventNames.request, {
          broker: this.brokerName,
          clientId,
          correlationId,
          size,
          createdAt,
          sentAt,
          pendingDuration: sentAt - createdAt,
          duration: process.now() - sentAt,
          apiName: apiName(apiKey),
          apiKey,
          apiVersion: version,
        });
      }
      return response;
    } catch (error) {
      if (error instanceof RequestTimeoutError) {
        const info = { broker: this.brokerName, clientId, correlationId, createdAt, sentAt, pendingDuration: sentAt - createdAt };
        if (instrumentation !== null && eventNames !== undefined) {
          instrumentation.emit(eventNames.requestTimeout, { ...info, apiName: apiName(apiKey), apiKey, apiVersion: version });
        }
        throw new KafkaJSRequestTimeoutError(`Request ${apiName(apiKey)}(key: ${apiKey}, version: ${version}) timed out`, info);
      }
      throw this.connectionError(error);
    } finally {
      this.releaseSlot();
    }
  }

  private connectionError(error: unknown): Error {
    if (error instanceof ConnectionRefusedError) {
      // Node's own code when the transport kept it (ENOTFOUND, EHOSTUNREACH over TCP); in process, a refusal.
      const code = (error as { code?: unknown }).code;
      return new KafkaJSConnectionError(`Connection error: ${error.message}`, { broker: this.brokerName, code: typeof code === 'string' ? code : 'ECONNREFUSED' });
    }
    if (error instanceof ConnectionTimeoutError) return new KafkaJSConnectionError('Connection timeout', { broker: this.brokerName });
    if (error instanceof ConnectionClosedError) {
      return new KafkaJSConnectionClosedError('Closed connection', { host: this.address.host, port: this.address.port });
    }
    return error as Error;
  }

  private acquireSlot(): Promise<void> {
    const limit = this.options.maxInFlightRequests;
    if (limit === null || limit <= 0 || this.inFlight < limit) {
      this.inFlight++;
      return Promise.resolve();
    }
    this.emitQueueSize(this.queue.length + 1);
    return new Promise((resolve) =>
      this.queue.push(() => {
        this.inFlight++;
        resolve();
      }),
    );
  }

  private releaseSlot(): void {
    this.inFlight--;
    const next = this.queue.shift();
    if (next !== undefined) {
      this.emitQueueSize(this.queue.length);
      next();
    }
  }

  private emitQueueSize(queueSize: number): void {
    const { instrumentation, eventNames, clientId } = this.options;
    if (instrumentation !== null && eventNames !== undefined) {
      instrumentation.emit(eventNames.requestQueueSize, { broker: this.brokerName, clientId, queueSize });
    }
  }
}
