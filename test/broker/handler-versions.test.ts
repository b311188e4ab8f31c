/**
 * Every version the broker advertises must be answerable: random well-formed requests (derived from the
 * specs) of each version get a decodable response, never a dropped connection. This guards the rule that a
 * handler must not set a non-ignorable field in a version that lacks it, and that bad values in requests
 * become error codes, not crashes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/broker/cluster.ts';
import { HANDLERS } from '../../src/broker/handlers/index.ts';
import { InProcessNetwork } from '../../src/network/index.ts';
import { API_SCHEMAS, ApiKey, type ApiKeyNumber, type RequestInputByKey } from '../../src/protocol/index.ts';
import { VirtualRuntime } from '../../src/runtime/index.ts';
import type { FieldSchema } from '../../src/protocol/index.ts';
import { structArbitrary, type FieldOverride } from '../protocol/schema-arbitrary.ts';

/**
 * Aims most requests at partitions that exist (topic 't', partitions 0-1, its real offsets) so the success
 * paths, where version-specific answer fields are set, are exercised too; some stay random for error paths.
 */
const aimed: FieldOverride = (field: FieldSchema) => {
  if (field.type === 'string' && field.entityType === 'topicName') return fc.oneof({ weight: 4, arbitrary: fc.constant('t') }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
  if (field.type === 'int32' && /^(partition|partitionIndex|index)$/.test(field.name)) return fc.integer({ min: -1, max: 2 });
  if (field.type === 'int64' && /^(fetchOffset|offset|timestamp)$/.test(field.name)) return fc.bigInt({ min: -5n, max: 5n });
  if (field.type === 'int32' && /^(maxWaitMs|timeoutMs)$/.test(field.name)) return fc.integer({ min: 0, max: 2000 });
  return undefined;
};

describe('every advertised version of every handler answers random well-formed requests', () => {
  for (const handler of HANDLERS) {
    const schema = API_SCHEMAS.get(handler.apiKey)!.request;
    it(`${schema.name} v${handler.minVersion}-${handler.maxVersion}`, async () => {
      const runtime = new VirtualRuntime({ seed: handler.apiKey + 1, drive: 'manual' });
      const endpointErrors: unknown[] = [];
      const network = new InProcessNetwork(runtime, { onEndpointError: (error) => endpointErrors.push(error) });
      const cluster = new Cluster({ runtime, network, brokers: 3 });
      cluster.createTopic('t', { partitions: 2, replicationFactor: 3 });
      await runtime.advance(100);
      for (let version = handler.minVersion; version <= handler.maxVersion; version++) {
        const samples = fc.sample(structArbitrary(schema, version, 0, aimed), { numRuns: 12, seed: version * 31 + handler.apiKey });
        for (const body of samples) {
          const connecting = network.connect(cluster.broker(1).address, { clientId: 'fuzz', node: 'fuzz', timeoutMs: 1000 });
          let outcome: { ok: boolean; error?: unknown } | undefined;
          void connecting
            .then((connection) =>
              connection.request(handler.apiKey as ApiKeyNumber, version, body as RequestInputByKey[ApiKeyNumber], {
                timeoutMs: 2 ** 31 - 1,
                expectResponse: !(handler.apiKey === ApiKey.Produce && (body as { acks: number }).acks === 0),
              }),
            )
            .then(
              () => (outcome = { ok: true }),
              (error) => (outcome = { ok: false, error }),
            );
          await runtime.runUntil(() => outcome !== undefined, { maxMs: 2 ** 32 });
          if (!outcome!.ok) {
            throw new Error(`${schema.name} v${version} was not answered: ${String(outcome!.error)}; endpoint errors: ${endpointErrors.map(String).join('; ')}`);
          }
        }
      }
      expect(endpointErrors).toEqual([]);
      cluster.checkInvariants();
    });
  }
});
