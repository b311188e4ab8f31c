/**
 * `kafkasim scenario <name> [--seed N]` and `kafkasim scenario list`: runs one teaching scenario
 * (sim/scenarios.ts) in virtual time and prints its timeline (who owns which partition, what was sent,
 * delivered and committed, each rebalance and fault) and the checkers' verdict. Deterministic: the same
 * name and seed print the same text.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SCENARIO_SEED, runScenario, SCENARIOS, scenarioNamed } from '../../sim/scenarios.ts';
import { integerFlag, runCommand, UsageError, type CommandSpec } from './command-line.ts';
import type { CliIo } from './io.ts';

export const SCENARIO_USAGE = `Usage: kafkasim scenario <name> [--seed N]
       kafkasim scenario list

Runs a teaching scenario on a simulated cluster (virtual time: a 30 s session timeout costs nothing) and
prints its timeline: sends and their offsets, deliveries, processing, commits, group generations and who
owns which partition, faults, and every anomaly the checkers find (allowed by Kafka or not).

Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(32)} ${s.title}`).join('\n')}

Options:
  --seed <n>    the seed of latencies, processing times and ids (default ${DEFAULT_SCENARIO_SEED}); faults are scripted
  -h, --help    show this help
`;

interface ScenarioArgs {
  name: string;
  seed: number;
}

function parse(args: readonly string[]): ScenarioArgs | null {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help === true) return null;
  if (parsed.positionals.length !== 1) throw new UsageError(parsed.positionals.length === 0 ? 'name a scenario (or list)' : `one scenario at a time, got ${parsed.positionals.join(' ')}`);
  const name = parsed.positionals[0];
  if (name !== 'list' && !SCENARIOS.some((s) => s.name === name)) throw new UsageError(`unknown scenario '${name}' (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  return { name, seed: integerFlag('seed', parsed.values.seed, { min: 0 }) ?? DEFAULT_SCENARIO_SEED };
}

const spec: CommandSpec<ScenarioArgs> = {
  name: 'scenario',
  usage: SCENARIO_USAGE,
  parse,
  async run({ name, seed }, io) {
    if (name === 'list') {
      io.stdout(`${SCENARIOS.map((s) => `${s.name.padEnd(32)} ${s.title}`).join('\n')}\n`);
      return 0;
    }
    const { text } = await runScenario(scenarioNamed(name), seed);
    io.stdout(text);
    return 0;
  },
};

export function runScenarioCommand(args: string[], io: CliIo): Promise<number> {
  return runCommand(spec, args, io);
}
