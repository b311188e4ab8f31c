/**
 * One connection inside the in-process network, as the network holds it: both ends (the client's
 * `FrameLink`, the broker's `Session`), the FIFO bookkeeping of each direction, and the broker side's
 * inbox of frames waiting for the one in progress (Kafka's muted channel). The network moves messages;
 * this file only holds state.
 */
import type { BrokerAddress, ConnectOptions, Connection, Endpoint, FrameLink, Session } from './transport.ts';

export type Toward = 'server' | 'client';

export type Message =
  | { readonly kind: 'frame'; readonly frame: Buffer; readonly apiKey: number; readonly correlationId: number }
  /** SYN-ACK: the handshake's answer, the first message towards the client. */
  | { readonly kind: 'accept' }
  /** FIN: the sender closed. */
  | { readonly kind: 'close' }
  /** RST: the sender had closed and got a message anyway. */
  | { readonly kind: 'reset' };

/** One direction of a connection. */
export class Direction {
  /** Arrival time of the last message scheduled this way: the next may not arrive earlier (FIFO). */
  lastDeliveryMs = 0;
  /** A close or reset is on its way (or arrived): the receiver knows, so no reset is owed. */
  isCloseSent = false;
}

/** A connect in progress, from the client's call to its settling. */
export interface ConnectAttempt {
  readonly clientNode: string;
  readonly address: BrokerAddress;
  readonly options: ConnectOptions;
  isSettled: boolean;
  timer: { cancel(): void } | undefined;
  /** Set once the SYN reached a listener. */
  wire: Wire | undefined;
  resolve(connection: Connection): void;
  reject(error: Error): void;
}

export interface WireHooks {
  transmit(wire: Wire, toward: Toward, message: Message): void;
  /** The client closed its end. */
  closeClient(wire: Wire): void;
}

export class Wire {
  clientState: 'connecting' | 'open' | 'closed' = 'connecting';
  serverState: 'open' | 'closed' = 'open';
  readonly toServer = new Direction();
  readonly toClient = new Direction();
  /** Frames arrived at the broker and not yet handed to it. */
  readonly inbox: Buffer[] = [];
  isBusy = false;
  readonly session: WireSession;
  readonly link: WireLink;

  constructor(
    readonly id: string,
    readonly attempt: ConnectAttempt,
    readonly endpoint: Endpoint,
    hooks: WireHooks,
  ) {
    this.session = new WireSession(this);
    this.link = new WireLink(this, hooks);
  }

  get clientNode(): string {
    return this.attempt.clientNode;
  }

  get serverNode(): string {
    return this.endpoint.node;
  }

  get clientId(): string {
    return this.attempt.options.clientId;
  }

  direction(toward: Toward): Direction {
    return toward === 'server' ? this.toServer : this.toClient;
  }

  /** [from, to] nodes of a message travelling `toward`. */
  ends(toward: Toward): [string, string] {
    return toward === 'server' ? [this.clientNode, this.serverNode] : [this.serverNode, this.clientNode];
  }

  isOpenAt(side: Toward): boolean {
    return side === 'server' ? this.serverState === 'open' : this.clientState === 'open';
  }

  get isDead(): boolean {
    return this.clientState === 'closed' && this.serverState === 'closed';
  }
}

/** The broker's view of a wire. */
export class WireSession implements Session {
  private listeners: Array<() => void> = [];

  constructor(private readonly wire: Wire) {}

  get connectionId(): string {
    return this.wire.id;
  }

  get clientNode(): string {
    return this.wire.clientNode;
  }

  get clientId(): string {
    return this.wire.clientId;
  }

  get isOpen(): boolean {
    return this.wire.serverState === 'open';
  }

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
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}

/** The client end of a wire, as `FramedConnection` drives it. */
export class WireLink implements FrameLink {
  frameListener: ((frame: Buffer) => void) | undefined;
  closeListener: ((reason: Error) => void) | undefined;

  constructor(
    private readonly wire: Wire,
    private readonly hooks: WireHooks,
  ) {}

  sendFrame(frame: Buffer): void {
    if (this.wire.clientState !== 'open') return;
    // Read from the header bytes (int16 api key, int16 version, int32 correlation id): traces need no decode.
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    const correlationId = frame.length >= 8 ? frame.readInt32BE(4) : -1;
    this.hooks.transmit(this.wire, 'server', { kind: 'frame', frame, apiKey, correlationId });
  }

  onFrame(listener: (frame: Buffer) => void): void {
    this.frameListener = listener;
  }

  onClose(listener: (reason: Error) => void): void {
    this.closeListener = listener;
  }

  close(): void {
    this.hooks.closeClient(this.wire);
  }
}
