/**
 * Test data for the admin tests, written with raw protocol requests through the client's own broker
 * connections (src/client/broker.ts), so these tests depend on neither the producer nor the consumer:
 * records with chosen timestamps, and a group member that joins and stays (JoinGroup + SyncGroup).
 */
import { createCluster, logLevel, type LogEntry } from '../../../src/index.ts';
import { Cluster } from '../../../src/client/cluster.ts';
import { InstrumentationEmitter } from '../../../src/client/instrumentation.ts';
import { createLogger } from '../../../src/client/logger.ts';
import { ClientProcess } from '../../../src/client/process.ts';
import { ApiKey, encodeRecordBatch } from '../../../src/protocol/index.ts';

export type Sim = ReturnType<typeof createCluster>;

/** An admin of a fresh `Kafka` bound to `sim`, quiet unless `logs` collects its entries. */
export function adminOf(sim: Sim, options: { retry?: object; logs?: LogEntry[] } = {}) {
  const logs = options.logs;
  const kafka = sim.kafka({
    logLevel: logs === undefined ? logLevel.NOTHING : logLevel.DEBUG,
    logCreator: () => (entry: LogEntry) => logs?.push(entry),
  });
  return kafka.admin({ retry: options.retry });
}

/** A raw client on the simulated network: the client-side cluster view and its process. */
export function rawClient(sim: Sim, name = 'admin-test-data') {
  const env = sim.clientEnvironment;
  const process = new ClientProcess(env.runtime, env.transport, name);
  const cluster = new Cluster({
    process,
    logger: createLogger({ level: logLevel.NOTHING, now: () => env.runtime.now() }),
    brokers: sim.bootstrapBrokers,
    clientId: name,
    connectionTimeout: 1000,
    requestTimeout: 30000,
    enforceRequestTimeout: true,
    metadataMaxAge: 0,
    retry: {},
    allowAutoTopicCreation: false,
    maxInFlightRequests: null,
    isolationLevel: 0,
    instrumentation: new InstrumentationEmitter(() => env.runtime.now(), env.runtime),
    offsets: new Map(),
  });
  return { process, cluster };
}

/** Appends one batch to a partition's leader with acks=all; `timestamps` (ms) default to the cluster's now. Returns the base offset. */
export async function produce(sim: Sim, topic: string, partition: number, values: string[], timestamps?: number[]): Promise<bigint> {
  const { process, cluster } = rawClient(sim);
  return process.track(
    (async () => {
      await cluster.addTargetTopic(topic);
      const [leader] = Object.keys(cluster.findLeaderForPartitions(topic, [partition])).map(Number);
      const broker = await cluster.findBroker({ nodeId: leader });
      const stamps = timestamps ?? values.map(() => sim.now());
      const records = encodeRecordBatch({
        baseTimestamp: BigInt(stamps[0]),
        records: values.map((value, i) => ({
          offsetDelta: i,
          timestampDelta: stamps[i] - stamps[0],
          key: null,
          value: Buffer.from(value),
          headers: [],
        })),
      });
      const { response } = await broker.request(ApiKey.Produce, () => ({
        acks: -1,
        timeoutMs: 5000,
        transactionalId: null,
        topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
      }));
      const answer = response.responses[0].partitionResponses[0];
      if (answer.errorCode !== 0) throw new Error(`produce to ${topic}-${partition} failed with error code ${answer.errorCode}`);
      await cluster.disconnect();
      return answer.baseOffset;
    })(),
  );
}

/** The consumer protocol's subscription metadata (version 0, the topics, no user data). */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1].writeInt32BE(topics.length);
  for (const topic of topics) {
    const length = Buffer.alloc(2);
    length.writeInt16BE(Buffer.byteLength(topic));
    parts.push(length, Buffer.from(topic));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

/**
 * Joins `groupId` as the only member of a 'consumer' group with a long session, and syncs (the group is
 * then Stable). Resolves once synced; `leave()` sends LeaveGroup.
 */
export async function joinGroup(sim: Sim, groupId: string, topics: string[], name = 'member') {
  const { process, cluster } = rawClient(sim, name);
  const sessionTimeoutMs = 300_000;
  const join = async () => {
    await cluster.connect();
    await cluster.refreshMetadata();
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    const joinGroupRequest = (memberId: string) =>
      coordinator.request(ApiKey.JoinGroup, () => ({
        groupId,
        sessionTimeoutMs,
        rebalanceTimeoutMs: 60_000,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'RoundRobinAssigner', metadata: subscription(topics) }],
      }));
    let { response } = await joinGroupRequest('');
    // MEMBER_ID_REQUIRED (KIP-394): join again with the id the coordinator handed out.
    if (response.errorCode === 79) ({ response } = await joinGroupRequest(response.memberId));
    if (response.errorCode !== 0) throw new Error(`JoinGroup failed with error code ${response.errorCode}`);
    const { memberId, generationId } = response;
    const sync = await coordinator.request(ApiKey.SyncGroup, () => ({
      groupId,
      generationId,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'RoundRobinAssigner',
      assignments: [{ memberId, assignment: Buffer.alloc(0) }],
    }));
    if (sync.response.errorCode !== 0) throw new Error(`SyncGroup failed with error code ${sync.response.errorCode}`);
    return { coordinator, memberId, generationId };
  };
  const { coordinator, memberId, generationId } = await process.track(join());
  return {
    memberId,
    generationId,
    leave: () =>
      process.track(
        (async () => {
          await coordinator.request(ApiKey.LeaveGroup, (version) =>
            version >= 3 ? { groupId, members: [{ memberId, groupInstanceId: null }] } : { groupId, memberId },
          );
          await cluster.disconnect();
        })(),
      ),
  };
}
