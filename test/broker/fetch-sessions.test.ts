import { describe, expect, it } from 'vitest';
import { ApiKey, decodeRecordBatch, ErrorCode, splitBatches, type FetchRequestInput, type FetchResponse } from '../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './handlers/support.ts';
import { MiniClient } from './support/mini-client.ts';

// Incremental fetch sessions (KIP-227): the broker's cache and contexts (src/broker/fetch-session.ts), the Fetch
// handler answering only partitions with news, and the replica fetcher's session (fetch-session-handler.ts).

interface SessionFetch {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** [partition, fetchOffset] of topic 's' to list. */
  readonly listed?: ReadonlyArray<readonly [number, bigint]>;
  readonly forgotten?: readonly number[];
  readonly maxWaitMs?: number;
  readonly maxBytes?: number;
  readonly version?: number;
}

function sessionBody(fetch: SessionFetch): FetchRequestInput {
  const listed = fetch.listed ?? [];
  return {
    replicaId: -1,
    maxWaitMs: fetch.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: fetch.maxBytes ?? 1 << 20,
    isolationLevel: 0,
    sessionId: fetch.sessionId,
    sessionEpoch: fetch.sessionEpoch,
    topics: listed.length === 0 ? [] : [{ topic: 's', partitions: listed.map(([partition, fetchOffset]) => ({ partition, fetchOffset, partitionMaxBytes: 1 << 20 })) }],
    forgottenTopicsData: fetch.forgotten === undefined ? [] : [{ topic: 's', partitions: [...fetch.forgotten] }],
    rackId: '',
  };
}

const sessionFetch = (t: HandlerTestCluster, fetch: SessionFetch) => t.client.request(1, ApiKey.Fetch, fetch.version ?? 12, sessionBody(fetch));

/** partition -> [values returned, high watermark, log start offset] for every partition answered. */
function answered(response: FetchResponse): Record<number, { values: string[]; highWatermark: bigint; logStartOffset: bigint }> {
  const out: Record<number, { values: string[]; highWatermark: bigint; logStartOffset: bigint }> = {};
  for (const topic of response.responses) {
    for (const answer of topic.partitions) {
      expect(answer.errorCode).toBe(ErrorCode.NONE);
      const values: string[] = [];
      for (const batch of splitBatches(answer.records ?? Buffer.alloc(0)).batches) {
        for (const record of decodeRecordBatch(batch).records) values.push(record.value?.toString() ?? '');
      }
      out[answer.partitionIndex] = { values, highWatermark: answer.highWatermark, logStartOffset: answer.logStartOffset };
    }
  }
  return out;
}

/** One broker, topic 's' with 3 partitions holding one record each. */
async function withSessionTopic() {
  const t = await startCluster();
  t.cluster.createTopic('s', { partitions: 3, replicationFactor: 1 });
  await t.settle();
  for (const partition of [0, 1, 2]) await t.produce('s', partition, [`p${partition}-a`]);
  return t;
}

/** Opens a session listing every partition at offset 1 (their log end): epoch 1 is next. */
async function openSession(t: HandlerTestCluster): Promise<number> {
  const response = await t.run(sessionFetch(t, { sessionId: 0, sessionEpoch: 0, listed: [[0, 1n], [1, 1n], [2, 1n]] }));
  expect(response.errorCode).toBe(ErrorCode.NONE);
  expect(response.sessionId).toBeGreaterThan(0);
  return response.sessionId;
}

describe('fetch sessions: the broker', () => {
  it('epoch 0 opens a session: a full answer for every partition listed, and a new session id', async () => {
    const t = await withSessionTopic();
    const response = await t.run(sessionFetch(t, { sessionId: 0, sessionEpoch: 0, listed: [[0, 0n], [1, 1n], [2, 1n]] }));
    expect(response.errorCode).toBe(ErrorCode.NONE);
    expect(response.sessionId).toBeGreaterThan(0);
    expect(answered(response)).toEqual({
      0: { values: ['p0-a'], highWatermark: 1n, logStartOffset: 0n },
      1: { values: [], highWatermark: 1n, logStartOffset: 0n },
      2: { values: [], highWatermark: 1n, logStartOffset: 0n },
    });
    expect(t.cluster.broker(1).fetchSessions.size).toBe(1);
  });

  it('an incremental fetch answers only partitions with news: an idle session gets an empty answer, new records come back unasked', async () => {
    const t = await withSessionTopic();
    const sessionId = await openSession(t);
    const idle = await t.run(sessionFetch(t, { sessionId, sessionEpoch: 1 }));
    expect(idle).toMatchObject({ errorCode: ErrorCode.NONE, sessionId, responses: [] });

    await t.produce('s', 1, ['p1-b']);
    // Partition 1 is not listed: the session still reads it from the offset it last sent (1).
    const news = await t.run(sessionFetch(t, { sessionId, sessionEpoch: 2 }));
    expect(news.sessionId).toBe(sessionId);
    expect(answered(news)).toEqual({ 1: { values: ['p1-b'], highWatermark: 2n, logStartOffset: 0n } });

    // Only the partition whose position moved is listed; nothing new anywhere.
    expect((await t.run(sessionFetch(t, { sessionId, sessionEpoch: 3, listed: [[1, 2n]] }))).responses).toEqual([]);
  });

  it('answers a partition whose high watermark moved even when it returns no records, and one whose log start offset moved', async () => {
    const t = await withSessionTopic();
    const sessionId = await openSession(t);
    await t.produce('s', 0, ['p0-b']);
    await t.produce('s', 1, ['p1-b']);
    // A 1-byte budget: partition 0 returns its batch (KIP-74), partition 1 nothing, yet its high watermark moved.
    const cut = await t.run(sessionFetch(t, { sessionId, sessionEpoch: 1, maxBytes: 1 }));
    expect(answered(cut)).toEqual({
      0: { values: ['p0-b'], highWatermark: 2n, logStartOffset: 0n },
      1: { values: [], highWatermark: 2n, logStartOffset: 0n },
    });

    await t.produce('s', 2, ['p2-b', 'p2-c']);
    const positions = await t.run(sessionFetch(t, { sessionId, sessionEpoch: 2, listed: [[0, 2n], [1, 2n], [2, 3n]] }));
    // Partition 1's new offset is no news (its high watermark was answered above); partition 2's watermark moved.
    expect(answered(positions)).toEqual({ 2: { values: [], highWatermark: 3n, logStartOffset: 0n } });
    const deleted = await t.send(1, ApiKey.DeleteRecords, 2, { topics: [{ name: 's', partitions: [{ partitionIndex: 2, offset: 2n }] }], timeoutMs: 5_000 });
    expect(deleted.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    const start = await t.run(sessionFetch(t, { sessionId, sessionEpoch: 3 }));
    expect(answered(start)).toEqual({ 2: { values: [], highWatermark: 3n, logStartOffset: 2n } });
  });

  it('forgotten partitions leave the session; forgetting the last one closes it with a sessionless answer', async () => {
    const t = await withSessionTopic();
    const sessionId = await openSession(t);
    expect((await t.run(sessionFetch(t, { sessionId, sessionEpoch: 1, forgotten: [0, 2] }))).responses).toEqual([]);
    await t.produce('s', 0, ['p0-b']);
    await t.produce('s', 1, ['p1-b']);
    expect(answered(await t.run(sessionFetch(t, { sessionId, sessionEpoch: 2 })))).toEqual({ 1: { values: ['p1-b'], highWatermark: 2n, logStartOffset: 0n } });

    const last = await t.run(sessionFetch(t, { sessionId, sessionEpoch: 3, forgotten: [1] }));
    expect(last).toMatchObject({ errorCode: ErrorCode.NONE, sessionId: 0, responses: [] });
    expect(t.cluster.broker(1).fetchSessions.size).toBe(0);
  });

  it('an unknown session id is FETCH_SESSION_ID_NOT_FOUND and a wrong epoch INVALID_FETCH_SESSION_EPOCH, answered at once with no partitions', async () => {
    const t = await withSessionTopic();
    const sessionId = await openSession(t);
    const unknown = await t.run(sessionFetch(t, { sessionId: sessionId + 1, sessionEpoch: 1, maxWaitMs: 5_000 }));
    expect(unknown).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });

    expect((await t.run(sessionFetch(t, { sessionId, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.NONE);
    const before = t.runtime.now();
    // Epoch 1 again: a duplicate of the request just answered.
    const stale = await t.run(sessionFetch(t, { sessionId, sessionEpoch: 1, maxWaitMs: 5_000 }));
    expect(stale).toMatchObject({ errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] });
    expect(t.runtime.now() - before).toBeLessThan(100);
    expect((await t.run(sessionFetch(t, { sessionId, sessionEpoch: 3 }))).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    // The session survives a bad epoch.
    expect((await t.run(sessionFetch(t, { sessionId, sessionEpoch: 2 }))).errorCode).toBe(ErrorCode.NONE);
  });

  it('epoch -1 with a session id closes the session and is answered in full, without a session', async () => {
    const t = await withSessionTopic();
    const sessionId = await openSession(t);
    const closing = await t.run(sessionFetch(t, { sessionId, sessionEpoch: -1, listed: [[0, 1n], [1, 1n]] }));
    expect(closing.sessionId).toBe(0);
    expect(Object.keys(answered(closing))).toEqual(['0', '1']);
    expect(t.cluster.broker(1).fetchSessions.size).toBe(0);
    expect((await t.run(sessionFetch(t, { sessionId, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('epoch 0 with a session id replaces that session by a new one', async () => {
    const t = await withSessionTopic();
    const first = await openSession(t);
    const second = await t.run(sessionFetch(t, { sessionId: first, sessionEpoch: 0, listed: [[0, 1n]] }));
    expect(second.sessionId).toBeGreaterThan(0);
    expect(second.sessionId).not.toBe(first);
    expect(t.cluster.broker(1).fetchSessions.size).toBe(1);
    expect((await t.run(sessionFetch(t, { sessionId: first, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('sessionless fetches (id 0, epoch -1, as KafkaJS sends; and v6, before sessions) answer every partition, idle or not, and open nothing', async () => {
    const t = await withSessionTopic();
    for (const version of [12, 6]) {
      const response = await t.run(sessionFetch(t, { sessionId: 0, sessionEpoch: -1, listed: [[0, 1n], [1, 1n], [2, 0n]], version }));
      expect(response.sessionId).toBe(0);
      expect(answered(response)).toEqual({
        0: { values: [], highWatermark: 1n, logStartOffset: version >= 5 ? 0n : -1n },
        1: { values: [], highWatermark: 1n, logStartOffset: version >= 5 ? 0n : -1n },
        2: { values: ['p2-a'], highWatermark: 1n, logStartOffset: version >= 5 ? 0n : -1n },
      });
    }
    expect(t.cluster.broker(1).fetchSessions.size).toBe(0);
  });

  it('an incremental long poll wakes for records on a session partition the request did not list', async () => {
    const t = await withSessionTopic();
    const sessionId = await openSession(t);
    const started = t.runtime.now();
    // Its own connection: a connection's requests are answered in order, and the produce must not wait behind it.
    const poller = new MiniClient(t.cluster, t.runtime, 'client-2', 30_000);
    const parked = poller.request(1, ApiKey.Fetch, 12, sessionBody({ sessionId, sessionEpoch: 1, listed: [[0, 1n]], maxWaitMs: 10_000 }));
    await t.runtime.advance(1_000);
    await t.produce('s', 2, ['p2-b']);
    const response = await t.run(parked);
    expect(t.runtime.now() - started).toBeLessThan(2_000);
    expect(answered(response)).toEqual({ 2: { values: ['p2-b'], highWatermark: 2n, logStartOffset: 0n } });
  });

  it('a session opened with topic ids (v13+) cannot continue with names: FETCH_SESSION_TOPIC_ID_ERROR', async () => {
    const t = await withSessionTopic();
    const topicId = t.cluster.metadata.topics.get('s')!.topicId;
    const opened = await t.run(
      t.client.request(1, ApiKey.Fetch, 13, {
        ...sessionBody({ sessionId: 0, sessionEpoch: 0 }),
        topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 1n, partitionMaxBytes: 1 << 20 }] }],
      }),
    );
    expect(opened.sessionId).toBeGreaterThan(0);
    expect(opened.responses).toMatchObject([{ topicId, partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }] }]);
    await t.produce('s', 0, ['p0-b']);
    const byId = await t.run(t.client.request(1, ApiKey.Fetch, 13, sessionBody({ sessionId: opened.sessionId, sessionEpoch: 1 })));
    expect(byId.responses).toMatchObject([{ topicId, partitions: [{ partitionIndex: 0, highWatermark: 2n }] }]);
    const byName = await t.run(sessionFetch(t, { sessionId: opened.sessionId, sessionEpoch: 2 }));
    expect(byName.errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  });

  it('a full cache opens no session (id 0) unless it may evict: a follower evicts a consumer, a stale session goes first', async () => {
    const t = await startCluster({ brokerConfig: { 'max.incremental.fetch.session.cache.slots': 1 } });
    t.cluster.createTopic('s', { partitions: 3, replicationFactor: 1 });
    await t.settle();
    const consumer = await openSession(t);
    expect((await t.run(sessionFetch(t, { sessionId: 0, sessionEpoch: 0, listed: [[0, 0n]] }))).sessionId).toBe(0);
    const follower = await t.run(t.client.request(1, ApiKey.Fetch, 12, { ...sessionBody({ sessionId: 0, sessionEpoch: 0, listed: [[0, 0n]] }), replicaId: 7 }));
    expect(follower.sessionId).toBeGreaterThan(0);
    expect((await t.run(sessionFetch(t, { sessionId: consumer, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    // Unused for longer than min.incremental.fetch.session.eviction.ms (120 s), even a follower's session goes.
    await t.runtime.advance(121_000);
    expect((await t.run(sessionFetch(t, { sessionId: 0, sessionEpoch: 0, listed: [[0, 0n]] }))).sessionId).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The replica fetcher

/** Every record of a replica's local log as [offset, value], read from the broker's disk. */
function localRecords(t: HandlerTestCluster, brokerId: number, topic: string, partition: number): Array<[bigint, string]> {
  const replica = t.cluster.broker(brokerId).replicas.get(`${topic}-${partition}`)!;
  const read = replica.log.read(replica.logStartOffset, { maxBytes: 1 << 30, maxOffset: replica.logEndOffset, minOneMessage: true });
  const out: Array<[bigint, string]> = [];
  for (const batch of splitBatches(read.records).batches) {
    const decoded = decodeRecordBatch(batch);
    for (const record of decoded.records) out.push([decoded.baseOffset + BigInt(record.offsetDelta), record.value?.toString() ?? '']);
  }
  return out;
}

/** Three brokers, topic 'r' with 4 partitions all led by broker 1 and followed by 2 and 3. */
async function withReplicatedTopic() {
  const t = await startCluster({ brokers: 3 });
  t.cluster.createTopic('r', { assignments: [[1, 2, 3], [1, 3, 2], [1, 2, 3], [1, 3, 2]] });
  await t.settle(1_000);
  return t;
}

interface FollowerFetch {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  readonly listed: number;
  readonly forgotten: number;
  /** The answer the follower got (the last, if the broker answered twice); undefined while pending. */
  answer?: { readonly errorCode: number; readonly sessionId: number; readonly answered: number };
}

/** Fetches broker 2 sends broker 1 from now on, in order, each with its answer. */
function watchFollowerFetches(t: HandlerTestCluster): FollowerFetch[] {
  const fetches: FollowerFetch[] = [];
  const byCorrelation = new Map<string, FollowerFetch>();
  const count = (topics: ReadonlyArray<{ partitions: readonly unknown[] }>) => topics.reduce((n, topic) => n + topic.partitions.length, 0);
  const options = { keep: true, node: 'broker-1', clientNode: 'broker-2' } as const;
  t.network.intercept(
    ApiKey.Fetch,
    (context) => {
      const body = context.request.body;
      const fetch: FollowerFetch = { sessionId: body.sessionId, sessionEpoch: body.sessionEpoch, listed: count(body.topics), forgotten: count(body.forgottenTopicsData) };
      fetches.push(fetch);
      byCorrelation.set(`${context.connectionId}:${context.correlationId}`, fetch);
      return { action: 'pass' };
    },
    options,
  );
  t.network.intercept(
    ApiKey.Fetch,
    (context) => {
      const fetch = byCorrelation.get(`${context.connectionId}:${context.correlationId}`);
      const response = context.response!;
      if (fetch !== undefined) fetch.answer = { errorCode: response.errorCode, sessionId: response.sessionId, answered: count(response.responses) };
      return { action: 'pass' };
    },
    { ...options, direction: 'response' },
  );
  return fetches;
}

/** Every replica of every partition of 'r' holds exactly `expected[partition]`, at offsets 0, 1, 2, ... */
function expectReplicated(t: HandlerTestCluster, expected: string[][]) {
  for (const [partition, values] of expected.entries()) {
    const want = values.map((value, offset) => [BigInt(offset), value]);
    for (const brokerId of [1, 2, 3]) expect(localRecords(t, brokerId, 'r', partition), `broker ${brokerId}, partition ${partition}`).toEqual(want);
    expect(t.cluster.partitionState('r', partition).replicaStates.map((r) => r.highWatermark)).toEqual([BigInt(values.length), BigInt(values.length), BigInt(values.length)]);
  }
}

describe('fetch sessions: followers', () => {
  it('an idle follower fetches in an incremental session: requests list no partition, answers carry none', async () => {
    const t = await withReplicatedTopic();
    const fetches = watchFollowerFetches(t);
    await t.settle(5_000);
    expect(fetches.length).toBeGreaterThan(5);
    const sessionId = fetches[0].sessionId;
    expect(sessionId).toBeGreaterThan(0);
    for (const [i, fetch] of fetches.entries()) {
      expect(fetch).toMatchObject({ sessionId, sessionEpoch: fetches[0].sessionEpoch + i, listed: 0, forgotten: 0 });
      if (i < fetches.length - 1) expect(fetch.answer).toEqual({ errorCode: ErrorCode.NONE, sessionId, answered: 0 });
    }

    // A record: its partition comes back (records, then the moved high watermark) and is listed at its new offset.
    fetches.length = 0;
    await t.produce('r', 2, ['x']);
    await t.settle(2_000);
    expect(fetches.filter((f) => f.listed === 1)).toHaveLength(1);
    expect(fetches.filter((f) => f.answer?.answered === 1).length).toBeGreaterThanOrEqual(1);
    expect(fetches.every((f) => f.listed <= 1 && f.sessionId === sessionId)).toBe(true);
    expectReplicated(t, [[], [], ['x'], []]);
  });

  it('a partition left out of an incremental answer keeps the positions last answered: a follower whose high watermark fell behind catches up', async () => {
    const t = await withReplicatedTopic();
    await t.produce('r', 1, ['a', 'b', 'c']);
    await t.settle(2_000);
    const follower = t.cluster.broker(2).replicas.get('r-1')!;
    expect(follower.highWatermark).toBe(3n);
    const fetches = watchFollowerFetches(t);
    // As after a truncation past the high watermark and a re-fetch: the follower's own high watermark is behind.
    follower.highWatermark = 1n;
    await t.settle(2_000);
    // The leader had nothing new to say about r-1 (its high watermark did not move), yet the follower is at 3 again.
    expect(fetches.length).toBeGreaterThan(0);
    expect(fetches.every((f) => f.listed === 0 && (f.answer?.answered ?? 0) === 0)).toBe(true);
    expect(follower.highWatermark).toBe(3n);
  });

  it('a partition whose leadership comes to the leader joins the session incrementally; a deleted one is forgotten', async () => {
    const t = await withReplicatedTopic();
    t.cluster.createTopic('g', { assignments: [[3, 1, 2]] });
    await t.settle(1_000);
    await t.run(t.client.refreshMetadata());
    await t.produce('g', 0, ['g1']);
    await t.settle(1_000);
    const fetches = watchFollowerFetches(t);
    // Broker 3 crashes: once fenced, broker 1 leads g-0 and broker 2 follows it there, in the same session.
    t.cluster.crashBroker(3);
    await t.settle(15_000);
    expect(t.cluster.partitionState('g', 0).leader).toBe(1);
    const sessionId = fetches[0].sessionId;
    expect(fetches.find((f) => f.listed === 1)).toMatchObject({ sessionId, listed: 1, forgotten: 0 });
    expect(fetches[0].sessionEpoch).toBeGreaterThan(0);
    await t.run(t.client.refreshMetadata());
    await t.produce('g', 0, ['g2']);
    await t.settle(1_000);
    const g = t.cluster.broker(2).replicas.get('g-0')!;
    expect([g.logEndOffset, g.highWatermark]).toEqual([2n, 2n]);

    t.cluster.controller.deleteTopic('g');
    await t.settle(2_000);
    expect(fetches.filter((f) => f.forgotten > 0)).toMatchObject([{ sessionId, listed: 0, forgotten: 1 }]);
    expect(fetches.every((f) => f.sessionId === sessionId && f.answer?.errorCode !== ErrorCode.FETCH_SESSION_ID_NOT_FOUND)).toBe(true);
  });

  it('a follower whose session the leader lost (FETCH_SESSION_ID_NOT_FOUND) starts a new one without losing or repeating records', async () => {
    const t = await withReplicatedTopic();
    await t.produce('r', 0, ['a', 'b']);
    await t.produce('r', 1, ['c']);
    await t.settle(2_000);
    const fetches = watchFollowerFetches(t);
    t.cluster.broker(1).fetchSessions.clear();
    await t.produce('r', 0, ['d']);
    await t.produce('r', 3, ['e']);
    await t.settle(3_000);
    const lost = fetches.findIndex((f) => f.answer?.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(lost).toBeGreaterThanOrEqual(0);
    // Right after: a full request (every partition, epoch 0, no session), then incremental again.
    expect(fetches[lost + 1]).toMatchObject({ sessionId: 0, sessionEpoch: 0, listed: 4 });
    const renewed = fetches[lost + 1].answer!.sessionId;
    expect(renewed).toBeGreaterThan(0);
    expect(fetches.at(-1)).toMatchObject({ sessionId: renewed, listed: 0 });
    expectReplicated(t, [['a', 'b', 'd'], ['c'], [], ['e']]);
  });

  it('a follower whose request the leader handled twice (INVALID_FETCH_SESSION_EPOCH) closes the session and starts over', async () => {
    const t = await withReplicatedTopic();
    await t.produce('r', 1, ['a']);
    await t.settle(2_000);
    const fetches = watchFollowerFetches(t);
    // The broker handles one incremental fetch twice: the second copy carries an epoch already used.
    t.network.intercept(ApiKey.Fetch, (context) => (context.request.body.sessionEpoch > 0 ? { action: 'duplicate' } : { action: 'pass' }), {
      node: 'broker-1',
      clientNode: 'broker-2',
    });
    await t.settle(3_000);
    const invalid = fetches.findIndex((f) => f.answer?.errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    expect(invalid).toBeGreaterThanOrEqual(0);
    // The old session is closed by naming it with epoch 0.
    expect(fetches[invalid + 1]).toMatchObject({ sessionId: fetches[invalid].sessionId, sessionEpoch: 0, listed: 4 });
    await t.produce('r', 1, ['b']);
    await t.produce('r', 2, ['c']);
    await t.settle(2_000);
    expectReplicated(t, [[], ['a', 'b'], ['c'], []]);
    expect(t.cluster.broker(1).fetchSessions.size).toBe(2);
  });

  it('a leader that crashes and restarts has no sessions: its followers start over and replicate every record once', async () => {
    const t = await withReplicatedTopic();
    await t.produce('r', 0, ['a']);
    await t.settle(2_000);
    expect(t.cluster.broker(1).fetchSessions.size).toBe(2);
    t.cluster.crashBroker(1);
    t.cluster.restartBroker(1);
    expect(t.cluster.broker(1).fetchSessions.size).toBe(0);
    await t.settle(15_000);
    await t.run(t.client.refreshMetadata());
    for (const partition of [0, 1, 2, 3]) expect((await t.run(t.client.produce('r', partition, [`after-${partition}`], -1))).errorCode).toBe(ErrorCode.NONE);
    await t.settle(2_000);
    expectReplicated(t, [['a', 'after-0'], ['after-1'], ['after-2'], ['after-3']]);
    t.cluster.checkInvariants();
  });
});
