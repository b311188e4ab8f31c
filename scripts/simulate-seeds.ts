/**
 * The long run of the simulation properties (CI runs 200 fast-check plans per configuration):
 *   npx tsx scripts/simulate-seeds.ts [--seeds 10000] [--from 1] [--config <name>|all]
 * Each seed draws a plan with `planFromSeed`; a run that breaks its configuration's rules prints its seed,
 * plan and replay command. Exit code 1 if any did. Allowed anomalies found are counted per kind.
 */
import { CONFIGS, configNamed, planFromSeed, replayCommand, simulate } from '../sim/index.ts';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1] : fallback;
}

const seeds = Number(option('seeds', '10000'));
const from = Number(option('from', '1'));
const which = option('config', 'all');
const configs = which === 'all' ? CONFIGS : [configNamed(which)];
let broken = 0;
for (const config of configs) {
  const found = new Map<string, number>();
  const started = performance.now();
  for (let seed = from; seed < from + seeds; seed++) {
    const plan = planFromSeed(config, seed);
    const result = await simulate({ config, plan });
    for (const kind of new Set(result.check.anomalies.map((a) => a.kind))) found.set(kind, (found.get(kind) ?? 0) + 1);
    if (result.violations.length > 0 || result.livenessProblems.length > 0) {
      broken++;
      console.log(`${config.name} seed ${seed}: ${[...new Set(result.violations.map((v) => v.kind))].join(', ')} ${result.livenessProblems.join('; ')}`);
      console.log(`  replay: ${replayCommand(config.name, plan)} --timeline`);
    }
    if ((seed - from + 1) % 500 === 0) console.log(`${config.name}: ${seed - from + 1} seeds, ${broken} broken so far`);
  }
  const seconds = (performance.now() - started) / 1000;
  const kinds = [...found].map(([kind, n]) => `${kind} in ${n}`).join(', ') || 'none';
  console.log(`${config.name}: ${seeds} seeds in ${seconds.toFixed(1)} s (${(seeds / seconds).toFixed(1)} seeds/s); allowed anomalies seen: ${kinds}`);
}
console.log(broken === 0 ? 'done: no run broke its rules' : `done: ${broken} run(s) broke their rules`);
process.exitCode = broken === 0 ? 0 : 1;
