/**
 * Plans the simulation once failed on, replayed as fixed cases so a regression shows up in seconds rather
 * than when fast-check happens to draw the plan again. Each names the bug it found and where the fix lives.
 */
import { describe, expect, it } from 'vitest';
import { configNamed, simulate, type Plan } from '../../sim/index.ts';

const cases: { config: string; plan: Plan; bug: string }[] = [
  {
    // A send after a short crash of the seed broker hung: the client's metadata refresh looked for a live
    // broker through the refreshing findBroker and waited on its own shared promise (src/client/cluster.ts).
    config: 'idempotent-retries',
    plan: { seed: 332936397, faults: [{ at: 8, kind: 'crash-broker', broker: 1, downMs: 500, loseUnflushed: false }] },
    bug: 'metadata refresh waiting on itself',
  },
  {
    config: 'acks-all-isr2',
    plan: {
      seed: 62573665,
      faults: [
        { at: 0, kind: 'partition-producer', producer: 0, broker: 2, ms: 1307 },
        { at: 306, kind: 'crash-broker', broker: 1, downMs: 500, loseUnflushed: false },
      ],
    },
    bug: 'metadata refresh waiting on itself',
  },
];

describe('simulation regressions', () => {
  it.each(cases)('$config seed $plan.seed ($bug): no violation, liveness reached', async ({ config, plan }) => {
    const result = await simulate({ config: configNamed(config), plan });
    expect(result.violations).toEqual([]);
    expect(result.livenessProblems).toEqual([]);
    expect(result.stats.acknowledged).toBeGreaterThan(0);
  });
});
