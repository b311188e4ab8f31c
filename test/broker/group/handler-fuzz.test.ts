/**
 * The generic handler fuzz (test/broker/handler-versions.test.ts) mostly reaches a broker that coordinates
 * nothing. Here every group API, in every version it serves, gets random well-formed requests aimed at a loaded
 * coordinator with a stable group, its members, a topic and a simple offsets group, so the success paths (where
 * version-gated answer fields are set) run too. Every request must be answered, and the model's invariants hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GROUP_HANDLERS } from '../../../src/broker/handlers/group-registry.ts';
import { API_SCHEMAS, type ApiKeyNumber, type FieldSchema, type RequestInputByKey } from '../../../src/protocol/index.ts';
import { structArbitrary, type FieldOverride } from '../../protocol/schema-arbitrary.ts';
import { stableGroup, startGroupCluster } from './support.ts';

describe('group APIs answer random well-formed requests against a busy coordinator', () => {
  for (const handler of GROUP_HANDLERS) {
    const schema = API_SCHEMAS.get(handler.apiKey)!.request;
    it(`${schema.name} v${handler.minVersion}-${handler.maxVersion}`, async () => {
      const t = await startGroupCluster({ seed: handler.apiKey + 7, brokerConfig: { 'transaction.partition.verification.enable': false } });
      t.cluster.createTopic('orders', { partitions: 2 });
      await t.settle();
      const { coordinator, a, b } = await stableGroup(t, 'g', { sessionTimeoutMs: 30_000 });
      await t.commit('admin', coordinator, 'simple', [{ topic: 'orders', partition: 0, offset: 1n }]);

      const pick = <T>(...values: T[]) => fc.constantFrom(...values);
      const aimed: FieldOverride = (field: FieldSchema) => {
        if (field.type === 'string' && field.entityType === 'groupId') return fc.oneof({ weight: 6, arbitrary: pick('g', 'simple') }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) });
        if (field.type === 'array' && field.entityType === 'groupId') return fc.array(pick('g', 'simple', '', 'x'), { maxLength: 3 });
        if (field.type === 'string' && field.entityType === 'topicName') return fc.oneof({ weight: 4, arbitrary: fc.constant('orders') }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) });
        if (field.type === 'string' && field.name === 'memberId') return pick(a, b, '', 'ghost');
        if (field.type === 'string' && field.name === 'protocolType') return pick('consumer', 'connect', '');
        if (field.type === 'string' && field.name === 'protocolName') return pick('range', 'other');
        if (field.type === 'int32' && field.name === 'generationId') return fc.integer({ min: -1, max: 2 });
        if (field.type === 'int32' && field.name === 'generationIdOrMemberEpoch') return fc.integer({ min: -1, max: 2 });
        if (field.type === 'int32' && field.name === 'sessionTimeoutMs') return fc.oneof(fc.integer({ min: 6_000, max: 40_000 }), fc.integer());
        if (field.type === 'int32' && field.name === 'rebalanceTimeoutMs') return fc.integer({ min: -1, max: 20_000 });
        if (field.type === 'int32' && /^(partitionIndex|partition)$/.test(field.name)) return fc.integer({ min: -1, max: 2 });
        if (field.type === 'int16' && field.name === 'producerEpoch') return fc.integer({ min: -1, max: 3 });
        if (field.type === 'int64' && field.name === 'producerId') return fc.bigInt({ min: -1n, max: 3n });
        if (field.type === 'int8' && field.name === 'keyType') return fc.integer({ min: -1, max: 2 });
        return undefined;
      };

      for (let version = handler.minVersion; version <= handler.maxVersion; version++) {
        const samples = fc.sample(structArbitrary(schema, version, 0, aimed), { numRuns: 15, seed: version * 131 + handler.apiKey });
        for (const [i, body] of samples.entries()) {
          const client = t.clientFor(`fuzz-${version}-${i}`);
          let outcome: { ok: boolean; error?: unknown } | undefined;
          client
            .request(coordinator, handler.apiKey as ApiKeyNumber, version, body as RequestInputByKey[ApiKeyNumber])
            .then(
              () => (outcome = { ok: true }),
              (error: unknown) => (outcome = { ok: false, error }),
            );
          await t.runtime.runUntil(() => outcome !== undefined, { maxMs: 2 ** 32 });
          if (!outcome!.ok) throw new Error(`${schema.name} v${version} #${i} was not answered: ${String(outcome!.error)}`);
        }
      }
      expect(t.cluster.broker(coordinator).status).toBe('running');
      t.cluster.checkInvariants();
    });
  }
});
