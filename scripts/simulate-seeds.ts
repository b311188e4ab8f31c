/**
 * The long run of the simulation properties (CI runs 200 fast-check plans per configuration):
 *   npx tsx scripts/simulate-seeds.ts [--seeds 10000] [--from 1] [--config <name>|all] [--jobs <n>]
 * Each seed draws a plan with `planFromSeed`; a run that breaks its configuration's rules prints its seed,
 * plan and replay command. Exit code 1 if any did. Allowed anomalies found are counted per kind.
 * `--jobs` (default: the machine's cores) runs seeds in that many worker processes. Seeds are independent and
 * each is deterministic, so the verdicts do not depend on it; broken seeds are listed in seed order at the end
 * of each configuration.
 */
import { availableParallelism } from 'node:os';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CONFIGS, configNamed, planFromSeed, replayCommand, simulate } from '../sim/index.ts';

interface Job {
  readonly config: string;
  readonly seeds: readonly number[];
}

interface SeedVerdict {
  readonly seed: number;
  readonly kinds: string[];
  /** Present when the run broke its configuration's rules. */
  readonly broken?: { readonly violations: string[]; readonly liveness: string[]; readonly replay: string };
}

async function runSeed(configName: string, seed: number): Promise<SeedVerdict> {
  const config = configNamed(configName);
  const plan = planFromSeed(config, seed);
  const result = await simulate({ config, plan });
  const kinds = [...new Set(result.check.anomalies.map((a) => a.kind))];
  if (result.violations.length === 0 && result.livenessProblems.length === 0) return { seed, kinds };
  return {
    seed,
    kinds,
    broken: { violations: [...new Set(result.violations.map((v) => v.kind))], liveness: result.livenessProblems, replay: replayCommand(config.name, plan) },
  };
}

const WORKER_ENV = 'KAFKASIM_SIMULATE_SEEDS_JOB';
const workerJob = process.env[WORKER_ENV];

if (workerJob !== undefined) {
  // A worker process: runs its share of one configuration's seeds, reporting each verdict as it comes.
  const job = JSON.parse(workerJob) as Job;
  for (const seed of job.seeds) process.send!(await runSeed(job.config, seed));
  process.disconnect();
} else {
  await main();
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1] : fallback;
}

/** Runs `seeds` of one configuration on `jobs` processes (seed i goes to process i mod jobs), calling `onVerdict` per seed. */
function runOnWorkers(config: string, seeds: number[], jobs: number, onVerdict: (verdict: SeedVerdict) => void): Promise<void> {
  const shares = Array.from({ length: Math.min(jobs, seeds.length) }, (_, k) => seeds.filter((_, i) => i % jobs === k));
  return Promise.all(
    shares.map(
      (share) =>
        new Promise<void>((resolve, reject) => {
          // Processes rather than worker threads: a child gets tsx's loader from `--import tsx`, a worker thread
          // on Node 20 does not.
          const job: Job = { config, seeds: share };
          const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, [WORKER_ENV]: JSON.stringify(job) } });
          child.on('message', (verdict) => onVerdict(verdict as SeedVerdict));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`a simulation worker exited with code ${code}`))));
        }),
    ),
  ).then(() => undefined);
}

async function main(): Promise<void> {
  const seeds = Number(option('seeds', '10000'));
  const from = Number(option('from', '1'));
  const which = option('config', 'all');
  const jobs = Math.max(1, Number(option('jobs', String(availableParallelism()))));
  const configs = which === 'all' ? CONFIGS : [configNamed(which)];
  console.log(`${seeds} seeds per configuration from seed ${from}, ${jobs} worker${jobs === 1 ? '' : 's'}`);
  let broken = 0;
  for (const config of configs) {
    const found = new Map<string, number>();
    const brokenSeeds: SeedVerdict[] = [];
    let done = 0;
    const started = performance.now();
    const onVerdict = (verdict: SeedVerdict): void => {
      for (const kind of verdict.kinds) found.set(kind, (found.get(kind) ?? 0) + 1);
      if (verdict.broken !== undefined) brokenSeeds.push(verdict);
      if (++done % 500 === 0) console.log(`${config.name}: ${done} seeds, ${broken + brokenSeeds.length} broken so far`);
    };
    const range = Array.from({ length: seeds }, (_, i) => from + i);
    if (jobs === 1) for (const seed of range) onVerdict(await runSeed(config.name, seed));
    else await runOnWorkers(config.name, range, jobs, onVerdict);
    for (const verdict of brokenSeeds.sort((a, b) => a.seed - b.seed)) {
      const { violations, liveness, replay } = verdict.broken!;
      console.log(`${config.name} seed ${verdict.seed}: ${violations.join(', ')} ${liveness.join('; ')}`);
      console.log(`  replay: ${replay} --timeline`);
    }
    broken += brokenSeeds.length;
    const seconds = (performance.now() - started) / 1000;
    const kinds = [...found].map(([kind, n]) => `${kind} in ${n}`).join(', ') || 'none';
    console.log(`${config.name}: ${seeds} seeds in ${seconds.toFixed(1)} s (${(seeds / seconds).toFixed(1)} seeds/s); allowed anomalies seen: ${kinds}`);
  }
  console.log(broken === 0 ? 'done: no run broke its rules' : `done: ${broken} run(s) broke their rules`);
  process.exitCode = broken === 0 ? 0 : 1;
}
