/**
 * A cluster on a manual virtual runtime for handler tests: requests travel as real frames over the
 * in-process network (through the small test client), and every await runs virtual time until it settles.
 */
import { Cluster, type ClusterOptions } from '../../../src/broker/cluster.ts';
import { InProcessNetwork } from '../../../src/network/index.ts';
import { ApiKey, type ApiKeyNumber, type RequestInputByKey, type ResponseByKey } from '../../../src/protocol/index.ts';
import { VirtualRuntime } from '../../../src/runtime/index.ts';
import { MiniClient } from '../support/mini-client.ts';

export interface HandlerTestOptions {
  readonly brokers?: ClusterOptions['brokers'];
  readonly brokerConfig?: Record<string, string | number | boolean>;
  readonly seed?: number;
}

export async function startCluster(options: HandlerTestOptions = {}) {
  const runtime = new VirtualRuntime({ seed: options.seed ?? 1, drive: 'manual' });
  const network = new InProcessNetwork(runtime);
  const cluster = new Cluster({ runtime, network, brokers: options.brokers ?? 1, brokerConfig: options.brokerConfig ?? {} });
  const client = new MiniClient(cluster, runtime);

  /** Runs virtual time until the promise settles. */
  const run = async <T>(promise: Promise<T>, maxMs = 120_000): Promise<T> => {
    let settled = false;
    let value: T | undefined;
    let failure: unknown;
    promise.then(
      (v) => ((settled = true), (value = v)),
      (e) => ((settled = true), (failure = e)),
    );
    await runtime.runUntil(() => settled, { maxMs });
    if (failure !== undefined) throw failure;
    return value as T;
  };

  /** One request to one broker, answered over the network. */
  const send = <K extends ApiKeyNumber>(brokerId: number, apiKey: K, version: number, body: RequestInputByKey[K]): Promise<ResponseByKey[K]> =>
    run(client.request(brokerId, apiKey, version, body));

  /** Lets metadata reach every broker and followers catch up. */
  const settle = (ms = 100): Promise<void> => runtime.advance(ms);

  /** Produces values to a partition's leader with acks=all; returns the base offset. */
  const produce = async (topic: string, partition: number, values: string[]): Promise<bigint> => {
    await run(client.refreshMetadata());
    const outcome = await run(client.produce(topic, partition, values, -1));
    if (outcome.errorCode !== 0) throw new Error(`produce to ${topic}-${partition} failed with ${outcome.errorCode}`);
    return outcome.baseOffset;
  };

  /** The earliest offset (log start) the leader reports through ListOffsets. */
  const earliestOffset = async (topic: string, partition: number): Promise<bigint> => {
    const leader = cluster.metadata.topics.get(topic)!.partitions[partition].leader;
    const response = await send(leader, ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -2n }] }],
    });
    return response.topics[0].partitions[0].offset;
  };

  await settle();
  return { runtime, network, cluster, client, run, send, settle, produce, earliestOffset };
}

export type HandlerTestCluster = Awaited<ReturnType<typeof startCluster>>;

/** The topic's override map as the controller holds it, as a plain object for `toEqual`. */
export function overridesOf(cluster: Cluster, topic: string): Record<string, string> {
  return Object.fromEntries(cluster.metadata.topics.get(topic)!.configs);
}
