/**
 * The teaching scenarios: each shows what it exists to show, prints the same text for the same seed, the
 * `kafkasim scenario` command prints exactly that text, and each docs/scenarios page holds today's output.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { pageOutput, scenarioIndex } from '../../sim/scenario-docs.ts';
import { runScenario, SCENARIOS } from '../../sim/scenarios.ts';
import { fakeIo } from '../cli/support.ts';

const DOCS = resolve(import.meta.dirname, '..', '..', 'docs', 'scenarios');
const REGENERATE = 'regenerate with: npx tsx scripts/generate-scenario-docs.ts';

describe('teaching scenarios', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: shows ${scenario.shows.join(', ') || 'no anomaly'}, nothing forbidden, and its docs page holds today's output`, async () => {
      const { result, text } = await runScenario(scenario);
      const kinds = new Set(result.check.anomalies.map((a) => a.kind));
      for (const kind of scenario.shows) expect(kinds, `${scenario.name} should show ${kind}`).toContain(kind);
      if (scenario.shows.length === 0) expect(result.check.anomalies).toEqual([]);
      expect(result.violations).toEqual([]);
      expect(result.livenessProblems).toEqual([]);
      const page = readFileSync(join(DOCS, `${scenario.name}.md`), 'utf8');
      expect(pageOutput(page), `docs/scenarios/${scenario.name}.md is stale; ${REGENERATE}`).toBe(text);
    });
  }

  it('the same seed prints the same text; another seed keeps the story and changes the details', async () => {
    const scenario = SCENARIOS[0];
    const a = await runScenario(scenario, 3);
    const b = await runScenario(scenario, 3);
    const c = await runScenario(scenario, 4);
    expect(b.text).toBe(a.text);
    expect(c.result.hash).not.toBe(a.result.hash);
    expect(c.result.check.anomalies.map((x) => x.kind)).toContain('redelivery');
  });

  it('`kafkasim scenario <name> --seed N` prints the scenario; list names them all; a bad name is a usage error', async () => {
    const scenario = SCENARIOS.find((s) => s.name === 'reorder-on-retry')!;
    const io = fakeIo();
    expect(await main(['scenario', scenario.name, '--seed', '2'], io)).toBe(0);
    expect(io.out).toBe((await runScenario(scenario, 2)).text);
    const list = fakeIo();
    expect(await main(['scenario', 'list'], list)).toBe(0);
    for (const s of SCENARIOS) expect(list.out).toContain(s.name);
    const bad = fakeIo();
    expect(await main(['scenario', 'duplicates-please'], bad)).toBe(2);
    expect(bad.err).toContain("unknown scenario 'duplicates-please'");
  });

  it('docs/scenarios/README.md lists every scenario', () => {
    expect(readFileSync(join(DOCS, 'README.md'), 'utf8')).toBe(scenarioIndex());
  });
});
