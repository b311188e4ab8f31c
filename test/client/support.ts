/** Shared helpers for client tests: a cluster, and records written with raw Produce requests (independent of the producer under test). */
import { expect } from 'vitest';
import { createCluster, type CreateClusterOptions } from '../../src/index.ts';
import { MiniClient } from '../broker/support/mini-client.ts';

export type SimCluster = ReturnType<typeof createCluster>;

export function startCluster(options: CreateClusterOptions = {}): SimCluster {
  return createCluster({ ...options, brokerConfig: { 'group.initial.rebalance.delay.ms': 0, ...options.brokerConfig } });
}

let writers = 0;

/** Appends values (optionally `key:value` objects) to one partition with acks=all; returns the base offset. */
export async function produceValues(
  sim: SimCluster,
  topic: string,
  partition: number,
  values: Array<string | { key: string | null; value: string | null }>,
): Promise<bigint> {
  const client = new MiniClient(sim.model, sim.runtime, `test-writer-${++writers}`);
  const outcome = await sim.runtime.track(client.produce(topic, partition, values, -1));
  expect(outcome.errorCode).toBe(0);
  return outcome.baseOffset;
}

/** Silences KafkaJS-style logs in tests. */
export const quiet = { logLevel: 0 as const };
