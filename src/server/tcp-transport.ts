/**
 * The client's way to a broker over TCP: a `Transport` whose connections are `node:net` sockets cut into
 * frames by `FrameDecoder` and driven by the same `FramedConnection` the in-process network uses. With it,
 * our KafkaJS-identical client talks to any Kafka-protocol broker: a `kafkasim broker` (startBrokerServer)
 * or a real Kafka. `createTcpKafka(config)` is `new Kafka(config)` bound to it on the real clock; the CLI's
 * client commands are built on it.
 *
 * Connection failures are mapped as KafkaJS's `network/connection.js` sees them: nothing listening is
 * `ConnectionRefusedError` (Node's own message, `connect ECONNREFUSED host:port`), a handshake still not
 * done after `timeoutMs` is `ConnectionTimeoutError`, and any other socket error before the handshake
 * (ENOTFOUND, EHOSTUNREACH, ECONNRESET) is a `SocketConnectError`, a `ConnectionRefusedError` carrying
 * Node's message and code, so the client retries it as KafkaJS retries every `KafkaJSConnectionError`. After
 * the handshake a reset, an EOF or an unreadable frame closes the connection with `ConnectionClosedError`,
 * which fails every pending request.
 *
 * Left out: TLS and SASL (KafkaJS's `ssl` and `sasl` options are accepted by `Kafka` and ignored here), a
 * `socketFactory` of the user's, and TCP keep-alive tuning.
 */
import { connect as connectSocket, type Socket } from 'node:net';
import { Kafka } from '../client/kafka.ts';
import type { KafkaConfig } from '../client/config.ts';
import { ENVIRONMENT, type ClientEnvironment } from '../client/environment.ts';
import {
  ConnectionClosedError,
  ConnectionRefusedError,
  ConnectionTimeoutError,
  FramedConnection,
  type BrokerAddress,
  type ConnectOptions,
  type Connection,
  type FrameLink,
  type Transport,
} from '../network/transport.ts';
import { FrameDecoder } from '../protocol/index.ts';
import { RealRuntime, type Runtime } from '../runtime/index.ts';

/** A socket error before the handshake other than ECONNREFUSED: retried like a refusal, with Node's message. */
export class SocketConnectError extends ConnectionRefusedError {
  override name = 'SocketConnectError';
  constructor(
    address: BrokerAddress,
    readonly code: string | undefined,
    message: string,
  ) {
    super(address);
    this.message = message;
  }
}

export interface TcpTransportOptions {
  /**
   * Largest response frame accepted (a larger declared size closes the connection before it is buffered).
   * Default 1 GiB: a Fetch answer is bounded by the client's own `maxBytes`, so this only stops garbage.
   */
  readonly maxFrameBytes?: number;
  /** Request timeout of connections whose requests give none. Default 30 000 (KafkaJS's `requestTimeout`). */
  readonly defaultRequestTimeoutMs?: number;
}

const DEFAULT_MAX_FRAME_BYTES = 1 << 30;

/** A socket seen as a `FrameLink`: size prefixes added on the way out, frames cut on the way in. */
class SocketFrameLink implements FrameLink {
  private frameListener: (frame: Buffer) => void = () => {};
  private closeListener: (reason: Error) => void = () => {};
  private isClosed = false;
  private readonly decoder: FrameDecoder;

  constructor(
    private readonly socket: Socket,
    private readonly address: BrokerAddress,
    maxFrameBytes: number,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.lost(new ConnectionClosedError(`connection to ${this.describe()} failed: ${error.message}`, { cause: error })));
    socket.on('close', () => this.lost(new ConnectionClosedError(`connection to ${this.describe()} was closed by the broker`)));
  }

  sendFrame(frame: Buffer): void {
    if (this.isClosed) return;
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(frame.length, 0);
    this.socket.cork();
    this.socket.write(size);
    this.socket.write(frame);
    this.socket.uncork();
  }

  onFrame(listener: (frame: Buffer) => void): void {
    this.frameListener = listener;
  }

  onClose(listener: (reason: Error) => void): void {
    this.closeListener = listener;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // A FIN after whatever is still buffered (a Produce with acks=0 sent just before), then the socket goes.
    this.socket.end(() => this.socket.destroy());
  }

  private receive(chunk: Buffer): void {
    if (this.isClosed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.socket.destroy();
      this.lost(new ConnectionClosedError(`unreadable response stream from ${this.describe()}: ${(error as Error).message}`, { cause: error }));
      return;
    }
    for (const frame of frames) {
      if (this.isClosed) return;
      this.frameListener(frame);
    }
  }

  private lost(reason: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.destroy();
    this.closeListener(reason);
  }

  private describe(): string {
    return `${this.address.host}:${this.address.port}`;
  }
}

export class TcpTransport implements Transport {
  private readonly maxFrameBytes: number;
  private readonly defaultRequestTimeoutMs: number | undefined;

  constructor(
    private readonly runtime: Runtime,
    options: TcpTransportOptions = {},
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.defaultRequestTimeoutMs = options.defaultRequestTimeoutMs;
  }

  connect(address: BrokerAddress, options: ConnectOptions): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const socket = connectSocket({ host: address.host, port: address.port, noDelay: true });
      let isSettled = false;
      const fail = (error: Error): void => {
        if (isSettled) return;
        isSettled = true;
        timer.cancel();
        socket.destroy();
        reject(error);
      };
      const timer = this.runtime.timer(options.timeoutMs, () => fail(new ConnectionTimeoutError(address, options.timeoutMs)), 'tcp:connect-timeout');
      socket.once('error', (error: NodeJS.ErrnoException) => {
        fail(error.code === 'ECONNREFUSED' ? new ConnectionRefusedError(address) : new SocketConnectError(address, error.code, error.message));
      });
      socket.once('connect', () => {
        if (isSettled) return;
        isSettled = true;
        timer.cancel();
        socket.removeAllListeners('error');
        const link = new SocketFrameLink(socket, address, this.maxFrameBytes);
        resolve(
          new FramedConnection(this.runtime, link, {
            id: this.runtime.nextId(`${options.node}-tcp`),
            remote: address,
            node: options.node,
            clientId: options.clientId,
            defaultRequestTimeoutMs: this.defaultRequestTimeoutMs,
          }),
        );
      });
    });
  }
}

export interface TcpKafkaOptions extends TcpTransportOptions {
  /** The runtime of the client's timers and ids; default a fresh `RealRuntime`. */
  readonly runtime?: Runtime;
}

/** The client environment of a `Kafka` that reaches its brokers over TCP on the real clock. */
export function tcpEnvironment(options: TcpKafkaOptions = {}): ClientEnvironment {
  const runtime = options.runtime ?? new RealRuntime();
  return { runtime, transport: new TcpTransport(runtime, options) };
}

/**
 * `new Kafka(config)` whose connections are TCP sockets to `config.brokers`: our KafkaJS-identical client
 * against a `kafkasim broker` or a real Kafka cluster.
 */
export function createTcpKafka(config: KafkaConfig, options: TcpKafkaOptions = {}): Kafka {
  return new Kafka({ ...config, [ENVIRONMENT]: tcpEnvironment(options) } as KafkaConfig);
}
