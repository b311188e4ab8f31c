/**
 * The `Runtime`: everything a stateful kafkasim object may ask of the outside world: the time, one-shot
 * timers, a seeded random stream and fresh identifiers. The broker, network and client take one in their
 * constructor and never reach for the host's clock or randomness themselves, so that one seed replays one
 * history byte for byte (the TigerBeetle/VOPR discipline) and the same model also runs on the wall clock
 * behind the TCP server.
 *
 * Two implementations: `VirtualRuntime` (simulation and tests: time is a number that only moves when an
 * event fires or a test advances it) and `RealRuntime` (the wire server and CLIs: the host clock).
 *
 * Left out on purpose: periodic timers (a handler re-arms its own timer, which keeps "who still wants to
 * run" explicit and cancellation trivial) and sub-millisecond time (Kafka's protocol speaks milliseconds).
 */

/** A one-shot timer. Cancelling is idempotent and a no-op once the timer has fired. */
export interface Timer {
  cancel(): void;
  /** When the timer fires (or fired), in the runtime's milliseconds since the Unix epoch. */
  readonly dueMs: number;
  /** True until the timer fires or is cancelled. */
  readonly isActive: boolean;
}

/**
 * A seeded stream of random integers. Integer-only so that no platform float formatting or `Math` library
 * difference can leak into a history.
 */
export interface Prng {
  readonly seed: number;
  /** Uniform integer in [0, maxExclusive), without modulo bias. */
  int(maxExclusive: number): number;
  /** Uniform integer in [min, max], both inclusive. */
  range(min: number, max: number): number;
  /** True with the given probability in [0, 1]; always consumes one draw, whatever the probability. */
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Fisher-Yates in place; returns `items`. */
  shuffle<T>(items: T[]): T[];
  /**
   * An independent child stream, a function of `(seed, label)` only: forking does not consume from this
   * stream and forking the same label twice gives the same child. Give each component its own fork so a
   * new draw in one component does not shift every other component's history.
   */
  fork(label: string): Prng;
  uint32(): number;
}

export interface Runtime {
  /** Milliseconds since the Unix epoch, an integer. */
  now(): number;
  /** One-shot, cancellable. A negative or NaN delay is treated as 0; fractional delays round up. */
  timer(delayMs: number, callback: () => void, label?: string): Timer;
  /** Resolves after `ms` of the runtime's time. Counts as awaited work (see `track`). */
  sleep(ms: number): Promise<void>;
  /**
   * Marks an operation user code is awaiting and returns a promise that settles like it. On a virtual
   * runtime in auto drive, virtual time runs only while such operations are pending; on a real runtime
   * this is the identity.
   */
  track<T>(operation: Promise<T>): Promise<T>;
  readonly random: Prng;
  /** `${prefix}-${n}` with n counting from 1 per prefix: readable ids that do not depend on the prng. */
  nextId(prefix: string): string;
  /** A random version-4 UUID in Kafka's text form: 16 bytes, base64url, no padding (22 characters). */
  uuid(): string;
  readonly isVirtual: boolean;
  /**
   * Keeps the host process alive until the returned release is called, as an open socket does: a client
   * holds one per open connection, so a program whose consumer runs in the background does not exit. Only
   * meaningful where the runtime would otherwise let the process exit (a virtual clock following the wall
   * clock when idle); optional for runtimes whose timers already keep the process alive.
   */
  keepAlive?(): () => void;
}

/** Per-prefix counters behind `Runtime.nextId`, shared by both runtimes. */
export class PrefixCounters {
  private readonly counters = new Map<string, number>();

  next(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}-${n}`;
  }
}

/**
 * Normalizes a timer delay like the host does for negatives and NaN (fire as soon as possible), but
 * refuses Infinity instead of silently firing after 1 ms as Node does: in a simulation that is always a bug.
 */
export function normalizeDelayMs(delayMs: number): number {
  if (delayMs === Number.POSITIVE_INFINITY) throw new RangeError('timer delay must be finite, got Infinity');
  if (!(delayMs > 0)) return 0;
  return Math.ceil(delayMs);
}
