/**
 * `VirtualRuntime`: a discrete-event scheduler whose clock is a number. Time moves only when an event
 * fires (the clock jumps to its due time) or a script advances it, so a 30-second session timeout costs
 * nothing but the work it triggers, and a seed replays one history exactly (TigerBeetle's VOPR and
 * FoundationDB's simulation are the models; franz-go's kfake is the Kafka-shaped neighbour).
 *
 * Events live in a binary min-heap ordered by `(dueMs, sequence)`, where `sequence` is a counter taken at
 * scheduling time: events due at the same millisecond fire in the order they were scheduled. Cancelled
 * timers stay in the heap and are skipped when they reach the top (compacted when they outnumber the
 * live ones), so cancel is O(1) and a cancelled timer can never fire.
 *
 * How promise continuations are ordered. Model code is async: a timer callback resolves a promise, and
 * the code awaiting it runs later as a microtask, possibly arming a `timer(0)` after several awaits.
 * Every driver here (the scripted `advance`/`runUntil`/`runUntilIdle` and the auto driver) awaits
 * `hostSettle` (host.ts) between two events: it resolves only once Node's microtask queue is empty, so
 * every continuation queued by an event, and every continuation those queue in turn, however long the
 * chain, has run before the next event is chosen. (It used to be one host macrotask per event, which gives
 * the same guarantee at several times the cost; hostSettle still takes a real macrotask every 128 events,
 * and the drivers take one before they conclude that nothing is pending.)
 * Microtasks run in FIFO order (V8's order, deterministic for the same program), so the interleaving is
 * a function of the seed. Fake-timer libraries fire the next timer synchronously after the previous one
 * and get exactly this wrong: a continuation that arms `timer(0)` at t=10 runs after time has moved on.
 * The limit: work that waits on the host (a file read, a socket, a native async call on the libuv thread
 * pool, a host timer) completes in some later macrotask that the runtime neither knows nor orders; the
 * events fired meanwhile depend on the host's speed. The model must not await host I/O; test code may,
 * outside the simulation. `step()` is the one exception: synchronous, no draining, for synchronous kernels.
 *
 * Auto drive ("await-driven"). With `drive: 'auto'`, plain `await runtime.sleep(30_000)` in a test
 * completes at once with the clock exactly 30 000 ms later. Demand is the number of pending promises
 * registered through `track()` (`sleep()` tracks itself; the client tracks what the user awaits). While
 * demand exists a background driver fires events, one host macrotask apart as above. When demand drops
 * to zero the driver stops: with `idle: 'freeze'` nothing runs and no host timer is armed, so an idle
 * cluster costs no CPU and its clock stands still until someone awaits it again; with `idle: 'realtime'`
 * one unref'd host timeout is armed for the wall-clock delay to the next event, so the clock follows the
 * wall clock while nobody awaits. A scripted call suspends the auto driver (one driver at a time).
 * The auto driver fails rather than spin or hang: tracked promises are rejected with
 * `SimulationLimitError` after `maxAutoMs` of virtual time without demand ever dropping to zero, or when
 * demand exists, no event is pending and one more drained macrotask has changed nothing (a deadlock).
 *
 * An exception thrown by a timer callback rejects the scripted call that fired it, propagates from
 * `step()`, and in auto or realtime drive is rethrown as an uncaught exception (as a host timer's would
 * be) while the driver carries on.
 *
 * Left out: periodic timers (re-arm instead), priorities beyond `(dueMs, sequence)`, and running more
 * than one driver at a time.
 */
import { assert } from './assert.ts';
import { hostSettle, hostTimeout, hostYield, MAX_HOST_DELAY_MS, type HostTimeout } from './host.ts';
import { randomUuid, SeededPrng } from './prng.ts';
import { normalizeDelayMs, PrefixCounters, type Prng, type Runtime, type Timer } from './runtime.ts';

export type DriveMode = 'auto' | 'manual';
export type IdleMode = 'freeze' | 'realtime';

export interface VirtualRuntimeOptions {
  /** Any safe integer; printed by every limit error so a failure replays. Default 1. */
  seed?: number;
  /** The clock's reading at construction, ms since the Unix epoch. Default 2024-01-01T00:00:00Z. */
  startMs?: number;
  /** `auto`: events fire while a tracked promise is pending. `manual`: only scripted calls fire events. */
  drive?: DriveMode;
  /** What the auto driver does when nothing is tracked. Only meaningful with `drive: 'auto'`. */
  idle?: IdleMode;
  /** Virtual time the auto driver may advance while demand never drops to zero. Default one hour. */
  maxAutoMs?: number;
}

export interface RunUntilOptions {
  /** Fail if the predicate is still false when virtual time would pass `start + maxMs`. */
  maxMs: number;
  /** Fail after this many events. Default 10 000 000. */
  maxEvents?: number;
}

export interface RunUntilIdleOptions {
  /** Fail after this many events (a self-rearming timer never lets the queue drain). Default 10 000 000. */
  maxEvents?: number;
}

export type SimulationLimitReason = 'maxMs' | 'maxEvents' | 'stalled' | 'maxAutoMs';

/**
 * A run loop hit its bound. Not a Kafka error: it means the simulated scenario did not reach the state
 * the caller waited for, and the seed is what it takes to replay the same history and look.
 */
export class SimulationLimitError extends Error {
  override name = 'SimulationLimitError';
  readonly reason: SimulationLimitReason;
  readonly seed: number;
  /** The virtual clock when the limit was hit. */
  readonly nowMs: number;
  /** Events fired by the failing loop. */
  readonly events: number;

  constructor(reason: SimulationLimitReason, detail: string, seed: number, nowMs: number, events: number) {
    super(
      `${detail} [seed=${seed}, virtual now=${nowMs}, ${events} events fired]; ` +
        `replay with new VirtualRuntime({ seed: ${seed} })`,
    );
    this.reason = reason;
    this.seed = seed;
    this.nowMs = nowMs;
    this.events = events;
  }
}

const DEFAULT_START_MS = 1_704_067_200_000;
const DEFAULT_MAX_AUTO_MS = 3_600_000;
const DEFAULT_MAX_EVENTS = 10_000_000;
/** Below this many cancelled entries, skipping them lazily is cheaper than rebuilding the heap. */
const COMPACT_MIN_CANCELLED = 1024;
const TWO_POW_32 = 0x1_0000_0000;
/** 64-bit FNV-1a offset basis, split into 32-bit halves so the hash needs no BigInt. */
const FNV64_OFFSET_HIGH = 0xcbf29ce4;
const FNV64_OFFSET_LOW = 0x84222325;

type TimerState = 'pending' | 'fired' | 'cancelled';

class VirtualTimer implements Timer {
  state: TimerState = 'pending';
  callback: (() => void) | undefined;

  constructor(
    private readonly queue: EventQueue,
    readonly dueMs: number,
    readonly sequence: number,
    callback: () => void,
    readonly label: string,
  ) {
    this.callback = callback;
  }

  get isActive(): boolean {
    return this.state === 'pending';
  }

  cancel(): void {
    if (this.state !== 'pending') return;
    this.state = 'cancelled';
    // Drop the closure now: a cancelled request timeout may sit in the heap for a long virtual while.
    this.callback = undefined;
    this.queue.noteCancelled();
  }
}

function isEarlier(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.sequence < b.sequence);
}

/** Binary min-heap of timers by `(dueMs, sequence)` with lazy removal of cancelled ones. */
class EventQueue {
  private heap: VirtualTimer[] = [];
  private cancelledInHeap = 0;
  /** Pending (scheduled, neither fired nor cancelled) timers. */
  live = 0;

  push(timer: VirtualTimer): void {
    this.heap.push(timer);
    this.siftUp(this.heap.length - 1);
    this.live++;
  }

  /** The next timer to fire, or undefined when none is pending. */
  peek(): VirtualTimer | undefined {
    while (this.heap.length > 0 && this.heap[0].state !== 'pending') {
      this.removeTop();
      this.cancelledInHeap--;
    }
    return this.heap[0];
  }

  /** Removes `timer`, which must be what `peek()` just returned. */
  take(timer: VirtualTimer): void {
    assert(this.heap[0] === timer && timer.state === 'pending', 'only the pending head of the queue fires');
    this.removeTop();
    this.live--;
  }

  noteCancelled(): void {
    this.live--;
    this.cancelledInHeap++;
    if (this.cancelledInHeap >= COMPACT_MIN_CANCELLED && this.cancelledInHeap * 2 > this.heap.length) {
      this.compact();
    }
  }

  private compact(): void {
    this.heap = this.heap.filter((timer) => timer.state === 'pending');
    this.cancelledInHeap = 0;
    // (dueMs, sequence) is a total order, so rebuilding cannot change which timer fires next.
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
    assert(this.heap.length === this.live, 'every pending timer is in the heap exactly once');
  }

  private removeTop(): void {
    const last = this.heap.pop() as VirtualTimer;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const timer = heap[index];
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!isEarlier(timer, heap[parent])) break;
      heap[index] = heap[parent];
      index = parent;
    }
    heap[index] = timer;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const timer = heap[index];
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && isEarlier(heap[right], heap[left]) ? right : left;
      if (!isEarlier(heap[child], timer)) break;
      heap[index] = heap[child];
      index = child;
    }
    heap[index] = timer;
  }
}

interface TrackedOperation {
  isSettled: boolean;
  reject(error: unknown): void;
}

function checkSpan(what: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${what} must be a finite number >= 0, got ${ms}`);
  return Math.ceil(ms);
}

function checkMaxEvents(maxEvents: number | undefined): number {
  const value = maxEvents ?? DEFAULT_MAX_EVENTS;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`maxEvents must be a safe integer >= 0, got ${value}`);
  }
  return value;
}

function describeEvent(timer: VirtualTimer): string {
  return timer.label === '' ? `an unlabelled event` : `event '${timer.label}'`;
}

export class VirtualRuntime implements Runtime {
  readonly isVirtual = true;
  readonly seed: number;
  readonly random: Prng;
  readonly startMs: number;
  readonly drive: DriveMode;
  readonly idle: IdleMode;
  readonly maxAutoMs: number;

  private nowMs: number;
  private sequence = 0;
  private fired = 0;
  private traceHigh = FNV64_OFFSET_HIGH;
  private traceLow = FNV64_OFFSET_LOW;
  private readonly queue = new EventQueue();
  private readonly ids = new PrefixCounters();
  /** A stream of its own, so adding a random draw elsewhere does not change every topic id. */
  private readonly uuidRandom: Prng;
  private isFiring = false;
  /** Name of the scripted call in progress, if any: it owns the clock until it returns. */
  private scriptedCall: string | undefined;
  private readonly tracked = new Set<TrackedOperation>();
  /** Bumped whenever demand changes: what a stall check compares across one macrotask. */
  private demandChanges = 0;
  /** Virtual time the auto driver has advanced since demand last dropped to zero. */
  private autoAdvancedMs = 0;
  private isDriverRunning = false;
  private realtimeTimeout: HostTimeout | undefined;
  /** Holds from `keepAlive()`: while any is held, the realtime timeout keeps the host process alive. */
  private keepAliveHolds = 0;
  private realtimeTargetMs = 0;

  constructor(options: VirtualRuntimeOptions = {}) {
    this.seed = options.seed ?? 1;
    this.random = new SeededPrng(this.seed);
    this.uuidRandom = this.random.fork('kafkasim/uuid');
    this.startMs = options.startMs ?? DEFAULT_START_MS;
    if (!Number.isSafeInteger(this.startMs)) {
      throw new RangeError(`startMs must be a safe integer, got ${this.startMs}`);
    }
    this.nowMs = this.startMs;
    this.drive = options.drive ?? 'auto';
    if (this.drive !== 'auto' && this.drive !== 'manual') throw new RangeError(`unknown drive '${String(this.drive)}'`);
    this.idle = options.idle ?? 'freeze';
    if (this.idle !== 'freeze' && this.idle !== 'realtime') throw new RangeError(`unknown idle '${String(this.idle)}'`);
    if (this.drive === 'manual' && this.idle === 'realtime') {
      throw new RangeError("idle: 'realtime' needs drive: 'auto'; a manual runtime never fires events by itself");
    }
    this.maxAutoMs = options.maxAutoMs ?? DEFAULT_MAX_AUTO_MS;
    if (!Number.isSafeInteger(this.maxAutoMs) || this.maxAutoMs < 0) {
      throw new RangeError(`maxAutoMs must be a safe integer >= 0, got ${this.maxAutoMs}`);
    }
  }

  now(): number {
    return this.nowMs;
  }

  timer(delayMs: number, callback: () => void, label?: string): Timer {
    const dueMs = this.nowMs + normalizeDelayMs(delayMs);
    const timer = new VirtualTimer(this.queue, dueMs, this.sequence++, callback, label ?? '');
    this.queue.push(timer);
    this.armRealtime();
    return timer;
  }

  sleep(ms: number): Promise<void> {
    // `track(new Promise(...))` by hand: one promise instead of two (simulated workloads sleep once per message).
    return new Promise<void>((resolve, reject) => {
      const entry: TrackedOperation = { isSettled: false, reject };
      this.tracked.add(entry);
      this.demandChanges++;
      this.timer(ms, () => this.settleTracked(entry) && resolve(), 'sleep');
      this.wake();
    });
  }

  keepAlive(): () => void {
    this.keepAliveHolds++;
    if (this.keepAliveHolds === 1) this.rearmRealtime();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.keepAliveHolds--;
      if (this.keepAliveHolds === 0) this.rearmRealtime();
    };
  }

  private rearmRealtime(): void {
    if (this.realtimeTimeout === undefined) return;
    this.cancelRealtime();
    this.armRealtime();
  }

  track<T>(operation: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: TrackedOperation = { isSettled: false, reject };
      this.tracked.add(entry);
      this.demandChanges++;
      operation.then(
        (value) => {
          if (this.settleTracked(entry)) resolve(value);
        },
        (error: unknown) => {
          if (this.settleTracked(entry)) reject(error);
        },
      );
      this.wake();
    });
  }

  /** Ends a tracked operation's demand; false if a limit already rejected it (the late outcome has nobody to tell). */
  private settleTracked(entry: TrackedOperation): boolean {
    if (entry.isSettled) return false;
    entry.isSettled = true;
    this.tracked.delete(entry);
    this.demandChanges++;
    if (this.tracked.size === 0) this.autoAdvancedMs = 0;
    return true;
  }

  nextId(prefix: string): string {
    return this.ids.next(prefix);
  }

  uuid(): string {
    return randomUuid(this.uuidRandom);
  }

  /** Pending (armed, not fired, not cancelled) events. */
  pendingEvents(): number {
    return this.queue.live;
  }

  /** Events fired since construction, by any driver. */
  firedEvents(): number {
    return this.fired;
  }

  /**
   * 64-bit FNV-1a over every fired event's `(dueMs, sequence, label)`, as 16 hex digits. Two runs with the
   * same seed and the same code must agree; when they do not, bisect on `firedEvents()`.
   */
  traceHash(): string {
    return this.traceHigh.toString(16).padStart(8, '0') + this.traceLow.toString(16).padStart(8, '0');
  }

  /**
   * Fires every event due at or before `now + ms`, including those scheduled meanwhile by callbacks and
   * continuations, then sets the clock to exactly `now + ms`.
   */
  async advance(ms: number): Promise<void> {
    const spanMs = checkSpan('advance(ms)', ms);
    this.beginScripted('advance');
    try {
      const endMs = this.nowMs + spanMs;
      for (;;) {
        await hostSettle();
        const next = this.queue.peek();
        if (next === undefined || next.dueMs > endMs) break;
        this.fire(next);
      }
      this.nowMs = endMs;
    } finally {
      this.endScripted();
    }
  }

  /** Fires events until `predicate()` holds, checking it before each event once continuations have run. */
  async runUntil(predicate: () => boolean, options: RunUntilOptions): Promise<void> {
    const maxMs = checkSpan('runUntil maxMs', options.maxMs);
    const maxEvents = checkMaxEvents(options.maxEvents);
    this.beginScripted('runUntil');
    try {
      const startMs = this.nowMs;
      const limitMs = startMs + maxMs;
      let events = 0;
      for (;;) {
        await hostSettle();
        if (predicate()) return;
        let next = this.queue.peek();
        if (next === undefined) {
          // Before calling it a stall, give the host one real macrotask, as every event got before hostSettle.
          await hostYield();
          if (predicate()) return;
          next = this.queue.peek();
        }
        if (next === undefined) {
          throw this.limitError(
            'stalled',
            `runUntil: predicate still false and no event is pending (stalled after ${this.nowMs - startMs} ms)`,
            events,
          );
        }
        if (next.dueMs > limitMs) {
          // Every event up to the limit has fired, so the clock may honestly read the limit.
          this.nowMs = limitMs;
          throw this.limitError(
            'maxMs',
            `runUntil: predicate still false after maxMs=${maxMs} ms of virtual time ` +
              `(next: ${describeEvent(next)} at +${next.dueMs - startMs} ms)`,
            events,
          );
        }
        if (events >= maxEvents) {
          throw this.limitError(
            'maxEvents',
            `runUntil: predicate still false after maxEvents=${maxEvents} events (${this.nowMs - startMs} ms)`,
            events,
          );
        }
        this.fire(next);
        events++;
      }
    } finally {
      this.endScripted();
    }
  }

  /** Fires events until none is pending. */
  async runUntilIdle(options: RunUntilIdleOptions = {}): Promise<void> {
    const maxEvents = checkMaxEvents(options.maxEvents);
    this.beginScripted('runUntilIdle');
    try {
      let events = 0;
      for (;;) {
        await hostSettle();
        let next = this.queue.peek();
        if (next === undefined) {
          await hostYield();
          next = this.queue.peek();
        }
        if (next === undefined) return;
        if (events >= maxEvents) {
          throw this.limitError(
            'maxEvents',
            `runUntilIdle: still busy after maxEvents=${maxEvents} events (next: ${describeEvent(next)}); ` +
              'a timer that re-arms itself never lets the queue drain',
            events,
          );
        }
        this.fire(next);
        events++;
      }
    } finally {
      this.endScripted();
    }
  }

  /**
   * Fires exactly the next event, synchronously, without letting continuations run; false if none is
   * pending. For synchronous kernels that drive the scheduler themselves.
   */
  step(): boolean {
    if (this.isFiring) throw new Error('VirtualRuntime: step() called from inside a timer callback');
    if (this.scriptedCall !== undefined) {
      throw new Error(`VirtualRuntime: step() called while ${this.scriptedCall}() is running`);
    }
    const next = this.queue.peek();
    if (next === undefined) return false;
    this.fire(next);
    return true;
  }

  private fire(timer: VirtualTimer): void {
    assert(timer.dueMs >= this.nowMs, 'virtual time only moves forward');
    this.queue.take(timer);
    this.nowMs = timer.dueMs;
    this.fired++;
    this.mixTrace(timer);
    const callback = timer.callback as () => void;
    timer.state = 'fired';
    timer.callback = undefined;
    this.isFiring = true;
    try {
      callback();
    } finally {
      this.isFiring = false;
    }
  }

  private mixTrace(timer: VirtualTimer): void {
    this.mixWord(Math.floor(timer.dueMs / TWO_POW_32));
    this.mixWord(timer.dueMs >>> 0);
    this.mixWord(Math.floor(timer.sequence / TWO_POW_32));
    this.mixWord(timer.sequence >>> 0);
    // Length first, so that where one label ends and the next event begins is never ambiguous. A label is
    // folded to 32 bits once and remembered: a run fires thousands of events under a few dozen labels.
    this.mixWord(timer.label.length);
    let folded = this.labelHashes.get(timer.label);
    if (folded === undefined) {
      folded = fnv1a32(timer.label);
      this.labelHashes.set(timer.label, folded);
    }
    this.mixWord(folded);
  }

  private readonly labelHashes = new Map<string, number>();

  private mixWord(word: number): void {
    this.mixByte(word >>> 24);
    this.mixByte((word >>> 16) & 0xff);
    this.mixByte((word >>> 8) & 0xff);
    this.mixByte(word & 0xff);
  }

  private mixByte(byte: number): void {
    const low = (this.traceLow ^ byte) >>> 0;
    // hash * (2^40 + 0x1b3) mod 2^64 on 32-bit halves; every intermediate stays below 2^53, so exact.
    const lowProduct = low * 0x1b3;
    const carry = Math.floor(lowProduct / TWO_POW_32);
    this.traceHigh = (this.traceHigh * 0x1b3 + carry + ((low << 8) >>> 0)) >>> 0;
    this.traceLow = lowProduct >>> 0;
  }

  private limitError(reason: SimulationLimitReason, detail: string, events: number): SimulationLimitError {
    return new SimulationLimitError(reason, detail, this.seed, this.nowMs, events);
  }

  private beginScripted(name: string): void {
    if (this.scriptedCall !== undefined) {
      throw new Error(
        `VirtualRuntime: ${name}() called while ${this.scriptedCall}() is still running; ` +
          'one driver at a time, await the first call',
      );
    }
    this.scriptedCall = name;
    this.cancelRealtime();
  }

  private endScripted(): void {
    this.scriptedCall = undefined;
    this.wake();
  }

  /** Starts the auto driver if there is demand, or arms the realtime timeout if there is none. */
  private wake(): void {
    if (this.drive !== 'auto' || this.scriptedCall !== undefined) return;
    if (this.tracked.size === 0) {
      this.armRealtime();
      return;
    }
    this.cancelRealtime();
    if (!this.isDriverRunning) {
      this.isDriverRunning = true;
      void this.runAutoDriver();
    }
  }

  private async runAutoDriver(): Promise<void> {
    let demandChangesWhenQuiet: number | undefined;
    try {
      for (;;) {
        // An empty queue is judged after a real macrotask (a stall is declared only when one changed nothing).
        await (demandChangesWhenQuiet === undefined ? hostSettle() : hostYield());
        if (this.scriptedCall !== undefined || this.tracked.size === 0) return;
        const next = this.queue.peek();
        if (next === undefined) {
          // The tracked promise may be one microtask-driven step from settling, or settle from a
          // continuation we have not seen yet; only a full drained macrotask with no change is a stall.
          if (demandChangesWhenQuiet === this.demandChanges) {
            this.failTracked(
              'stalled',
              `auto drive: ${this.tracked.size} awaited operation(s) pending but no event is scheduled, so ` +
                'nothing in the simulation can settle them (a deadlock, or an operation waiting on host I/O)',
            );
            return;
          }
          demandChangesWhenQuiet = this.demandChanges;
          continue;
        }
        demandChangesWhenQuiet = undefined;
        const stepMs = next.dueMs - this.nowMs;
        if (this.autoAdvancedMs + stepMs > this.maxAutoMs) {
          this.failTracked(
            'maxAutoMs',
            `auto drive: awaited operation(s) still pending after maxAutoMs=${this.maxAutoMs} ms of virtual ` +
              `time (next: ${describeEvent(next)} at +${stepMs} ms); the awaited condition may never happen`,
          );
          return;
        }
        this.autoAdvancedMs += stepMs;
        try {
          this.fire(next);
        } catch (error) {
          // Nobody called us to receive it; surface it the way a throwing host timer callback would.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    } finally {
      this.isDriverRunning = false;
      this.wake();
    }
  }

  private failTracked(reason: SimulationLimitReason, detail: string): void {
    const error = this.limitError(reason, detail, this.fired);
    const pending = [...this.tracked];
    this.tracked.clear();
    this.demandChanges++;
    this.autoAdvancedMs = 0;
    for (const entry of pending) {
      entry.isSettled = true;
      entry.reject(error);
    }
  }

  private armRealtime(): void {
    if (this.idle !== 'realtime' || this.scriptedCall !== undefined || this.isDriverRunning || this.tracked.size > 0) {
      return;
    }
    const next = this.queue.peek();
    if (next === undefined) {
      this.cancelRealtime();
      return;
    }
    if (this.realtimeTimeout !== undefined && this.realtimeTargetMs <= next.dueMs) return;
    this.cancelRealtime();
    const delayMs = Math.min(next.dueMs - this.nowMs, MAX_HOST_DELAY_MS);
    const targetMs = this.nowMs + delayMs;
    this.realtimeTargetMs = targetMs;
    // Unref'd unless a client holds the process (an open connection): an idle simulated cluster's heartbeats
    // alone must not keep a program or test worker alive, a running consumer must.
    this.realtimeTimeout = hostTimeout(delayMs, () => this.onRealtimeTimeout(targetMs), this.keepAliveHolds > 0);
  }

  private onRealtimeTimeout(targetMs: number): void {
    this.realtimeTimeout = undefined;
    if (this.scriptedCall !== undefined || this.isDriverRunning || this.tracked.size > 0) return;
    try {
      const next = this.queue.peek();
      if (next !== undefined && next.dueMs <= targetMs) {
        this.fire(next);
      } else {
        // The event we waited for was cancelled, or the wait was capped: the wall clock still moved.
        this.nowMs = Math.max(this.nowMs, targetMs);
      }
    } finally {
      this.armRealtime();
    }
  }

  private cancelRealtime(): void {
    this.realtimeTimeout?.cancel();
    this.realtimeTimeout = undefined;
  }
}

/** 32-bit FNV-1a over a string's UTF-16 code units. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
