/**
 * A client "process": the scope a producer, consumer or admin lives in. Every timer, connection and awaited
 * operation of the client goes through it, so the simulator can kill the client the way an operating system
 * kills a process (`cluster.kill(client)`): its timers never fire, its connections drop without a goodbye
 * (no LeaveGroup, no commit), and every promise it handed out stays pending forever. A killed client also
 * stops counting as awaited work, so a virtual clock is not kept running by promises that can never settle.
 *
 * A client can also be paused and resumed (`cluster.pause(client)`, like SIGSTOP/SIGCONT or a long GC
 * pause): while paused nothing of it runs and nothing leaves it. Timers that come due, answers that
 * arrive and closes it would notice wait, in the order they happened, and run on resume; requests and
 * connects it is asked to make wait too. Brokers see a silent client: its heartbeats stop, its session
 * may expire, its requests time out on the broker's side of the story only when resumed.
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
  /** What waits for resume, in the order it happened; null while running. */
  private deferred: Array<() => void> | null = null;
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
        this.whenResumed(() => this.guard(transport.connect(address, options)).then((connection) => this.adopt(connection))),
    };
  }

  get isVirtual(): boolean {
    return this.runtime.isVirtual;
  }

  get isKilled(): boolean {
    return this.killed;
  }

  get isPaused(): boolean {
    return this.deferred !== null;
  }

  /** Stops the process where it stands (SIGSTOP); a killed or already paused process is left as it is. */
  pause(): void {
    if (this.killed || this.deferred !== null) return;
    this.deferred = [];
  }

  /** Lets it run again (SIGCONT): what came due while it was stopped runs now, in order. */
  resume(): void {
    const deferred = this.deferred;
    if (deferred === null) return;
    this.deferred = null;
    for (const run of deferred) if (!this.killed) run();
  }

  /** Runs now, or on resume while paused. */
  private whenRunning(run: () => void): void {
    if (this.deferred === null) run();
    else this.deferred.push(run);
  }

  /** Starts `operation` now, or on resume while paused (a stopped process sends nothing). */
  private whenResumed<T>(operation: () => Promise<T>): Promise<T> {
    // A dead process sends nothing (its handler code may still run and ask, as JavaScript cannot stop it).
    if (this.killed) return new Promise<T>(() => undefined);
    if (this.deferred === null) return operation();
    return this.guard(new Promise<void>((resolve) => this.deferred!.push(resolve))).then(operation);
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
        if (!this.killed) this.whenRunning(() => this.killed || callback());
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
    return this.deliver(operation, undefined);
  }

  /** `guard`, calling `onDelivered` once the outcome reaches the caller (never if killed first). */
  private deliver<T>(operation: Promise<T>, onDelivered: (() => void) | undefined): Promise<T> {
    if (this.killed) {
      // Nobody will hear how it ends; its failure must not surface as an unhandled rejection either.
      operation.catch(() => undefined);
      return new Promise<T>(() => undefined);
    }
    return new Promise<T>((resolve, reject) => {
      const settle = (outcome: () => void): void => {
        if (this.killed) return;
        this.whenRunning(() => {
          if (this.killed) return;
          outcome();
          onDelivered?.();
        });
      };
      operation.then(
        (value) => settle(() => resolve(value)),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  track<T>(operation: Promise<T>): Promise<T> {
    if (this.killed) return this.guard(operation);
    // The runtime tracks a promise that settles when the outcome reaches the caller (an outcome that came
    // while the process was paused is still awaited work until resume delivers it) or on kill, so a dead
    // client stops driving the clock. No handler goes on the promise handed out: a rejection nobody
    // catches must stay an unhandled rejection, as KafkaJS's would.
    let release: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (release = resolve));
    this.killListeners.add(release);
    const guarded = this.deliver(operation, release);
    void this.runtime.track(done).then(() => this.killListeners.delete(release));
    return guarded;
  }

  /** Dies at once: timers cancelled, connections dropped, pending promises left pending. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.deferred = null;
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
      this.whenResumed(() => this.guard(connection.request(apiKey, apiVersion, body, options)));
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
      onClose: (listener) => connection.onClose((reason) => this.killed || this.whenRunning(() => this.killed || listener(reason))),
    };
  }
}
