/**
 * KafkaJS 2.2.4's error classes (`kafkajs/src/errors.js`), statement for statement, plus `createErrorFromCode`
 * from `kafkajs/src/protocol/error.js`. What user code can observe is kept identical: class names and
 * inheritance, the `name` strings (including KafkaJS's slips, see below), which fields are own and
 * enumerable and in what order, what the constructors do with odd arguments (a missing options object throws
 * where KafkaJS's destructuring throws), and the fallback for codes KafkaJS does not know.
 *
 * Things KafkaJS does that look like bugs and are kept on purpose:
 * - `name` is a string literal per class, not `constructor.name`: KafkaJSInvalidVarIntError and
 *   KafkaJSInvalidLongError are named 'KafkaJSNonRetriableError', and KafkaJSFetcherRebalanceError (a plain
 *   `Error` subclass) keeps the inherited name 'Error'.
 * - KafkaJSError takes `helpUrl` from the error it wraps but not `retriable` or `cause`: those come from the
 *   options only (`retriable` defaults to true). `message` and `cause` are own but not enumerable (the `Error`
 *   constructor creates them), `name`, `retriable` and `helpUrl` are enumerable.
 * - `message` is `e.message || e`, so wrapping an Error whose message is empty stores the Error itself.
 * - KafkaJSNumberOfRetriesExceeded builds its `stack` before it renames itself, so the stack starts with
 *   'KafkaJSNonRetriableError'.
 * - KafkaJSAggregateError passes its first argument to `Error` as is: an Error becomes 'Error: <message>'.
 * - KafkaJSDeleteTopicRecordsError is retriable when no partition has an error (`every` of nothing).
 *
 * Where the TypeScript types leave `kafkajs/types/index.d.ts`:
 * - Classes the declarations omit are typed too (KafkaJSMemberIdRequired, KafkaJSConnectionClosedError,
 *   KafkaJSInvariantViolation, KafkaJSInvalidVarIntError, KafkaJSInvalidLongError, KafkaJSCreateTopicError,
 *   KafkaJSFetcherRebalanceError, KafkaJSNoBrokerAvailableError), with the fields their code sets.
 * - The declarations give several classes `constructor()`, but KafkaJS reads `e.message` there, so a call
 *   without arguments throws a TypeError; they take `(e, metadata?)` here, as the code forwards them.
 * - KafkaJSOffsetOutOfRange, KafkaJSMemberIdRequired and KafkaJSNumberOfRetriesExceeded destructure their
 *   options without a default, so the options are required here rather than optional.
 * - `unknownPartitions` is `number[]` (what KafkaJS's consumer group passes), where the declarations say
 *   `number` on the class and `PartitionMetadata[]` on the options.
 * - Fields the code sets but the declarations omit are declared: `code`/`host`/`port` of the connection
 *   errors, `partitions` of KafkaJSDeleteTopicRecordsError, `errors` and the like.
 */
import type { PartitionMetadata } from './types.ts';
import { errorInfo, KAFKAJS_UNKNOWN_ERROR_CODE } from '../protocol/error-codes.ts';

/** KafkaJS's `package.json` `bugs.url`, which KafkaJSInvariantViolation's `helpUrl` points into. */
const ISSUE_URL = 'https://github.com/tulios/kafkajs/issues';

export type { PartitionMetadata } from './types.ts';

/** Something shaped like an error: what KafkaJS reads off the first constructor argument when it is not a string. */
export interface KafkaJSErrorLike {
  message: string;
  helpUrl?: string;
}

/** An entry of KafkaJS's error table (`KafkaErrorInfo` of `src/protocol/error-codes.ts` is one). */
export interface KafkaJSProtocolErrorLike extends KafkaJSErrorLike {
  type?: string;
  code?: number;
  retriable?: boolean;
}

/** KafkaJS's options for KafkaJSError. Only `retriable` and `cause` are read; the rest is in KafkaJS's declarations. */
export interface KafkaJSErrorMetadata {
  retriable?: boolean;
  cause?: Error;
  topic?: string;
  partitionId?: number;
  metadata?: PartitionMetadata;
}

export interface KafkaJSNonRetriableErrorMetadata {
  cause?: Error;
}

export interface KafkaJSProtocolErrorMetadata {
  retriable?: boolean;
}

export interface KafkaJSOffsetOutOfRangeMetadata {
  topic: string;
  partition: number;
}

export interface KafkaJSMemberIdRequiredMetadata {
  memberId: string;
}

export interface KafkaJSNumberOfRetriesExceededMetadata {
  retryCount: number;
  retryTime: number;
}

export interface KafkaJSConnectionErrorMetadata {
  broker?: string;
  code?: string;
}

export interface KafkaJSConnectionClosedErrorMetadata {
  host?: string;
  port?: number;
}

export interface KafkaJSRequestTimeoutErrorMetadata {
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  sentAt: number;
  pendingDuration: number;
}

export interface KafkaJSTopicMetadataNotLoadedMetadata {
  topic: string;
}

export interface KafkaJSStaleTopicMetadataAssignmentMetadata {
  topic: string;
  unknownPartitions: number[];
}

export interface KafkaJSServerDoesNotSupportApiKeyMetadata {
  apiKey: number;
  apiName: string;
}

export type DeleteGroupsResult = {
  groupId: string;
  errorCode?: number;
  error?: KafkaJSProtocolError;
};

export interface KafkaJSDeleteGroupsErrorGroups {
  groupId: string;
  errorCode: number;
  error: KafkaJSError;
}

export interface KafkaJSDeleteTopicRecordsErrorTopic {
  topic: string;
  partitions: KafkaJSDeleteTopicRecordsErrorPartition[];
}

export interface KafkaJSDeleteTopicRecordsErrorPartition {
  partition: number;
  offset: string;
  error: KafkaJSError;
}

/** Reads `key` off whatever was passed, as JavaScript would (throws on null and undefined, like KafkaJS). */
function read(value: unknown, key: string): unknown {
  return (value as Record<string, unknown>)[key];
}

/** Assigns a field declared readonly on a base class, as KafkaJS's subclasses do. */
function write<T extends object, K extends keyof T>(target: T, key: K, value: T[K]): void {
  (target as { -readonly [P in keyof T]: T[P] })[key] = value;
}

export class KafkaJSError extends Error {
  declare readonly message: string;
  declare readonly name: string;
  declare readonly retriable: boolean;
  declare readonly helpUrl?: string;
  declare readonly cause?: Error;

  constructor(e: Error | string | KafkaJSErrorLike, { retriable = true, cause }: KafkaJSErrorMetadata = {}) {
    super(e as string, { cause });
    Error.captureStackTrace(this, this.constructor);
    this.message = (read(e, 'message') || e) as string;
    this.name = 'KafkaJSError';
    this.retriable = retriable;
    this.helpUrl = read(e, 'helpUrl') as string | undefined;
    this.cause = cause;
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: Error | string | KafkaJSErrorLike, { cause }: KafkaJSNonRetriableErrorMetadata = {}) {
    super(e, { retriable: false, cause });
    write(this, 'name', 'KafkaJSNonRetriableError');
  }
}

export class KafkaJSProtocolError extends KafkaJSError {
  declare readonly type: string;
  declare readonly code: number;

  constructor(
    e: Error | string | KafkaJSProtocolErrorLike,
    { retriable = read(e, 'retriable') as boolean | undefined }: KafkaJSProtocolErrorMetadata = {},
  ) {
    super(e, { retriable });
    this.type = read(e, 'type') as string;
    this.code = read(e, 'code') as number;
    write(this, 'name', 'KafkaJSProtocolError');
  }
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  declare readonly topic: string;
  declare readonly partition: number;

  constructor(e: Error | string | KafkaJSProtocolErrorLike, { topic, partition }: KafkaJSOffsetOutOfRangeMetadata) {
    super(e);
    this.topic = topic;
    this.partition = partition;
    write(this, 'name', 'KafkaJSOffsetOutOfRange');
  }
}

export class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  declare readonly memberId: string;

  constructor(e: Error | string | KafkaJSProtocolErrorLike, { memberId }: KafkaJSMemberIdRequiredMetadata) {
    super(e);
    this.memberId = memberId;
    write(this, 'name', 'KafkaJSMemberIdRequired');
  }
}

export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  declare readonly stack: string;
  declare readonly retryCount: number;
  declare readonly retryTime: number;

  constructor(e: Error | string, { retryCount, retryTime }: KafkaJSNumberOfRetriesExceededMetadata) {
    // KafkaJS passes `e` as the cause whatever it is; its retrier only ever hands it an Error.
    super(e, { cause: e as Error });
    this.stack = `${this.name}\n  Caused by: ${read(e, 'stack') as string | undefined}`;
    this.retryCount = retryCount;
    this.retryTime = retryTime;
    write(this, 'name', 'KafkaJSNumberOfRetriesExceeded');
  }
}

export class KafkaJSConnectionError extends KafkaJSError {
  declare readonly broker: string;
  declare readonly code?: string;

  constructor(e: Error | string | KafkaJSErrorLike, { broker, code }: KafkaJSConnectionErrorMetadata = {}) {
    super(e);
    this.broker = broker as string;
    this.code = code;
    write(this, 'name', 'KafkaJSConnectionError');
  }
}

export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  declare readonly host?: string;
  declare readonly port?: number;

  constructor(e: Error | string | KafkaJSErrorLike, { host, port }: KafkaJSConnectionClosedErrorMetadata = {}) {
    super(e, { broker: `${host}:${port}` });
    this.host = host;
    this.port = port;
    write(this, 'name', 'KafkaJSConnectionClosedError');
  }
}

export class KafkaJSRequestTimeoutError extends KafkaJSError {
  declare readonly broker: string;
  declare readonly correlationId: number;
  declare readonly createdAt: number;
  declare readonly sentAt: number;
  declare readonly pendingDuration: number;

  constructor(
    e: Error | string | KafkaJSErrorLike,
    { broker, correlationId, createdAt, sentAt, pendingDuration }: Partial<KafkaJSRequestTimeoutErrorMetadata> = {},
  ) {
    super(e);
    this.broker = broker as string;
    this.correlationId = correlationId as number;
    this.createdAt = createdAt as number;
    this.sentAt = sentAt as number;
    this.pendingDuration = pendingDuration as number;
    write(this, 'name', 'KafkaJSRequestTimeoutError');
  }
}

export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSMetadataNotLoaded');
  }
}

export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  declare readonly topic: string;

  constructor(e: Error | string | KafkaJSErrorLike, { topic }: Partial<KafkaJSTopicMetadataNotLoadedMetadata> = {}) {
    super(e);
    this.topic = topic as string;
    write(this, 'name', 'KafkaJSTopicMetadataNotLoaded');
  }
}

export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  declare readonly topic: string;
  declare readonly unknownPartitions: number[];

  constructor(
    e: Error | string | KafkaJSErrorLike,
    { topic, unknownPartitions }: Partial<KafkaJSStaleTopicMetadataAssignmentMetadata> = {},
  ) {
    super(e);
    this.topic = topic as string;
    this.unknownPartitions = unknownPartitions as number[];
    write(this, 'name', 'KafkaJSStaleTopicMetadataAssignment');
  }
}

export class KafkaJSDeleteGroupsError extends KafkaJSError {
  declare readonly groups: DeleteGroupsResult[];

  constructor(e: Error | string | KafkaJSErrorLike, groups: KafkaJSDeleteGroupsErrorGroups[] | DeleteGroupsResult[] = []) {
    super(e);
    this.groups = groups as DeleteGroupsResult[];
    write(this, 'name', 'KafkaJSDeleteGroupsError');
  }
}

export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  declare readonly apiKey: number;
  declare readonly apiName: string;

  constructor(
    e: Error | string | KafkaJSErrorLike,
    { apiKey, apiName }: Partial<KafkaJSServerDoesNotSupportApiKeyMetadata> = {},
  ) {
    super(e);
    this.apiKey = apiKey as number;
    this.apiName = apiName as string;
    write(this, 'name', 'KafkaJSServerDoesNotSupportApiKey');
  }
}

export class KafkaJSBrokerNotFound extends KafkaJSError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSBrokerNotFound');
  }
}

export class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSNonRetriableErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSPartialMessageError');
  }
}

export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSNonRetriableErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSSASLAuthenticationError');
  }
}

export class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSNonRetriableErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSGroupCoordinatorNotFound');
  }
}

export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSNonRetriableErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSNotImplemented');
  }
}

export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSNonRetriableErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSTimeout');
  }
}

export class KafkaJSLockTimeout extends KafkaJSTimeout {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSNonRetriableErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSLockTimeout');
  }
}

export class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSNonRetriableErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSUnsupportedMagicByteInMessageSet');
  }
}

export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  declare readonly partitions: KafkaJSDeleteTopicRecordsErrorPartition[];

  constructor({ partitions }: KafkaJSDeleteTopicRecordsErrorTopic) {
    // Retriable if all the errors were retriable.
    const retriable = partitions
      .filter(({ error }) => error != null)
      .every(({ error }) => error.retriable === true);

    super('Error while deleting records', { retriable });
    write(this, 'name', 'KafkaJSDeleteTopicRecordsError');
    this.partitions = partitions;
  }
}

export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor(e: Error | string | KafkaJSErrorLike) {
    const message = (read(e, 'message') || e) as string;
    super(`Invariant violated: ${message}. This is likely a bug and should be reported.`);
    write(this, 'name', 'KafkaJSInvariantViolation');

    const issueTitle = encodeURIComponent(`Invariant violation: ${message}`);
    write(this, 'helpUrl', `${ISSUE_URL}/new?assignees=&labels=bug&template=bug_report.md&title=${issueTitle}`);
  }
}

export class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSNonRetriableErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSNonRetriableError'); // sic: KafkaJS's name
  }
}

export class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {
  constructor(e: Error | string | KafkaJSErrorLike, metadata?: KafkaJSNonRetriableErrorMetadata) {
    super(e, metadata);
    write(this, 'name', 'KafkaJSNonRetriableError'); // sic: KafkaJS's name
  }
}

export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  declare readonly topic: string;

  constructor(e: Error | string | KafkaJSProtocolErrorLike, topicName: string) {
    super(e);
    this.topic = topicName;
    write(this, 'name', 'KafkaJSCreateTopicError');
  }
}

export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  declare readonly topic?: string;
  declare readonly partition?: number;

  constructor(e: Error | string | KafkaJSProtocolErrorLike, topic?: string, partition?: number) {
    super(e);
    this.topic = topic;
    this.partition = partition;
    write(this, 'name', 'KafkaJSAlterPartitionReassignmentsError');
  }
}

export class KafkaJSAggregateError extends Error {
  declare readonly errors: (Error | string)[];
  declare readonly name: string;

  constructor(message: Error | string, errors: (Error | string)[]) {
    super(message as string);
    this.errors = errors;
    this.name = 'KafkaJSAggregateError';
  }
}

/** KafkaJS declares it with no body: no own fields, and `name` stays 'Error'. */
export class KafkaJSFetcherRebalanceError extends Error {}

export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor() {
    super('No broker available');
    write(this, 'name', 'KafkaJSNoBrokerAvailableError');
  }
}

/** The error types a consumer treats as "the group is rebalancing". */
export const isRebalancing = (e: { type?: unknown }): boolean =>
  e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'NOT_COORDINATOR_FOR_GROUP' || e.type === 'ILLEGAL_GENERATION';

export const isKafkaJSError = (e: unknown): e is KafkaJSError => e instanceof KafkaJSError;

/**
 * The highest code in KafkaJS 2.2.4's error table (`src/protocol/error.js` knows -1..88 except 0). KafkaJS
 * turns every other code into its synthetic KAFKAJS_UNKNOWN_ERROR_CODE entry, even ones our table knows
 * (0 and the codes Kafka added after 88), so the client does too.
 */
const KAFKAJS_HIGHEST_KNOWN_CODE = 88;

function knownToKafkaJS(code: number): boolean {
  return Number.isInteger(code) && code >= -1 && code <= KAFKAJS_HIGHEST_KNOWN_CODE && code !== 0;
}

/** `createErrorFromCode` of KafkaJS's `src/protocol/error.js`: the KafkaJSProtocolError for a response error code. */
export function createErrorFromCode(code: number): KafkaJSProtocolError {
  return new KafkaJSProtocolError(knownToKafkaJS(code) ? errorInfo(code) : unknownErrorCode(code));
}

/** KafkaJS's `unknownErrorCode(errorCode)`, the entry `errorInfo` also gives codes our table lacks. */
function unknownErrorCode(code: number): KafkaJSProtocolErrorLike {
  return {
    type: 'KAFKAJS_UNKNOWN_ERROR_CODE',
    code: KAFKAJS_UNKNOWN_ERROR_CODE,
    retriable: false,
    message: `Unknown error code ${code}`,
  };
}
