/**
 * Bad input gets a clear answer and loses nothing: arbitrary bytes, truncated frames and mutated valid frames
 * sent to a broker either get a response or a closed connection (Kafka closes connections on requests it
 * cannot parse), never an exception of another kind, and the data and the other clients are unaffected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseConnectionSignal } from '../../src/broker/ports.ts';
import { ApiKey, encodeRecordBatch, encodeRequest, ErrorCode } from '../../src/protocol/index.ts';
import { startCluster } from './handlers/support.ts';

const session = { connectionId: 'fuzz', clientNode: 'fuzz', clientId: 'fuzz' };

describe('malformed request frames', () => {
  it('random bytes, truncations and byte flips of valid frames never break the broker', async () => {
    const { cluster, runtime, client, run, produce } = await startCluster({ brokers: 1 });
    cluster.createTopic('t', { partitions: 1 });
    await runtime.advance(100);
    await produce('t', 0, ['before']);
    const valid = [
      encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 1, clientId: 'x' }, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }),
      encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 2, clientId: 'x' }, {
        acks: 1,
        timeoutMs: 1000,
        transactionalId: null,
        topicData: [{ name: 't', partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from('v') }] }) }] }],
      }),
      encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 12, correlationId: 3, clientId: 'x' }, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
        topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      }),
    ].map((frame) => frame.subarray(4));
    const frames = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([f, n]) => f.subarray(0, n % f.length)),
      fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([f, at, x]) => {
        const copy = Buffer.from(f);
        copy[at % copy.length] ^= x;
        return copy;
      }),
    );
    const broker = cluster.broker(1);
    for (const frame of fc.sample(frames, { numRuns: 1500, seed: 5 })) {
      let outcome: 'answered' | 'closed' | undefined;
      let unexpected: unknown;
      void broker.handleFrame(frame, session).then(
        () => (outcome = 'answered'),
        (error) => {
          if (error instanceof CloseConnectionSignal) outcome = 'closed';
          else unexpected = error;
        },
      );
      await runtime.runUntil(() => outcome !== undefined || unexpected !== undefined, { maxMs: 60_000 });
      if (unexpected !== undefined) throw new Error(`frame ${frame.toString('hex')} raised ${String(unexpected)}`);
    }
    // The stored data survived and the broker still serves a well-behaved client.
    const fetched = await run(client.fetchAll('t', 0));
    expect(fetched.errorCode).toBe(ErrorCode.NONE);
    expect(fetched.records[0].value).toBe('before');
    await produce('t', 0, ['after']);
    cluster.checkInvariants();
  });
});
