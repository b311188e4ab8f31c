/**
 * `kafkasim simulate <configuration> [--seed N | --plan JSON] [--timeline]`: runs one simulation of a
 * property-test configuration (sim/plan.ts) and prints its plan, verdict and history hash. This is the
 * replay command a failing property test prints: the same configuration and plan give the same history,
 * so the same hash. Exit code 1 when the run breaks its configuration's rules (a forbidden anomaly, or
 * liveness not reached).
 */
import { parseArgs } from 'node:util';
import { CONFIGS, configNamed, FAULT_KINDS, planFromSeed, simulate, type FaultStep, type Plan } from '../../sim/index.ts';
import { renderTimeline, renderVerdict } from '../../sim/timeline.ts';
import { integerFlag, runCommand, UsageError, type CommandSpec } from './command-line.ts';
import type { CliIo } from './io.ts';

export const SIMULATE_USAGE = `Usage: kafkasim simulate <configuration> [--seed N | --plan JSON] [--timeline]
       kafkasim simulate list

Runs one deterministic simulation (a cluster, producers and a consumer group through the KafkaJS API,
faults from the plan, then a liveness phase) and prints the plan, the checkers' verdict and the history
hash. Replaying the same configuration and plan prints the same hash.

Configurations:
${CONFIGS.map((c) => `  ${c.name.padEnd(28)} ${c.summary}`).join('\n')}

Options:
  --seed <n>      draw the plan from this seed (default 1)
  --plan <json>   run exactly this plan ({"seed":N,"faults":[...]}, as a failing test prints it)
  --timeline      also print the timeline of the run
  -h, --help      show this help
`;

interface SimulateArgs {
  config: string;
  seed: number;
  plan: Plan | null;
  timeline: boolean;
}

function parsePlan(text: string): Plan {
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--plan is not JSON: ${(error as Error).message}`);
  }
  const candidate = plan as { seed?: unknown; faults?: unknown };
  if (typeof candidate !== 'object' || candidate === null || !Number.isSafeInteger(candidate.seed) || !Array.isArray(candidate.faults)) {
    throw new UsageError('--plan takes {"seed": <integer>, "faults": [...]}');
  }
  for (const fault of candidate.faults as Array<{ at?: unknown; kind?: unknown }>) {
    if (typeof fault !== 'object' || fault === null || typeof fault.at !== 'number' || typeof fault.kind !== 'string') throw new UsageError(`--plan: each fault needs "at" and "kind", got ${JSON.stringify(fault)}`);
    if (!(FAULT_KINDS as readonly string[]).includes(fault.kind)) throw new UsageError(`--plan: unknown fault kind '${fault.kind}' (known: ${FAULT_KINDS.join(', ')})`);
  }
  return { seed: candidate.seed as number, faults: candidate.faults as FaultStep[] };
}

function parse(args: readonly string[]): SimulateArgs | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { seed: { type: 'string' }, plan: { type: 'string' }, timeline: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help === true) return null;
  if (parsed.positionals.length !== 1) throw new UsageError('name one configuration (or list)');
  const config = parsed.positionals[0];
  if (config !== 'list' && !CONFIGS.some((c) => c.name === config)) throw new UsageError(`unknown configuration '${config}' (known: ${CONFIGS.map((c) => c.name).join(', ')})`);
  if (parsed.values.seed !== undefined && parsed.values.plan !== undefined) throw new UsageError('--seed and --plan exclude each other (a plan carries its seed)');
  return {
    config,
    seed: integerFlag('seed', parsed.values.seed, { min: 0 }) ?? 1,
    plan: parsed.values.plan === undefined ? null : parsePlan(parsed.values.plan),
    timeline: parsed.values.timeline === true,
  };
}

const spec: CommandSpec<SimulateArgs> = {
  name: 'simulate',
  usage: SIMULATE_USAGE,
  parse,
  async run(args, io) {
    if (args.config === 'list') {
      io.stdout(`${CONFIGS.map((c) => `${c.name.padEnd(28)} ${c.summary}`).join('\n')}\n`);
      return 0;
    }
    const config = configNamed(args.config);
    const plan = args.plan ?? planFromSeed(config, args.seed);
    const result = await simulate({ config, plan });
    const lines = [`configuration ${config.name}: ${config.summary}`, `plan ${JSON.stringify(plan)}`];
    if (args.timeline) lines.push('', renderTimeline(result), '');
    else lines.push(...renderVerdict(result));
    const { virtualMs, sends, acknowledged, deliveries } = result.stats;
    lines.push(`${sends} sends (${acknowledged} acknowledged), ${deliveries} deliveries, ${(virtualMs / 1000).toFixed(1)} s of virtual time`);
    const broken = result.violations.length > 0 || result.livenessProblems.length > 0;
    lines.push(broken ? `BROKEN: ${result.violations.length} forbidden anomalies, ${result.livenessProblems.length} liveness problems` : 'ok: no forbidden anomaly, liveness reached');
    lines.push(`history hash ${result.hash}`);
    io.stdout(`${lines.join('\n')}\n`);
    return broken ? 1 : 0;
  },
};

export function runSimulateCommand(args: string[], io: CliIo): Promise<number> {
  return runCommand(spec, args, io);
}
