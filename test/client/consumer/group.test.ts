/**
 * Consumers in a group (the intent of KafkaJS's index.spec.js "should not read duplicate messages during
 * rebalance", describeGroup.spec.js, emptyAssignment.spec.js, assignmentForUnsubscribedTopic.spec.js and
 * rebalanceOnPartitionChange.spec.js): rebalances when a member joins, leaves (LeaveGroup on disconnect)
 * or a subscribed topic grows partitions, without losing or repeating messages, because KafkaJS commits
 * what it resolved before re-joining; describeGroup's shape and states; a member with an empty
 * assignment stays in the group; an assignment for a topic a member did not subscribe to is dropped.
 */
import { describe, expect, it } from 'vitest';
import { AssignerProtocol, logLevel, type Assigner, type LogEntry, type PartitionAssigner } from '../../../src/index.ts';
import {
  collectInto,
  consumerOf,
  loggedConsumerOf,
  ofType,
  produceValues,
  quiet,
  range,
  recordEvents,
  startCluster,
  type Delivery,
  type SimCluster,
} from './support.ts';

interface Tagged extends Delivery {
  member: string;
}

function member(sim: SimCluster, name: string, deliveries: Tagged[], options: { groupId: string; processMs: number; topic: string }) {
  const consumer = consumerOf(sim, { groupId: options.groupId, heartbeatInterval: 100, maxWaitTimeInMs: 100, sessionTimeout: 10_000 });
  const events = recordEvents(sim, consumer, [consumer.events.GROUP_JOIN, consumer.events.REBALANCING]);
  const start = async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        await sim.sleep(options.processMs);
        deliveries.push({ member: name, topic, partition, offset: message.offset, value: message.value!.toString() });
      },
    });
  };
  return { consumer, events, start };
}

const ids = (deliveries: Delivery[]) => deliveries.map((d) => `${d.partition}@${d.offset}`);

describe('rebalancing', () => {
  it('KafkaJS "should not read duplicate messages during rebalance": a second member joins mid-batch, 10 messages read once', async () => {
    const sim = startCluster({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    for (const partition of [0, 1]) await produceValues(sim, 'orders', partition, range(5, `p${partition}-`));
    const deliveries: Tagged[] = [];
    const first = member(sim, 'first', deliveries, { groupId: 'no-dups', processMs: 100, topic: 'orders' });
    const batches = recordEvents(sim, first.consumer, [first.consumer.events.START_BATCH_PROCESS]);
    await first.start();
    await sim.runUntil(() => batches.length >= 1, { maxMs: 30_000 });
    const second = member(sim, 'second', deliveries, { groupId: 'no-dups', processMs: 100, topic: 'orders' });
    await second.start();
    await sim.runUntil(() => deliveries.length >= 10, { maxMs: 60_000 });
    await sim.sleep(500);
    expect(deliveries).toHaveLength(10);
    expect(new Set(ids(deliveries)).size).toBe(10);
    // A rebalance really happened while the first member was busy, and both members got partitions.
    expect(ofType(first.events, 'consumer.rebalancing').length).toBeGreaterThanOrEqual(1);
    expect(new Set(deliveries.map((d) => d.member))).toEqual(new Set(['first', 'second']));
    await first.consumer.disconnect();
    await second.consumer.disconnect();
  });

  it('two members; a third joins, then one leaves: every message read exactly once', async () => {
    const partitions = 6;
    const sim = startCluster({ topics: [{ topic: 'work', numPartitions: partitions }] });
    const deliveries: Tagged[] = [];
    const produced: string[] = [];
    let round = 0;
    const produceRound = async () => {
      for (let p = 0; p < partitions; p++) {
        const base = await produceValues(sim, 'work', p, range(5, `r${round}-p${p}-`));
        for (let i = 0; i < 5; i++) produced.push(`${p}@${base + BigInt(i)}`);
      }
      round++;
    };
    const options = { groupId: 'workers', processMs: 20, topic: 'work' };
    const a = member(sim, 'a', deliveries, options);
    const b = member(sim, 'b', deliveries, options);
    const c = member(sim, 'c', deliveries, options);
    await produceRound();
    await a.start();
    await b.start();
    await produceRound();
    await sim.sleep(300);
    await c.start(); // a and b learn of the rebalance at their next heartbeat, mid-batch
    await produceRound();
    await sim.sleep(300);
    const leftAt = sim.now();
    await a.consumer.disconnect(); // LeaveGroup: b and c rebalance again
    await produceRound();
    await sim.runUntil(() => deliveries.length >= produced.length, { maxMs: 120_000 });
    await sim.sleep(2_000);

    expect(new Set(ids(deliveries))).toEqual(new Set(produced));
    expect(ids(deliveries)).toHaveLength(produced.length);
    // Each of those moments was a real rebalance of the running members.
    expect(ofType(a.events, 'consumer.rebalancing').length).toBeGreaterThanOrEqual(1);
    expect(ofType(b.events, 'consumer.rebalancing').length).toBeGreaterThanOrEqual(2);
    const lastJoins = [b, c].map((m) => ofType(m.events, 'consumer.group_join').at(-1)!.payload.memberAssignment as Record<string, number[]>);
    expect(lastJoins.flatMap((assignment) => assignment.work).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const assignment of lastJoins) expect(assignment.work).toHaveLength(3);
    // The survivors re-joined at once (LeaveGroup), not after a's session timed out (10 s).
    for (const m of [b, c]) expect(ofType(m.events, 'consumer.group_join').at(-1)!.at - leftAt).toBeLessThan(2_000);
    await b.consumer.disconnect();
    await c.consumer.disconnect();
  });

  it('a subscribed topic that grows partitions makes the members re-join and read the new partitions', async () => {
    const sim = startCluster({ topics: ['growing'] });
    const logs: LogEntry[] = [];
    const deliveries: Delivery[] = [];
    const make = (metadataMaxAge: number) =>
      loggedConsumerOf(sim, { groupId: 'growers', heartbeatInterval: 100, maxWaitTimeInMs: 100, metadataMaxAge }, logs, logLevel.WARN);
    const first = make(50);
    const second = make(3_000);
    const joins = [recordEvents(sim, first, [first.events.GROUP_JOIN]), recordEvents(sim, second, [second.events.GROUP_JOIN])];
    for (const consumer of [first, second]) {
      await consumer.connect();
      await consumer.subscribe({ topics: ['growing'], fromBeginning: true });
      await consumer.run({ eachMessage: collectInto(deliveries) });
    }
    await produceValues(sim, 'growing', 0, ['before-0', 'before-1']);
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });

    const admin = sim.kafka(quiet).admin();
    await admin.connect();
    await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 4 }] });
    await admin.disconnect();
    for (const partition of [1, 2, 3]) await produceValues(sim, 'growing', partition, [`new-${partition}`]);
    await sim.runUntil(() => deliveries.length >= 5, { maxMs: 60_000 });
    await sim.sleep(1_000);

    expect(deliveries.map((d) => d.value).sort()).toEqual(['before-0', 'before-1', 'new-1', 'new-2', 'new-3']);
    expect(logs.some((l) => l.log.message === 'Topic has been updated, resync group')).toBe(true);
    const assigned = joins.flatMap((events) => (events.at(-1)!.payload.memberAssignment as Record<string, number[]>).growing ?? []);
    expect(assigned.sort()).toEqual([0, 1, 2, 3]);
    await first.disconnect();
    await second.disconnect();
  });
});

describe('consumer.describeGroup', () => {
  it('describes a running group as KafkaJS returns it', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const consumer = consumerOf(sim, { groupId: 'described' }, { clientId: 'describer' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    const description = await consumer.describeGroup();
    expect(description).toEqual({
      errorCode: 0,
      groupId: 'described',
      members: [
        {
          clientHost: expect.any(String),
          clientId: 'describer',
          memberId: expect.stringMatching(/^describer-/),
          memberAssignment: expect.any(Buffer),
          memberMetadata: expect.any(Buffer),
        },
      ],
      protocol: 'RoundRobinAssigner',
      protocolType: 'consumer',
      state: 'Stable',
    });
    expect(AssignerProtocol.MemberAssignment.decode(description.members[0].memberAssignment)).toMatchObject({ assignment: { orders: [0] } });
    expect(AssignerProtocol.MemberMetadata.decode(description.members[0].memberMetadata)).toMatchObject({ topics: ['orders'] });
    await consumer.disconnect();
  });

  it('moves through PreparingRebalance while a busy member has not re-joined, then Stable, then Empty', async () => {
    const sim = startCluster({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    await produceValues(sim, 'orders', 0, ['slow']);
    const options = { groupId: 'states', heartbeatInterval: 100, maxWaitTimeInMs: 100, sessionTimeout: 30_000 };
    const busy = consumerOf(sim, options);
    await busy.connect();
    await busy.subscribe({ topics: ['orders'], fromBeginning: true });
    let started = false;
    await busy.run({
      eachMessage: async () => {
        started = true;
        await sim.sleep(5_000); // no heartbeat, so no news of the rebalance, for five seconds
      },
    });
    await sim.runUntil(() => started, { maxMs: 30_000 });
    const joiner = consumerOf(sim, options);
    await joiner.connect();
    await joiner.subscribe({ topics: ['orders'], fromBeginning: true });
    const joined = joiner.run({ eachMessage: async () => undefined });
    await sim.sleep(1_000);
    expect((await busy.describeGroup()).state).toBe('PreparingRebalance');
    await joined;
    const stable = await busy.describeGroup();
    expect(stable.state).toBe('Stable');
    expect(stable.members).toHaveLength(2);
    await joiner.disconnect();
    await busy.disconnect();
    const after = await consumerOf(sim, { groupId: 'states' }).describeGroup();
    expect(after).toMatchObject({ state: 'Empty', members: [] });
  });

  it('a group nobody joined is Dead', async () => {
    const sim = startCluster();
    expect(await consumerOf(sim, { groupId: 'nobody' }).describeGroup()).toMatchObject({ errorCode: 0, groupId: 'nobody', state: 'Dead', members: [] });
  });
});

/** KafkaJS's emptyAssignment spec assigner: every partition to the first member (by sorted member id). */
const UnbalancedAssigner: PartitionAssigner = ({ cluster }) => {
  const assigner: Assigner = {
    name: 'UnbalancedAssigner',
    version: 1,
    async assign({ members, topics }) {
      const [firstMember] = members.map(({ memberId }) => memberId).sort();
      const assignment = Object.fromEntries(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId)]));
      return [{ memberId: firstMember, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }) }];
    },
    protocol({ topics }) {
      return { name: 'UnbalancedAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
    },
  };
  return assigner;
};

describe('assignments', () => {
  it('a member with an empty assignment stays in the group, fetching nothing and heartbeating', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const consumers = [0, 1].map(() =>
      consumerOf(sim, { groupId: 'unbalanced', maxWaitTimeInMs: 100, heartbeatInterval: 1_000, sessionTimeout: 10_000, partitionAssigners: [UnbalancedAssigner] }),
    );
    const events = consumers.map((c) => recordEvents(sim, c, [c.events.GROUP_JOIN, c.events.FETCH, c.events.HEARTBEAT]));
    await Promise.all(consumers.map((c) => c.connect()));
    await Promise.all(consumers.map((c) => c.subscribe({ topics: ['orders'] })));
    await Promise.all(consumers.map((c) => c.run({ eachMessage: async () => undefined })));
    await sim.runUntil(() => events.every((e) => ofType(e, 'consumer.group_join').length >= 1), { maxMs: 30_000 });
    await sim.sleep(30_000); // three session timeouts
    const lastAssignments = events.map((e) => ofType(e, 'consumer.group_join').at(-1)!.payload.memberAssignment);
    expect(lastAssignments.filter((a) => Object.keys(a as object).length === 0)).toHaveLength(1);
    for (const e of events) {
      expect(ofType(e, 'consumer.fetch').filter((f) => f.at > 25_000).length).toBeGreaterThan(0);
      expect(ofType(e, 'consumer.heartbeat').filter((h) => h.at > 25_000).length).toBeGreaterThan(0);
    }
    const description = await consumers[0].describeGroup();
    expect(description).toMatchObject({ state: 'Stable', protocol: 'UnbalancedAssigner' });
    expect(description.members).toHaveLength(2);
    await Promise.all(consumers.map((c) => c.disconnect()));
  });

  it('an assignment for a topic the member did not subscribe to is dropped from its assignment', async () => {
    const sim = startCluster({ topics: [{ topic: 'x', numPartitions: 2 }, { topic: 'y', numPartitions: 2 }] });
    const options = { groupId: 'mixed', heartbeatInterval: 100, maxWaitTimeInMs: 100, rebalanceTimeout: 1_000 };
    const first = consumerOf(sim, options);
    await first.connect();
    await first.subscribe({ topics: ['x', 'y'], fromBeginning: true });
    await first.run({ eachMessage: async () => undefined });
    const second = consumerOf(sim, { ...options, maxWaitTimeInMs: 1_000 });
    const events = recordEvents(sim, second, [second.events.GROUP_JOIN, second.events.RECEIVED_UNSUBSCRIBED_TOPICS]);
    await second.connect();
    await second.subscribe({ topics: ['x'], fromBeginning: true });
    await second.run({ eachMessage: async () => undefined });
    const [join] = ofType(events, 'consumer.group_join');
    expect(Object.keys(join.payload.memberAssignment as object)).toEqual(['x']);
    expect(ofType(events, 'consumer.received_unsubscribed_topics')[0].payload.topicsNotSubscribed).toEqual(['y']);
    await second.disconnect();
    await first.disconnect();
  });

  it('members replaced by ones subscribed to more topics are assigned all of them', async () => {
    const sim = startCluster({ topics: [{ topic: 'x', numPartitions: 2 }, { topic: 'y', numPartitions: 2 }] });
    const options = { groupId: 'growing-subscription', heartbeatInterval: 100, maxWaitTimeInMs: 100, rebalanceTimeout: 1_000 };
    const joinsOf = async (topics: string[]) => {
      const consumers = [consumerOf(sim, options), consumerOf(sim, options)];
      const events = consumers.map((c) => recordEvents(sim, c, [c.events.GROUP_JOIN]));
      for (const c of consumers) {
        await c.connect();
        await c.subscribe({ topics });
      }
      await Promise.all(consumers.map((c) => c.run({ eachMessage: async () => undefined })));
      await sim.runUntil(() => events.every((e) => e.length >= 1), { maxMs: 30_000 });
      await sim.sleep(2_000); // the first member's re-join after the second one joined
      return { consumers, assignments: events.map((e) => Object.keys(e.at(-1)!.payload.memberAssignment as object)) };
    };
    const before = await joinsOf(['x']);
    expect(before.assignments).toEqual([['x'], ['x']]);
    for (const c of before.consumers) await c.disconnect();
    const after = await joinsOf(['x', 'y']);
    expect(after.assignments).toEqual([['x', 'y'], ['x', 'y']]);
    for (const c of after.consumers) await c.disconnect();
  });
});

describe('several brokers', () => {
  it('one fetcher per broker, order kept per partition; the coordinator shutting down loses and repeats nothing', async () => {
    const sim = startCluster({ brokers: 3, topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 3 }] });
    await sim.sleep(1_000);
    const consumer = consumerOf(sim, { groupId: 'spread', heartbeatInterval: 500, maxWaitTimeInMs: 200, metadataMaxAge: 1_000 });
    const fetchStarts = recordEvents(sim, consumer, [consumer.events.FETCH_START]);
    const crashes = recordEvents(sim, consumer, [consumer.events.CRASH]);
    await consumer.connect();
    await consumer.subscribe({ topics: ['spread'], fromBeginning: true });
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    const produced: string[] = [];
    const produceRound = async (round: number) => {
      for (let p = 0; p < 6; p++) {
        const base = await produceValues(sim, 'spread', p, range(5, `r${round}-p${p}-`));
        for (let i = 0; i < 5; i++) produced.push(`${p}@${base + BigInt(i)}`);
      }
    };
    await produceRound(0);
    await sim.runUntil(() => deliveries.length >= 30, { maxMs: 30_000 });
    expect(new Set(fetchStarts.map((e) => e.payload.nodeId))).toEqual(new Set(['1', '2', '3']));
    await sim.sleep(500); // the last batch's commit (a commit lost with its coordinator would be re-read: at-least-once)

    // Broker 2 is the group coordinator as well as a partition leader: the member's heartbeats fail until
    // its retries run out, it crashes, restarts, finds the new coordinator, and waits there until the
    // session of its old member id (which could not leave) times out.
    sim.shutdownBroker(2);
    await sim.sleep(5_000);
    await produceRound(1);
    await sim.runUntil(() => deliveries.length >= produced.length, { maxMs: 120_000 });
    await sim.sleep(2_000);
    expect(new Set(ids(deliveries))).toEqual(new Set(produced));
    for (let p = 0; p < 6; p++) {
      const offsets = deliveries.filter((d) => d.partition === p).map((d) => Number(d.offset));
      expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    }
    expect(ids(deliveries)).toHaveLength(produced.length);
    expect(crashes.map((c) => c.payload.restart)).toEqual([true]);
    const recentNodes = new Set(fetchStarts.filter((e) => e.at > sim.now() - 1_000).map((e) => e.payload.nodeId));
    expect(recentNodes).toEqual(new Set(['1', '3']));
    await consumer.disconnect();
  });
});
