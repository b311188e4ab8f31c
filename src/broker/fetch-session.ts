/**
 * Incremental fetch sessions, the broker's side (KIP-227; Kafka's `FetchSession`, `FetchSessionCache` and the
 * contexts `FetchManager.newContext` picks). A fetcher that sends session id 0 and epoch 0 gets a session: the
 * broker remembers each partition's fetch parameters and what it last answered for it (high watermark, log start
 * offset). Each later request names the session and its next epoch and lists only the partitions whose
 * parameters changed, `forgottenTopicsData` drops some; the answer carries only partitions with something to
 * say. An idle follower's fetch of dozens of partitions thus shrinks to its header, both ways.
 *
 * Contexts (from Fetch v7, where the fields exist):
 * - id 0, epoch -1: sessionless, the whole request answered in full (what KafkaJS and librdkafka send);
 *   id X, epoch -1 closes X first;
 * - epoch 0: a full fetch that opens a session if the cache has room (the answer carries its id, else 0);
 *   id X, epoch 0 closes X first;
 * - id X, epoch N > 0: incremental, or FETCH_SESSION_ID_NOT_FOUND (no such session), INVALID_FETCH_SESSION_EPOCH
 *   (N is not the epoch the session expects) and FETCH_SESSION_TOPIC_ID_ERROR (a session opened with topic
 *   names continued with topic ids, v13+, or the reverse), answered at once with no partitions. A request that
 *   forgets the last partitions closes its session and is answered sessionless.
 * An incremental fetch reads (and long-polls on) every partition of the session, listed or not; it answers a
 * partition only if it returned records, its high watermark, last stable offset or log start offset differs
 * from the last one answered, it failed (and then again once it recovers), or it carries a diverging epoch or a
 * preferred read replica (`CachedPartition.maybeUpdateResponseData`).
 *
 * The cache holds `max.incremental.fetch.session.cache.slots` sessions (1000). A full cache may evict, as
 * Kafka's `tryEvict` does: first the least recently used session if it has been idle longer than
 * `min.incremental.fetch.session.eviction.ms` (120 s); otherwise the least valuable evictable session, if the
 * newcomer is worth more (followers' sessions outrank consumers', then more partitions win); a session younger
 * than the eviction time can only be evicted by a follower's, and only if it is a consumer's. A restarted
 * broker starts with an empty cache. Session ids are drawn from a prng forked per broker, as Kafka draws them at
 * random, so that a run replays and ids do not repeat across restarts.
 *
 * Differences from Kafka: a moved last stable offset also makes a partition worth answering (Kafka looks only at
 * the high watermark; the LSO moves with it in practice, this just never hides one); partitions that returned
 * records keep their place in the session instead of moving to its end (Kafka rotates them, for fairness when
 * `maxBytes` cuts an answer short). The order a fetch reads its partitions in decides, when one follower fetch
 * advances several high watermarks, which acks=all produce completes first; without the rotation it stays the
 * order the fetcher listed them in (added partitions last), as it was when every fetch was sessionless.
 * Left out: cache shards (Kafka 3.8 splits the cache per request thread; one process needs one), sessions
 * replacing a partition whose topic id changed under the same name (KIP-516).
 */
import { ErrorCode, ZERO_UUID, type FetchRequest, type FetchResponsePartitionDataInput } from '../protocol/index.ts';
import type { Prng } from '../runtime/index.ts';
import type { BrokerConfig } from './config.ts';
import { topicById, topicPartitionKey, type MetadataImage } from './metadata.ts';

/** Session id 0: no session. */
export const INVALID_SESSION_ID = 0;
/** Epoch 0 asks for a new session (with a full fetch). */
export const INITIAL_EPOCH = 0;
/** Epoch -1: a sessionless full fetch (and the end of the named session, if any). */
export const FINAL_EPOCH = -1;

/** Kafka's `FetchMetadata.nextEpoch`: epochs count from 1 and wrap past int32 max back to 1. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

export type FetchRequestPartition = FetchRequest['topics'][number]['partitions'][number];

/** One partition a fetch reads: its topic by name (null when a v13+ topic id is unknown) and the parameters to read with. */
export interface FetchTarget {
  readonly topicName: string | null;
  readonly topicId: string;
  /** The broker's key for the replica (`topicPartitionKey`), '' when the name is unknown. */
  readonly replicaKey: string;
  readonly partition: FetchRequestPartition;
}

const targetOf = (topicName: string | null, topicId: string, partition: FetchRequestPartition): FetchTarget => ({
  topicName,
  topicId,
  replicaKey: topicName === null ? '' : topicPartitionKey(topicName, partition.partition),
  partition,
});

const recordsSize = (answer: FetchResponsePartitionDataInput): number => answer.records?.length ?? 0;

/** A partition of a session: the parameters its fetcher last sent and what the broker last answered. */
export class CachedPartition {
  /** -1 until first answered, and again after an error, so that the partition is answered once it recovers. */
  highWatermark = -1n;
  lastStableOffset = -1n;
  logStartOffset = -1n;
  /** The target a fetch reads, kept across requests while the parameters (and, by topic id, the image) stay. */
  private target: FetchTarget | null = null;
  private resolvedIn: MetadataImage | null = null;

  constructor(
    readonly key: string,
    /** The name the session knows it by (v7-12); empty in a topic-id session, which resolves names per image. */
    readonly topic: string,
    readonly topicId: string,
    private request: FetchRequestPartition,
  ) {}

  updateRequest(request: FetchRequestPartition): void {
    this.request = request;
    this.target = null;
  }

  targetIn(image: MetadataImage, usesTopicIds: boolean): FetchTarget {
    if (this.target !== null && (!usesTopicIds || this.resolvedIn === image)) return this.target;
    const name = usesTopicIds ? (topicById(image, this.topicId)?.name ?? null) : this.topic;
    this.target = targetOf(name, this.topicId, this.request);
    this.resolvedIn = image;
    return this.target;
  }

  /**
   * Whether `answer` says something the fetcher does not know yet (Kafka's `maybeUpdateResponseData`); with
   * `update`, the answer is being sent and becomes what the fetcher knows.
   */
  maybeUpdateResponseData(answer: FetchResponsePartitionDataInput, update: boolean): boolean {
    let mustRespond = recordsSize(answer) > 0;
    if (answer.highWatermark !== this.highWatermark) {
      mustRespond = true;
      if (update) this.highWatermark = answer.highWatermark;
    }
    const lastStableOffset = answer.lastStableOffset ?? -1n;
    if (lastStableOffset !== this.lastStableOffset) {
      mustRespond = true;
      if (update) this.lastStableOffset = lastStableOffset;
    }
    const logStartOffset = answer.logStartOffset ?? -1n;
    if (logStartOffset !== this.logStartOffset) {
      mustRespond = true;
      if (update) this.logStartOffset = logStartOffset;
    }
    if ((answer.preferredReadReplica ?? -1) >= 0) mustRespond = true;
    if (answer.errorCode !== ErrorCode.NONE) {
      mustRespond = true;
      if (update) this.highWatermark = -1n;
    }
    if ((answer.divergingEpoch?.epoch ?? -1) >= 0) mustRespond = true;
    return mustRespond;
  }
}

/** The key of a partition in a session: by topic id in sessions opened with v13+, by name before. */
export const sessionPartitionKey = (usesTopicIds: boolean, topic: string, topicId: string, partition: number): string =>
  `${usesTopicIds ? topicId : topic}:${partition}`;

export class FetchSession {
  /** The epoch the next request must carry. */
  epoch = nextEpoch(INITIAL_EPOCH);
  lastUsedMs: number;
  /** In insertion order: the order a fetch reads them. */
  readonly partitions = new Map<string, CachedPartition>();

  constructor(
    readonly id: number,
    /** Followers' sessions are privileged: they outrank consumers' when the cache is full. */
    readonly isPrivileged: boolean,
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
  ) {
    this.lastUsedMs = creationMs;
  }

  /** Applies an incremental request: listed partitions are added or take the new parameters, forgotten ones go. */
  update(request: FetchRequest, usesTopicIds: boolean): void {
    for (const topic of request.topics) {
      for (const partition of topic.partitions) {
        const key = sessionPartitionKey(usesTopicIds, topic.topic, topic.topicId, partition.partition);
        const cached = this.partitions.get(key);
        if (cached === undefined) this.partitions.set(key, new CachedPartition(key, usesTopicIds ? '' : topic.topic, usesTopicIds ? topic.topicId : ZERO_UUID, partition));
        else cached.updateRequest(partition);
      }
    }
    for (const topic of request.forgottenTopicsData) {
      for (const partition of topic.partitions) this.partitions.delete(sessionPartitionKey(usesTopicIds, topic.topic, topic.topicId, partition));
    }
  }
}

/** Kafka's `EvictableKey` order: unprivileged before privileged, then smaller first, then by id. */
function compareEvictable(a: { isPrivileged: boolean; size: number; id: number }, b: { isPrivileged: boolean; size: number; id: number }): number {
  if (a.isPrivileged !== b.isPrivileged) return a.isPrivileged ? 1 : -1;
  if (a.size !== b.size) return a.size - b.size;
  return a.id - b.id;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  /** Counts `clear()`s: a fetch that began before the broker stopped must not open a session after it restarted. */
  private clears = 0;

  constructor(
    private readonly random: Prng,
    private readonly config: BrokerConfig,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(sessionId: number): FetchSession | undefined {
    return this.sessions.get(sessionId);
  }

  remove(sessionId: number): boolean {
    return this.sessions.delete(sessionId);
  }

  /** The broker stopped: sessions live in memory only. */
  clear(): void {
    this.sessions.clear();
    this.clears++;
  }

  get incarnation(): number {
    return this.clears;
  }

  touch(session: FetchSession, nowMs: number): void {
    session.lastUsedMs = nowMs;
  }

  /** Kafka's `maybeCreateSession`: the new session's id, or 0 when the cache is full and nothing may be evicted. */
  maybeCreateSession(nowMs: number, isPrivileged: boolean, usesTopicIds: boolean, partitions: readonly CachedPartition[]): number {
    if (this.sessions.size >= this.maxSlots() && !this.tryEvict(isPrivileged, partitions.length, nowMs)) return INVALID_SESSION_ID;
    const session = new FetchSession(this.newSessionId(), isPrivileged, usesTopicIds, nowMs);
    for (const partition of partitions) session.partitions.set(partition.key, partition);
    this.sessions.set(session.id, session);
    return session.id;
  }

  private maxSlots(): number {
    return this.config.int('max.incremental.fetch.session.cache.slots');
  }

  private evictionMs(): number {
    return this.config.int('min.incremental.fetch.session.eviction.ms');
  }

  private tryEvict(isPrivileged: boolean, size: number, nowMs: number): boolean {
    const evictionMs = this.evictionMs();
    let leastRecentlyUsed: FetchSession | undefined;
    for (const session of this.sessions.values()) {
      if (leastRecentlyUsed === undefined || session.lastUsedMs < leastRecentlyUsed.lastUsedMs || (session.lastUsedMs === leastRecentlyUsed.lastUsedMs && session.id < leastRecentlyUsed.id)) {
        leastRecentlyUsed = session;
      }
    }
    if (leastRecentlyUsed === undefined) return false;
    if (nowMs - leastRecentlyUsed.lastUsedMs > evictionMs) return this.sessions.delete(leastRecentlyUsed.id);
    let candidate: FetchSession | undefined;
    for (const session of this.sessions.values()) {
      const isOld = nowMs - session.creationMs > evictionMs;
      if (!(isOld || (isPrivileged && !session.isPrivileged))) continue;
      if (candidate === undefined || compareEvictable(this.evictable(session), this.evictable(candidate)) < 0) candidate = session;
    }
    if (candidate === undefined) return false;
    if (compareEvictable({ isPrivileged, size, id: 0 }, this.evictable(candidate)) < 0) return false;
    return this.sessions.delete(candidate.id);
  }

  private evictable(session: FetchSession): { isPrivileged: boolean; size: number; id: number } {
    return { isPrivileged: session.isPrivileged, size: session.partitions.size, id: session.id };
  }

  private newSessionId(): number {
    let id: number;
    do id = this.random.range(1, 0x7ffffffe);
    while (this.sessions.has(id));
    return id;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Contexts: how one Fetch request relates to the cache

export type FetchContext =
  | { readonly kind: 'sessionless'; readonly targets: FetchTarget[] }
  | { readonly kind: 'full'; readonly targets: FetchTarget[]; readonly usesTopicIds: boolean; readonly incarnation: number }
  | {
      readonly kind: 'incremental';
      readonly targets: FetchTarget[];
      readonly session: FetchSession;
      /** The session's partitions, parallel to `targets`. */
      readonly cached: CachedPartition[];
      readonly expectedEpoch: number;
    }
  | { readonly kind: 'error'; readonly errorCode: number };

/** The partitions a request lists, in its order, with topic ids resolved to names from v13. */
export function requestTargets(request: FetchRequest, apiVersion: number, image: MetadataImage): FetchTarget[] {
  const targets: FetchTarget[] = [];
  for (const topic of request.topics) {
    const name = apiVersion >= 13 ? (topicById(image, topic.topicId)?.name ?? null) : topic.topic;
    for (const partition of topic.partitions) targets.push(targetOf(name, topic.topicId, partition));
  }
  return targets;
}

/** Kafka's `FetchManager.newContext`. */
export function newFetchContext(
  cache: FetchSessionCache,
  request: FetchRequest,
  apiVersion: number,
  nowMs: number,
  image: MetadataImage,
): FetchContext {
  if (apiVersion < 7) return { kind: 'sessionless', targets: requestTargets(request, apiVersion, image) };
  const usesTopicIds = apiVersion >= 13;
  const { sessionId, sessionEpoch } = request;
  if (sessionEpoch === INITIAL_EPOCH || sessionEpoch === FINAL_EPOCH) {
    // A full request closes the session it names.
    if (sessionId !== INVALID_SESSION_ID) cache.remove(sessionId);
    const targets = requestTargets(request, apiVersion, image);
    return sessionEpoch === FINAL_EPOCH ? { kind: 'sessionless', targets } : { kind: 'full', targets, usesTopicIds, incarnation: cache.incarnation };
  }
  const session = cache.get(sessionId);
  if (session === undefined) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
  if (session.epoch !== sessionEpoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
  if (session.usesTopicIds !== usesTopicIds) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
  session.update(request, usesTopicIds);
  if (session.partitions.size === 0) {
    cache.remove(session.id);
    return { kind: 'sessionless', targets: requestTargets(request, apiVersion, image) };
  }
  cache.touch(session, nowMs);
  session.epoch = nextEpoch(session.epoch);
  const cached = [...session.partitions.values()];
  const targets = cached.map((partition) => partition.targetIn(image, usesTopicIds));
  return { kind: 'incremental', targets, session, cached, expectedEpoch: session.epoch };
}

/**
 * Kafka's `updateAndGenerateResponseData`, once the read is final: which answers to send (`included[i]` for
 * `targets[i]`, null for all), under which session id, or a top-level error.
 */
export function completeFetchContext(
  cache: FetchSessionCache,
  context: Exclude<FetchContext, { kind: 'error' }>,
  answers: readonly FetchResponsePartitionDataInput[],
  isFollower: boolean,
  nowMs: number,
): { errorCode: number; sessionId: number; included: boolean[] | null } {
  switch (context.kind) {
    case 'sessionless':
      return { errorCode: ErrorCode.NONE, sessionId: INVALID_SESSION_ID, included: null };
    case 'full': {
      if (context.incarnation !== cache.incarnation) return { errorCode: ErrorCode.NONE, sessionId: INVALID_SESSION_ID, included: null };
      const partitions = context.targets.map((target, i) => {
        const { topicName, topicId, partition } = target;
        const name = context.usesTopicIds ? '' : (topicName ?? '');
        const key = sessionPartitionKey(context.usesTopicIds, name, topicId, partition.partition);
        const cached = new CachedPartition(key, name, context.usesTopicIds ? topicId : ZERO_UUID, partition);
        cached.maybeUpdateResponseData(answers[i], true);
        return cached;
      });
      return { errorCode: ErrorCode.NONE, sessionId: cache.maybeCreateSession(nowMs, isFollower, context.usesTopicIds, partitions), included: null };
    }
    case 'incremental': {
      const { session } = context;
      // Another request of the same session ran meanwhile (a duplicate, or a retry after a timeout).
      if (session.epoch !== context.expectedEpoch) return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, included: [] };
      const included = context.cached.map((cached, i) => cached.maybeUpdateResponseData(answers[i], true));
      return { errorCode: ErrorCode.NONE, sessionId: session.id, included };
    }
  }
}
