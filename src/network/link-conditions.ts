/**
 * The state of the paths between nodes, as the in-process network consults it for every message: one-way
 * latency per directed link (seeded jitter), partitions and isolation, per-link drop probability. Nodes
 * are plain names (`client-1`, `broker-2`, `controller`), known or not; `'*'` in a link setting matches
 * any node.
 *
 * Every random draw comes from a stream of its own per purpose and directed link, forked from the
 * network's stream by label, so traffic on one link never shifts another link's draws and adding a client
 * does not change the latencies brokers see. A fixed latency or a zero drop probability draws nothing.
 *
 * Left out: bandwidth, reordering within a connection (the network keeps connections FIFO on top of this).
 */
import type { Prng } from '../runtime/index.ts';

/** One-way delay of a directed link, in whole milliseconds, both bounds inclusive. */
export interface LinkLatency {
  readonly minMs: number;
  readonly maxMs: number;
}

export interface FaultHandle {
  /** Undoes this one fault; idempotent. */
  heal(): void;
}

/** 1 ms each way: a round trip is visible in traces and "sent" always precedes "arrived". */
export const DEFAULT_LATENCY: LinkLatency = { minMs: 1, maxMs: 1 };
const ANY = '*';

/** A directed cut: messages from a node in `from` to a node in `to` are black-holed. */
interface Cut {
  readonly from: ReadonlySet<string>;
  readonly to: ReadonlySet<string>;
}

function checkLatency(latency: LinkLatency): LinkLatency {
  const { minMs, maxMs } = latency;
  if (!Number.isSafeInteger(minMs) || !Number.isSafeInteger(maxMs) || minMs < 0 || minMs > maxMs) {
    throw new RangeError(`latency needs whole milliseconds with 0 <= minMs <= maxMs, got { minMs: ${minMs}, maxMs: ${maxMs} }`);
  }
  return { minMs, maxMs };
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

export class LinkConditions {
  private defaultLatency: LinkLatency;
  private readonly latencies = new Map<string, LinkLatency>();
  private readonly dropProbabilities = new Map<string, number>();
  private cuts: Cut[] = [];
  private readonly isolated = new Set<string>();
  private readonly linkRandoms = new Map<string, Prng>();

  constructor(
    private readonly random: Prng,
    defaultLatency: LinkLatency = DEFAULT_LATENCY,
  ) {
    this.defaultLatency = checkLatency(defaultLatency);
  }

  setLatency(from: string, to: string, latency: LinkLatency | null): void {
    if (from === ANY && to === ANY) {
      this.defaultLatency = latency === null ? DEFAULT_LATENCY : checkLatency(latency);
      return;
    }
    if (latency === null) this.latencies.delete(linkKey(from, to));
    else this.latencies.set(linkKey(from, to), checkLatency(latency));
  }

  latencyOf(from: string, to: string): LinkLatency {
    return this.lookup(this.latencies, from, to) ?? this.defaultLatency;
  }

  sampleLatencyMs(from: string, to: string): number {
    const { minMs, maxMs } = this.latencyOf(from, to);
    if (minMs === maxMs) return minMs;
    return this.linkRandom('latency', from, to).range(minMs, maxMs);
  }

  partition(nodesA: readonly string[], nodesB: readonly string[]): FaultHandle {
    const a = new Set(nodesA);
    const b = new Set(nodesB);
    for (const node of a) if (b.has(node)) throw new RangeError(`partition: ${node} is on both sides`);
    return this.addCuts([
      { from: a, to: b },
      { from: b, to: a },
    ]);
  }

  partitionOneWay(from: readonly string[], to: readonly string[]): FaultHandle {
    return this.addCuts([{ from: new Set(from), to: new Set(to) }]);
  }

  isolate(node: string): FaultHandle {
    this.isolated.add(node);
    return { heal: () => this.isolated.delete(node) };
  }

  heal(): void {
    this.cuts = [];
    this.isolated.clear();
  }

  isReachable(from: string, to: string): boolean {
    if (from === to) return true;
    if (this.isolated.size > 0 && (this.isolated.has(from) || this.isolated.has(to))) return false;
    for (const cut of this.cuts) if (cut.from.has(from) && cut.to.has(to)) return false;
    return true;
  }

  setDropProbability(from: string, to: string, p: number): void {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropProbability needs p in [0, 1], got ${p}`);
    if (p === 0) this.dropProbabilities.delete(linkKey(from, to));
    else this.dropProbabilities.set(linkKey(from, to), p);
  }

  clearDropProbabilities(): void {
    this.dropProbabilities.clear();
  }

  /** Whether the next message on `from -> to` is lost; draws only on links with a drop probability. */
  shouldDrop(from: string, to: string): boolean {
    const p = this.lookup(this.dropProbabilities, from, to) ?? 0;
    return p > 0 && this.linkRandom('drop', from, to).chance(p);
  }

  /** Exact, then `from -> *`, then `* -> to`, then `* -> *`. */
  private lookup<T>(settings: ReadonlyMap<string, T>, from: string, to: string): T | undefined {
    if (settings.size === 0) return undefined;
    return (
      settings.get(linkKey(from, to)) ??
      settings.get(linkKey(from, ANY)) ??
      settings.get(linkKey(ANY, to)) ??
      settings.get(linkKey(ANY, ANY))
    );
  }

  /** A seeded stream per purpose and directed link, a function of (seed, purpose, link) only. */
  private linkRandom(purpose: 'latency' | 'drop', from: string, to: string): Prng {
    const key = `${purpose} ${from}->${to}`;
    let random = this.linkRandoms.get(key);
    if (random === undefined) {
      random = this.random.fork(key);
      this.linkRandoms.set(key, random);
    }
    return random;
  }

  private addCuts(cuts: Cut[]): FaultHandle {
    this.cuts = [...this.cuts, ...cuts];
    return {
      heal: () => {
        this.cuts = this.cuts.filter((cut) => !cuts.includes(cut));
      },
    };
  }
}
