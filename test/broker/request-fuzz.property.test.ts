/**
 * Every API the broker serves, at every version it serves, with well-framed but adversarial field values
 * drawn from the message schemas (test/broker/support/request-arbitraries.ts). The broker's contract:
 * - no handler throws and the broker keeps running: a decodable request gets an answer (Produce with acks=0
 *   may get none, and may close the connection on an error, as Kafka does); waits only as long as the
 *   request asked (Fetch maxWaitMs, Produce timeoutMs, a rebalance);
 * - every answer decodes with the response codec of the request's version;
 * - every error code is one Kafka sends for that API (test/broker/support/kafka-api-errors.ts);
 * - the cluster still works afterwards: a topic no fuzzed request names reads back the records produced
 *   before, takes new ones, and `checkInvariants()` holds.
 * Two runs: one sweep over every (API, version) on one cluster, then random request sequences on fresh
 * clusters, shrunk by fast-check on failure. KAFKASIM_FUZZ_RUNS=10 multiplies both for a longer local run;
 * KAFKASIM_FUZZ_SEED replays another seed; KAFKASIM_FUZZ_REPORT=1 prints the error codes seen per API.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../src/broker/handlers/index.ts';
import { coordinatorPartition, OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../../src/broker/internal-topics.ts';
import { CloseConnectionSignal } from '../../src/broker/ports.ts';
import { API_SCHEMAS, ApiKey, decodeResponse, encodeRequest, ErrorCode, verifyBatchCrc, type ApiKeyNumber, type ListOffsetsResponse, type ProduceResponse } from '../../src/protocol/index.ts';
import { INTERNAL_TOPICS } from '../../src/broker/metadata.ts';
import { SimulationLimitError } from '../../src/runtime/index.ts';
import { startCluster, type HandlerTestCluster } from './handlers/support.ts';
import { ALLOWED, OBSERVED, UNKNOWN_NAMES, unexpectedErrorCodes } from './support/kafka-api-errors.ts';
import { requestBodyArbitrary, resolvePlaceholders, type FuzzNames, type PlaceholderValues } from './support/request-arbitraries.ts';

const SCALE = Math.max(1, Number(process.env.KAFKASIM_FUZZ_RUNS ?? 1));
const SEED = Number(process.env.KAFKASIM_FUZZ_SEED ?? 20_251);
/** Virtual time a request may take before it counts as unanswered. */
const ANSWER_WITHIN_MS = 20_000;

const NAMES: FuzzNames = {
  existingTopics: ['fuzz-a', 'fuzz-b'],
  creatableTopics: ['fuzz-new', 'fuzz_a'],
  groups: ['fuzz-group', 'other-group'],
  transactionalIds: ['fuzz-txn', 'other-txn'],
};
const SENTINEL = { topic: 'keep', values: ['k1', 'k2', 'k3'] };

interface FuzzRequest {
  readonly apiKey: ApiKeyNumber;
  readonly version: number;
  readonly body: Record<string, unknown>;
  /** Which broker gets it: the one that can act on it (coordinator, leader) or any broker. */
  readonly target: 'auto' | number;
}

const API_VERSIONS = HANDLERS.flatMap((h) => Array.from({ length: h.maxVersion - h.minVersion + 1 }, (_, i) => ({ apiKey: h.apiKey as ApiKeyNumber, version: h.minVersion + i })));

function requestArbitrary(apiKey: ApiKeyNumber, version: number): fc.Arbitrary<FuzzRequest> {
  const target = fc.oneof({ weight: 4, arbitrary: fc.constant<'auto'>('auto') }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 3) });
  return fc.record({ body: requestBodyArbitrary(API_SCHEMAS.get(apiKey)!.request, version, NAMES), target }).map(({ body, target }) => ({ apiKey, version, body, target }));
}

const anyRequest: fc.Arbitrary<FuzzRequest> = fc.constantFrom(...API_VERSIONS).chain(({ apiKey, version }) => requestArbitrary(apiKey, version));

const describeRequest = (r: FuzzRequest): string =>
  `${API_SCHEMAS.get(r.apiKey)!.request.name} v${r.version} to ${r.target} ${JSON.stringify(r.body, (_, v) => (typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) || v?.type === 'Buffer' ? `<${Buffer.from(v.data ?? v).toString('hex')}>` : v))}`;

/** A cluster with the fuzzed topics, a sentinel topic no request names, and the placeholder values learned so far. */
async function fuzzCluster() {
  const harness = await startCluster({ brokers: 3, seed: 7 });
  const { cluster, settle, produce } = harness;
  cluster.createTopic('fuzz-a', { partitions: 3, replicationFactor: 3 });
  cluster.createTopic('fuzz-b', { partitions: 1, replicationFactor: 2 });
  cluster.createTopic(SENTINEL.topic, { partitions: 1, replicationFactor: 3 });
  await settle(500);
  await produce(SENTINEL.topic, 0, SENTINEL.values);
  await produce('fuzz-a', 0, ['a0']);
  // The coordinators' internal topics exist from the start, so group and transaction requests get past NOT_COORDINATOR.
  await harness.send(1, ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['fuzz-group'] });
  await harness.send(1, ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['fuzz-txn'] });
  await settle(2_000);
  const known: PlaceholderValues = {
    memberId: '',
    producerId: -1n,
    producerEpoch: -1,
    topicId: (name) => cluster.metadata.topics.get(name)?.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA',
  };
  return { ...harness, known, correlationId: 0, unanswered: [] as Array<{ request: FuzzRequest; outcome: () => Outcome | undefined }> };
}

type FuzzHarness = Awaited<ReturnType<typeof fuzzCluster>>;

type Outcome = { kind: 'answered'; frame: Buffer | null } | { kind: 'closed'; reason: string } | { kind: 'threw'; error: unknown };

/** Requests Kafka may legitimately hold longer than ANSWER_WITHIN_MS. */
function mayWait(request: FuzzRequest): boolean {
  const body = request.body as Record<string, number>;
  switch (request.apiKey) {
    case ApiKey.Fetch:
      return body.maxWaitMs > ANSWER_WITHIN_MS / 2;
    case ApiKey.Produce:
      return body.timeoutMs > ANSWER_WITHIN_MS / 2;
    case ApiKey.JoinGroup:
    case ApiKey.SyncGroup:
      return true;
    default:
      return false;
  }
}

const GROUP_APIS = new Set<number>([ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.JoinGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.SyncGroup, ApiKey.TxnOffsetCommit, ApiKey.OffsetDelete, ApiKey.DescribeGroups, ApiKey.DeleteGroups]);
const TXN_APIS = new Set<number>([ApiKey.InitProducerId, ApiKey.AddPartitionsToTxn, ApiKey.AddOffsetsToTxn, ApiKey.EndTxn, ApiKey.DescribeTransactions]);

/** The broker that can act on the request: the coordinator of its group or transactional id, the leader of its first partition. */
function targetBroker(h: FuzzHarness, request: FuzzRequest, body: Record<string, any>): number {
  if (request.target !== 'auto') return request.target;
  const leaderOf = (topic: string, index: number): number | undefined => h.cluster.metadata.topics.get(topic)?.partitions[index]?.leader;
  const coordinatorOf = (internalTopic: string, key: unknown): number | undefined => {
    const partitions = h.cluster.metadata.topics.get(internalTopic)?.partitions;
    return typeof key === 'string' && partitions !== undefined ? partitions[coordinatorPartition(key, partitions.length)].leader : undefined;
  };
  let chosen: number | undefined;
  if (GROUP_APIS.has(request.apiKey)) chosen = coordinatorOf(OFFSETS_TOPIC, body.groupId ?? body.groups?.[0]?.groupId ?? body.groups?.[0] ?? body.groupsNames?.[0]);
  else if (TXN_APIS.has(request.apiKey)) chosen = coordinatorOf(TRANSACTION_STATE_TOPIC, body.transactionalId ?? body.v3AndBelowTransactionalId ?? body.transactions?.[0]?.transactionalId ?? body.transactionalIds?.[0]);
  else if (request.apiKey === ApiKey.Produce) chosen = leaderOf(body.topicData?.[0]?.name, body.topicData?.[0]?.partitionData?.[0]?.index);
  else if (request.apiKey === ApiKey.Fetch) chosen = leaderOf(body.topics?.[0]?.topic, body.topics?.[0]?.partitions?.[0]?.partition);
  else if (request.apiKey === ApiKey.WriteTxnMarkers) chosen = leaderOf(body.markers?.[0]?.topics?.[0]?.name, body.markers?.[0]?.topics?.[0]?.partitionIndexes?.[0]);
  else if (Array.isArray(body.topics)) chosen = leaderOf(body.topics[0]?.name ?? body.topics[0]?.topic, body.topics[0]?.partitions?.[0]?.partitionIndex ?? body.topics[0]?.partitions?.[0]?.partition);
  return chosen !== undefined && chosen >= 0 ? chosen : 1;
}

/** Sends one request to broker 1 as a raw frame and checks the answer against the contract. */
async function sendAndCheck(h: FuzzHarness, request: FuzzRequest): Promise<void> {
  const { runtime, cluster } = h;
  const body = resolvePlaceholders(request.body, h.known) as Record<string, unknown>;
  const correlationId = ++h.correlationId;
  const frame = encodeRequest({ apiKey: request.apiKey, apiVersion: request.version, correlationId, clientId: 'fuzz' }, body as never).subarray(4);
  let outcome: Outcome | undefined;
  void cluster.broker(targetBroker(h, request, body)).handleFrame(frame, { connectionId: `fuzz-${correlationId % 3}`, clientNode: 'fuzz', clientId: 'fuzz' }).then(
    (answer) => (outcome = { kind: 'answered', frame: answer }),
    (error) => (outcome = error instanceof CloseConnectionSignal ? { kind: 'closed', reason: error.message } : { kind: 'threw', error }),
  );
  try {
    await runtime.runUntil(() => outcome !== undefined, { maxMs: ANSWER_WITHIN_MS });
  } catch (error) {
    if (!(error instanceof SimulationLimitError && error.reason === 'maxMs')) throw error;
  }
  const what = describeRequest(request);
  if (outcome === undefined) {
    if (!mayWait(request)) throw new Error(`no answer within ${ANSWER_WITHIN_MS} ms to ${what}`);
    h.unanswered.push({ request, outcome: () => outcome });
    return;
  }
  checkOutcome(h, request, outcome, correlationId, what);
}

function checkOutcome(h: FuzzHarness, request: FuzzRequest, outcome: Outcome, correlationId: number, what: string): void {
  const acksZero = request.apiKey === ApiKey.Produce && (request.body as { acks: number }).acks === 0;
  if (outcome.kind === 'threw') throw new Error(`handler threw ${String((outcome.error as Error)?.stack ?? outcome.error)}\n  on ${what}`);
  if (outcome.kind === 'closed') {
    if (acksZero) return;
    throw new Error(`connection closed (${outcome.reason}) on a decodable ${what}`);
  }
  if (outcome.frame === null) {
    if (acksZero) return;
    throw new Error(`no response to ${what}`);
  }
  let decoded;
  try {
    decoded = decodeResponse(request.apiKey, request.version, outcome.frame);
  } catch (error) {
    throw new Error(`response does not decode (${(error as Error).message}) for ${what}`);
  }
  expect(decoded.correlationId).toBe(correlationId);
  if (request.apiKey === ApiKey.Produce) checkProduceAnswer(request, decoded.body as ProduceResponse, what);
  if (request.apiKey === ApiKey.ListOffsets && request.version >= 1) checkEachPartitionOnce((decoded.body as ListOffsetsResponse).topics.map((t) => ({ name: t.name, indexes: t.partitions.map((p) => p.partitionIndex) })), what);
  const wrong = unexpectedErrorCodes(request.apiKey, withoutKafkasOwnUnknownErrors(request, decoded.body));
  if (wrong.length > 0) throw new Error(`error codes Kafka does not send for this API: ${wrong.join(', ')}\n  in ${JSON.stringify(decoded.body, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}\n  on ${what}`);
  learn(h, request.apiKey, decoded.body as unknown as Record<string, unknown>);
}

/** Produce and ListOffsets (v1+) answer from a map keyed by partition in Kafka: each partition once. */
function checkEachPartitionOnce(topics: ReadonlyArray<{ name: string; indexes: readonly number[] }>, what: string): void {
  const seen = new Set<string>();
  for (const topic of topics) {
    for (const index of topic.indexes) {
      const key = `${topic.name}-${index}`;
      if (seen.has(key)) throw new Error(`partition ${key} answered twice on ${what}`);
      seen.add(key);
    }
  }
}

/** Kafka never appends a client's records to an internal topic. */
function checkProduceAnswer(request: FuzzRequest, response: ProduceResponse, what: string): void {
  checkEachPartitionOnce(response.responses.map((t) => ({ name: t.name, indexes: t.partitionResponses.map((p) => p.index) })), what);
  for (const topic of response.responses) {
    for (const p of topic.partitionResponses) {
      if (INTERNAL_TOPICS.has(topic.name) && p.errorCode === ErrorCode.NONE) throw new Error(`a client appended to internal topic ${topic.name}-${p.index} on ${what}`);
    }
  }
}

/** A batch with a codec id past ZSTD under a valid CRC: Kafka itself answers UNKNOWN_SERVER_ERROR (CompressionType.forId throws). */
function hasUnknownCodec(records: unknown): boolean {
  if (!Buffer.isBuffer(records) || records.length < 61 || records[16] !== 2) return false;
  try {
    return (records.readInt16BE(21) & 7) > 4 && verifyBatchCrc(records);
  } catch {
    return false;
  }
}

function withoutKafkasOwnUnknownErrors(request: FuzzRequest, body: unknown): unknown {
  if (request.apiKey !== ApiKey.Produce) return body;
  const unknownCodec = new Set<string>();
  for (const topic of (request.body as { topicData: Array<{ name: string; partitionData: Array<{ index: number; records: unknown }> }> }).topicData) {
    for (const p of topic.partitionData) if (hasUnknownCodec(p.records)) unknownCodec.add(`${topic.name}-${p.index}`);
  }
  const response = body as ProduceResponse;
  return {
    ...response,
    responses: response.responses.map((t) => ({
      ...t,
      partitionResponses: t.partitionResponses.filter((p) => !(p.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR && unknownCodec.has(`${t.name}-${p.index}`))),
    })),
  };
}

/** Member and producer ids the cluster hands out feed the placeholders of later requests. */
function learn(h: FuzzHarness, apiKey: number, body: Record<string, unknown>): void {
  if (apiKey === ApiKey.JoinGroup && typeof body.memberId === 'string' && body.memberId !== '') h.known.memberId = body.memberId;
  if (apiKey === ApiKey.InitProducerId && body.errorCode === ErrorCode.NONE) {
    h.known.producerId = body.producerId as bigint;
    h.known.producerEpoch = body.producerEpoch as number;
  }
}

/** The cluster still serves a well-behaved client and the sentinel topic holds what it held. */
async function checkClusterStillWorks(h: FuzzHarness): Promise<void> {
  const { cluster, client, run, produce, settle } = h;
  await settle(1_000);
  for (const pending of h.unanswered) {
    const outcome = pending.outcome();
    if (outcome?.kind === 'threw') throw new Error(`handler threw ${String(outcome.error)} on ${describeRequest(pending.request)}`);
  }
  await run(client.refreshMetadata());
  const fetched = await run(client.fetchAll(SENTINEL.topic, 0));
  expect(fetched.errorCode).toBe(ErrorCode.NONE);
  expect(fetched.records.map((r) => r.value)).toEqual(SENTINEL.values);
  await produce(SENTINEL.topic, 0, ['after']);
  cluster.checkInvariants();
  for (const broker of cluster.brokers.values()) expect(broker.status).toBe('running');
}

describe('adversarial requests from the schemas', () => {
  afterAll(() => {
    if (process.env.KAFKASIM_FUZZ_REPORT === undefined) return;
    for (const [apiKey, codes] of [...OBSERVED].sort((a, b) => a[0] - b[0])) console.log(API_SCHEMAS.get(apiKey)!.request.name, [...codes].sort((a, b) => a - b).join(' '));
  });

  it('has a list of Kafka\'s error codes for every served API, naming only codes Kafka has', () => {
    expect(UNKNOWN_NAMES).toEqual([]);
    expect(HANDLERS.map((h) => h.apiKey).filter((apiKey) => !ALLOWED.has(apiKey))).toEqual([]);
  });

  it(`every API at every served version (${API_VERSIONS.length} pairs) answers adversarial values within the contract`, async () => {
    const h = await fuzzCluster();
    const perPair = 5 * SCALE;
    for (const [i, { apiKey, version }] of API_VERSIONS.entries()) {
      for (const request of fc.sample(requestArbitrary(apiKey, version), { numRuns: perPair, seed: SEED + i })) {
        await sendAndCheck(h, request);
      }
    }
    await checkClusterStillWorks(h);
  });

  it('random request sequences leave the cluster working and other clients\u2019 data intact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyRequest, { minLength: 1, maxLength: 30 }), async (requests) => {
        const h = await fuzzCluster();
        for (const request of requests) await sendAndCheck(h, request);
        await checkClusterStillWorks(h);
      }),
      { numRuns: 20 * SCALE, seed: SEED, endOnFailure: false },
    );
  });
});

