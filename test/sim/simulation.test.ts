/**
 * The harness itself: runs replay (same plan, same history hash), faults take effect as planned, the
 * recorder sees what the public API shows, liveness is checked, and the replay command a failing property
 * prints reproduces the run.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { configNamed, drawPlan, planFromSeed, replayCommand, simulate, type Plan } from '../../sim/index.ts';
import { oneBrokerAtATime } from '../../sim/plan.ts';
import { fakeIo } from '../cli/support.ts';

describe('simulation harness', () => {
  it('replays: the same plan gives the same history and hash; another seed another history', async () => {
    const config = configNamed('auto-commit-kills');
    const plan: Plan = { seed: 11, faults: [{ at: 3_000, kind: 'kill-consumer', consumer: 1, restartMs: 5_000 }] };
    const a = await simulate({ config, plan });
    const b = await simulate({ config, plan });
    expect(b.hash).toBe(a.hash);
    expect(b.history).toEqual(a.history);
    const c = await simulate({ config, plan: { ...plan, seed: 12 } });
    expect(c.hash).not.toBe(a.hash);
  });

  it('records every acknowledged send at its offset and every value delivered to the group and to the final reader', async () => {
    const result = await simulate({ config: 'auto-commit-kills', plan: { seed: 3, faults: [] } });
    const w = result.config.workload;
    expect(result.stats.sends).toBe(w.messagesPerProducer / w.recordsPerSend);
    expect(result.stats.acknowledged).toBe(result.stats.sends);
    const sent = result.history.filter((r) => r.f === 'send' && r.type === 'ok').flatMap((r) => (r.f === 'send' ? r.value.records : []));
    expect(sent.every((r) => r.offset !== undefined)).toBe(true);
    const deliveredTo = (process: string) =>
      new Set(result.history.filter((r) => r.f === 'poll' && r.type === 'ok' && r.process === process).flatMap((r) => (r.f === 'poll' ? r.value.records.map((x) => x.value) : [])));
    const group = new Set([...Array(w.consumers).keys()].flatMap((i) => [...deliveredTo(`consumer-${i}`)]));
    expect([...group].sort()).toEqual(sent.map((r) => r.value).sort());
    expect([...deliveredTo('reader')].sort()).toEqual(sent.map((r) => r.value).sort());
    expect(result.check.anomalies).toEqual([]);
    expect(result.livenessProblems).toEqual([]);
    // Every member's assignment names its generation (from the SyncGroup answers) and no partition has two owners in one.
    const assigns = result.history.filter((r) => r.f === 'assign' && r.type === 'ok');
    expect(assigns.length).toBeGreaterThan(0);
    expect(assigns.every((r) => r.f === 'assign' && typeof r.value.generationId === 'number')).toBe(true);
  });

  it('a killed consumer is recorded as crashed, its unfinished record stays open, and the group gets that record again', async () => {
    const result = await simulate({
      config: 'auto-commit-kills',
      plan: { seed: 5, faults: [{ at: 7_000, kind: 'kill-consumer', consumer: 0, ownerOf: 0, restartMs: 1_000 }] },
    });
    const crash = result.history.find((r) => r.f === 'crash');
    expect(crash, 'the kill is in the history').toBeDefined();
    expect(result.events.some((e) => e.text.startsWith('fault: kill the owner of partition 0'))).toBe(true);
    expect(result.check.anomalies.map((a) => a.kind)).toContain('redelivery');
    expect(result.violations).toEqual([]);
  });

  it('cutting an acks=1 leader off loses the writes it acknowledged alone; acks=all under the same fault loses nothing', async () => {
    const fault = [{ at: 1_000, kind: 'partition-broker' as const, broker: 1, leaderOf: 0, ms: 15_000 }];
    const acks1 = await simulate({ config: 'acks1-failover', plan: { seed: 2, faults: fault } });
    expect(acks1.check.anomalies.map((a) => a.kind)).toContain('unseen');
    expect(acks1.violations).toEqual([]);
    const acksAll = await simulate({ config: 'acks-all-isr2', plan: { seed: 2, faults: fault } });
    expect(acksAll.check.anomalies.filter((a) => a.kind === 'unseen' || a.kind === 'lost-write')).toEqual([]);
    expect(acksAll.violations).toEqual([]);
  });

  it('a dropped Produce answer makes a non-idempotent producer write twice; the idempotent one does not', async () => {
    const fault = [{ at: 500, kind: 'drop-produce-response' as const, broker: 1, leaderOf: 0, count: 1 }];
    const plain = await simulate({ config: 'inflight-reorder', plan: { seed: 4, faults: fault } });
    expect(plain.check.anomalies.map((a) => a.kind)).toContain('log-duplicate');
    const idempotent = await simulate({ config: 'idempotent-retries', plan: { seed: 4, faults: fault } });
    expect(idempotent.check.anomalies.filter((a) => a.kind === 'log-duplicate')).toEqual([]);
    expect(idempotent.stats.acknowledged).toBe(idempotent.stats.sends);
  });

  it('an instant fault that finds nothing to act on says so in the run\'s events; one that acted says nothing more', async () => {
    const late = await simulate({ config: 'inflight-reorder', plan: { seed: 4, faults: [{ at: 60_000, kind: 'drop-produce-response', broker: 1, count: 3 }] } });
    expect(late.events.map((e) => e.text)).toContain('Produce responses lost from broker 1: 0 of 3 (the fault never acted)');
    const early = await simulate({ config: 'inflight-reorder', plan: { seed: 4, faults: [{ at: 500, kind: 'drop-produce-response', broker: 1, leaderOf: 0, count: 1 }] } });
    expect(early.events.filter((e) => e.text.startsWith('Produce responses lost'))).toEqual([]);
  });

  it('a Produce request delivered twice writes twice for a non-idempotent producer; the idempotent one keeps one copy', async () => {
    const fault = [{ at: 500, kind: 'duplicate-produce' as const, broker: 1, count: 2 }];
    const plain = await simulate({ config: 'inflight-reorder', plan: { seed: 4, faults: fault } });
    expect(plain.check.anomalies.map((a) => a.kind)).toContain('log-duplicate');
    expect(plain.violations).toEqual([]);
    const idempotent = await simulate({ config: 'idempotent-retries', plan: { seed: 4, faults: fault } });
    expect(idempotent.check.anomalies).toEqual([]);
    expect(idempotent.stats.acknowledged).toBe(idempotent.stats.sends);
  });

  it('a paused producer sends nothing while stopped and finishes after it resumes', async () => {
    const result = await simulate({ config: 'idempotent-retries', plan: { seed: 4, faults: [{ at: 1_000, kind: 'pause-producer', producer: 0, ms: 40_000 }] } });
    const paused = result.events.find((e) => e.text.startsWith('fault: pause producer-0'))!.time;
    const resumed = result.events.find((e) => e.text === 'producer-0 resumed')!.time;
    expect(resumed - paused).toBe(40_000);
    const acks = result.history.filter((r) => r.f === 'send' && r.type === 'ok').map((r) => r.time);
    // An answer may be on its way at the pause: it is heard at the resume, not before.
    expect(acks.filter((t) => t > paused && t < resumed)).toEqual([]);
    expect(acks.some((t) => t >= resumed)).toBe(true);
    expect(result.stats.acknowledged).toBe(result.stats.sends);
    expect(result.livenessProblems).toEqual([]);
  });

  it('a consumer paused past its session timeout loses its partitions to the others meanwhile, and gets some back after', async () => {
    const result = await simulate({ config: 'auto-commit-kills', plan: { seed: 4, faults: [{ at: 3_000, kind: 'pause-consumer', consumer: 1, ms: 40_000 }] } });
    const paused = result.events.find((e) => e.text.startsWith('fault: pause consumer-1'))!.time;
    const resumed = result.events.find((e) => e.text === 'consumer-1 resumed')!.time;
    const assigns = result.history.filter((r) => r.f === 'assign' && r.type === 'ok');
    const during = assigns.filter((r) => r.time > paused && r.time < resumed);
    expect(during.length, 'the group rebalanced without the paused member').toBeGreaterThan(0);
    expect(during.every((r) => r.process !== 'consumer-1')).toBe(true);
    expect(assigns.some((r) => r.process === 'consumer-1' && r.time >= resumed)).toBe(true);
    expect(result.violations).toEqual([]);
    expect(result.livenessProblems).toEqual([]);
  });

  it('a consumer cut off from its only broker is rebalanced away, and comes back when the link heals', async () => {
    const result = await simulate({ config: 'auto-commit-kills', plan: { seed: 4, faults: [{ at: 3_000, kind: 'partition-consumer', consumer: 1, broker: 1, ms: 40_000 }] } });
    const healedAt = result.events.find((e) => e.text === 'healed: consumer-1 reaches broker 1 again')!.time;
    const assigns = result.history.filter((r) => r.f === 'assign' && r.type === 'ok');
    expect(assigns.some((r) => r.process !== 'consumer-1' && r.time > 3_000 && r.time < healedAt)).toBe(true);
    expect(result.violations).toEqual([]);
    expect(result.livenessProblems).toEqual([]);
  });

  it('a leader the others cannot hear is fenced: with acks=1 what it acknowledged alone is lost, acks=all loses nothing', async () => {
    const fault = [{ at: 1_000, kind: 'partition-broker-one-way' as const, broker: 1, leaderOf: 0, ms: 15_000, inbound: false }];
    const acks1 = await simulate({ config: 'acks1-failover', plan: { seed: 4, faults: fault } });
    expect(acks1.check.anomalies.map((a) => a.kind)).toContain('lost-write');
    expect(acks1.violations).toEqual([]);
    const acksAll = await simulate({ config: 'acks-all-isr2', plan: { seed: 4, faults: fault } });
    expect(acksAll.check.anomalies.filter((a) => a.kind === 'unseen' || a.kind === 'lost-write')).toEqual([]);
    expect(acksAll.violations).toEqual([]);
    expect(acksAll.livenessProblems).toEqual([]);
  });

  it('a lossy link loses requests and answers of a producer: a non-idempotent one writes twice, an idempotent one once', async () => {
    const fault = [{ at: 1_000, kind: 'lossy-producer' as const, producer: 0, broker: 1, percent: 30, ms: 15_000 }];
    let dropped = 0;
    const inspect = (cluster: { network: { onTrace(listener: (e: { outcome: string }) => void): unknown } }) =>
      void cluster.network.onTrace((e) => void (e.outcome === 'dropped' && dropped++));
    const plain = await simulate({ config: 'inflight-reorder', plan: { seed: 4, faults: fault }, inspect });
    expect(dropped, 'messages were lost on the link').toBeGreaterThan(0);
    expect(plain.check.anomalies.map((a) => a.kind)).toContain('log-duplicate');
    expect(plain.violations).toEqual([]);
    const idempotent = await simulate({ config: 'idempotent-retries', plan: { seed: 4, faults: fault } });
    expect(idempotent.check.anomalies).toEqual([]);
    expect(idempotent.stats.acknowledged).toBe(idempotent.stats.sends);
    expect(idempotent.events.some((e) => e.text === 'healed: producer-0 and broker 1 lose nothing again')).toBe(true);
  });

  it('a lossy link of a consumer loses its fetches, heartbeats and commits; the group still gets everything, nothing is skipped', async () => {
    let dropped = 0;
    const result = await simulate({
      config: 'auto-commit-kills',
      plan: { seed: 4, faults: [{ at: 2_000, kind: 'lossy-consumer', consumer: 0, broker: 1, percent: 40, ms: 20_000 }] },
      inspect: (cluster) => void cluster.network.onTrace((e) => void (e.outcome === 'dropped' && [e.from, e.to].some((node) => node.startsWith('sim-consumer')) && dropped++)),
    });
    expect(dropped).toBeGreaterThan(0);
    expect(result.violations).toEqual([]);
    expect(result.livenessProblems).toEqual([]);
  });

  it('eachBatch: a batch is one poll of several records, and a member killed mid-batch leaves the rest of it to be delivered again', async () => {
    const result = await simulate({
      config: 'each-batch-kills',
      plan: { seed: 5, faults: [{ at: 7_000, kind: 'kill-consumer', consumer: 0, ownerOf: 0, restartMs: 1_000 }] },
    });
    const polls = result.history.filter((r) => r.f === 'poll' && r.type === 'ok' && r.process.startsWith('consumer-'));
    expect(polls.some((r) => r.f === 'poll' && r.value.records.length > 1), 'some poll carries a whole batch').toBe(true);
    expect(result.check.anomalies.map((a) => a.kind)).toContain('redelivery');
    expect(result.violations).toEqual([]);
    expect(result.livenessProblems).toEqual([]);
  });

  it('held Heartbeat answers from the coordinator get a member evicted; held Fetch requests only slow the group down', async () => {
    const heartbeats = await simulate({
      config: 'auto-commit-kills',
      plan: { seed: 4, faults: [{ at: 8_000, kind: 'delay-api', api: 'Heartbeat', broker: 1, delayMs: 15_000, response: true, ms: 20_000 }] },
    });
    const assigns = heartbeats.history.filter((r) => r.f === 'assign' && r.type === 'ok');
    expect(assigns.some((r) => r.time > 8_000), 'the group rebalanced during the fault').toBe(true);
    expect(heartbeats.events.some((e) => e.text === 'healed: Heartbeat at broker 1 is prompt again')).toBe(true);
    expect(heartbeats.violations).toEqual([]);
    expect(heartbeats.livenessProblems).toEqual([]);
    const fetches = await simulate({
      config: 'auto-commit-kills',
      plan: { seed: 4, faults: [{ at: 3_000, kind: 'delay-api', api: 'Fetch', broker: 1, delayMs: 2_000, response: false, ms: 10_000 }] },
    });
    expect(fetches.violations).toEqual([]);
    expect(fetches.livenessProblems).toEqual([]);
  });

  it('repeated JoinGroup, SyncGroup and Heartbeat requests leave the group formed as usual: one owner per partition', async () => {
    for (const api of ['JoinGroup', 'SyncGroup', 'Heartbeat'] as const) {
      let duplicated = 0;
      const result = await simulate({
        config: 'auto-commit-kills',
        plan: { seed: 4, faults: [{ at: 0, kind: 'duplicate-api', api, broker: 1, count: 3 }] },
        inspect: (cluster) => void cluster.network.onTrace((e) => void (e.kind === 'intercept' && e.action === 'duplicate' && duplicated++)),
      });
      expect(duplicated, api).toBe(3);
      expect(result.violations, api).toEqual([]);
      expect(result.livenessProblems, api).toEqual([]);
      const owners = result.history.filter((r) => r.f === 'assign' && r.type === 'ok' && r.process.startsWith('consumer-'));
      expect(owners.flatMap((r) => (r.f === 'assign' ? r.value.partitions.map((p) => p.partition) : [])).sort(), api).toEqual([0, 1, 2]);
    }
  });

  it('plans: drawn from a seed deterministically, faults sorted, one broker down at a time where the configuration says so', () => {
    const config = configNamed('acks-all-isr2');
    expect(planFromSeed(config, 9)).toEqual(planFromSeed(config, 9));
    for (let seed = 1; seed <= 50; seed++) {
      const plan = planFromSeed(config, seed);
      expect(plan.faults.map((f) => f.at)).toEqual([...plan.faults.map((f) => f.at)].sort((a, b) => a - b));
      expect(oneBrokerAtATime(plan.faults)).toEqual(plan.faults);
    }
    const overlapping = oneBrokerAtATime([
      { at: 0, kind: 'crash-broker', broker: 1, downMs: 10_000, loseUnflushed: false },
      { at: 5_000, kind: 'crash-broker', broker: 2, downMs: 1_000, loseUnflushed: false },
      { at: 6_000, kind: 'partition-broker', broker: 1, ms: 1_000 },
      { at: 30_000, kind: 'crash-broker', broker: 2, downMs: 1_000, loseUnflushed: false },
    ]);
    expect(overlapping.map((f) => f.at)).toEqual([0, 6_000, 30_000]);
    const draws: number[] = [];
    drawPlan(config, (min, max) => {
      draws.push(max - min);
      return min;
    });
    expect(draws.length).toBeGreaterThan(0);
  });

  it('`kafkasim simulate` replays a plan with the same hash, and exits 1 when a run breaks its rules', async () => {
    const plan: Plan = { seed: 8, faults: [{ at: 2_000, kind: 'stall-consumer', consumer: 0, ms: 12_000 }] };
    const direct = await simulate({ config: 'slow-member', plan });
    const command = replayCommand('slow-member', plan);
    expect(command).toBe(`npx kafkasim simulate slow-member --plan '${JSON.stringify(plan)}'`);
    const io = fakeIo();
    expect(await main(['simulate', 'slow-member', '--plan', JSON.stringify(plan)], io)).toBe(0);
    expect(io.out).toContain(`history hash ${direct.hash}`);
    const bad = fakeIo();
    expect(await main(['simulate', 'slow-member', '--plan', '{"seed":1}'], bad)).toBe(2);
    expect(bad.err).toContain('--plan takes');
    const unknown = fakeIo();
    expect(await main(['simulate', 'slow-member', '--plan', '{"seed":1,"faults":[{"at":0,"kind":"meteor"}]}'], unknown)).toBe(2);
    expect(unknown.err).toContain("unknown fault kind 'meteor'");
  });
});
