/**
 * How a request reaches a broker, whatever carries it: the `Transport` (open a connection), the client's
 * `Connection` (typed requests over encoded frames), the broker's `Endpoint` and `Session`, and
 * `FramedConnection`, which implements `Connection` on top of any link that moves whole frames (the
 * in-process network today, a TCP socket with a `FrameDecoder` later). Requests always travel encoded,
 * so the in-process path exercises the same codec as the wire.
 *
 * Behaviour follows KafkaJS's `network/connection.js` and `requestQueue`: correlation ids count from 0 per
 * connection and wrap at 2^31 - 1; a request that times out is forgotten and the connection stays open; a
 * response whose correlation id matches nothing pending (typically the late answer to a timed-out request)
 * is ignored ("Response without match"), not treated as a broken stream; every pending request fails
 * when the connection closes. On the broker side it follows Kafka's SocketServer: a request it cannot
 * parse closes the connection.
 *
 * Left out: SASL and TLS, `maxInFlightRequests` and client-side throttling (KIP-219); the client builds
 * those on top of `Connection`.
 */
import type { Runtime, Timer } from '../runtime/index.ts';
import {
  decodeResponse,
  encodeRequest,
  peekCorrelationId,
  type ApiKeyNumber,
  type RequestInputByKey,
  type ResponseByKey,
} from '../protocol/index.ts';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export interface ConnectOptions {
  /** The client id written into every request header. */
  readonly clientId: string;
  /** The node the connection starts from (`client-1`, `broker-2`): what partitions and latencies apply to. */
  readonly node: string;
  /** Fail with `ConnectionTimeoutError` when the handshake has not completed by then (KafkaJS `connectionTimeout`). */
  readonly timeoutMs: number;
}

export interface Transport {
  /**
   * Rejects with `ConnectionRefusedError` if nothing listens at the address (or the broker is down), with
   * `ConnectionTimeoutError` after `options.timeoutMs` if the path is partitioned.
   */
  connect(address: BrokerAddress, options: ConnectOptions): Promise<Connection>;
}

export interface RequestOptions {
  /** Default: the connection's `defaultRequestTimeoutMs` (30 000, KafkaJS's `requestTimeout`). */
  readonly timeoutMs?: number;
  /** False for requests Kafka never answers (Produce with acks=0): resolves `undefined` once sent. */
  readonly expectResponse?: boolean;
  /** Told the correlation id once the request is sent (KafkaJS's `network.request` events carry it). */
  readonly onSent?: (info: { readonly correlationId: number; readonly requestBytes: number }) => void;
  /** Told the response frame's size (with its 4-byte size prefix, as KafkaJS reports `size`) before decoding. */
  readonly onResponse?: (info: { readonly correlationId: number; readonly responseBytes: number }) => void;
}

export interface Connection {
  readonly id: string;
  readonly remote: BrokerAddress;
  /** The node this connection was opened from. */
  readonly node: string;
  readonly isOpen: boolean;
  /**
   * Encodes the request (correlation id from a per-connection counter) and resolves with the decoded
   * response body; with `expectResponse: false` resolves `undefined` once sent. Rejects with
   * `RequestTimeoutError` after `timeoutMs` (the connection stays open, as KafkaJS keeps it) and with
   * `ConnectionClosedError` if the connection closes first or is already closed.
   */
  request<K extends ApiKeyNumber>(
    apiKey: K,
    apiVersion: number,
    body: RequestInputByKey[K],
    options?: RequestOptions,
  ): Promise<ResponseByKey[K] | undefined>;
  /** Closes from this side; idempotent. Pending requests fail with `ConnectionClosedError`. */
  close(): void;
  /**
   * Called once when the connection closes: `null` when this side called `close()`, the cause otherwise.
   * Called at once if it is already closed. Returns an unsubscribe function.
   */
  onClose(listener: (reason: Error | null) => void): () => void;
}

/** A connection as the broker sees it. */
export interface Session {
  readonly connectionId: string;
  readonly clientNode: string;
  readonly clientId: string;
  readonly isOpen: boolean;
  /** Called once when the connection closes, whichever side closed it; at once if already closed. */
  onClose(listener: () => void): () => void;
}

/** What listens at an address (a broker). */
export interface Endpoint {
  readonly address: BrokerAddress;
  /** The node it runs on, e.g. `broker-1`. */
  readonly node: string;
  /** False while crashed: connects are refused. */
  readonly isAvailable: boolean;
  /**
   * Handles one request frame (without its size prefix). Called once per frame, in arrival order per
   * connection, the next one only after this one settled (Kafka mutes a channel until its response is
   * sent). Resolves with the response frame (without size prefix), or null when Kafka sends no response
   * (Produce acks=0). Rejecting with `CloseConnection` (or any error) closes the connection, as Kafka
   * closes a connection on a request it cannot parse.
   */
  handleFrame(frame: Buffer, session: Session): Promise<Buffer | null>;
}

// ---------------------------------------------------------------------------------------------------------
// Errors. The client maps them to KafkaJS's classes (KafkaJSConnectionError, KafkaJSRequestTimeoutError,
// KafkaJSConnectionClosedError); here they carry what the mapping needs.

export class NetworkError extends Error {
  override name = 'NetworkError';
}

export class ConnectionRefusedError extends NetworkError {
  override name = 'ConnectionRefusedError';
  constructor(readonly address: BrokerAddress) {
    super(`connect ECONNREFUSED ${address.host}:${address.port}`);
  }
}

export class ConnectionTimeoutError extends NetworkError {
  override name = 'ConnectionTimeoutError';
  constructor(
    readonly address: BrokerAddress,
    readonly timeoutMs: number,
  ) {
    super(`connection to ${address.host}:${address.port} timed out after ${timeoutMs} ms`);
  }
}

export class RequestTimeoutError extends NetworkError {
  override name = 'RequestTimeoutError';
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId: number,
    readonly timeoutMs: number,
    readonly address: BrokerAddress,
  ) {
    super(
      `request (apiKey ${apiKey} v${apiVersion}, correlation id ${correlationId}) to ` +
        `${address.host}:${address.port} timed out after ${timeoutMs} ms`,
    );
  }
}

export class ConnectionClosedError extends NetworkError {
  override name = 'ConnectionClosedError';
}

/**
 * Thrown (rejected) by an endpoint to make the network close the connection, as Kafka does for a request
 * it cannot parse. Recognised by its `name`, so the broker's own `CloseConnectionSignal` (same name,
 * declared in src/broker/ports.ts because the broker may not import the network) counts too.
 */
export class CloseConnection extends Error {
  override name = 'CloseConnection';
}

export function isCloseConnection(error: unknown): boolean {
  return error instanceof Error && error.name === 'CloseConnection';
}

// ---------------------------------------------------------------------------------------------------------
// FramedConnection

/**
 * A bidirectional link that moves whole frames (without size prefix). The owner of the link (a network,
 * a socket wrapper) calls the registered listeners; `FramedConnection` registers exactly one of each.
 */
export interface FrameLink {
  /** Sends a frame towards the broker. Frames sent after the link closed are lost. */
  sendFrame(frame: Buffer): void;
  onFrame(listener: (frame: Buffer) => void): void;
  /** Called when the link closes for a reason other than `close()` on this side. */
  onClose(listener: (reason: Error) => void): void;
  /** Closes from this side. */
  close(): void;
}

/** Optional hooks for traces and logs (KafkaJS logs these two cases). */
export interface FramedConnectionObserver {
  requestTimedOut?(info: { connectionId: string; apiKey: number; correlationId: number; timeoutMs: number }): void;
  /** A response no pending request waits for: ignored, as KafkaJS's "Response without match". */
  unmatchedResponse?(info: { connectionId: string; correlationId: number }): void;
}

export interface FramedConnectionOptions {
  readonly id: string;
  readonly remote: BrokerAddress;
  readonly node: string;
  readonly clientId: string;
  /** Default 30 000 (KafkaJS `requestTimeout`). */
  readonly defaultRequestTimeoutMs?: number;
  readonly observer?: FramedConnectionObserver;
}

interface PendingRequest {
  readonly apiKey: ApiKeyNumber;
  readonly apiVersion: number;
  readonly timer: Timer;
  resolve(body: unknown): void;
  reject(error: Error): void;
  readonly onResponse: RequestOptions['onResponse'];
}

const INT32_MAX = 0x7fff_ffff;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class FramedConnection implements Connection {
  readonly id: string;
  readonly remote: BrokerAddress;
  readonly node: string;
  readonly clientId: string;
  readonly defaultRequestTimeoutMs: number;
  private nextCorrelationId = 0;
  private readonly pending = new Map<number, PendingRequest>();
  private closeListeners: Array<(reason: Error | null) => void> = [];
  private closeReason: Error | null | undefined = undefined;
  private readonly observer: FramedConnectionObserver | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly link: FrameLink,
    options: FramedConnectionOptions,
  ) {
    this.id = options.id;
    this.remote = options.remote;
    this.node = options.node;
    this.clientId = options.clientId;
    this.defaultRequestTimeoutMs = options.defaultRequestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.observer = options.observer;
    link.onFrame((frame) => this.receiveFrame(frame));
    link.onClose((reason) => this.closed(reason));
  }

  get isOpen(): boolean {
    return this.closeReason === undefined;
  }

  /** Requests sent and not yet answered, timed out or failed. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  request<K extends ApiKeyNumber>(
    apiKey: K,
    apiVersion: number,
    body: RequestInputByKey[K],
    options: RequestOptions = {},
  ): Promise<ResponseByKey[K] | undefined> {
    if (!this.isOpen) {
      return Promise.reject(new ConnectionClosedError(`connection ${this.id} to ${this.describeRemote()} is closed`));
    }
    const correlationId = this.takeCorrelationId();
    let frame: Buffer;
    try {
      frame = encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.clientId }, body).subarray(4);
    } catch (error) {
      return Promise.reject(error);
    }
    if (options.expectResponse === false) {
      this.link.sendFrame(frame);
      options.onSent?.({ correlationId, requestBytes: frame.length + 4 });
      return Promise.resolve(undefined);
    }
    const timeoutMs = options.timeoutMs ?? this.defaultRequestTimeoutMs;
    return new Promise<ResponseByKey[K] | undefined>((resolve, reject) => {
      const timer = this.runtime.timer(
        timeoutMs,
        () => {
          // Forget it: a late answer is then "without match" and ignored; the connection stays open.
          this.pending.delete(correlationId);
          this.observer?.requestTimedOut?.({ connectionId: this.id, apiKey, correlationId, timeoutMs });
          reject(new RequestTimeoutError(apiKey, apiVersion, correlationId, timeoutMs, this.remote));
        },
        'network:request-timeout',
      );
      this.pending.set(correlationId, {
        apiKey,
        apiVersion,
        timer,
        resolve: resolve as (body: unknown) => void,
        reject,
        onResponse: options.onResponse,
      });
      this.link.sendFrame(frame);
      options.onSent?.({ correlationId, requestBytes: frame.length + 4 });
    });
  }

  close(): void {
    if (!this.isOpen) return;
    this.link.close();
    this.closed(null);
  }

  onClose(listener: (reason: Error | null) => void): () => void {
    if (!this.isOpen) {
      listener(this.closeReason ?? null);
      return () => {};
    }
    this.closeListeners.push(listener);
    return () => {
      this.closeListeners = this.closeListeners.filter((l) => l !== listener);
    };
  }

  private takeCorrelationId(): number {
    if (this.nextCorrelationId >= INT32_MAX) this.nextCorrelationId = 0;
    return this.nextCorrelationId++;
  }

  private receiveFrame(frame: Buffer): void {
    if (!this.isOpen) return;
    let correlationId: number;
    try {
      correlationId = peekCorrelationId(frame);
    } catch (error) {
      // Nothing to match it with: the stream is not Kafka any more.
      this.link.close();
      this.closed(new ConnectionClosedError(`unreadable response frame on ${this.id}: ${(error as Error).message}`));
      return;
    }
    const request = this.pending.get(correlationId);
    if (request === undefined) {
      this.observer?.unmatchedResponse?.({ connectionId: this.id, correlationId });
      return;
    }
    this.pending.delete(correlationId);
    request.timer.cancel();
    request.onResponse?.({ correlationId, responseBytes: frame.length + 4 });
    let body: unknown;
    try {
      body = decodeResponse(request.apiKey, request.apiVersion, frame).body;
    } catch (error) {
      // As KafkaJS: the caller gets the decode error, the connection stays (framing is by size, so the
      // next response is still readable).
      request.reject(error as Error);
      return;
    }
    request.resolve(body);
  }

  private closed(reason: Error | null): void {
    if (!this.isOpen) return;
    this.closeReason = reason;
    const pending = [...this.pending.values()];
    this.pending.clear();
    // Built only when a request is left to fail: an error captures a stack, and most closes leave none.
    if (pending.length > 0) {
      const failure = reason ?? new ConnectionClosedError(`connection ${this.id} to ${this.describeRemote()} was closed`);
      for (const request of pending) {
        request.timer.cancel();
        request.reject(failure instanceof ConnectionClosedError ? failure : new ConnectionClosedError(failure.message, { cause: failure }));
      }
    }
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const listener of listeners) listener(reason);
  }

  private describeRemote(): string {
    return `${this.remote.host}:${this.remote.port}`;
  }
}
