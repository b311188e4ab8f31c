/**
 * The instrumentation event types of `on()` against KafkaJS 2.2.4's `types/index.d.ts`. TypeScript written
 * for KafkaJS (one listener per event, the parameter's type picked by the event name's overload) must
 * compile against kafkasim unchanged: `npm run typecheck` compiles this file, so a loose overload (a payload
 * of `unknown`) fails the build. The same listeners then run against an in-process cluster, so a payload
 * whose runtime shape is not the declared one fails here too. Exported names are compared with kafkajs's
 * index.d.ts read as text, and every type with kafkajs's own declaration through `expectTypeOf`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as KafkaJS from 'kafkajs';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  logLevel,
  type Admin,
  type Consumer,
  type ConsumerStartBatchProcessEvent,
  type Producer,
  type RequestEvent,
  type RequestQueueSizeEvent,
  type RequestTimeoutEvent,
} from '../../src/index.ts';
import type * as Ours from '../../src/index.ts';
import { startCluster } from './support.ts';

/**
 * What a KafkaJS user writes: every event of the three clients, every payload field read through the type
 * its overload gives (numbers as numbers, arrays as arrays), one line per event in `log`. Fields whose
 * runtime value KafkaJS itself sends with another type than it declares (`id`, fetch `nodeId`, commit
 * `partition`, the `undefined` payload of connect) are only printed, as code that works on both must.
 */
function listenLikeAKafkaJSUser(clients: { consumer: Consumer; producer: Producer; admin: Admin }, log: string[]): void {
  const { consumer, producer, admin } = clients;
  const { events } = consumer;

  consumer.on(events.HEARTBEAT, ({ type, payload }) => {
    log.push(`${type} ${payload.groupId} member=${payload.memberId.length > 0} generation ${payload.groupGenerationId.toFixed(0)}`);
  });
  consumer.on(events.COMMIT_OFFSETS, ({ type, payload }) => {
    const offsets = payload.topics.flatMap(({ topic, partitions }) => partitions.map(({ partition, offset }) => `${topic}/${partition}@${offset}`));
    log.push(`${type} ${payload.groupId} member=${payload.memberId.length > 0} generation ${payload.groupGenerationId.toFixed(0)} ${offsets.join(',')}`);
  });
  consumer.on(events.GROUP_JOIN, ({ type, payload }) => {
    const assigned = Object.entries(payload.memberAssignment).map(([topic, partitions]) => `${topic}:${partitions.map((p) => p.toFixed(0)).join(',')}`);
    const role = payload.isLeader && payload.leaderId === payload.memberId ? 'leader' : 'follower';
    log.push(`${type} ${payload.groupId} ${role} ${payload.groupProtocol} ${assigned.join(' ')} timed=${payload.duration >= 0}`);
  });
  consumer.on(events.FETCH_START, ({ type, payload }) => log.push(`${type} node ${payload.nodeId}`));
  consumer.on(events.FETCH, ({ type, payload }) => {
    log.push(`${type} node ${payload.nodeId} batches ${payload.numberOfBatches.toFixed(0)} timed=${payload.duration >= 0}`);
  });
  const batch = (p: ConsumerStartBatchProcessEvent['payload']): string =>
    `${p.topic}/${p.partition.toFixed(0)} ${p.firstOffset}..${p.lastOffset} size ${p.batchSize.toFixed(0)} hw ${BigInt(p.highWatermark)} lag ${BigInt(p.offsetLag)}/${BigInt(p.offsetLagLow)}`;
  consumer.on(events.START_BATCH_PROCESS, ({ type, payload }) => log.push(`${type} ${batch(payload)}`));
  consumer.on(events.END_BATCH_PROCESS, ({ type, payload }) => log.push(`${type} ${batch(payload)} timed=${payload.duration >= 0}`));
  consumer.on(events.CONNECT, ({ type }) => log.push(type));
  consumer.on(events.DISCONNECT, ({ type }) => log.push(type));
  consumer.on(events.STOP, ({ type }) => log.push(type));
  consumer.on(events.CRASH, ({ type, payload }) => {
    log.push(`${type} ${payload.groupId} ${payload.error.name}: ${payload.error.message} restart=${payload.restart}`);
  });
  consumer.on(events.REBALANCING, ({ type, payload }) => log.push(`${type} ${payload.groupId} member=${payload.memberId.length > 0}`));
  consumer.on(events.RECEIVED_UNSUBSCRIBED_TOPICS, ({ type, payload }) => {
    const { groupId, generationId, memberId, assignedTopics, topicsSubscribed, topicsNotSubscribed } = payload;
    log.push(
      `${type} ${groupId} generation ${generationId.toFixed(0)} member=${memberId.length > 0} ` +
        `assigned ${assignedTopics.join(',')} subscribed ${topicsSubscribed.join(',')} not ${topicsNotSubscribed.join(',')}`,
    );
  });

  // Listeners annotated with the exported event types, shared by the three clients.
  const onRequest = ({ type, payload: p }: RequestEvent): void => {
    const consistent = p.sentAt - p.createdAt === p.pendingDuration && p.duration >= 0 && p.size >= 0 && p.correlationId >= 0;
    log.push(`${type} ${p.apiName} key ${p.apiKey.toFixed(0)} v${p.apiVersion.toFixed(0)} ${p.clientId} to ${p.broker.split(':')[0]} consistent=${consistent}`);
  };
  const onRequestTimeout = ({ type, payload: p }: RequestTimeoutEvent): void => {
    const consistent = p.sentAt - p.createdAt === p.pendingDuration && p.correlationId >= 0;
    log.push(`${type} ${p.apiName} key ${p.apiKey.toFixed(0)} v${p.apiVersion.toFixed(0)} ${p.clientId} to ${p.broker.split(':')[0]} consistent=${consistent}`);
  };
  const onRequestQueueSize = ({ type, payload }: RequestQueueSizeEvent): void => {
    log.push(`${type} ${payload.clientId} to ${payload.broker.split(':')[0]} queue ${payload.queueSize.toFixed(0)}`);
  };
  consumer.on(events.REQUEST, onRequest);
  consumer.on(events.REQUEST_TIMEOUT, onRequestTimeout);
  consumer.on(events.REQUEST_QUEUE_SIZE, onRequestQueueSize);

  producer.on(producer.events.CONNECT, ({ type }) => log.push(type));
  producer.on(producer.events.DISCONNECT, ({ type }) => log.push(type));
  producer.on(producer.events.REQUEST, onRequest);
  producer.on(producer.events.REQUEST_TIMEOUT, onRequestTimeout);
  producer.on(producer.events.REQUEST_QUEUE_SIZE, onRequestQueueSize);

  admin.on(admin.events.CONNECT, ({ type }) => log.push(type));
  admin.on(admin.events.DISCONNECT, ({ type }) => log.push(type));
  admin.on(admin.events.REQUEST, onRequest);
  admin.on(admin.events.REQUEST_TIMEOUT, onRequestTimeout);
  admin.on(admin.events.REQUEST_QUEUE_SIZE, onRequestQueueSize);
}

/** What the types must refuse, as KafkaJS's do; never called, only compiled. */
function misuses(consumer: Consumer, producer: Producer): void {
  // @ts-expect-error not an event name
  consumer.on('consumer.nope', () => undefined);
  // @ts-expect-error a consumer event is not a producer event
  producer.on(consumer.events.GROUP_JOIN, () => undefined);
  // @ts-expect-error a group join carries no node id
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => payload.nodeId);
  // @ts-expect-error memberAssignment maps topics to partition numbers, not strings
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => payload.memberAssignment.orders.map((p) => p.toUpperCase()));
}
void misuses;

describe('event types', () => {
  it('every event type and every on() overload is the one kafkajs declares (checked by tsc)', () => {
    expectTypeOf<Ours.InstrumentationEvent<{ a: number }>>().toEqualTypeOf<KafkaJS.InstrumentationEvent<{ a: number }>>();
    expectTypeOf<Ours.RemoveInstrumentationEventListener<'x'>>().toEqualTypeOf<KafkaJS.RemoveInstrumentationEventListener<'x'>>();
    expectTypeOf<Ours.ConnectEvent>().toEqualTypeOf<KafkaJS.ConnectEvent>();
    expectTypeOf<Ours.DisconnectEvent>().toEqualTypeOf<KafkaJS.DisconnectEvent>();
    expectTypeOf<Ours.RequestEvent>().toEqualTypeOf<KafkaJS.RequestEvent>();
    expectTypeOf<Ours.RequestTimeoutEvent>().toEqualTypeOf<KafkaJS.RequestTimeoutEvent>();
    expectTypeOf<Ours.RequestQueueSizeEvent>().toEqualTypeOf<KafkaJS.RequestQueueSizeEvent>();
    expectTypeOf<Ours.ConsumerHeartbeatEvent>().toEqualTypeOf<KafkaJS.ConsumerHeartbeatEvent>();
    expectTypeOf<Ours.ConsumerCommitOffsetsEvent>().toEqualTypeOf<KafkaJS.ConsumerCommitOffsetsEvent>();
    expectTypeOf<Ours.IMemberAssignment>().toEqualTypeOf<KafkaJS.IMemberAssignment>();
    expectTypeOf<Ours.ConsumerGroupJoinEvent>().toEqualTypeOf<KafkaJS.ConsumerGroupJoinEvent>();
    expectTypeOf<Ours.ConsumerFetchStartEvent>().toEqualTypeOf<KafkaJS.ConsumerFetchStartEvent>();
    expectTypeOf<Ours.ConsumerFetchEvent>().toEqualTypeOf<KafkaJS.ConsumerFetchEvent>();
    expectTypeOf<Ours.ConsumerStartBatchProcessEvent>().toEqualTypeOf<KafkaJS.ConsumerStartBatchProcessEvent>();
    expectTypeOf<Ours.ConsumerEndBatchProcessEvent>().toEqualTypeOf<KafkaJS.ConsumerEndBatchProcessEvent>();
    expectTypeOf<Ours.ConsumerCrashEvent>().toEqualTypeOf<KafkaJS.ConsumerCrashEvent>();
    expectTypeOf<Ours.ConsumerRebalancingEvent>().toEqualTypeOf<KafkaJS.ConsumerRebalancingEvent>();
    expectTypeOf<Ours.ConsumerReceivedUnsubcribedTopicsEvent>().toEqualTypeOf<KafkaJS.ConsumerReceivedUnsubcribedTopicsEvent>();
    // Mutable in KafkaJS's declaration, `as const` in ours; the names are what must agree.
    expectTypeOf<Ours.ConsumerEvents>().toEqualTypeOf<Readonly<KafkaJS.ConsumerEvents>>();
    expectTypeOf<Ours.ProducerEvents>().toEqualTypeOf<KafkaJS.ProducerEvents>();
    expectTypeOf<Ours.AdminEvents>().toEqualTypeOf<KafkaJS.AdminEvents>();
    // The whole overload list, order included: the listener type a user's code gets is kafkajs's.
    expectTypeOf<Consumer['on']>().toEqualTypeOf<KafkaJS.Consumer['on']>();
    expectTypeOf<Producer['on']>().toEqualTypeOf<KafkaJS.Producer['on']>();
    expectTypeOf<Admin['on']>().toEqualTypeOf<KafkaJS.Admin['on']>();
  });

  it('exports under kafkajs names exactly the event types kafkajs exports (index.d.ts read as text)', () => {
    const isEventType = (name: string): boolean => /Event(s|Listener)?$/.test(name) || name === 'IMemberAssignment';
    const require = createRequire(import.meta.url);
    const dts = readFileSync(join(dirname(require.resolve('kafkajs/package.json')), 'types', 'index.d.ts'), 'utf8');
    const theirs = [...dts.matchAll(/^export (?:type|interface) (\w+)/gm)].map((m) => m[1]).filter(isEventType);

    const indexPath = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
    const index = ts.createSourceFile(indexPath, readFileSync(indexPath, 'utf8'), ts.ScriptTarget.Latest, true);
    const ours = index.statements
      .filter(ts.isExportDeclaration)
      .flatMap((d) => (d.exportClause !== undefined && ts.isNamedExports(d.exportClause) ? d.exportClause.elements.map((e) => e.name.text) : []))
      .filter(isEventType);

    expect(theirs.length).toBeGreaterThan(20);
    expect([...ours].sort()).toEqual([...theirs].sort());
  });
});

describe('listeners typed as in kafkajs run against an in-process cluster', () => {
  it('admin, producer and consumer listeners read every field of the events a produce-and-consume round fires', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const kafka = sim.kafka({ clientId: 'shop', logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'billing', heartbeatInterval: 100, maxWaitTimeInMs: 100 });
    const producer = kafka.producer();
    const admin = kafka.admin();
    const log: string[] = [];
    listenLikeAKafkaJSUser({ consumer, producer, admin }, log);

    await admin.connect();
    expect(await admin.listTopics()).toEqual(['orders']);
    await admin.disconnect();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value: 'one' }] });
    await producer.disconnect();

    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    const fired = (prefix: string) => log.some((line) => line.startsWith(prefix));
    await sim.runUntil(() => fired('consumer.commit_offsets') && fired('consumer.heartbeat'), { maxMs: 30_000 });
    await consumer.disconnect();
    await sim.runUntil(() => fired('consumer.disconnect'), { maxMs: 1_000 });

    expect(log).toEqual(
      expect.arrayContaining([
        'admin.connect',
        'admin.network.request Metadata key 3 v6 shop to localhost consistent=true',
        'admin.disconnect',
        'producer.connect',
        expect.stringMatching(/^producer\.network\.request Produce key 0 v\d+ shop to localhost consistent=true$/),
        'producer.disconnect',
        'consumer.connect',
        'consumer.group_join billing leader RoundRobinAssigner orders:0 timed=true',
        expect.stringMatching(/^consumer\.fetch_start node \d+$/),
        expect.stringMatching(/^consumer\.fetch node \d+ batches 0 timed=true$/),
        'consumer.start_batch_process orders/0 0..0 size 1 hw 1 lag 0/0',
        'consumer.end_batch_process orders/0 0..0 size 1 hw 1 lag 0/0 timed=true',
        expect.stringMatching(/^consumer\.commit_offsets billing member=true generation \d+ orders\/0@1$/),
        expect.stringMatching(/^consumer\.heartbeat billing member=true generation \d+$/),
        'consumer.stop',
        'consumer.disconnect',
      ]),
    );
    const requests = log.filter((line) => /^\w+\.network\.request /.test(line));
    expect(requests.length).toBeGreaterThan(5);
    for (const line of requests) expect(line).toMatch(/ consistent=true$/);
  });

  it('a crash listener reads the error, the group and the restart decision', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const kafka = sim.kafka({ logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'billing', maxWaitTimeInMs: 100, retry: { retries: 0 } });
    const producer = kafka.producer();
    const log: string[] = [];
    listenLikeAKafkaJSUser({ consumer, producer, admin: kafka.admin() }, log);
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value: 'poison' }] });

    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    let thrown = false;
    await consumer.run({
      eachMessage: async () => {
        if (thrown) return;
        thrown = true;
        throw new Error('cannot bill');
      },
    });
    await sim.runUntil(() => log.some((line) => line.startsWith('consumer.crash')), { maxMs: 30_000 });
    expect(log).toContain('consumer.crash billing KafkaJSNumberOfRetriesExceeded: cannot bill restart=true');
    await consumer.disconnect();
    await producer.disconnect();
  });
});
