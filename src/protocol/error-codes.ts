/**
 * The one error table shared by the broker model and the client: every error code of Apache Kafka 4.0.
 *
 * Where the values come from:
 * - Kafka: `org.apache.kafka.common.protocol.Errors` (code, enum name, default message) and, for
 *   `kafkaRetriable`, whether the enum's exception class extends `RetriableException` (directly or through
 *   `InvalidMetadataException`) in `org.apache.kafka.common.errors`. Codes -1..128 were read from the
 *   4.0 development tree the protocol specs in `shared/kafka-protocol` come from; 129..132
 *   (REBOOTSTRAP_REQUIRED from KIP-1102, the STREAMS_* codes from KIP-1071) joined before the 4.0 release.
 *   All four exceptions extend `ApiException`, so none is retriable. 133 (SHARE_SESSION_LIMIT_REACHED)
 *   arrived in 4.1 and is absent on purpose.
 * - KafkaJS 2.2.4: `kafkajs/src/protocol/error.js` (`type`, `retriable`, `message`, `helpUrl`), codes -1..88
 *   except 0.
 *
 * The rule for conflicts: the client behaves like KafkaJS, so where KafkaJS has a code its `type`,
 * `retriable`, `message` and `helpUrl` win; `name` and `kafkaRetriable` are always Kafka's. Where KafkaJS
 * lacks a code, `type` is Kafka's name, `retriable` is Kafka's and `message` is Kafka's default message
 * (empty for NONE, which has none). The two sides agree on retriability for every code KafkaJS knows;
 * they differ on five spellings (KafkaJS keeps older Kafka names such as NOT_COORDINATOR_FOR_GROUP).
 *
 * An unknown code gets KafkaJS's synthetic entry (`KAFKAJS_UNKNOWN_ERROR_CODE`, code -99, not retriable)
 * rather than Kafka's fallback to UNKNOWN_SERVER_ERROR, because only a client ever decodes one.
 */

export interface KafkaErrorInfo {
  /** Kafka's error code. */
  code: number;
  /** Kafka's enum name, e.g. 'NOT_LEADER_OR_FOLLOWER'. */
  name: string;
  /** KafkaJS's `type` where KafkaJS has the code (e.g. 'NOT_LEADER_FOR_PARTITION'), else Kafka's name. */
  type: string;
  /** KafkaJS's flag where KafkaJS has the code, else Kafka's. The client retries on this one. */
  retriable: boolean;
  /** Kafka's own classification: the exception class is a `RetriableException`. */
  kafkaRetriable: boolean;
  /** KafkaJS's message where it has one, else Kafka's default message. */
  message: string;
  /** KafkaJS's link to its docs, set on REBALANCE_IN_PROGRESS and SASL_AUTHENTICATION_FAILED only. */
  helpUrl?: string;
}

interface Row<C extends number, N extends string> extends KafkaErrorInfo {
  code: C;
  name: N;
}

/** A code KafkaJS knows: Kafka's code, name and retriability, then KafkaJS's retriability and message. */
function kafkajs<const C extends number, const N extends string>(
  code: C,
  name: N,
  kafkaRetriable: boolean,
  retriable: boolean,
  message: string,
  differences: { type?: string; helpUrl?: string } = {},
): Row<C, N> {
  const row: Row<C, N> = { code, name, type: differences.type ?? name, retriable, kafkaRetriable, message };
  if (differences.helpUrl !== undefined) row.helpUrl = differences.helpUrl;
  return Object.freeze(row);
}

/** A code only Kafka knows: code, name, retriability and default message, all Kafka's. */
function kafkaOnly<const C extends number, const N extends string>(
  code: C,
  name: N,
  kafkaRetriable: boolean,
  message: string,
): Row<C, N> {
  return Object.freeze({ code, name, type: name, retriable: kafkaRetriable, kafkaRetriable, message });
}

const ROWS = [
  // kafkajs(code, Kafka name, Kafka retriable, KafkaJS retriable, KafkaJS message, { KafkaJS type if it differs, helpUrl })
  // kafkaOnly(code, Kafka name, Kafka retriable, Kafka default message)
  kafkajs(-1, 'UNKNOWN_SERVER_ERROR', false, false, 'The server experienced an unexpected error when processing the request', { type: 'UNKNOWN' }),
  kafkaOnly(0, 'NONE', false, ''),
  kafkajs(1, 'OFFSET_OUT_OF_RANGE', false, false, 'The requested offset is not within the range of offsets maintained by the server'),
  kafkajs(2, 'CORRUPT_MESSAGE', true, true, 'This message has failed its CRC checksum, exceeds the valid size, or is otherwise corrupt'),
  kafkajs(3, 'UNKNOWN_TOPIC_OR_PARTITION', true, true, 'This server does not host this topic-partition'),
  kafkajs(4, 'INVALID_FETCH_SIZE', false, false, 'The requested fetch size is invalid'),
  kafkajs(5, 'LEADER_NOT_AVAILABLE', true, true, 'There is no leader for this topic-partition as we are in the middle of a leadership election'),
  kafkajs(6, 'NOT_LEADER_OR_FOLLOWER', true, true, 'This server is not the leader for that topic-partition', { type: 'NOT_LEADER_FOR_PARTITION' }),
  kafkajs(7, 'REQUEST_TIMED_OUT', true, true, 'The request timed out'),
  kafkajs(8, 'BROKER_NOT_AVAILABLE', false, false, 'The broker is not available'),
  kafkajs(9, 'REPLICA_NOT_AVAILABLE', true, true, 'The replica is not available for the requested topic-partition'),
  kafkajs(10, 'MESSAGE_TOO_LARGE', false, false, 'The request included a message larger than the max message size the server will accept'),
  kafkajs(11, 'STALE_CONTROLLER_EPOCH', false, false, 'The controller moved to another broker'),
  kafkajs(12, 'OFFSET_METADATA_TOO_LARGE', false, false, 'The metadata field of the offset request was too large'),
  kafkajs(13, 'NETWORK_EXCEPTION', true, true, 'The server disconnected before a response was received'),
  kafkajs(14, 'COORDINATOR_LOAD_IN_PROGRESS', true, true, "The coordinator is loading and hence can't process requests for this group", { type: 'GROUP_LOAD_IN_PROGRESS' }),
  kafkajs(15, 'COORDINATOR_NOT_AVAILABLE', true, true, 'The group coordinator is not available', { type: 'GROUP_COORDINATOR_NOT_AVAILABLE' }),
  kafkajs(16, 'NOT_COORDINATOR', true, true, 'This is not the correct coordinator for this group', { type: 'NOT_COORDINATOR_FOR_GROUP' }),
  kafkajs(17, 'INVALID_TOPIC_EXCEPTION', false, false, 'The request attempted to perform an operation on an invalid topic'),
  kafkajs(18, 'RECORD_LIST_TOO_LARGE', false, false, 'The request included message batch larger than the configured segment size on the server'),
  kafkajs(19, 'NOT_ENOUGH_REPLICAS', true, true, 'Messages are rejected since there are fewer in-sync replicas than required'),
  kafkajs(20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', true, true, 'Messages are written to the log, but to fewer in-sync replicas than required'),
  kafkajs(21, 'INVALID_REQUIRED_ACKS', false, false, 'Produce request specified an invalid value for required acks'),
  kafkajs(22, 'ILLEGAL_GENERATION', false, false, 'Specified group generation id is not valid'),
  kafkajs(23, 'INCONSISTENT_GROUP_PROTOCOL', false, false, "The group member's supported protocols are incompatible with those of existing members"),
  kafkajs(24, 'INVALID_GROUP_ID', false, false, 'The configured groupId is invalid'),
  kafkajs(25, 'UNKNOWN_MEMBER_ID', false, false, 'The coordinator is not aware of this member'),
  kafkajs(26, 'INVALID_SESSION_TIMEOUT', false, false, 'The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms)'),
  kafkajs(27, 'REBALANCE_IN_PROGRESS', false, false, 'The group is rebalancing, so a rejoin is needed', { helpUrl: 'https://kafka.js.org/docs/faq#what-does-it-mean-to-get-rebalance-in-progress-errors' }),
  kafkajs(28, 'INVALID_COMMIT_OFFSET_SIZE', false, false, 'The committing offset data size is not valid'),
  kafkajs(29, 'TOPIC_AUTHORIZATION_FAILED', false, false, 'Not authorized to access topics: [Topic authorization failed]'),
  kafkajs(30, 'GROUP_AUTHORIZATION_FAILED', false, false, 'Not authorized to access group: Group authorization failed'),
  kafkajs(31, 'CLUSTER_AUTHORIZATION_FAILED', false, false, 'Cluster authorization failed'),
  kafkajs(32, 'INVALID_TIMESTAMP', false, false, 'The timestamp of the message is out of acceptable range'),
  kafkajs(33, 'UNSUPPORTED_SASL_MECHANISM', false, false, 'The broker does not support the requested SASL mechanism'),
  kafkajs(34, 'ILLEGAL_SASL_STATE', false, false, 'Request is not valid given the current SASL state'),
  kafkajs(35, 'UNSUPPORTED_VERSION', false, false, 'The version of API is not supported'),
  kafkajs(36, 'TOPIC_ALREADY_EXISTS', false, false, 'Topic with this name already exists'),
  kafkajs(37, 'INVALID_PARTITIONS', false, false, 'Number of partitions is invalid'),
  kafkajs(38, 'INVALID_REPLICATION_FACTOR', false, false, 'Replication-factor is invalid'),
  kafkajs(39, 'INVALID_REPLICA_ASSIGNMENT', false, false, 'Replica assignment is invalid'),
  kafkajs(40, 'INVALID_CONFIG', false, false, 'Configuration is invalid'),
  kafkajs(41, 'NOT_CONTROLLER', true, true, 'This is not the correct controller for this cluster'),
  kafkajs(42, 'INVALID_REQUEST', false, false, 'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details'),
  kafkajs(43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', false, false, 'The message format version on the broker does not support the request'),
  kafkajs(44, 'POLICY_VIOLATION', false, false, 'Request parameters do not satisfy the configured policy'),
  kafkajs(45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false, false, 'The broker received an out of order sequence number'),
  kafkajs(46, 'DUPLICATE_SEQUENCE_NUMBER', false, false, 'The broker received a duplicate sequence number'),
  kafkajs(47, 'INVALID_PRODUCER_EPOCH', false, false, "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker"),
  kafkajs(48, 'INVALID_TXN_STATE', false, false, 'The producer attempted a transactional operation in an invalid state'),
  kafkajs(49, 'INVALID_PRODUCER_ID_MAPPING', false, false, 'The producer attempted to use a producer id which is not currently assigned to its transactional id'),
  kafkajs(50, 'INVALID_TRANSACTION_TIMEOUT', false, false, 'The transaction timeout is larger than the maximum value allowed by the broker (as configured by max.transaction.timeout.ms)'),
  kafkajs(51, 'CONCURRENT_TRANSACTIONS', true, true, 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing'),
  kafkajs(52, 'TRANSACTION_COORDINATOR_FENCED', false, false, 'Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer'),
  kafkajs(53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false, false, 'Transactional Id authorization failed'),
  kafkajs(54, 'SECURITY_DISABLED', false, false, 'Security features are disabled'),
  kafkajs(55, 'OPERATION_NOT_ATTEMPTED', false, false, 'The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest'),
  kafkajs(56, 'KAFKA_STORAGE_ERROR', true, true, 'Disk error when trying to access log file on the disk'),
  kafkajs(57, 'LOG_DIR_NOT_FOUND', false, false, 'The user-specified log directory is not found in the broker config'),
  kafkajs(58, 'SASL_AUTHENTICATION_FAILED', false, false, 'SASL Authentication failed', { helpUrl: 'https://kafka.js.org/docs/configuration#sasl' }),
  kafkajs(59, 'UNKNOWN_PRODUCER_ID', false, false, "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception"),
  kafkajs(60, 'REASSIGNMENT_IN_PROGRESS', false, false, 'A partition reassignment is in progress'),
  kafkajs(61, 'DELEGATION_TOKEN_AUTH_DISABLED', false, false, 'Delegation Token feature is not enabled'),
  kafkajs(62, 'DELEGATION_TOKEN_NOT_FOUND', false, false, 'Delegation Token is not found on server'),
  kafkajs(63, 'DELEGATION_TOKEN_OWNER_MISMATCH', false, false, 'Specified Principal is not valid Owner/Renewer'),
  kafkajs(64, 'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', false, false, 'Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels'),
  kafkajs(65, 'DELEGATION_TOKEN_AUTHORIZATION_FAILED', false, false, 'Delegation Token authorization failed'),
  kafkajs(66, 'DELEGATION_TOKEN_EXPIRED', false, false, 'Delegation Token is expired'),
  kafkajs(67, 'INVALID_PRINCIPAL_TYPE', false, false, 'Supplied principalType is not supported'),
  kafkajs(68, 'NON_EMPTY_GROUP', false, false, 'The group is not empty'),
  kafkajs(69, 'GROUP_ID_NOT_FOUND', false, false, 'The group id was not found'),
  kafkajs(70, 'FETCH_SESSION_ID_NOT_FOUND', true, true, 'The fetch session ID was not found'),
  kafkajs(71, 'INVALID_FETCH_SESSION_EPOCH', true, true, 'The fetch session epoch is invalid'),
  kafkajs(72, 'LISTENER_NOT_FOUND', true, true, 'There is no listener on the leader broker that matches the listener on which metadata request was processed'),
  kafkajs(73, 'TOPIC_DELETION_DISABLED', false, false, 'Topic deletion is disabled'),
  kafkajs(74, 'FENCED_LEADER_EPOCH', true, true, 'The leader epoch in the request is older than the epoch on the broker'),
  kafkajs(75, 'UNKNOWN_LEADER_EPOCH', true, true, 'The leader epoch in the request is newer than the epoch on the broker'),
  kafkajs(76, 'UNSUPPORTED_COMPRESSION_TYPE', false, false, 'The requesting client does not support the compression type of given partition'),
  kafkajs(77, 'STALE_BROKER_EPOCH', false, false, 'Broker epoch has changed'),
  kafkajs(78, 'OFFSET_NOT_AVAILABLE', true, true, 'The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing'),
  kafkajs(79, 'MEMBER_ID_REQUIRED', false, false, 'The group member needs to have a valid member id before actually entering a consumer group'),
  kafkajs(80, 'PREFERRED_LEADER_NOT_AVAILABLE', true, true, 'The preferred leader was not available'),
  kafkajs(81, 'GROUP_MAX_SIZE_REACHED', false, false, 'The consumer group has reached its max size. It already has the configured maximum number of members'),
  kafkajs(82, 'FENCED_INSTANCE_ID', false, false, 'The broker rejected this static consumer since another consumer with the same group instance id has registered with a different member id'),
  kafkajs(83, 'ELIGIBLE_LEADERS_NOT_AVAILABLE', true, true, 'Eligible topic partition leaders are not available'),
  kafkajs(84, 'ELECTION_NOT_NEEDED', true, true, 'Leader election not needed for topic partition'),
  kafkajs(85, 'NO_REASSIGNMENT_IN_PROGRESS', false, false, 'No partition reassignment is in progress'),
  kafkajs(86, 'GROUP_SUBSCRIBED_TO_TOPIC', false, false, 'Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it'),
  kafkajs(87, 'INVALID_RECORD', false, false, 'This record has failed the validation on broker and hence be rejected'),
  kafkajs(88, 'UNSTABLE_OFFSET_COMMIT', true, true, 'There are unstable offsets that need to be cleared'),
  kafkaOnly(89, 'THROTTLING_QUOTA_EXCEEDED', true, 'The throttling quota has been exceeded.'),
  kafkaOnly(90, 'PRODUCER_FENCED', false, 'There is a newer producer with the same transactionalId which fences the current one.'),
  kafkaOnly(91, 'RESOURCE_NOT_FOUND', false, 'A request illegally referred to a resource that does not exist.'),
  kafkaOnly(92, 'DUPLICATE_RESOURCE', false, 'A request illegally referred to the same resource twice.'),
  kafkaOnly(93, 'UNACCEPTABLE_CREDENTIAL', false, 'Requested credential would not meet criteria for acceptability.'),
  kafkaOnly(94, 'INCONSISTENT_VOTER_SET', false, 'Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.'),
  kafkaOnly(95, 'INVALID_UPDATE_VERSION', false, 'The given update version was invalid.'),
  kafkaOnly(96, 'FEATURE_UPDATE_FAILED', false, 'Unable to update finalized features due to an unexpected server error.'),
  kafkaOnly(97, 'PRINCIPAL_DESERIALIZATION_FAILURE', false, 'Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup.'),
  kafkaOnly(98, 'SNAPSHOT_NOT_FOUND', false, 'Requested snapshot was not found.'),
  kafkaOnly(99, 'POSITION_OUT_OF_RANGE', false, 'Requested position is not greater than or equal to zero, and less than the size of the snapshot.'),
  kafkaOnly(100, 'UNKNOWN_TOPIC_ID', true, 'This server does not host this topic ID.'),
  kafkaOnly(101, 'DUPLICATE_BROKER_REGISTRATION', false, 'This broker ID is already in use.'),
  kafkaOnly(102, 'BROKER_ID_NOT_REGISTERED', false, 'The given broker ID was not registered.'),
  kafkaOnly(103, 'INCONSISTENT_TOPIC_ID', true, "The log's topic ID did not match the topic ID in the request."),
  kafkaOnly(104, 'INCONSISTENT_CLUSTER_ID', false, 'The clusterId in the request does not match that found on the server.'),
  kafkaOnly(105, 'TRANSACTIONAL_ID_NOT_FOUND', false, 'The transactionalId could not be found.'),
  kafkaOnly(106, 'FETCH_SESSION_TOPIC_ID_ERROR', true, 'The fetch session encountered inconsistent topic ID usage.'),
  kafkaOnly(107, 'INELIGIBLE_REPLICA', false, 'The new ISR contains at least one ineligible replica.'),
  kafkaOnly(108, 'NEW_LEADER_ELECTED', false, 'The AlterPartition request successfully updated the partition state but the leader has changed.'),
  kafkaOnly(109, 'OFFSET_MOVED_TO_TIERED_STORAGE', false, 'The requested offset is moved to tiered storage.'),
  kafkaOnly(110, 'FENCED_MEMBER_EPOCH', false, 'The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.'),
  kafkaOnly(111, 'UNRELEASED_INSTANCE_ID', false, 'The instance ID is still used by another member in the consumer group. That member must leave first.'),
  kafkaOnly(112, 'UNSUPPORTED_ASSIGNOR', false, 'The assignor or its version range is not supported by the consumer group.'),
  kafkaOnly(113, 'STALE_MEMBER_EPOCH', false, 'The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.'),
  kafkaOnly(114, 'MISMATCHED_ENDPOINT_TYPE', false, 'The request was sent to an endpoint of the wrong type.'),
  kafkaOnly(115, 'UNSUPPORTED_ENDPOINT_TYPE', false, 'This endpoint type is not supported yet.'),
  kafkaOnly(116, 'UNKNOWN_CONTROLLER_ID', false, 'This controller ID is not known.'),
  kafkaOnly(117, 'UNKNOWN_SUBSCRIPTION_ID', false, 'Client sent a push telemetry request with an invalid or outdated subscription ID.'),
  kafkaOnly(118, 'TELEMETRY_TOO_LARGE', false, 'Client sent a push telemetry request larger than the maximum size the broker will accept.'),
  kafkaOnly(119, 'INVALID_REGISTRATION', false, 'The controller has considered the broker registration to be invalid.'),
  kafkaOnly(120, 'TRANSACTION_ABORTABLE', false, 'The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.'),
  kafkaOnly(121, 'INVALID_RECORD_STATE', false, 'The record state is invalid. The acknowledgement of delivery could not be completed.'),
  kafkaOnly(122, 'SHARE_SESSION_NOT_FOUND', true, 'The share session was not found.'),
  kafkaOnly(123, 'INVALID_SHARE_SESSION_EPOCH', true, 'The share session epoch is invalid.'),
  kafkaOnly(124, 'FENCED_STATE_EPOCH', false, 'The share coordinator rejected the request because the share-group state epoch did not match.'),
  kafkaOnly(125, 'INVALID_VOTER_KEY', false, "The voter key doesn't match the receiving replica's key."),
  kafkaOnly(126, 'DUPLICATE_VOTER', false, 'The voter is already part of the set of voters.'),
  kafkaOnly(127, 'VOTER_NOT_FOUND', false, 'The voter is not part of the set of voters.'),
  kafkaOnly(128, 'INVALID_REGULAR_EXPRESSION', false, 'The regular expression is not valid.'),
  kafkaOnly(129, 'REBOOTSTRAP_REQUIRED', false, 'Client metadata is stale. The client should rebootstrap to obtain new metadata.'),
  kafkaOnly(130, 'STREAMS_INVALID_TOPOLOGY', false, 'The supplied topology is invalid.'),
  kafkaOnly(131, 'STREAMS_INVALID_TOPOLOGY_EPOCH', false, 'The supplied topology epoch is invalid.'),
  kafkaOnly(132, 'STREAMS_TOPOLOGY_FENCED', false, 'The supplied topology epoch is outdated.'),
];

/** Every error code, in code order, -1 first. */
export const ERROR_TABLE: readonly KafkaErrorInfo[] = Object.freeze(ROWS);

type ErrorCodeTable = { readonly [R in (typeof ROWS)[number] as R['name']]: R['code'] };

/** Kafka's enum name to its code, e.g. `ErrorCode.UNKNOWN_TOPIC_OR_PARTITION === 3`. */
export const ErrorCode: ErrorCodeTable = Object.freeze(
  Object.fromEntries(ROWS.map((row) => [row.name, row.code])),
) as ErrorCodeTable;

export type ErrorCodeName = keyof typeof ErrorCode;

/** The code KafkaJS gives an error whose code it does not know. */
export const KAFKAJS_UNKNOWN_ERROR_CODE = -99;

const BY_CODE: ReadonlyMap<number, KafkaErrorInfo> = new Map(ROWS.map((row) => [row.code, row]));

/**
 * The entry for `code`. An unknown code gets what KafkaJS's `createErrorFromCode` builds for it:
 * type KAFKAJS_UNKNOWN_ERROR_CODE, code -99, not retriable, "Unknown error code <code>".
 */
export function errorInfo(code: number): KafkaErrorInfo {
  return (
    BY_CODE.get(code) ?? {
      code: KAFKAJS_UNKNOWN_ERROR_CODE,
      name: 'KAFKAJS_UNKNOWN_ERROR_CODE',
      type: 'KAFKAJS_UNKNOWN_ERROR_CODE',
      retriable: false,
      kafkaRetriable: false,
      message: `Unknown error code ${code}`,
    }
  );
}
