/**
 * A seeded replication scenario: three brokers, one partition with RF 3, a producer writing unique values
 * with a chosen `acks`, and faults drawn from the seed that affect at most one broker at a time (an
 * abrupt crash then restart, or isolation from everyone then heal). After the fault phase everything heals
 * and the cluster gets time to converge (the liveness phase); then the partition is read from its leader
 * and every acknowledged value must be there, unless the configuration allows loss.
 */
import { Cluster } from '../../../src/broker/cluster.ts';
import { InProcessNetwork } from '../../../src/network/index.ts';
import { ErrorCode } from '../../../src/protocol/index.ts';
import { VirtualRuntime } from '../../../src/runtime/index.ts';
import { MiniClient } from './mini-client.ts';

export interface ReplicationOutcome {
  readonly seed: number;
  readonly acked: readonly string[];
  readonly read: readonly string[];
  readonly lost: readonly string[];
  readonly faults: readonly string[];
  readonly traceHash: string;
}

export async function runReplicationScenario(seed: number, options: { acks: -1 | 1; minInsyncReplicas: number; writes?: number }): Promise<ReplicationOutcome> {
  const runtime = new VirtualRuntime({ seed, drive: 'manual' });
  const network = new InProcessNetwork(runtime);
  network.setLatency('*', '*', { minMs: 1, maxMs: 5 });
  const cluster = new Cluster({
    runtime,
    network,
    brokers: 3,
    brokerConfig: { 'min.insync.replicas': options.minInsyncReplicas, 'replica.lag.time.max.ms': 10_000 },
  });
  cluster.createTopic('t', { partitions: 1, replicationFactor: 3 });
  const plan = runtime.random.fork('plan');
  const client = new MiniClient(cluster, runtime, 'client-1', 3_000);
  const acked: string[] = [];
  const faults: string[] = [];
  const writes = options.writes ?? 60;
  const pause = (ms: number) => new Promise<void>((resolve) => runtime.timer(ms, resolve, 'scenario:pause'));

  let producing = true;
  const producer = (async () => {
    await pause(200);
    for (let i = 0; i < writes; i++) {
      const value = `v${i}`;
      const outcome = await client.produce('t', 0, [value], options.acks, 3_000);
      if (outcome.errorCode === ErrorCode.NONE) acked.push(value);
      else {
        try {
          await client.refreshMetadata();
        } catch {
          // No broker reachable right now: try again after the pause.
        }
      }
      await pause(plan.range(50, 600));
    }
    producing = false;
  })();

  const nemesis = (async () => {
    while (producing) {
      await pause(plan.range(1_000, 6_000));
      if (!producing) break;
      const target = plan.range(1, 3);
      const kind = plan.int(3);
      if (kind === 0) {
        faults.push(`${runtime.now()}: crash broker ${target}`);
        cluster.crashBroker(target);
        await pause(plan.range(2_000, 15_000));
        faults.push(`${runtime.now()}: restart broker ${target}`);
        cluster.restartBroker(target);
      } else if (kind === 1) {
        faults.push(`${runtime.now()}: isolate broker ${target}`);
        network.isolate(`broker-${target}`);
        await pause(plan.range(2_000, 15_000));
        faults.push(`${runtime.now()}: heal`);
        network.heal();
      } else {
        // The broker keeps its clients but loses the controller and the other brokers.
        const others = [1, 2, 3].filter((id) => id !== target).map((id) => `broker-${id}`);
        faults.push(`${runtime.now()}: cut broker ${target} off from the cluster (clients still reach it)`);
        network.partition([`broker-${target}`, 'client-1'], ['controller', ...others]);
        await pause(plan.range(2_000, 15_000));
        faults.push(`${runtime.now()}: heal`);
        network.heal();
      }
      // Give the cluster a moment between faults so at most one broker is ever affected.
      await pause(plan.range(500, 3_000));
    }
  })();

  let finished = false;
  void Promise.all([producer, nemesis]).then(() => (finished = true));
  await runtime.runUntil(() => finished, { maxMs: 30 * 60_000 });
  cluster.checkInvariants();

  // Liveness: everything healed and running; the ISR must converge and the data must be readable.
  network.heal();
  for (const broker of cluster.brokers.values()) if (broker.status !== 'running') broker.restart();
  await runtime.advance(60_000);
  cluster.checkInvariants();

  const reader = new MiniClient(cluster, runtime, 'reader');
  let read: string[] = [];
  let done = false;
  void (async () => {
    await reader.refreshMetadata();
    const leader = reader.leaderOf('t', 0);
    read = (await reader.fetchAll('t', 0, 0n, leader)).records.map((r) => r.value ?? '');
    done = true;
  })();
  await runtime.runUntil(() => done, { maxMs: 60_000 });
  const readSet = new Set(read);
  return { seed, acked, read, lost: acked.filter((v) => !readSet.has(v)), faults, traceHash: runtime.traceHash() };
}
