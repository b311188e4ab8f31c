/**
 * AssignerProtocol and the round-robin assigner against KafkaJS 2.2.4's own (loaded from node_modules):
 * byte-identical encodings, cross decoding, identical assignments. The range assigner (ours only) is checked
 * against Kafka's RangeAssignor rules.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  AssignerProtocol,
  PartitionAssigners,
  rangeAssigner,
  roundRobinAssigner,
  type Assignment,
  type AssignerCluster,
  type GroupMember,
  type ISerializer,
  type MemberAssignment,
  type MemberMetadata,
} from '../../src/client/assigners.ts';
import type { PartitionMetadata } from '../../src/client/partitioners.ts';
import {
  ConsumerProtocolAssignmentSchema,
  ConsumerProtocolSubscriptionSchema,
  Writer,
  encodeMessage,
} from '../../src/protocol/index.ts';
import { SeededPrng } from '../../src/runtime/prng.ts';
import type { Prng } from '../../src/runtime/runtime.ts';

const require = createRequire(import.meta.url);

type KafkaJSAssigner = {
  name: string;
  version: number;
  assign(group: { members: GroupMember[]; topics: string[] }): Promise<Array<{ memberId: string; memberAssignment: Buffer }>>;
  protocol(subscription: { topics: string[] }): { name: string; metadata: Buffer };
};
const kafkajs = require('kafkajs') as {
  AssignerProtocol: { MemberMetadata: ISerializer<MemberMetadata>; MemberAssignment: ISerializer<MemberAssignment> };
  PartitionAssigners: Record<string, (config: { cluster: AssignerCluster }) => KafkaJSAssigner>;
};

const CONFIG_EXTRAS = { groupId: 'group', logger: null };

function randomString(random: Prng, maxLength = 20): string {
  const length = random.chance(0.05) ? 0 : random.range(1, maxLength);
  let text = '';
  while (text.length < length) {
    const roll = random.int(4);
    if (roll === 0) text += String.fromCharCode(random.range(0x80, 0x7ff));
    else if (roll === 1) text += String.fromCodePoint(random.range(0x1f300, 0x1f64f));
    else text += 'abcdefghijklmnopqrstuvwxyz0123456789._-'[random.int(39)];
  }
  return text;
}

function randomTopicName(random: Prng): string {
  const roll = random.int(10);
  if (roll === 0) return String(random.int(1000)); // integer-like: Object.keys puts these first
  if (roll === 1) return random.pick(['__proto__x', 'constructor', 'toString', 'a.b-c_d']);
  return randomString(random);
}

function randomBytes(random: Prng, maxLength = 40): Buffer {
  const bytes = Buffer.alloc(random.int(maxLength + 1));
  for (let i = 0; i < bytes.length; i++) bytes[i] = random.int(256);
  return bytes;
}

function randomVersion(random: Prng): number {
  return random.chance(0.5) ? random.int(4) : random.range(-32768, 32767);
}

function randomMetadata(random: Prng): MemberMetadata {
  const topics = Array.from({ length: random.int(8) }, () => randomTopicName(random));
  const metadata: Partial<MemberMetadata> = { version: randomVersion(random), topics };
  if (!random.chance(0.2)) metadata.userData = randomBytes(random);
  return metadata as MemberMetadata;
}

function randomAssignmentMessage(random: Prng): MemberAssignment {
  const assignment: Assignment = {};
  const topicCount = random.int(8);
  for (let i = 0; i < topicCount; i++) {
    assignment[randomTopicName(random)] = Array.from({ length: random.int(10) }, () => (random.chance(0.9) ? random.int(1000) : random.range(-2147483648, 2147483647)));
  }
  const message: Partial<MemberAssignment> = { version: randomVersion(random), assignment };
  if (!random.chance(0.2)) message.userData = randomBytes(random);
  return message as MemberAssignment;
}

function outcome<T>(run: () => T): { value: T } | { error: string } {
  try {
    return { value: run() };
  } catch (error) {
    return { error: (error as Error).constructor.name };
  }
}

describe('AssignerProtocol.MemberMetadata', () => {
  it('encodes 3 000 random subscriptions to the same bytes as KafkaJS, and each side decodes the other', () => {
    const random = new SeededPrng(11);
    for (let i = 0; i < 3_000; i++) {
      const input = randomMetadata(random);
      const ours = AssignerProtocol.MemberMetadata.encode(input);
      const theirs = kafkajs.AssignerProtocol.MemberMetadata.encode(input);
      expect(ours.equals(theirs), JSON.stringify(input)).toBe(true);
      const decodedByUs = AssignerProtocol.MemberMetadata.decode(theirs);
      expect(decodedByUs).toEqual(kafkajs.AssignerProtocol.MemberMetadata.decode(ours));
      expect(decodedByUs).toEqual({ version: input.version, topics: input.topics, userData: input.userData ?? Buffer.alloc(0) });
    }
  });

  it('null userData and odd array elements are written as KafkaJS writes them', () => {
    const odd = [
      { version: 0, topics: ['a'], userData: null },
      { version: 1, topics: ['a', 7, undefined, true, 'b'], userData: 'text userData ñ' },
      { version: 0, topics: [], userData: Buffer.alloc(0) },
    ] as unknown as MemberMetadata[];
    for (const input of odd) {
      const ours = AssignerProtocol.MemberMetadata.encode(input);
      expect(ours.equals(kafkajs.AssignerProtocol.MemberMetadata.encode(input))).toBe(true);
    }
    expect(outcome(() => AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [null], userData: Buffer.alloc(0) } as unknown as MemberMetadata))).toEqual(
      outcome(() => kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [null], userData: Buffer.alloc(0) } as unknown as MemberMetadata)),
    );
  });

  it('decodes empty, truncated and over-long buffers exactly like KafkaJS (including its errors)', () => {
    const random = new SeededPrng(12);
    for (let i = 0; i < 500; i++) {
      const full = kafkajs.AssignerProtocol.MemberMetadata.encode(randomMetadata(random));
      const cut = random.chance(0.5) ? full.subarray(0, random.int(full.length + 1)) : Buffer.concat([full, randomBytes(random, 8)]);
      expect(outcome(() => AssignerProtocol.MemberMetadata.decode(cut))).toEqual(outcome(() => kafkajs.AssignerProtocol.MemberMetadata.decode(cut)));
    }
    expect(outcome(() => AssignerProtocol.MemberMetadata.decode(Buffer.alloc(0)))).toEqual({ error: 'RangeError' });
  });

  it('for version 0 the bytes are Kafka ConsumerProtocolSubscription v0 (int16 version + generated codec)', () => {
    const random = new SeededPrng(13);
    for (let i = 0; i < 300; i++) {
      const topics = Array.from({ length: random.int(6) }, () => randomTopicName(random));
      const userData = random.chance(0.2) ? null : randomBytes(random);
      const kafka = encodeMessage(ConsumerProtocolSubscriptionSchema, 0, { topics, userData }, new Writer().int16(0)).result();
      expect(AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData } as MemberMetadata).equals(kafka)).toBe(true);
    }
  });
});

describe('AssignerProtocol.MemberAssignment', () => {
  it('encodes 3 000 random assignments to the same bytes as KafkaJS, and each side decodes the other', () => {
    const random = new SeededPrng(21);
    for (let i = 0; i < 3_000; i++) {
      const input = randomAssignmentMessage(random);
      const ours = AssignerProtocol.MemberAssignment.encode(input);
      const theirs = kafkajs.AssignerProtocol.MemberAssignment.encode(input);
      expect(ours.equals(theirs), JSON.stringify(input)).toBe(true);
      const decodedByUs = AssignerProtocol.MemberAssignment.decode(theirs);
      expect(decodedByUs).toEqual(kafkajs.AssignerProtocol.MemberAssignment.decode(ours));
      expect(decodedByUs).toEqual({ version: input.version, assignment: input.assignment, userData: input.userData ?? Buffer.alloc(0) });
    }
  });

  it('writes topics in Object.keys order: integer-like names first, ascending', () => {
    const bytes = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { b: [1], '10': [2], a: [3], '2': [4] }, userData: Buffer.alloc(0) });
    expect(bytes.equals(kafkajs.AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { b: [1], '10': [2], a: [3], '2': [4] }, userData: Buffer.alloc(0) }))).toBe(true);
    expect(Object.keys(AssignerProtocol.MemberAssignment.decode(bytes)!.assignment)).toEqual(['2', '10', 'b', 'a']);
    const topicOrder: string[] = [];
    let offset = 2 + 4;
    for (let i = 0; i < 4; i++) {
      const length = bytes.readInt16BE(offset);
      topicOrder.push(bytes.toString('utf8', offset + 2, offset + 2 + length));
      offset += 2 + length + 4 + 4 * bytes.readInt32BE(offset + 2 + length);
    }
    expect(topicOrder).toEqual(['2', '10', 'b', 'a']);
  });

  it('quirk kept: decoding a topic named "__proto__" sets the prototype instead of adding a key, as KafkaJS does', () => {
    const assignment = Object.create(null) as Assignment;
    assignment.__proto__ = [3, 4];
    assignment.t = [1];
    const bytes = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) });
    expect(bytes.equals(kafkajs.AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }))).toBe(true);
    const ours = AssignerProtocol.MemberAssignment.decode(bytes)!;
    const theirs = kafkajs.AssignerProtocol.MemberAssignment.decode(bytes)!;
    expect(Object.keys(ours.assignment)).toEqual(['t']);
    expect(Object.keys(theirs.assignment)).toEqual(['t']);
    expect(Object.getPrototypeOf(ours.assignment)).toEqual([3, 4]);
    expect(Object.getPrototypeOf(theirs.assignment)).toEqual([3, 4]);
  });

  it('decodes empty, truncated and over-long buffers exactly like KafkaJS: null below 2 bytes, its errors otherwise', () => {
    const random = new SeededPrng(22);
    for (let i = 0; i < 500; i++) {
      const full = kafkajs.AssignerProtocol.MemberAssignment.encode(randomAssignmentMessage(random));
      const cut = random.chance(0.5) ? full.subarray(0, random.int(full.length + 1)) : Buffer.concat([full, randomBytes(random, 8)]);
      expect(outcome(() => AssignerProtocol.MemberAssignment.decode(cut))).toEqual(outcome(() => kafkajs.AssignerProtocol.MemberAssignment.decode(cut)));
    }
    // Hand-made odd lengths: -1 arrays are empty, other negative lengths throw, a -1 string is null.
    const int16 = (v: number) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
    const int32 = (v: number) => Buffer.from([(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
    const crafted = [
      Buffer.concat([int16(0), int32(-1), int32(-1)]),
      Buffer.concat([int16(0), int32(-2), int32(0)]),
      Buffer.concat([int16(0), int32(1), int16(-1), int32(-1), int32(0)]),
      Buffer.concat([int16(0), int32(1), int16(1), Buffer.from('t'), int32(-3), int32(0)]),
      Buffer.concat([int16(3), int32(0), int32(-1), Buffer.from('trailing')]),
    ];
    for (const buffer of crafted) {
      expect(outcome(() => AssignerProtocol.MemberAssignment.decode(buffer))).toEqual(outcome(() => kafkajs.AssignerProtocol.MemberAssignment.decode(buffer)));
      expect(outcome(() => AssignerProtocol.MemberMetadata.decode(buffer))).toEqual(outcome(() => kafkajs.AssignerProtocol.MemberMetadata.decode(buffer)));
    }
    expect(outcome(() => AssignerProtocol.MemberAssignment.decode(crafted[1]))).toEqual({ error: 'RangeError' });
    expect(AssignerProtocol.MemberAssignment.decode(crafted[0])).toEqual({ version: 0, assignment: {}, userData: null });
    expect(AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0))).toBeNull();
    expect(AssignerProtocol.MemberAssignment.decode(Buffer.alloc(1))).toBeNull();
  });

  it('for version 0 the bytes are Kafka ConsumerProtocolAssignment v0 (int16 version + generated codec)', () => {
    const random = new SeededPrng(23);
    for (let i = 0; i < 300; i++) {
      const { assignment, userData } = randomAssignmentMessage(random);
      const assignedPartitions = Object.keys(assignment).map((topic) => ({ topic, partitions: assignment[topic] }));
      const kafka = encodeMessage(ConsumerProtocolAssignmentSchema, 0, { assignedPartitions, userData: userData ?? Buffer.alloc(0) }, new Writer().int16(0)).result();
      expect(AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData }).equals(kafka)).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

function fakeCluster(topics: Map<string, PartitionMetadata[]>): AssignerCluster {
  return { findTopicPartitionMetadata: (topic) => topics.get(topic) ?? [] };
}

function partitionMetadata(ids: number[]): PartitionMetadata[] {
  return ids.map((partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0] }));
}

function randomGroup(random: Prng): { cluster: Map<string, PartitionMetadata[]>; members: GroupMember[]; topics: string[] } {
  const cluster = new Map<string, PartitionMetadata[]>();
  const topicCount = random.int(6);
  for (let i = 0; i < topicCount; i++) {
    const count = random.chance(0.1) ? 0 : random.range(1, 20);
    cluster.set(`topic-${randomString(random, 6)}-${i}`, partitionMetadata(random.shuffle(Array.from({ length: count }, (_, p) => p))));
  }
  const topics = random.shuffle([...cluster.keys()]);
  if (random.chance(0.2)) topics.push('unknown-topic'); // no metadata: contributes nothing
  const memberCount = random.range(1, random.chance(0.3) ? 60 : 8); // often more members than partitions
  const members = Array.from({ length: memberCount }, (_, i) => ({
    memberId: `${randomString(random, 8)}-${random.uint32().toString(16)}-${i}`,
    memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: topics.filter(() => random.chance(0.8)), userData: Buffer.alloc(0) }),
  }));
  return { cluster, members, topics };
}

describe('PartitionAssigners.roundRobin', () => {
  it('exports exactly what KafkaJS 2.2.4 exports', () => {
    expect(Object.keys(PartitionAssigners)).toEqual(Object.keys(kafkajs.PartitionAssigners));
    expect(PartitionAssigners.roundRobin).toBe(roundRobinAssigner);
  });

  it('has KafkaJS name, version and protocol bytes', () => {
    const random = new SeededPrng(31);
    const ours = roundRobinAssigner({ cluster: fakeCluster(new Map()), ...CONFIG_EXTRAS });
    const theirs = kafkajs.PartitionAssigners.roundRobin({ cluster: fakeCluster(new Map()) });
    expect([ours.name, ours.version]).toEqual([theirs.name, theirs.version]);
    expect(ours.name).toBe('RoundRobinAssigner');
    for (let i = 0; i < 100; i++) {
      const topics = Array.from({ length: random.int(6) }, () => randomTopicName(random));
      const a = ours.protocol({ topics });
      const b = theirs.protocol({ topics });
      expect(a.name).toBe(b.name);
      expect(a.metadata.equals(b.metadata)).toBe(true);
    }
  });

  it('assigns 1 000 random groups exactly as KafkaJS (same members, same order, same bytes)', async () => {
    const random = new SeededPrng(32);
    let moreMembersThanPartitions = 0;
    for (let i = 0; i < 1_000; i++) {
      const { cluster, members, topics } = randomGroup(random);
      const ours = await roundRobinAssigner({ cluster: fakeCluster(cluster), ...CONFIG_EXTRAS }).assign({ members, topics });
      const theirs = await kafkajs.PartitionAssigners.roundRobin({ cluster: fakeCluster(cluster) }).assign({ members, topics });
      expect(ours.map((a) => a.memberId)).toEqual(theirs.map((a) => a.memberId));
      ours.forEach((a, j) => expect(a.memberAssignment.equals(theirs[j].memberAssignment)).toBe(true));
      const partitions = [...cluster.values()].reduce((sum, list) => sum + list.length, 0);
      if (members.length > partitions) {
        moreMembersThanPartitions++;
        expect(ours.length).toBe(partitions); // members left without partitions are left out
      }
    }
    expect(moreMembersThanPartitions).toBeGreaterThan(50);
  });

  it('deals partitions in metadata order over sorted member ids, continuing across topics', async () => {
    const cluster = fakeCluster(new Map([['a', partitionMetadata([2, 0, 1])], ['b', partitionMetadata([0, 1])]]));
    const members = ['m2', 'm1'].map((memberId) => ({ memberId, memberMetadata: Buffer.alloc(0) }));
    const result = await roundRobinAssigner({ cluster, ...CONFIG_EXTRAS }).assign({ members, topics: ['a', 'b'] });
    const decoded = Object.fromEntries(result.map(({ memberId, memberAssignment }) => [memberId, { ...AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment }]));
    expect(decoded).toEqual({ m1: { a: [2, 1], b: [1] }, m2: { a: [0], b: [0] } });
  });
});

describe('rangeAssigner (ours; KafkaJS 2.2.4 has none)', () => {
  const decodeAll = (result: Array<{ memberId: string; memberAssignment: Buffer }>) =>
    Object.fromEntries(result.map(({ memberId, memberAssignment }) => [memberId, { ...AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment }]));
  const member = (memberId: string, topics: string[]): GroupMember => ({
    memberId,
    memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
  });

  it('is named RangeAssigner and announces its subscription like KafkaJS assigners do', () => {
    const assigner = rangeAssigner({ cluster: fakeCluster(new Map()), ...CONFIG_EXTRAS });
    expect([assigner.name, assigner.version]).toEqual(['RangeAssigner', 0]);
    const expected = kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['x', 'y'], userData: Buffer.alloc(0) });
    expect(assigner.protocol({ topics: ['x', 'y'] }).metadata.equals(expected)).toBe(true);
  });

  it("Kafka's RangeAssignor example: two consumers, two topics of three partitions", async () => {
    const cluster = fakeCluster(new Map([['t0', partitionMetadata([2, 0, 1])], ['t1', partitionMetadata([0, 1, 2])]]));
    const result = await rangeAssigner({ cluster, ...CONFIG_EXTRAS }).assign({ members: [member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])], topics: ['t0', 't1'] });
    expect(result.map((r) => r.memberId)).toEqual(['C0', 'C1']);
    expect(decodeAll(result)).toEqual({ C0: { t0: [0, 1], t1: [0, 1] }, C1: { t0: [2], t1: [2] } });
  });

  it('only subscribed members share a topic; members with nothing still get an (empty) assignment', async () => {
    const cluster = fakeCluster(new Map([['a', partitionMetadata([0, 1, 2, 3, 4])], ['b', partitionMetadata([0])]]));
    const result = await rangeAssigner({ cluster, ...CONFIG_EXTRAS }).assign({
      members: [member('x', ['a']), member('y', ['a', 'b']), member('z', ['b']), member('w', ['c'])],
      topics: ['a', 'b'],
    });
    expect(decodeAll(result)).toEqual({ w: {}, x: { a: [0, 1, 2] }, y: { a: [3, 4], b: [0] }, z: {} });
  });

  it('on random groups: each partition once, to a subscriber, in contiguous ranges whose sizes follow the member order', async () => {
    const random = new SeededPrng(41);
    for (let i = 0; i < 500; i++) {
      const { cluster, members, topics } = randomGroup(random);
      const result = await rangeAssigner({ cluster: fakeCluster(cluster), ...CONFIG_EXTRAS }).assign({ members, topics });
      const sortedIds = members.map((m) => m.memberId).sort();
      expect(result.map((r) => r.memberId)).toEqual(sortedIds);
      const decoded = decodeAll(result);
      for (const topic of topics) {
        const subscribers = sortedIds.filter((id) => AssignerProtocol.MemberMetadata.decode(members.find((m) => m.memberId === id)!.memberMetadata)!.topics.includes(topic));
        const ids = (cluster.get(topic) ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
        const got = subscribers.map((id) => decoded[id][topic] ?? []);
        expect(got.flat()).toEqual(subscribers.length === 0 ? [] : ids);
        const sizes = got.map((list) => list.length);
        for (let j = 1; j < sizes.length; j++) expect(sizes[j - 1] - sizes[j]).toBeGreaterThanOrEqual(0);
        if (sizes.length > 0) expect(sizes[0] - sizes[sizes.length - 1]).toBeLessThanOrEqual(1);
        for (const id of sortedIds) if (!subscribers.includes(id)) expect(decoded[id][topic]).toBeUndefined();
      }
    }
  });
});
