/**
 * The nightly-style run of the replication property (`test/broker/replication.property.test.ts` runs 500
 * seeds in CI): `npx tsx scripts/replication-seeds.ts [--seeds 10000] [--from 1] [--acks all|1]`.
 * Prints progress, and for any loss under acks=all the seed, the faults and the reproduce call.
 */
import { runReplicationScenario } from '../test/broker/support/replication-sim.ts';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1] : fallback;
}

const seeds = Number(option('seeds', '10000'));
const from = Number(option('from', '1'));
const acks = option('acks', 'all') === '1' ? 1 : -1;
const minInsyncReplicas = acks === -1 ? 2 : 1;
let lossSeeds = 0;
for (let seed = from; seed < from + seeds; seed++) {
  const outcome = await runReplicationScenario(seed, { acks, minInsyncReplicas, writes: 30 });
  if (outcome.lost.length > 0) {
    lossSeeds++;
    console.log(`seed ${seed}: lost ${outcome.lost.join(', ')} of ${outcome.acked.length} acknowledged`);
    if (acks === -1) console.log(`  faults:\n  ${outcome.faults.join('\n  ')}\n  reproduce: runReplicationScenario(${seed}, { acks: -1, minInsyncReplicas: 2, writes: 30 })`);
  }
  if ((seed - from + 1) % 500 === 0) console.log(`${seed - from + 1} seeds, ${lossSeeds} with loss`);
}
console.log(`done: ${seeds} seeds with acks=${acks === -1 ? 'all' : '1'}, ${lossSeeds} lost acknowledged writes`);
process.exitCode = acks === -1 && lossSeeds > 0 ? 1 : 0;
