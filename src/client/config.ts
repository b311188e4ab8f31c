/** Configuration shapes of `new Kafka()`, `.producer()`, `.consumer()` and `.admin()`, as KafkaJS 2.2.4 types them. */
import type { ConnectionOptions } from 'node:tls';
import type { Socket } from 'node:net';
import type { PartitionAssigner } from './assigners.ts';
import type { logCreator, logLevel } from './logger.ts';
import type { ICustomPartitioner } from './partitioners.ts';
import type { RetryOptions } from './retry.ts';

export type BrokersFunction = () => string[] | Promise<string[]>;

export interface ISocketFactoryArgs {
  host: string;
  port: number;
  ssl: ConnectionOptions;
  onConnect: () => void;
}
export type ISocketFactory = (args: ISocketFactoryArgs) => Socket;

export interface SASLMechanismOptionsMap {
  plain: { username: string; password: string };
  'scram-sha-256': { username: string; password: string };
  'scram-sha-512': { username: string; password: string };
  aws: { authorizationIdentity: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  oauthbearer: { oauthBearerProvider: () => Promise<{ value: string }> };
}
export type SASLMechanism = keyof SASLMechanismOptionsMap;
type SASLMechanismOptions<T> = T extends SASLMechanism ? { mechanism: T } & SASLMechanismOptionsMap[T] : never;
export type SASLOptions = SASLMechanismOptions<SASLMechanism>;
export interface Mechanism {
  mechanism: string;
  authenticationProvider: (args: unknown) => unknown;
}

export interface KafkaConfig {
  brokers: string[] | BrokersFunction;
  /** Accepted for compatibility; the in-process network has no TLS. */
  ssl?: ConnectionOptions | boolean;
  /** Accepted for compatibility; the simulated brokers have no authentication. */
  sasl?: SASLOptions | Mechanism;
  clientId?: string;
  connectionTimeout?: number;
  authenticationTimeout?: number;
  reauthenticationThreshold?: number;
  requestTimeout?: number;
  enforceRequestTimeout?: boolean;
  retry?: RetryOptions;
  /** Accepted for compatibility; connections go through the simulator's transport. */
  socketFactory?: ISocketFactory;
  logLevel?: logLevel;
  logCreator?: logCreator;
}

export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner;
  retry?: RetryOptions;
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  idempotent?: boolean;
  transactionalId?: string;
  transactionTimeout?: number;
  maxInFlightRequests?: number;
}

export interface ConsumerConfig {
  groupId: string;
  partitionAssigners?: PartitionAssigner[];
  metadataMaxAge?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  maxBytes?: number;
  maxWaitTimeInMs?: number;
  retry?: RetryOptions & { restartOnFailure?: (err: Error) => Promise<boolean> };
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number;
  readUncommitted?: boolean;
  rackId?: string;
}

export interface AdminConfig {
  retry?: RetryOptions;
}
