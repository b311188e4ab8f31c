/**
 * Simulation throughput: seeds per second of a 3-broker, 3-consumer, 1,000-message run with faults drawn
 * from the seed (acks=all, RF 3, min ISR 2; broker crashes and cut-offs, lost Produce answers, consumer
 * kills), and simulated seconds per wall second; what an idle simulated second costs (the floor under every
 * seed); then seeds/s of each CI configuration. One process, so
 * one core. Goal (issue 6): >= 200 seeds/s for the 1,000-message run.
 * Bounded: at most SEEDS seeds and about MAX_WALL_MS per measurement.
 */
import { performance } from 'node:perf_hooks';
import { ApiKey } from '../src/protocol/index.ts';
import { CONFIGS, configNamed, createSimulationCluster, planFromSeed, simulate, type SimulationConfig } from '../sim/index.ts';

const SEEDS = 40;
const MAX_WALL_MS = 30_000;

const base = configNamed('acks-all-isr2');
const THOUSAND: SimulationConfig = {
  ...base,
  name: 'bench-1000',
  workload: { ...base.workload, consumers: 3, messagesPerProducer: 1_000, recordsPerSend: 10, sendIntervalMs: 50, processingMs: [1, 5] },
  faultMenu: ['crash-broker', 'partition-broker', 'drop-produce-response', 'kill-consumer'],
};

async function measure(config: SimulationConfig, seeds: number): Promise<{ seeds: number; wallMs: number; virtualMs: number; broken: number }> {
  let virtualMs = 0;
  let broken = 0;
  let done = 0;
  const start = performance.now();
  for (let seed = 1; seed <= seeds && performance.now() - start < MAX_WALL_MS; seed++) {
    const result = await simulate({ config, plan: planFromSeed(config, seed) });
    virtualMs += result.stats.virtualMs;
    if (result.violations.length > 0 || result.livenessProblems.length > 0) broken++;
    done++;
  }
  return { seeds: done, wallMs: performance.now() - start, virtualMs, broken };
}

/**
 * What simulated time costs when nothing happens: the bench run's cluster with its three consumers joined and
 * idle (follower fetches every 500 ms, heartbeats, consumers' long polls, as Kafka and KafkaJS do by default),
 * in wall ms per simulated second. Every seed pays it for each of its simulated seconds.
 */
async function idleCost(): Promise<{ msPerSimulatedSecond: number; requestsPerSimulatedSecond: number }> {
  const w = THOUSAND.workload;
  const cluster = createSimulationCluster(w, 1);
  const kafka = cluster.kafka({ clientId: 'idle', logLevel: 0 });
  const consumers = Array.from({ length: w.consumers }, () => kafka.consumer({ groupId: 'workers', sessionTimeout: w.sessionTimeout, heartbeatInterval: w.heartbeatInterval }));
  for (const consumer of consumers) {
    await consumer.connect();
    await consumer.subscribe({ topics: ['events'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
  }
  await cluster.sleep(20_000); // the group forms, __consumer_offsets exists and is replicated
  let requests = 0;
  const apis = [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.Heartbeat, ApiKey.SyncGroup];
  for (const apiKey of apis) cluster.network.intercept(apiKey, () => (requests++, { action: 'pass' }), { keep: true });
  const simulatedMs = 120_000;
  const start = performance.now();
  await cluster.sleep(simulatedMs);
  const wallMs = performance.now() - start;
  cluster.close();
  return { msPerSimulatedSecond: wallMs / (simulatedMs / 1000), requestsPerSimulatedSecond: requests / (simulatedMs / 1000) };
}

export default async function simBench(): Promise<void> {
  console.log('## simulation (sim/): seeds per second, one core');
  await measure(THOUSAND, 2); // warm-up: module loading and JIT
  const m = await measure(THOUSAND, SEEDS);
  console.log(
    `3 brokers, 3 consumers, 1,000 messages, faults: ${m.seeds} seeds in ${(m.wallMs / 1000).toFixed(1)} s = ${(m.seeds / (m.wallMs / 1000)).toFixed(1)} seeds/s ` +
      `(goal 200), ${(m.virtualMs / m.wallMs).toFixed(0)} simulated s per wall s, ${m.broken} broken`,
  );
  await idleCost(); // warm-up
  const idle = await idleCost();
  const virtualSecondsPerSeed = m.virtualMs / m.seeds / 1000;
  console.log(
    `  of which simulated time alone: an idle cluster with its group costs ${idle.msPerSimulatedSecond.toFixed(2)} ms per simulated s ` +
      `(${idle.requestsPerSimulatedSecond.toFixed(0)} requests per simulated s); at ${virtualSecondsPerSeed.toFixed(1)} simulated s per seed ` +
      `that caps the run at ${(1000 / (idle.msPerSimulatedSecond * virtualSecondsPerSeed)).toFixed(0)} seeds/s before any message moves`,
  );
  for (const config of CONFIGS) {
    const c = await measure(config, SEEDS);
    console.log(`  ${config.name.padEnd(28)} ${(c.seeds / (c.wallMs / 1000)).toFixed(1).padStart(6)} seeds/s, ${(c.virtualMs / c.wallMs).toFixed(0).padStart(5)} simulated s per wall s`);
  }
}
