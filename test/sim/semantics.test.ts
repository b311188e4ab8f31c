import { describe, expect, it } from 'vitest';
import { type CheckResult, checkHistory } from '../../sim/checkers/index.ts';
import { allowanceReasons, allowedAnomalies, violations } from '../../sim/semantics.ts';
import { script } from './histories.ts';

describe('allowedAnomalies: the seven configurations of issue 6', () => {
  it('auto-commit with consumer kills: redelivery allowed, skips and committing too far forbidden', () => {
    const allowed = allowedAnomalies({ autoCommit: true, faults: ['consumer-crash'] });
    expect(allowed.has('redelivery')).toBe(true);
    for (const kind of ['poll-skip', 'group-skip', 'committed-too-far', 'lost-write'] as const) expect(allowed.has(kind)).toBe(false);
  });

  it('acks=all, RF 3, min.insync.replicas 2, one broker failure at a time: lost write forbidden', () => {
    const allowed = allowedAnomalies({ acks: -1, replicationFactor: 3, minInsyncReplicas: 2, faults: ['broker-crash'] });
    for (const kind of ['lost-write', 'unseen', 'inconsistent-offsets'] as const) expect(allowed.has(kind)).toBe(false);
    // ... but two replicas losing data at once may lose it
    expect(allowedAnomalies({ acks: -1, minInsyncReplicas: 2, faults: ['correlated-broker-crash'] }).has('lost-write')).toBe(true);
  });

  it('acks=1 with leader failures: lost write (and the offsets it frees being reused) allowed', () => {
    const allowed = allowedAnomalies({ acks: 1, faults: ['broker-crash'] });
    expect(allowed.has('lost-write')).toBe(true);
    expect(allowed.has('inconsistent-offsets')).toBe(true);
    expect(allowanceReasons({ acks: 1, faults: ['broker-crash'] }).get('lost-write')!.join()).toContain('`acks=1`');
  });

  it('idempotent producer with retries: log duplicate and reorder forbidden under broker faults', () => {
    const allowed = allowedAnomalies({ acks: -1, minInsyncReplicas: 2, idempotent: true, retries: 10, maxInFlightRequests: 5, faults: ['broker-crash', 'network-partition'] });
    for (const kind of ['log-duplicate', 'nonmonotonic-send', 'int-nonmonotonic-send'] as const) expect(allowed.has(kind)).toBe(false);
    expect(() => allowedAnomalies({ idempotent: true, maxInFlightRequests: 6 })).toThrow(/max.in.flight/);
  });

  it('non-idempotent producer with max.in.flight > 1 and retries: reorder (and log duplicate) allowed', () => {
    const allowed = allowedAnomalies({ idempotent: false, retries: 5, maxInFlightRequests: 5, minInsyncReplicas: 2, faults: ['network-partition'] });
    expect(allowed.has('nonmonotonic-send')).toBe(true);
    expect(allowed.has('log-duplicate')).toBe(true);
    expect(allowedAnomalies({ idempotent: false, retries: 5, maxInFlightRequests: 1, minInsyncReplicas: 2, faults: ['network-partition'] }).has('nonmonotonic-send')).toBe(false);
  });

  it('transactions read by read_committed consumers: aborted read forbidden', () => {
    const allowed = allowedAnomalies({ acks: -1, idempotent: true, transactions: true, isolation: 'read_committed', faults: ['broker-crash'] });
    expect(allowed.has('aborted-read')).toBe(false);
  });

  it('eager rebalances with a slow member: redelivery allowed, two owners of a partition in one generation forbidden', () => {
    const allowed = allowedAnomalies({ faults: ['slow-consumer'] });
    expect(allowed.has('redelivery')).toBe(true);
    expect(allowed.has('split-ownership')).toBe(false);
  });

  it('nothing is allowed without faults', () => {
    expect([...allowedAnomalies({})]).toEqual([]);
  });
});

describe('violations', () => {
  it('keeps only the anomalies the configuration forbids', () => {
    const result: CheckResult = {
      valid: false,
      anomalies: [
        { kind: 'redelivery', explanation: 'r', records: [] },
        { kind: 'poll-skip', explanation: 's', records: [] },
      ],
    };
    expect(violations(result, { faults: ['consumer-crash'] }).map((a) => a.kind)).toEqual(['poll-skip']);
  });
});

describe('checkers and semantics together', () => {
  it('group: member killed before auto-commit gets its messages redelivered, which the configuration allows', () => {
    const history = script()
      .send('producer', 0, [['a', 0], ['b', 1]])
      .assign('c1', [0], { groupId: 'g', generationId: 1 })
      .poll('c1', [[0, 0, 'a'], [0, 1, 'b']], { groupId: 'g' })
      .crash('c1')
      .assign('c2', [0], { groupId: 'g', generationId: 2 })
      .poll('c2', [[0, 0, 'a'], [0, 1, 'b']], { groupId: 'g' })
      .history();
    const result = checkHistory(history);
    expect(result.anomalies.map((a) => a.kind)).toEqual(['redelivery']);
    expect(violations(result, { autoCommit: true, faults: ['consumer-crash'] })).toEqual([]);
    expect(violations(result, { autoCommit: true, faults: [] }).map((a) => a.kind)).toEqual(['redelivery']);
  });
});
