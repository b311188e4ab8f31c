/**
 * Incremental fetch sessions, the fetcher's side (KIP-227; Kafka's `FetchSessionHandler`), as the replica
 * fetcher uses it against one leader. Each round the fetcher says which partitions it wants and with which
 * parameters; the handler turns that into the next request's session id and epoch, the partitions to list and
 * the partitions to forget:
 * - with no session yet (or after starting over), a full request: id 0 or the old id, epoch 0, every partition;
 *   the answer's session id (if the leader had room) opens the session at epoch 1;
 * - in a session, the next epoch, listing only partitions added or whose parameters changed (in practice those
 *   that received records, truncated or changed leader epoch) and forgetting those no longer wanted;
 * - a top-level FETCH_SESSION_ID_NOT_FOUND starts over with id 0; any other session error, a failed request or
 *   a new connection starts over closing the old session (its id with epoch 0), as `handleError` does.
 * In an incremental answer, a partition of the session that is absent has nothing new: same high watermark and
 * log start offset as last answered, no records, no error.
 */
import { ErrorCode, type FetchResponse } from '../protocol/index.ts';
import { INITIAL_EPOCH, INVALID_SESSION_ID, nextEpoch } from './fetch-session.ts';
import { topicPartitionKey } from './metadata.ts';

/** What a fetcher sends for one partition; a fetcher may hand the same object again while nothing changed. */
export interface FetchPartitionData {
  /** `topicPartitionKey(topic, partition)`. */
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: bigint;
  readonly lastFetchedEpoch: number;
  readonly logStartOffset: bigint;
  readonly partitionMaxBytes: number;
}

export interface FetchSessionRequest {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  readonly isFull: boolean;
  /** The partitions to list: all of them in a full request, the added and changed ones otherwise. */
  readonly toSend: readonly FetchPartitionData[];
  readonly toForget: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
  /** Every partition the session holds once this request is applied, in the order the fetcher gave them. */
  readonly partitions: readonly FetchPartitionData[];
}

const sameFetchParameters = (a: FetchPartitionData, b: FetchPartitionData): boolean =>
  a === b ||
  (a.fetchOffset === b.fetchOffset &&
    a.currentLeaderEpoch === b.currentLeaderEpoch &&
    a.lastFetchedEpoch === b.lastFetchedEpoch &&
    a.logStartOffset === b.logStartOffset &&
    a.partitionMaxBytes === b.partitionMaxBytes);

export class FetchSessionHandler {
  private sessionId = INVALID_SESSION_ID;
  private epoch = INITIAL_EPOCH;
  /** What the leader's session holds for each partition: the parameters last sent. */
  private readonly sessionPartitions = new Map<string, FetchPartitionData>();

  /** The next request for the partitions wanted now (Kafka's `Builder.build`). */
  build(wanted: readonly FetchPartitionData[]): FetchSessionRequest {
    if (this.epoch === INITIAL_EPOCH) {
      this.sessionPartitions.clear();
      for (const data of wanted) this.sessionPartitions.set(data.key, data);
      return { sessionId: this.sessionId, sessionEpoch: INITIAL_EPOCH, isFull: true, toSend: wanted, toForget: [], partitions: wanted };
    }
    // Runs every round for every partition: one lookup each, and a second pass only when some are gone.
    const toSend: FetchPartitionData[] = [];
    const added: FetchPartitionData[] = [];
    let kept = 0;
    for (const data of wanted) {
      const previous = this.sessionPartitions.get(data.key);
      if (previous === undefined) added.push(data);
      else {
        kept++;
        if (!sameFetchParameters(previous, data)) {
          this.sessionPartitions.set(data.key, data);
          toSend.push(data);
        }
      }
    }
    const toForget: Array<{ topic: string; partition: number }> = [];
    if (kept < this.sessionPartitions.size) {
      const keys = new Set(wanted.map((data) => data.key));
      for (const [key, previous] of this.sessionPartitions) {
        if (keys.has(key)) continue;
        this.sessionPartitions.delete(key);
        toForget.push({ topic: previous.topic, partition: previous.partition });
      }
    }
    for (const data of added) {
      this.sessionPartitions.set(data.key, data);
      toSend.push(data);
    }
    return { sessionId: this.sessionId, sessionEpoch: this.epoch, isFull: false, toSend, toForget, partitions: wanted };
  }

  /**
   * Follows the answer to the request `build` returned last (Kafka's `handleResponse`); false when its partitions
   * must not be used (a session error: the next request is full).
   */
  handleResponse(response: FetchResponse): boolean {
    if (response.errorCode !== ErrorCode.NONE) {
      if (response.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND) this.sessionId = INVALID_SESSION_ID;
      this.epoch = INITIAL_EPOCH;
      return false;
    }
    if (this.epoch !== INITIAL_EPOCH) {
      // An incremental answer may only speak of partitions of the session.
      for (const topic of response.responses) {
        for (const answer of topic.partitions) {
          if (!this.sessionPartitions.has(topicPartitionKey(topic.topic, answer.partitionIndex))) {
            this.epoch = INITIAL_EPOCH;
            return false;
          }
        }
      }
    }
    if (response.sessionId === INVALID_SESSION_ID) {
      // No room for a session on the leader, or it closed ours: keep asking in full.
      this.sessionId = INVALID_SESSION_ID;
      this.epoch = INITIAL_EPOCH;
    } else if (this.epoch === INITIAL_EPOCH) {
      this.sessionId = response.sessionId;
      this.epoch = nextEpoch(INITIAL_EPOCH);
    } else {
      this.epoch = nextEpoch(this.epoch);
    }
    return true;
  }

  /** The request failed or the connection is new: start over, closing the current session (`handleError`). */
  handleError(): void {
    this.epoch = INITIAL_EPOCH;
  }
}
