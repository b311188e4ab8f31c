import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster } from './support.ts';

describe('InitProducerId', () => {
  it('gives each idempotent producer (no transactional id) its own producer id at epoch 0, whichever broker it asks and in every version', async () => {
    const t = await startCluster({ brokers: 3 });
    const answers = [];
    for (const [brokerId, version] of [
      [1, 0],
      [2, 2],
      [3, 4],
      [1, 5],
      [2, 5],
    ] as const) {
      const response = await t.send(brokerId, ApiKey.InitProducerId, version, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      answers.push(response);
    }
    expect(answers.map((a) => [a.errorCode, a.producerEpoch])).toEqual(Array.from({ length: 5 }, () => [ErrorCode.NONE, 0]));
    const ids = answers.map((a) => a.producerId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id >= 0n)).toBe(true);
  });
});
