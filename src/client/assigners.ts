/**
 * Consumer group partition assignment, identical to KafkaJS 2.2.4:
 *
 * - `AssignerProtocol` (KafkaJS's `consumer/assignerProtocol.js`): `MemberMetadata` and `MemberAssignment`
 *   encode/decode, byte for byte and quirk for quirk. The layout is Kafka's ConsumerProtocolSubscription /
 *   ConsumerProtocolAssignment v0 (int16 version, then the v0 body), but KafkaJS writes the v0 body whatever
 *   `version` says, and its decoder ignores whatever follows `userData`. The generated codecs
 *   (`src/protocol/generated/consumer-protocol-*.ts`) give the same bytes for version 0 only (the tests check
 *   that), so this file writes the layout by hand with the same Node `Buffer` calls KafkaJS uses, which also
 *   keeps its error behaviour (`RangeError` from `Buffer`) on bad input.
 * - `PartitionAssigners = { roundRobin }` (KafkaJS's `RoundRobinAssigner`, protocol name 'RoundRobinAssigner').
 * - `rangeAssigner` (protocol name 'RangeAssigner'): an extra of ours, KafkaJS 2.2.4 has no range assigner.
 *   Kafka's RangeAssignor semantics per topic. Not interoperable with Java members, whose protocol name is
 *   'range' (KafkaJS's round robin does not interoperate with Java's 'roundrobin' either).
 */
import type { PartitionMetadata } from './partitioners.ts';

export type Assignment = { [topic: string]: number[] };

export type MemberMetadata = {
  version: number;
  topics: string[];
  userData: Buffer;
};

export type MemberAssignment = {
  version: number;
  assignment: Assignment;
  userData: Buffer;
};

export interface ISerializer<T> {
  encode(value: T): Buffer;
  decode(buffer: Buffer): T | null;
}

export type GroupMember = { memberId: string; memberMetadata: Buffer };
export type GroupMemberAssignment = { memberId: string; memberAssignment: Buffer };
export type GroupState = { name: string; metadata: Buffer };

export type Assigner = {
  name: string;
  version: number;
  assign(group: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]>;
  protocol(subscription: { topics: string[] }): GroupState;
};

/**
 * What an assigner factory receives. KafkaJS types it `{ cluster: Cluster; groupId: string; logger: Logger }`;
 * assigners only need the cluster's `findTopicPartitionMetadata`, so that is all this requires of it (a
 * factory written against the narrower type is still a valid `PartitionAssigner` for a wider config).
 */
export interface AssignerCluster {
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
}

export interface PartitionAssignerConfig {
  cluster: AssignerCluster;
  groupId: string;
  logger: unknown;
}

export type PartitionAssigner = (config: PartitionAssignerConfig) => Assigner;

// ---------------------------------------------------------------------------------------------------------
// KafkaJS's Encoder, as far as assignerProtocol.js uses it.

class Encoder {
  private readonly chunks: Buffer[] = [];

  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  writeInt16(value: number): this {
    const chunk = Buffer.alloc(2);
    chunk.writeInt16BE(value, 0);
    this.chunks.push(chunk);
    return this;
  }

  writeInt32(value: number): this {
    const chunk = Buffer.alloc(4);
    chunk.writeInt32BE(value, 0);
    this.chunks.push(chunk);
    return this;
  }

  writeString(value: string | null | undefined): this {
    if (value == null) return this.writeInt16(-1);
    const bytes = Buffer.from(value, 'utf8');
    this.writeInt16(bytes.length);
    this.chunks.push(bytes);
    return this;
  }

  writeBytes(value: unknown): this {
    if (value == null) return this.writeInt32(-1);
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    this.writeInt32(bytes.length);
    this.chunks.push(Buffer.from(bytes));
    return this;
  }

  /** KafkaJS's untyped `writeArray`: each element is written by its `typeof`; other types count but write nothing. */
  writeArray(array: readonly unknown[]): this {
    this.writeInt32(array.length);
    for (const value of array) {
      switch (typeof value) {
        case 'number':
          this.writeInt32(value);
          break;
        case 'string':
          this.writeString(value);
          break;
        case 'object':
          if (!(value instanceof Encoder)) throw new Error('value should be an instance of Encoder');
          this.chunks.push(value.buffer);
          break;
      }
    }
    return this;
  }
}

// KafkaJS's Decoder, as far as assignerProtocol.js uses it.
class Decoder {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  canReadInt16(): boolean {
    return Buffer.byteLength(this.data) - this.offset >= 2;
  }

  readInt16(): number {
    const value = this.data.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  readInt32(): number {
    const value = this.data.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  readString(): string | null {
    const byteLength = this.readInt16();
    if (byteLength === -1) return null;
    const value = this.data.subarray(this.offset, this.offset + byteLength).toString('utf8');
    this.offset += byteLength;
    return value;
  }

  readBytes(): Buffer | null {
    const byteLength = this.readInt32();
    if (byteLength === -1) return null;
    const value = this.data.subarray(this.offset, this.offset + byteLength);
    this.offset += byteLength;
    return value;
  }

  readArray<T>(reader: (decoder: Decoder) => T): T[] {
    const length = this.readInt32();
    if (length === -1) return [];
    const array = new Array<T>(length);
    for (let i = 0; i < length; i++) array[i] = reader(this);
    return array;
  }
}

// ---------------------------------------------------------------------------------------------------------

const MemberMetadataSerializer = {
  encode({ version, topics, userData = Buffer.alloc(0) }: MemberMetadata): Buffer {
    return new Encoder().writeInt16(version).writeArray(topics).writeBytes(userData).buffer;
  },

  /** Throws (a `RangeError` from `Buffer`) on an empty or truncated buffer, as KafkaJS does; never null. */
  decode(buffer: Buffer): MemberMetadata {
    const decoder = new Decoder(buffer);
    return {
      version: decoder.readInt16(),
      topics: decoder.readArray((d) => d.readString()) as string[],
      userData: decoder.readBytes() as Buffer,
    };
  },
};

const MemberAssignmentSerializer = {
  /** Topics in `Object.keys(assignment)` order: integer-like names ("7", "42") first, ascending. */
  encode({ version, assignment, userData = Buffer.alloc(0) }: MemberAssignment): Buffer {
    return new Encoder()
      .writeInt16(version)
      .writeArray(Object.keys(assignment).map((topic) => new Encoder().writeString(topic).writeArray(assignment[topic])))
      .writeBytes(userData).buffer;
  },

  /**
   * Null when fewer than 2 bytes (an empty assignment from the broker). Topics are gathered with
   * `Object.assign` into a plain `{}` as in KafkaJS, so a topic named "__proto__" replaces the object's
   * prototype instead of appearing as a key.
   */
  decode(buffer: Buffer): MemberAssignment | null {
    const decoder = new Decoder(buffer);
    if (!decoder.canReadInt16()) return null;
    const decodeAssignment = (d: Decoder) => ({ topic: d.readString() as string, partitions: d.readArray((p) => p.readInt32()) });
    const indexAssignment = (obj: Assignment, { topic, partitions }: { topic: string; partitions: number[] }): Assignment =>
      Object.assign(obj, { [topic]: partitions });
    return {
      version: decoder.readInt16(),
      assignment: decoder.readArray(decodeAssignment).reduce(indexAssignment, {}),
      userData: decoder.readBytes() as Buffer,
    };
  },
};

export const AssignerProtocol: {
  MemberMetadata: ISerializer<MemberMetadata>;
  MemberAssignment: ISerializer<MemberAssignment>;
} = {
  MemberMetadata: MemberMetadataSerializer,
  MemberAssignment: MemberAssignmentSerializer,
};

// ---------------------------------------------------------------------------------------------------------

/**
 * KafkaJS's RoundRobinAssigner: member ids sorted (default string sort), every partition of every topic in
 * `topics` order and metadata order dealt out in turn, the index carrying over from one topic to the next.
 * Members' subscriptions are not consulted. Members that get nothing are left out of the result. `name`
 * and `version` are read through `this`, as in KafkaJS.
 */
export const roundRobinAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'RoundRobinAssigner',
  version: 0,

  async assign({ members, topics }) {
    const membersCount = members.length;
    const sortedMembers = members.map(({ memberId }) => memberId).sort();
    const assignment: Record<string, Assignment> = {};

    const topicsPartitions = topics.flatMap((topic) => {
      const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
      return partitionMetadata.map((m) => ({ topic, partitionId: m.partitionId }));
    });

    topicsPartitions.forEach((topicPartition, i) => {
      const assignee = sortedMembers[i % membersCount];
      if (!assignment[assignee]) assignment[assignee] = Object.create(null) as Assignment;
      if (!assignment[assignee][topicPartition.topic]) assignment[assignee][topicPartition.topic] = [];
      assignment[assignee][topicPartition.topic].push(topicPartition.partitionId);
    });

    return Object.keys(assignment).map((memberId) => ({
      memberId,
      memberAssignment: MemberAssignmentSerializer.encode({
        version: this.version,
        assignment: assignment[memberId],
        userData: Buffer.alloc(0),
      }),
    }));
  },

  protocol({ topics }) {
    return {
      name: this.name,
      metadata: MemberMetadataSerializer.encode({ version: this.version, topics, userData: Buffer.alloc(0) }),
    };
  },
});

function subscribedTopics(member: GroupMember): Set<string> | null {
  try {
    return new Set(MemberMetadataSerializer.decode(member.memberMetadata).topics);
  } catch {
    return null;
  }
}

/**
 * Kafka's RangeAssignor, one topic at a time (topics in `topics` order): the members subscribed to the topic
 * (from their `MemberMetadata`; a member whose metadata does not decode counts as subscribed to every topic),
 * sorted by member id, split the topic's partitions (sorted by id) into contiguous ranges, the first
 * `partitions % members` of them one partition longer. Every member appears in the result, with an empty
 * assignment if it gets nothing, as the Java leader does.
 */
export const rangeAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'RangeAssigner',
  version: 0,

  async assign({ members, topics }) {
    const sortedMembers = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const subscriptions = new Map(sortedMembers.map((member) => [member.memberId, subscribedTopics(member)]));
    const assignment = new Map<string, Assignment>(sortedMembers.map((member) => [member.memberId, Object.create(null) as Assignment]));

    for (const topic of new Set(topics)) {
      const consumers = [...assignment.keys()].filter((memberId) => {
        const subscribed = subscriptions.get(memberId);
        return subscribed == null || subscribed.has(topic);
      });
      if (consumers.length === 0) continue;
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((m) => m.partitionId)
        .sort((a, b) => a - b);
      const perConsumer = Math.floor(partitions.length / consumers.length);
      const withExtra = partitions.length % consumers.length;
      consumers.forEach((memberId, i) => {
        const start = perConsumer * i + Math.min(i, withExtra);
        const length = perConsumer + (i < withExtra ? 1 : 0);
        if (length > 0) assignment.get(memberId)![topic] = partitions.slice(start, start + length);
      });
    }

    return [...assignment].map(([memberId, memberAssignment]) => ({
      memberId,
      memberAssignment: MemberAssignmentSerializer.encode({ version: this.version, assignment: memberAssignment, userData: Buffer.alloc(0) }),
    }));
  },

  protocol({ topics }) {
    return {
      name: this.name,
      metadata: MemberMetadataSerializer.encode({ version: this.version, topics, userData: Buffer.alloc(0) }),
    };
  },
});

/** KafkaJS's `PartitionAssigners`: round robin only (2.2.4 ships no other). `rangeAssigner` is exported apart. */
export const PartitionAssigners: { roundRobin: PartitionAssigner } = {
  roundRobin: roundRobinAssigner,
};
