/**
 * A connected pair of in-memory byte streams that behave like the two ends of a TCP connection, for
 * socket-factory.ts: bytes written on one end are read on the other, in order, with flow control (a writer
 * waits while its peer's read buffer is full, as TCP's window makes it wait); `end()` is a FIN (the peer
 * reads to the end, then gets `'end'`); `destroy()` closes at once and the peer gets `'end'`, as a client
 * sees a server that closed.
 *
 * The client end adds what code written for `net.Socket` calls (`setKeepAlive`, `setNoDelay`,
 * `setTimeout`, `ref`, `unref`, `remoteAddress`...), as no-ops where an in-memory stream has nothing to do.
 * Node 22's `Duplex.pair()` does the plumbing part of this; Node 20 has no such thing.
 *
 * Left out: socket timeouts (`setTimeout` never fires `'timeout'`), TLS, half-open connections (both ends
 * are `allowHalfOpen: false`, as Kafka's sockets are).
 */
import { Duplex } from 'node:stream';

export class MemoryStreamEnd extends Duplex {
  peer!: MemoryStreamEnd;
  /** The peer's write callback, held while this end's read buffer is full. */
  private blockedPeerWrite: ((error?: Error | null) => void) | null = null;

  constructor() {
    super({ allowHalfOpen: false });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    // Bytes written after the peer closed are lost, as on a socket whose peer is gone.
    if (peer.destroyed || peer.readableEnded) {
      callback();
      return;
    }
    if (peer.push(chunk)) callback();
    else peer.blockedPeerWrite = callback;
  }

  override _read(): void {
    this.releasePeerWrite();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.releasePeerWrite();
    if (!this.peer.destroyed) this.peer.push(null);
    callback(error);
  }

  private releasePeerWrite(): void {
    const write = this.blockedPeerWrite;
    this.blockedPeerWrite = null;
    write?.();
  }
}

/** The end a client holds, shaped like the `net.Socket` KafkaJS's `socketFactory` must return. */
export class MemorySocket extends MemoryStreamEnd {
  connecting = true;

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {
    super();
  }

  readonly remoteFamily = 'IPv4';
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;

  setKeepAlive(_enable?: boolean, _initialDelayMs?: number): this {
    return this;
  }

  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  setTimeout(_timeoutMs: number, callback?: () => void): this {
    if (callback !== undefined) this.once('timeout', callback);
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: this.localPort };
  }

  /** Completes the "handshake": `'connect'` then `'ready'`, as `net.Socket` emits them. */
  markConnected(): void {
    if (this.destroyed) return;
    this.connecting = false;
    this.emit('connect');
    this.emit('ready');
  }
}

/** A client end and a server end joined to each other. */
export function memorySocketPair(remoteAddress: string, remotePort: number): { client: MemorySocket; server: MemoryStreamEnd } {
  const client = new MemorySocket(remoteAddress, remotePort);
  const server = new MemoryStreamEnd();
  client.peer = server;
  server.peer = client;
  return { client, server };
}
