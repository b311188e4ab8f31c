/**
 * One client connection to one broker, over any byte stream (a TCP socket, or the in-memory duplex of
 * socket-factory.ts): it cuts the stream into frames, hands them to `broker.handleFrame` one at a time, and
 * writes the answers back with their size prefix. This is what Kafka's `SocketServer` Processor does for a
 * channel; the same handlers serve the in-process client, so only the bytes' carrier differs.
 *
 * Kafka behaviours kept:
 * - Frames longer than `socket.request.max.bytes`, or with a negative size, close the connection before any
 *   byte of them is buffered (`InvalidReceiveException`).
 * - A channel is muted while a request is in progress: the next frame is handed over only once the previous
 *   one settled and its response was written, so responses leave in request order. While muted the stream
 *   is paused, so a client pipelining requests is held back by TCP flow control, not by our memory.
 * - A request the broker cannot parse (malformed header or body, unknown api key, unsupported version other
 *   than ApiVersions') closes the connection: `handleFrame` throws `CloseConnectionSignal`.
 * - A client closing its side (or vanishing mid-request) closes the channel; the request in progress runs
 *   to its end inside the model and its answer is dropped.
 *
 * Slow readers: once more than `maxBufferedResponseBytes` of responses wait in the stream's write buffer,
 * no further request is processed (and the stream stays paused) until it drains. Memory per connection is
 * thus bounded by one partial frame (at most `socket.request.max.bytes`), one read chunk of complete frames
 * and the write bound plus one response.
 *
 * Left out: SASL and TLS, quotas and throttling, `queued.max.requests` across connections (each connection
 * holds at most what one read delivers).
 */
import type { Duplex } from 'node:stream';
import type { ClientSession, FrameEndpoint } from '../broker/ports.ts';
import { decodeRequestHeader, FrameDecoder } from '../protocol/index.ts';

export interface BrokerConnectionOptions {
  readonly connectionId: string;
  /** Who is on the other side; join-group reports it as `clientHost` (`/127.0.0.1` in Kafka). */
  readonly clientNode: string;
  /** `socket.request.max.bytes`. */
  readonly maxFrameBytes: number;
  /** Stop taking requests while more response bytes than this wait to be written. Default 1 MiB. */
  readonly maxBufferedResponseBytes?: number;
  /** A failure that is not a `CloseConnectionSignal` (a bug in the model): the connection closes either way. */
  readonly onError?: (error: unknown, info: { connectionId: string; node: string; apiKey: number }) => void;
  readonly onClose?: () => void;
}

const DEFAULT_MAX_BUFFERED_RESPONSE_BYTES = 1 << 20;
/** After our FIN, how long a client may keep its side open before we reset it. */
const CLOSE_GRACE_MS = 1_000;

class StreamSession implements ClientSession {
  clientId = '';
  private listeners: Array<() => void> = [];
  isOpen = true;

  constructor(
    readonly connectionId: string,
    readonly clientNode: string,
  ) {}

  onClose(listener: () => void): () => void {
    if (!this.isOpen) {
      listener();
      return () => {};
    }
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  fireClose(): void {
    this.isOpen = false;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}

export function isCloseConnectionSignal(error: unknown): boolean {
  return error instanceof Error && error.name === 'CloseConnection';
}

export class BrokerConnection {
  readonly session: StreamSession;
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private readonly maxBufferedResponseBytes: number;
  private isBusy = false;
  private isWriteBlocked = false;
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** Why the server closed the connection, if it did (for tests and logs). */
  closeReason: string | null = null;
  requestsHandled = 0;

  constructor(
    private readonly stream: Duplex,
    private readonly endpoint: FrameEndpoint,
    private readonly options: BrokerConnectionOptions,
  ) {
    this.session = new StreamSession(options.connectionId, options.clientNode);
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    this.maxBufferedResponseBytes = options.maxBufferedResponseBytes ?? DEFAULT_MAX_BUFFERED_RESPONSE_BYTES;
    // Socket errors (ECONNRESET, EPIPE) end the connection; they must never reach the process.
    stream.on('error', () => this.closed());
    stream.on('close', () => this.closed());
    // The client closed its side: Kafka closes the channel (a half-open Kafka connection means nothing).
    stream.on('end', () => this.close('client closed the connection', { immediately: true }));
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get connectionId(): string {
    return this.options.connectionId;
  }

  /**
   * Closes from the server's side: sends what is already written, then a FIN; the socket is destroyed once
   * the client closes too or after a short grace. `immediately` destroys it at once.
   */
  close(reason: string, options: { immediately?: boolean } = {}): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') {
      this.closeReason = reason;
      this.state = 'closing';
      this.queue.length = 0;
      this.session.fireClose();
    }
    if (options.immediately === true) {
      this.stream.destroy();
      this.closed();
      return;
    }
    this.stream.end();
    // Drain (and drop) whatever the client still sends, so the close is a FIN rather than a reset.
    this.stream.resume();
    setTimeout(() => this.stream.destroy(), CLOSE_GRACE_MS).unref();
  }

  private closed(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') {
      this.closeReason ??= 'connection lost';
      this.session.fireClose();
    }
    this.state = 'closed';
    this.queue.length = 0;
    this.options.onClose?.();
  }

  private receive(chunk: Buffer): void {
    if (this.state !== 'open') return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.close(`unreadable frame: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) this.queue.push(frame);
    // Muted while a request is in progress (Kafka's channel mute): bytes beyond wait in the kernel.
    if (this.isBusy || this.queue.length > 0) this.stream.pause();
    this.pump();
  }

  private pump(): void {
    if (this.state !== 'open' || this.isBusy || this.isWriteBlocked) return;
    const frame = this.queue.shift();
    if (frame === undefined) {
      this.stream.resume();
      return;
    }
    this.isBusy = true;
    this.process(frame)
      .catch((error: unknown) => this.close(`failed writing a response: ${(error as Error)?.message ?? String(error)}`, { immediately: true }))
      .finally(() => {
        this.isBusy = false;
        this.pump();
      });
  }

  private async process(frame: Buffer): Promise<void> {
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    try {
      this.session.clientId = decodeRequestHeader(frame).header.clientId ?? '';
    } catch {
      // The broker rejects the frame itself, with its own reason.
    }
    let response: Buffer | null;
    try {
      response = await this.endpoint.handleFrame(frame, this.session);
    } catch (error) {
      this.close(error instanceof Error ? error.message : String(error));
      if (!isCloseConnectionSignal(error)) {
        try {
          this.options.onError?.(error, { connectionId: this.connectionId, node: this.endpoint.node, apiKey });
        } catch {
          // A failing error reporter must not take the connection loop (or the process) with it.
        }
      }
      return;
    }
    this.requestsHandled++;
    // The client vanished meanwhile: the answer has nowhere to go.
    if (this.state !== 'open' || response === null) return;
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(response.length, 0);
    this.stream.cork();
    this.stream.write(size);
    this.stream.write(response);
    this.stream.uncork();
    if (this.stream.writableLength > this.maxBufferedResponseBytes) {
      // A slow reader: take nothing more from it until what it was sent has drained.
      this.isWriteBlocked = true;
      this.stream.pause();
      this.stream.once('drain', () => {
        this.isWriteBlocked = false;
        this.pump();
      });
    }
  }
}
