/**
 * Simulation throughput: seeds per second of a 3-broker, 3-consumer, 1,000-message run with faults drawn
 * from the seed (acks=all, RF 3, min ISR 2; broker crashes and cut-offs, lost Produce answers, consumer
 * kills), and simulated seconds per wall second; then seeds/s of each CI configuration. One process, so
 * one core. Goal (issue 6): >= 200 seeds/s for the 1,000-message run.
 * Bounded: at most SEEDS seeds and about MAX_WALL_MS per measurement.
 */
import { performance } from 'node:perf_hooks';
import { CONFIGS, configNamed, planFromSeed, simulate, type SimulationConfig } from '../sim/index.ts';

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

export default async function simBench(): Promise<void> {
  console.log('## simulation (sim/): seeds per second, one core');
  await measure(THOUSAND, 2); // warm-up: module loading and JIT
  const m = await measure(THOUSAND, SEEDS);
  console.log(
    `3 brokers, 3 consumers, 1,000 messages, faults: ${m.seeds} seeds in ${(m.wallMs / 1000).toFixed(1)} s = ${(m.seeds / (m.wallMs / 1000)).toFixed(1)} seeds/s ` +
      `(goal 200), ${(m.virtualMs / m.wallMs).toFixed(0)} simulated s per wall s, ${m.broken} broken`,
  );
  for (const config of CONFIGS) {
    const c = await measure(config, SEEDS);
    console.log(`  ${config.name.padEnd(28)} ${(c.seeds / (c.wallMs / 1000)).toFixed(1).padStart(6)} seeds/s, ${(c.virtualMs / c.wallMs).toFixed(0).padStart(5)} simulated s per wall s`);
  }
}
