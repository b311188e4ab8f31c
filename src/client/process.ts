/**
 * A client "process": the scope a producer, consumer or admin lives in. Every timer, connection and awaited
 * operation of the client goes through it, so the simulator can kill the client the way an operating system
 * kills a process (`cluster.kill(client)`): its timers never fire, its connections drop without a goodbye
 * (no LeaveGroup, no commit), and every promise it handed out stays pending forever. A killed client also
 * stops counting as awaited work, so a virtual clock is not kept running by promises that can never settle.
 */
import type { Prng, Runtime, Timer } from '../runtime/index.ts';
import type { BrokerAddress, ConnectOptions, Connection, Transport } from '../network/transport.ts';

/** What client code may use of the runtime: time, timers and randomness, all inside the process scope. */
export interface ClientRuntime {
  now(): number;
  timer(delayMs: number, callback: () => void, label?: string): Timer;
  /** An untracked wait: background loops use it so an idle virtual clock stays frozen. */
  delay(ms: number): Promise<void>;
  readonly random: Prng;
  readonly isVirtual: boolean;
  /** Wraps a promise the user awaits: it drives virtual time and never settles once the process is killed. */
  track<T>(operation: Promise<T>): Promise<T>;
  /** Keeps the host process alive (one hold per open connection, as a socket would); released on kill. */
  keepAlive(): () => void;
  /** A promise that never settles once the process is killed (for internal continuations). */
  guard<T>(operation: Promise<T>): Promise<T>;
  readonly isKilled: boolean;
}

const INERT_TIMER: Timer = { cancel: () => undefined, dueMs: Number.POSITIVE_INFINITY, isActive: false };

export class ClientProcess implements ClientRuntime {
  private killed = false;
  private readonly timers = new Set<Timer>();
  private readonly connections = new Set<Connection>();
  private readonly killListeners = new Set<() => void>();
  private readonly holds = new Set<() => void>();
  readonly transport: Transport;
  readonly random: Prng;

  constructor(
    readonly runtime: Runtime,
    transport: Transport,
    readonly name: string,
  ) {
    this.random = runtime.random.fork(`client:${name}`);
    this.transport = {
      connect: (address: BrokerAddress, options: ConnectOptions) =>
        this.guard(transport.connect(address, options)).then((connection) => this.adopt(connection)),
    };
  }

  get isVirtual(): boolean {
    return this.runtime.isVirtual;
  }

  get isKilled(): boolean {
    return this.killed;
  }

  now(): number {
    return this.runtime.now();
  }

  timer(delayMs: number, callback: () => void, label?: string): Timer {
    if (this.killed) return INERT_TIMER;
    const timer = this.runtime.timer(
      delayMs,
      () => {
        this.timers.delete(timer);
        if (!this.killed) callback();
      },
      label,
    );
    this.timers.add(timer);
    return timer;
  }

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.timer(ms, resolve, 'client:delay'));
  }

  keepAlive(): () => void {
    if (this.killed) return () => undefined;
    const release = this.runtime.keepAlive?.() ?? (() => undefined);
    const hold = (): void => {
      if (!this.holds.delete(hold)) return;
      release();
    };
    this.holds.add(hold);
    return hold;
  }

  guard<T>(operation: Promise<T>): Promise<T> {
    if (this.killed) return new Promise<T>(() => undefined);
    return new Promise<T>((resolve, reject) => {
      operation.then(
        (value) => this.killed || resolve(value),
        (error: unknown) => this.killed || reject(error),
      );
    });
  }

  track<T>(operation: Promise<T>): Promise<T> {
    const guarded = this.guard(operation);
    if (this.killed) return guarded;
    // The runtime tracks a promise that also settles on kill, so a dead client stops driving the clock.
    let release: () => void = () => undefined;
    const killed = new Promise<void>((resolve) => (release = resolve));
    this.killListeners.add(release);
    const settled = operation.then(
      () => undefined,
      () => undefined,
    );
    void this.runtime.track(Promise.race([settled, killed])).then(() => this.killListeners.delete(release));
    return guarded;
  }

  /** Dies at once: timers cancelled, connections dropped, pending promises left pending. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
    for (const connection of this.connections) connection.close();
    this.connections.clear();
    for (const release of this.killListeners) release();
    this.killListeners.clear();
    for (const hold of [...this.holds]) hold();
  }

  private adopt(connection: Connection): Connection {
    if (this.killed) {
      connection.close();
      return connection;
    }
    this.connections.add(connection);
    connection.onClose(() => this.connections.delete(connection));
    const request: Connection['request'] = (apiKey, apiVersion, body, options) =>
      this.guard(connection.request(apiKey, apiVersion, body, options));
    return {
      get id() {
        return connection.id;
      },
      get remote() {
        return connection.remote;
      },
      get node() {
        return connection.node;
      },
      get isOpen() {
        return connection.isOpen;
      },
      request,
      close: () => connection.close(),
      onClose: (listener) => connection.onClose((reason) => this.killed || listener(reason)),
    };
  }
}
