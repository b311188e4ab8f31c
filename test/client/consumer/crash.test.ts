/**
 * Handler errors, retries, crashes and restarts (the intent of KafkaJS's handlerErrorRecovery.spec.js,
 * errorRecovery.spec.js and instrumentationEvents.spec.js "emits crash events"; semantics in
 * `runner.scheduleFetchManager` and `consumer/index.js onCrash`). A throwing handler is retried from the
 * position it failed at, by the runner's one retrier, whose count is reset only when the fetch loop ends
 * normally, so failures of different messages add up (KafkaJS #1415). When retries run out the consumer
 * crashes: it disconnects (leaving the group), emits consumer.crash, and restarts after the error's
 * retryTime when the cause was retriable and `retry.restartOnFailure` (if given) agrees. Errors KafkaJS
 * deems unrecoverable (TypeError and friends) and non-retriable join errors crash with restart: false.
 */
import { describe, expect, it } from 'vitest';
import {
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  type EachMessagePayload,
  type LogEntry,
} from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import {
  collectInto,
  consumerOf,
  loggedConsumerOf,
  ofType,
  produceValues,
  recordEvents,
  startCluster,
  type Delivery,
  type RecordedEvent,
} from './support.ts';

const LIFECYCLE = ['consumer.crash', 'consumer.connect', 'consumer.disconnect', 'consumer.stop', 'consumer.group_join'] as const;

async function crashSetup(retry: Record<string, unknown>, options: { sessionTimeout?: number } = {}) {
  const sim = startCluster({ topics: ['orders'] });
  const groupId = 'crashers';
  const consumer = consumerOf(sim, { groupId, maxWaitTimeInMs: 100, heartbeatInterval: 100, retry, ...options });
  const events = recordEvents(sim, consumer, LIFECYCLE);
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
  return { sim, groupId, consumer, events };
}

const crashes = (events: RecordedEvent[]) => ofType(events, 'consumer.crash');
const after = (events: RecordedEvent[], type: string, time: number) => ofType(events, type).filter((e) => e.at > time);

describe('a handler that throws is retried', () => {
  it('eachMessage: the same message is delivered again', async () => {
    const { sim, consumer } = await crashSetup({});
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2']);
    const deliveries: Delivery[] = [];
    let failed = false;
    void consumer.run({
      eachMessage: collectInto(deliveries, () => {
        if (!failed) {
          failed = true;
          throw new Error('Fail once');
        }
      }),
    });
    await sim.runUntil(() => deliveries.length >= 4, { maxMs: 30_000 });
    expect(deliveries.map((d) => d.value)).toEqual(['m0', 'm0', 'm1', 'm2']);
    await consumer.disconnect();
  });

  it('eachBatch: the same batch is delivered again', async () => {
    const { sim, consumer } = await crashSetup({});
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2']);
    const batches: string[] = [];
    void consumer.run({
      eachBatch: async ({ batch }) => {
        batches.push(batch.messages.map((m) => m.value!.toString()).join(','));
        if (batches.length === 1) throw new Error('Fail once');
      },
    });
    await sim.runUntil(() => batches.length >= 2, { maxMs: 30_000 });
    expect(batches.slice(0, 2)).toEqual(['m0,m1,m2', 'm0,m1,m2']);
    await consumer.disconnect();
  });

  it('a non-KafkaJS error is logged with its topic, partition and offset', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const logs: LogEntry[] = [];
    const consumer = loggedConsumerOf(sim, { groupId: 'g', maxWaitTimeInMs: 100 }, logs);
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    await produceValues(sim, 'orders', 0, ['m0', 'm1']);
    let calls = 0;
    void consumer.run({
      eachMessage: async ({ message }) => {
        calls++;
        if (message.offset === '1' && calls === 2) throw new Error('boom');
      },
    });
    await sim.runUntil(() => calls >= 3, { maxMs: 30_000 });
    const entry = logs.find((l) => l.log.message === 'Error when calling eachMessage');
    expect(entry?.log).toMatchObject({ topic: 'orders', partition: 0, offset: '1' });
    await consumer.disconnect();
  });

  it('retries add up across messages (KafkaJS #1415): the third first-attempt failure exhausts retries: 2', async () => {
    const { sim, consumer, events } = await crashSetup({ retries: 2 });
    await produceValues(sim, 'orders', 0, ['m0', 'm1', 'm2', 'm3']);
    const attempts: string[] = [];
    const failedOnce = new Set<string>();
    void consumer.run({
      eachMessage: async ({ message }: EachMessagePayload) => {
        const value = message.value!.toString();
        attempts.push(value);
        if (!failedOnce.has(value)) {
          failedOnce.add(value);
          throw new Error(`first attempt at ${value}`);
        }
      },
    });
    await sim.runUntil(() => crashes(events).length >= 1, { maxMs: 60_000 });
    // Every message failed only once, yet three failures of three different messages were enough.
    expect(attempts).toEqual(['m0', 'm0', 'm1', 'm1', 'm2']);
    const [crash] = crashes(events);
    expect(crash.payload).toEqual({ error: expect.any(KafkaJSNumberOfRetriesExceeded), groupId: 'crashers', restart: true });
    expect((crash.payload.error as Error).message).toBe('first attempt at m2');
    expect((crash.payload.error as KafkaJSNumberOfRetriesExceeded).retryCount).toBe(2);
    // After the restart the position is still m2 (m0, m1 were committed when the handler threw).
    await sim.runUntil(() => attempts.length >= 7, { maxMs: 60_000 });
    expect(attempts.slice(5)).toEqual(['m2', 'm3']);
    await consumer.disconnect();
  });
});

describe('when retries run out, the consumer crashes', () => {
  it('leaves the group, emits consumer.crash with restart: true, and restarts after the error retryTime', async () => {
    const { sim, groupId, consumer, events } = await crashSetup({ retries: 0 });
    await produceValues(sim, 'orders', 0, ['poison-once']);
    const deliveries: Delivery[] = [];
    const error = new Error('💣');
    void consumer.run({
      eachMessage: collectInto(deliveries, () => {
        if (deliveries.length === 1) throw error;
      }),
    });
    await sim.runUntil(() => crashes(events).length >= 1, { maxMs: 30_000 });
    const [crash] = crashes(events);
    expect(crash.payload).toEqual({ error: expect.any(KafkaJSNumberOfRetriesExceeded), groupId, restart: true });
    expect((crash.payload.error as KafkaJSNumberOfRetriesExceeded).cause).toBe(error);
    // It disconnected (and so left the group) before announcing the crash.
    expect(events.map((e) => e.type).slice(-3)).toEqual(['consumer.stop', 'consumer.disconnect', 'consumer.crash']);
    const admin = sim.kafka({ logLevel: 0 }).admin();
    expect((await admin.describeGroups([groupId])).groups[0]).toMatchObject({ state: 'Empty', members: [] });

    const retryTime = (crash.payload.error as KafkaJSNumberOfRetriesExceeded).retryTime;
    expect(retryTime).toBeGreaterThan(0);
    await sim.runUntil(() => after(events, 'consumer.group_join', crash.at).length >= 1, { maxMs: 30_000 });
    const [restarted] = after(events, 'consumer.connect', crash.at);
    expect(restarted.at - crash.at).toBeGreaterThanOrEqual(retryTime);
    expect(restarted.at - crash.at).toBeLessThan(retryTime + 50);
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    expect(deliveries.map((d) => d.value)).toEqual(['poison-once', 'poison-once']);
    await admin.disconnect();
    await consumer.disconnect();
  });

  it('disconnect() while a restart is pending cancels the restart', async () => {
    const { sim, consumer, events } = await crashSetup({ retries: 0, initialRetryTime: 5_000 });
    await produceValues(sim, 'orders', 0, ['poison']);
    void consumer.run({
      eachMessage: async () => {
        throw new Error('💣');
      },
    });
    await sim.runUntil(() => crashes(events).length >= 1, { maxMs: 30_000 });
    const [crash] = crashes(events);
    expect(crash.payload.restart).toBe(true);
    await consumer.disconnect();
    await sim.sleep(60_000);
    expect(after(events, 'consumer.connect', crash.at)).toEqual([]);
    expect(crashes(events)).toHaveLength(1);
  });

  it('restartOnFailure is asked with the KafkaJSNumberOfRetriesExceeded; false keeps the consumer down', async () => {
    const asked: Error[] = [];
    const answers = [true, false];
    const restartOnFailure = async (e: Error) => {
      asked.push(e);
      return answers.shift()!;
    };
    const { sim, consumer, events } = await crashSetup({ retries: 0, initialRetryTime: 10, restartOnFailure });
    await produceValues(sim, 'orders', 0, ['poison']);
    let calls = 0;
    void consumer.run({
      eachMessage: async () => {
        calls++;
        throw new Error('💣');
      },
    });
    await sim.runUntil(() => crashes(events).length >= 2, { maxMs: 30_000 });
    expect(asked).toHaveLength(2);
    expect(asked[0]).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
    expect(asked[0].message).toBe('💣');
    expect(crashes(events).map((c) => c.payload.restart)).toEqual([true, false]);
    const lastCrash = crashes(events)[1].at;
    const callsAtLastCrash = calls;
    await sim.sleep(10_000);
    expect(after(events, 'consumer.connect', lastCrash)).toEqual([]);
    expect(calls).toBe(callsAtLastCrash);
    expect(consumer.paused()).toEqual([]); // the consumer group is gone: run() may be called again
    await consumer.disconnect();
  });

  it('a restartOnFailure that rejects restarts anyway', async () => {
    const { sim, consumer, events } = await crashSetup({
      retries: 0,
      restartOnFailure: async () => {
        throw new Error('callback broke');
      },
    });
    await produceValues(sim, 'orders', 0, ['poison']);
    let calls = 0;
    void consumer.run({
      eachMessage: async () => {
        calls++;
        if (calls === 1) throw new Error('💣');
      },
    });
    await sim.runUntil(() => calls >= 2, { maxMs: 30_000 });
    expect(crashes(events).map((c) => c.payload.restart)).toEqual([true]);
    await consumer.disconnect();
  });

  it('a TypeError is not retried: the consumer crashes at once with restart: false and stays down', async () => {
    const restartOnFailureCalls: Error[] = [];
    const { sim, consumer, events } = await crashSetup({
      retries: 5,
      restartOnFailure: async (e: Error) => {
        restartOnFailureCalls.push(e);
        return true;
      },
    });
    await produceValues(sim, 'orders', 0, ['m0']);
    let calls = 0;
    void consumer.run({
      eachMessage: async () => {
        calls++;
        (undefined as unknown as { boom(): void }).boom();
      },
    });
    await sim.runUntil(() => crashes(events).length >= 1, { maxMs: 30_000 });
    const [crash] = crashes(events);
    expect(crash.payload.restart).toBe(false);
    expect(crash.payload.error).toBeInstanceOf(KafkaJSNonRetriableError);
    expect((crash.payload.error as Error & { cause: Error }).cause).toBeInstanceOf(TypeError);
    expect(restartOnFailureCalls).toEqual([]);
    await sim.sleep(10_000);
    expect(calls).toBe(1);
    expect(after(events, 'consumer.connect', crash.at)).toEqual([]);
    await consumer.disconnect();
  });
});

describe('a failing join crashes the consumer', () => {
  it('with a retriable error: restart: true, and the restarted consumer joins and consumes', async () => {
    const { sim, groupId, consumer, events } = await crashSetup({ retries: 0 });
    sim.network.intercept(ApiKey.JoinGroup, () => ({
      action: 'respond',
      body: { errorCode: 15, generationId: -1, protocolName: '', leader: '', memberId: '', members: [] },
    }));
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    await produceValues(sim, 'orders', 0, ['after-restart']);
    await sim.runUntil(() => deliveries.length >= 1, { maxMs: 30_000 });
    const [crash] = crashes(events);
    expect(crash.payload).toEqual({ error: expect.objectContaining({ type: 'GROUP_COORDINATOR_NOT_AVAILABLE' }), groupId, restart: true });
    expect(deliveries.map((d) => d.value)).toEqual(['after-restart']);
    await consumer.disconnect();
  });

  it('with an error that is not retriable (sessionTimeout above group.max.session.timeout.ms): restart: false', async () => {
    const { sim, groupId, consumer, events } = await crashSetup({ retries: 0 }, { sessionTimeout: 3_600_000 });
    await consumer.run({ eachMessage: async () => undefined });
    await sim.sleep(5_000);
    expect(crashes(events).map((c) => c.payload)).toEqual([
      { error: expect.objectContaining({ type: 'INVALID_SESSION_TIMEOUT', retriable: false }), groupId, restart: false },
    ]);
    expect(ofType(events, 'consumer.group_join')).toEqual([]);
    await consumer.disconnect();
  });

  it('rebalance errors until the join retries run out: KafkaJSNumberOfRetriesExceeded, restart: true', async () => {
    const { sim, groupId, consumer, events } = await crashSetup({ retries: 1 });
    const rebalancing = sim.network.intercept(ApiKey.JoinGroup, () => ({
      action: 'respond',
      body: { errorCode: 27, generationId: -1, protocolName: '', leader: '', memberId: '', members: [] },
    }), { keep: true });
    await consumer.run({ eachMessage: async () => undefined });
    expect(rebalancing.hits).toBe(2);
    rebalancing.remove();
    const [crash] = crashes(events);
    expect(crash.payload).toEqual({ error: expect.any(KafkaJSNumberOfRetriesExceeded), groupId, restart: true });
    // joinAndSync wraps rebalance errors in a plain (retriable) KafkaJSError, which keeps only the message.
    expect((crash.payload.error as Error & { cause: Error }).cause).toMatchObject({
      name: 'KafkaJSError',
      retriable: true,
      message: 'The group is rebalancing, so a rejoin is needed',
    });
    await sim.runUntil(() => ofType(events, 'consumer.group_join').length >= 1, { maxMs: 30_000 });
    await consumer.disconnect();
  });
});
