/**
 * Writes docs/scenarios/<name>.md for every teaching scenario (sim/scenarios.ts) with its output at the
 * default seed, and the index docs/scenarios/README.md. test/sim/scenarios.test.ts fails when a page no
 * longer matches what `kafkasim scenario <name>` prints, and says to run this:
 *   npx tsx scripts/generate-scenario-docs.ts
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scenarioPage, scenarioIndex } from '../sim/scenario-docs.ts';
import { runScenario, SCENARIOS } from '../sim/scenarios.ts';

const DIR = resolve(import.meta.dirname, '..', 'docs', 'scenarios');
for (const scenario of SCENARIOS) {
  const { text } = await runScenario(scenario);
  writeFileSync(join(DIR, `${scenario.name}.md`), scenarioPage(scenario, text));
  console.log(`wrote docs/scenarios/${scenario.name}.md`);
}
writeFileSync(join(DIR, 'README.md'), scenarioIndex());
console.log('wrote docs/scenarios/README.md');
