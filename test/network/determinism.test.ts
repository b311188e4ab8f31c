import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/index.ts';
import { formatNetworkEvent, type Connection } from '../../src/network/index.ts';
import { FakeBroker, heartbeat, setup } from './support/fake-broker.ts';

/**
 * Three clients hammer two brokers through jittered links while faults come and go: drops, a partition,
 * a delaying interceptor, a crash and restart. Returns everything a replay must reproduce.
 */
async function scenario(seed: number) {
  const { runtime, network, broker } = setup(seed);
  const second = new FakeBroker(runtime, 'broker-2', 9093);
  network.listen(second);
  network.setLatency('*', '*', { minMs: 1, maxMs: 40 });
  network.setLatency('client-3', '*', { minMs: 10, maxMs: 200 });
  network.dropProbability('*', 'broker-2', 0.1);
  network.intercept(ApiKey.Heartbeat, ({ correlationId }) => (correlationId % 5 === 0 ? { action: 'delay', ms: 30 } : { action: 'pass' }), { keep: true });
  const outcomes: string[] = [];
  const random = runtime.random.fork('workload');

  async function client(node: string): Promise<void> {
    let connection: Connection | undefined;
    for (let i = 0; i < 30; i++) {
      const target = random.pick([broker, second]);
      try {
        if (connection === undefined || !connection.isOpen || connection.remote.port !== target.address.port) {
          connection?.close();
          connection = await network.connect(target.address, { clientId: node, node, timeoutMs: 500 });
        }
        const group = random.chance(0.2) ? `slow-${random.range(1, 300)}` : 'g';
        await connection.request(ApiKey.Heartbeat, 4, heartbeat(group), { timeoutMs: 250 });
        outcomes.push(`${runtime.now()} ${node} ok`);
      } catch (error) {
        outcomes.push(`${runtime.now()} ${node} ${(error as Error).name}`);
      }
    }
  }

  const done = Promise.all(['client-1', 'client-2', 'client-3'].map(client));
  let finished = false;
  void done.then(() => (finished = true));
  runtime.timer(400, () => network.partition(['client-1'], ['broker-1', 'broker-2']));
  runtime.timer(900, () => network.heal());
  runtime.timer(1_200, () => broker.crash(network));
  runtime.timer(2_500, () => (broker.isAvailable = true));
  await runtime.runUntil(() => finished, { maxMs: 600_000 });
  await runtime.runUntilIdle();
  return { hash: runtime.traceHash(), trace: network.trace.map((e) => formatNetworkEvent(e, runtime.startMs)), outcomes };
}

describe('in-process network: determinism', () => {
  it('replays a faulty, jittered scenario exactly from its seed (trace hash, network trace, outcomes)', async () => {
    const first = await scenario(42);
    const again = await scenario(42);
    expect(again.hash).toBe(first.hash);
    expect(again.trace).toEqual(first.trace);
    expect(again.outcomes).toEqual(first.outcomes);
    // The scenario exercised the faults it claims to.
    const text = first.trace.join('\n');
    for (const expected of ['dropped', 'partitioned', 'intercepted delay', 'refused', 'closed', 'delivered']) expect(text).toContain(expected);
    expect(first.outcomes.join('\n')).toMatch(/RequestTimeoutError/);
    expect(first.outcomes.join('\n')).toMatch(/ ok/);

    const other = await scenario(43);
    expect(other.hash).not.toBe(first.hash);
    expect(other.trace).not.toEqual(first.trace);
  });
});
