/**
 * The records a group coordinator keeps in `__consumer_offsets`, byte for byte as Kafka 3.x writes them
 * (`GroupMetadataManager`'s companion object and the group-coordinator's `OffsetCommitKey/Value`,
 * `GroupMetadataKey/Value` message specs): every key and value starts with an int16 version, and the key's
 * version says what the record is.
 *
 *   key v0/v1: offset commit   (group, topic, partition)  -> value v0-v4 (offset, leaderEpoch v3+, metadata,
 *                                                              commitTimestamp, expireTimestamp v1 only)
 *   key v2:    group metadata  (group)                    -> value v0-v4 (protocolType, generation, protocol,
 *                                                              leader, currentStateTimestamp v2+, members)
 *
 * A null value is a tombstone. Kafka writes offset values as v3 (v1 when the commit carried a retention
 * time, the only version with expireTimestamp) and group values as v3; both are read in every version.
 */
import { decodeMessage, encodeMessage, Reader, Writer, type MessageSchema, type StructSchema } from '../../protocol/index.ts';

const OffsetCommitKeySchema: MessageSchema = {
  kind: 'data',
  name: 'OffsetCommitKey',
  validVersions: [0, 1],
  flexibleVersions: null,
  fields: [
    { name: 'group', type: 'string', versions: [0, 1] },
    { name: 'topic', type: 'string', versions: [0, 1] },
    { name: 'partition', type: 'int32', versions: [0, 1] },
  ],
};

const OffsetCommitValueSchema: MessageSchema = {
  kind: 'data',
  name: 'OffsetCommitValue',
  validVersions: [0, 4],
  flexibleVersions: [4, 0x7fff],
  fields: [
    { name: 'offset', type: 'int64', versions: [0, 0x7fff] },
    { name: 'leaderEpoch', type: 'int32', versions: [3, 0x7fff], default: -1, ignorable: true },
    { name: 'metadata', type: 'string', versions: [0, 0x7fff] },
    { name: 'commitTimestamp', type: 'int64', versions: [0, 0x7fff] },
    { name: 'expireTimestamp', type: 'int64', versions: [1, 1], default: -1n, ignorable: true },
  ],
};

const GroupMetadataKeySchema: MessageSchema = {
  kind: 'data',
  name: 'GroupMetadataKey',
  validVersions: [2, 2],
  flexibleVersions: null,
  fields: [{ name: 'group', type: 'string', versions: [2, 2] }],
};

const MemberMetadataSchema: StructSchema = {
  name: 'MemberMetadata',
  fields: [
    { name: 'memberId', type: 'string', versions: [0, 0x7fff] },
    { name: 'groupInstanceId', type: 'string', versions: [3, 0x7fff], nullableVersions: [3, 0x7fff], default: null, ignorable: true },
    { name: 'clientId', type: 'string', versions: [0, 0x7fff] },
    { name: 'clientHost', type: 'string', versions: [0, 0x7fff] },
    { name: 'rebalanceTimeout', type: 'int32', versions: [1, 0x7fff], default: -1, ignorable: true },
    { name: 'sessionTimeout', type: 'int32', versions: [0, 0x7fff] },
    { name: 'subscription', type: 'bytes', versions: [0, 0x7fff] },
    { name: 'assignment', type: 'bytes', versions: [0, 0x7fff] },
  ],
};

const GroupMetadataValueSchema: MessageSchema = {
  kind: 'data',
  name: 'GroupMetadataValue',
  validVersions: [0, 4],
  flexibleVersions: [4, 0x7fff],
  fields: [
    { name: 'protocolType', type: 'string', versions: [0, 0x7fff] },
    { name: 'generation', type: 'int32', versions: [0, 0x7fff] },
    { name: 'protocol', type: 'string', versions: [0, 0x7fff], nullableVersions: [0, 0x7fff] },
    { name: 'leader', type: 'string', versions: [0, 0x7fff], nullableVersions: [0, 0x7fff] },
    { name: 'currentStateTimestamp', type: 'int64', versions: [2, 0x7fff], default: -1n, ignorable: true },
    { name: 'members', type: 'array', struct: MemberMetadataSchema, versions: [0, 0x7fff] },
  ],
};

/** A committed offset as the coordinator keeps it (Kafka's `OffsetAndMetadata`); leaderEpoch -1 is "none". */
export interface OffsetAndMetadata {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: bigint;
  /** Only set by OffsetCommit v2-4 with an explicit retention time. */
  readonly expireTimestamp: bigint | null;
}

export interface StoredMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly subscription: Buffer;
  readonly assignment: Buffer;
}

/** The group metadata value: what a new coordinator restores a group from. */
export interface StoredGroup {
  readonly protocolType: string;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  /** -1 when unknown. */
  readonly currentStateTimestamp: bigint;
  readonly members: readonly StoredMember[];
}

export type RecordKey =
  | { readonly kind: 'offset'; readonly group: string; readonly topic: string; readonly partition: number }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'unknown'; readonly version: number };

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const GROUP_VALUE_VERSION = 3;

function versionPrefixed(schema: MessageSchema, version: number, value: object): Buffer {
  const writer = new Writer();
  writer.int16(version);
  encodeMessage(schema, version, value, writer);
  return writer.result();
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return versionPrefixed(OffsetCommitKeySchema, OFFSET_KEY_VERSION, { group, topic, partition });
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return versionPrefixed(GroupMetadataKeySchema, GROUP_KEY_VERSION, { group });
}

export function encodeOffsetCommitValue(value: OffsetAndMetadata): Buffer {
  // v1 is the only version carrying an expire timestamp (a commit with an explicit retention time).
  const version = value.expireTimestamp !== null ? 1 : 3;
  return versionPrefixed(OffsetCommitValueSchema, version, {
    offset: value.offset,
    leaderEpoch: value.leaderEpoch,
    metadata: value.metadata,
    commitTimestamp: value.commitTimestamp,
    expireTimestamp: value.expireTimestamp ?? -1n,
  });
}

export function encodeGroupMetadataValue(group: StoredGroup): Buffer {
  return versionPrefixed(GroupMetadataValueSchema, GROUP_VALUE_VERSION, {
    protocolType: group.protocolType,
    generation: group.generationId,
    protocol: group.protocolName,
    leader: group.leaderId,
    currentStateTimestamp: group.currentStateTimestamp,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: m.subscription,
      assignment: m.assignment,
    })),
  });
}

/** `GroupMetadataManager.readMessageKey`. Throws ProtocolDecodeError on a truncated key. */
export function decodeRecordKey(key: Buffer): RecordKey {
  const reader = new Reader(key);
  const version = reader.int16();
  if (version >= 0 && version <= 1) {
    const { group, topic, partition } = decodeMessage<{ group: string; topic: string; partition: number }>(OffsetCommitKeySchema, version, reader);
    return { kind: 'offset', group, topic, partition };
  }
  if (version === GROUP_KEY_VERSION) {
    const { group } = decodeMessage<{ group: string }>(GroupMetadataKeySchema, version, reader);
    return { kind: 'group', group };
  }
  return { kind: 'unknown', version };
}

/** `readOffsetMessageValue`: null for a tombstone. */
export function decodeOffsetCommitValue(value: Buffer | null): OffsetAndMetadata | null {
  if (value === null) return null;
  const reader = new Reader(value);
  const version = reader.int16();
  const decoded = decodeMessage<{ offset: bigint; leaderEpoch: number; metadata: string; commitTimestamp: bigint; expireTimestamp: bigint }>(
    OffsetCommitValueSchema,
    version,
    reader,
  );
  return {
    offset: decoded.offset,
    leaderEpoch: decoded.leaderEpoch,
    metadata: decoded.metadata,
    commitTimestamp: decoded.commitTimestamp,
    expireTimestamp: decoded.expireTimestamp === -1n ? null : decoded.expireTimestamp,
  };
}

interface DecodedGroupValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: bigint;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeout: number;
    sessionTimeout: number;
    subscription: Buffer;
    assignment: Buffer;
  }>;
}

/** `readGroupMessageValue`: null for a tombstone. v0 had no rebalance timeout: the session timeout stands in. */
export function decodeGroupMetadataValue(value: Buffer | null): StoredGroup | null {
  if (value === null) return null;
  const reader = new Reader(value);
  const version = reader.int16();
  const decoded = decodeMessage<DecodedGroupValue>(GroupMetadataValueSchema, version, reader);
  return {
    protocolType: decoded.protocolType,
    generationId: decoded.generation,
    protocolName: decoded.protocol,
    leaderId: decoded.leader,
    currentStateTimestamp: decoded.currentStateTimestamp,
    members: decoded.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: version === 0 ? m.sessionTimeout : m.rebalanceTimeout,
      sessionTimeoutMs: m.sessionTimeout,
      subscription: Buffer.from(m.subscription),
      assignment: Buffer.from(m.assignment),
    })),
  };
}
