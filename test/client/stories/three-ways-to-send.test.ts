/**
 * Three ways to call `producer.send()`, and what each tells the caller (KafkaJS 2.2.4, acks=-1 by default):
 *
 * - fire-and-forget: `producer.send(...)` without awaiting it. The caller learns nothing: neither the offset
 *   nor a failure. `disconnect()` waits only for Produce requests already on a connection (KafkaJS's
 *   `requestQueue.waitForPendingRequests()`); a send that had not reached the connection yet is finished
 *   after `disconnect()` has returned, on a cluster its retry loop reconnects, so a process that exits
 *   right after `disconnect()` loses it.
 * - await: `const [meta] = await producer.send(...)` hands back one RecordMetadata per partition written
 *   (`partition`, `baseOffset` as a decimal string) or throws the broker's error.
 * - callbacks: `producer.send(...).then(onDelivered).catch(onFailed)` gets the same two outcomes later,
 *   without blocking the caller.
 *
 * The failure used here is the broker's own: a message larger than the topic's `max.message.bytes` is
 * refused with MESSAGE_TOO_LARGE, which is not retriable, so the send rejects at once. A fire-and-forget
 * caller never sees it (the test attaches a no-op catch where such a caller loses the rejection, so that
 * the unhandled rejection does not fail the run), and the record is simply not in the log.
 */
import { describe, expect, it } from 'vitest';
import { Partitioners, type RecordMetadata } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { cluster, kafka, valuesOf } from '../producer/support.ts';

const TOO_LARGE = 'x'.repeat(4_096);

function setup() {
  const sim = cluster({ topics: [{ topic: 'events', configEntries: [{ name: 'max.message.bytes', value: '1024' }] }] });
  const producer = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  return { sim, producer };
}

/** A fire-and-forget caller's send: nobody will ever look at the promise; the no-op catch stands in for the lost rejection. */
function fireAndForget(promise: Promise<unknown>): void {
  promise.catch(() => {});
}

describe('three ways to send', () => {
  it('awaiting a send gives the partition and base offset the record was written at', async () => {
    const { sim, producer } = setup();
    await producer.connect();
    const first = await producer.send({ topic: 'events', messages: [{ value: 'a' }] });
    const second = await producer.send({ topic: 'events', messages: [{ value: 'b' }, { value: 'c' }] });
    expect(first).toEqual([{ topicName: 'events', partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' }]);
    // One RecordMetadata per partition: the base offset is the first record's; 'c' is at baseOffset + 1.
    expect(second).toMatchObject([{ topicName: 'events', partition: 0, baseOffset: '1' }]);
    expect(await valuesOf(sim, 'events', 0)).toEqual(['a', 'b', 'c']);
    await producer.disconnect();
  });

  it('callbacks get the same RecordMetadata later, without blocking the caller', async () => {
    const { sim, producer } = setup();
    await producer.connect();
    const delivered: Array<{ value: string; partition: number; baseOffset: string }> = [];
    for (const value of ['a', 'b']) {
      producer
        .send({ topic: 'events', messages: [{ value }] })
        .then(([meta]: RecordMetadata[]) => void delivered.push({ value, partition: meta.partition, baseOffset: meta.baseOffset! }))
        .catch(() => expect.unreachable('no failure in this test'));
    }
    expect(delivered).toEqual([]); // the caller carried on at once
    await sim.runUntil(() => delivered.length === 2, { maxMs: 10_000 });
    expect(delivered).toEqual([
      { value: 'a', partition: 0, baseOffset: '0' },
      { value: 'b', partition: 0, baseOffset: '1' },
    ]);
    await producer.disconnect();
  });

  it('fire-and-forget: disconnect() waits for a Produce already sent, so the record is written before it returns', async () => {
    const { sim, producer } = setup();
    await producer.connect();
    await producer.send({ topic: 'events', messages: [{ value: 'warm-up' }] });
    // Hold the broker's answer so the Produce is still in flight when disconnect() is called.
    sim.network.intercept(ApiKey.Produce, () => ({ action: 'delay', ms: 50 }), { direction: 'response' });
    fireAndForget(producer.send({ topic: 'events', messages: [{ value: 'ff' }] }));
    await sim.sleep(5); // the request has reached the broker
    await producer.disconnect();
    sim.kill(producer); // the process exits right after disconnect()
    expect(await valuesOf(sim, 'events', 0)).toEqual(['warm-up', 'ff']);
  });

  it('fire-and-forget: a send not yet on a connection is not waited for, and exiting after disconnect() loses it', async () => {
    const { sim, producer } = setup();
    await producer.connect();
    await producer.send({ topic: 'events', messages: [{ value: 'warm-up' }] });
    fireAndForget(producer.send({ topic: 'events', messages: [{ value: 'ff-1' }] }));
    fireAndForget(producer.send({ topic: 'events', messages: [{ value: 'ff-2' }] }));
    await producer.disconnect();
    sim.kill(producer); // process.exit() right after disconnect()
    await sim.sleep(10_000);
    expect(await valuesOf(sim, 'events', 0)).toEqual(['warm-up']);
  });

  it('fire-and-forget: without the exit, the unawaited sends reconnect the producer and complete after disconnect()', async () => {
    const { sim, producer } = setup();
    await producer.connect();
    await producer.send({ topic: 'events', messages: [{ value: 'warm-up' }] });
    fireAndForget(producer.send({ topic: 'events', messages: [{ value: 'ff-1' }] }));
    fireAndForget(producer.send({ topic: 'events', messages: [{ value: 'ff-2' }] }));
    await producer.disconnect();
    expect(await valuesOf(sim, 'events', 0)).toEqual(['warm-up']); // not yet, when disconnect() returned
    await sim.sleep(10_000);
    // Each send's retry loop waited its own randomized backoff before resending, so they did not even keep
    // their call order (seed 1: ff-2 first); see ordering.test.ts.
    expect(await valuesOf(sim, 'events', 0)).toEqual(['warm-up', 'ff-2', 'ff-1']);
  });

  describe('when the broker refuses a record (MESSAGE_TOO_LARGE, not retriable)', () => {
    it('an awaited send rejects: the caller knows, and can tell it from the records that were written', async () => {
      const { sim, producer } = setup();
      await producer.connect();
      await producer.send({ topic: 'events', messages: [{ value: 'before' }] });
      await expect(producer.send({ topic: 'events', messages: [{ value: TOO_LARGE }] })).rejects.toMatchObject({
        name: 'KafkaJSProtocolError',
        type: 'MESSAGE_TOO_LARGE',
        retriable: false,
      });
      await producer.send({ topic: 'events', messages: [{ value: 'after' }] });
      expect(await valuesOf(sim, 'events', 0)).toEqual(['before', 'after']);
      await producer.disconnect();
    });

    it("the callback's catch runs with the broker's error", async () => {
      const { sim, producer } = setup();
      await producer.connect();
      const outcomes: string[] = [];
      producer
        .send({ topic: 'events', messages: [{ value: TOO_LARGE }] })
        .then(() => void outcomes.push('delivered'))
        .catch((error: { type?: string }) => void outcomes.push(`failed: ${error.type}`));
      await sim.runUntil(() => outcomes.length === 1, { maxMs: 10_000 });
      expect(outcomes).toEqual(['failed: MESSAGE_TOO_LARGE']);
      expect(await valuesOf(sim, 'events', 0)).toEqual([]);
      await producer.disconnect();
    });

    it('fire-and-forget loses the record and the caller never finds out', async () => {
      const { sim, producer } = setup();
      await producer.connect();
      const callerSaw: string[] = [];
      fireAndForget(producer.send({ topic: 'events', messages: [{ value: 'small' }] }));
      fireAndForget(producer.send({ topic: 'events', messages: [{ value: TOO_LARGE }] }));
      callerSaw.push('sent both');
      await sim.sleep(1_000);
      await producer.disconnect();
      callerSaw.push('disconnected');
      expect(callerSaw).toEqual(['sent both', 'disconnected']); // no error reached the caller's code
      expect(await valuesOf(sim, 'events', 0)).toEqual(['small']); // the large one is gone
    });
  });

  describe('when the broker is down (retriable errors, retried until the retries run out)', () => {
    it('the awaited send and the callback learn it once the retries run out; fire-and-forget does not; nothing is written', async () => {
      const { sim } = setup();
      const producer = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2 } });
      await producer.connect();
      await producer.send({ topic: 'events', messages: [{ value: 'before' }] });
      sim.crashBroker(1);

      const outcomes: string[] = [];
      fireAndForget(producer.send({ topic: 'events', messages: [{ value: 'fire-and-forget' }] }));
      producer
        .send({ topic: 'events', messages: [{ value: 'callback' }] })
        .then(() => void outcomes.push('callback: delivered'))
        .catch((error: Error) => void outcomes.push(`callback: ${error.name}`));
      // After the connection drops, the send's retry loop reconnects the cluster; that connect has a retry
      // loop of its own, and when it runs out its KafkaJSNumberOfRetriesExceeded (not retriable) ends the send
      // at once, wrapped as KafkaJSNonRetriableError, as in KafkaJS.
      const refused = { name: 'KafkaJSNonRetriableError', message: 'Connection error: connect ECONNREFUSED localhost:9092' };
      await expect(producer.send({ topic: 'events', messages: [{ value: 'awaited' }] })).rejects.toMatchObject(refused);
      await sim.runUntil(() => outcomes.length === 1, { maxMs: 60_000 });
      expect(outcomes).toEqual(['callback: KafkaJSNonRetriableError']);

      sim.restartBroker(1);
      await sim.sleep(10_000);
      expect(await valuesOf(sim, 'events', 0)).toEqual(['before']);
    });
  });
});
