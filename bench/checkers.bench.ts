/**
 * Checker speed: `checkHistory` (sim/checkers/) on the history of one 3-broker, 3-consumer, 1,000-message
 * simulation run with faults (seed 2 of the sim bench's configuration, about 8,400 records). The simulation
 * checks every seed, so this cost is paid once per seed. Each timed call gets a fresh copy of the history
 * array, because the checkers cache their shared index per array. Goal: a median of 5 ms or less.
 * Bounded: ROUNDS calls, and no more than about MAX_WALL_MS.
 */
import { performance } from 'node:perf_hooks';
import { checkHistory, configNamed, planFromSeed, simulate, type SimulationConfig } from '../sim/index.ts';

const ROUNDS = 200;
const WARM_UP = 20;
const MAX_WALL_MS = 10_000;

const base = configNamed('acks-all-isr2');
const THOUSAND: SimulationConfig = {
  ...base,
  name: 'bench-1000',
  workload: { ...base.workload, consumers: 3, messagesPerProducer: 1_000, recordsPerSend: 10, sendIntervalMs: 50, processingMs: [1, 5] },
  faultMenu: ['crash-broker', 'partition-broker', 'drop-produce-response', 'kill-consumer'],
};

export default async function checkersBench(): Promise<void> {
  console.log('## checkers (sim/checkers/): checkHistory on one simulation history, one core');
  const { history } = await simulate({ config: THOUSAND, plan: planFromSeed(THOUSAND, 2) });
  for (let i = 0; i < WARM_UP; i++) checkHistory([...history]); // JIT
  const timesMs: number[] = [];
  const start = performance.now();
  while (timesMs.length < ROUNDS && performance.now() - start < MAX_WALL_MS) {
    const copy = [...history];
    const before = performance.now();
    checkHistory(copy);
    timesMs.push(performance.now() - before);
  }
  timesMs.sort((a, b) => a - b);
  const at = (q: number): string => timesMs[Math.min(timesMs.length - 1, Math.floor(timesMs.length * q))].toFixed(2);
  console.log(`${history.length.toLocaleString('en-US')} records, ${timesMs.length} calls: median ${at(0.5)} ms (goal 5), p10 ${at(0.1)} ms, p90 ${at(0.9)} ms`);
}
