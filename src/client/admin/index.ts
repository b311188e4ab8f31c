/**
 * The admin client (KafkaJS 2.2.4's `src/admin/index.js`): every method of KafkaJS's Admin with the same
 * argument checks and messages, retry decisions, request versions and answer shapes, the `admin.*` events
 * and `on()`. Each public method hands out a promise tracked by the admin's process, so virtual time runs
 * while the user awaits it and a killed admin's promises never settle.
 *
 * The methods live by subject: topics.ts (topics, offsets by topic, records), configs.ts, groups.ts
 * (offsets by group, groups) and acls.ts (ACLs and partition reassignments, which the simulated broker does
 * not serve: they fail with KafkaJSServerDoesNotSupportApiKey). setOffsets commits directly instead of
 * running a throwaway consumer; groups.ts says what that changes.
 */
import type { AdminConfig } from '../config.ts';
import { CLIENT_PROCESS, type ClientContext } from '../context.ts';
import { KafkaJSNonRetriableError } from '../errors.ts';
import type { InstrumentationEvent } from '../instrumentation.ts';
import { aclMethods } from './acls.ts';
import { configMethods } from './configs.ts';
import { groupMethods } from './groups.ts';
import { createScope } from './scope.ts';
import { topicMethods } from './topics.ts';
import type { Admin, AdminEvents } from './types.ts';

export * from './enums.ts';
export type * from './types.ts';

const EVENTS: AdminEvents = {
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
};

const EVENT_NAMES: string[] = Object.values(EVENTS);
const EVENT_KEYS = Object.keys(EVENTS)
  .map((key) => `admin.events.${key}`)
  .join(', ');

export function createAdmin(context: ClientContext, _config: AdminConfig): Admin {
  const { cluster, instrumentation, process } = context;
  const scope = createScope(cluster, context.logger, process, context.retry);
  const { logger } = scope;
  const topics = topicMethods(scope);
  const configs = configMethods(scope);
  const groups = groupMethods(scope, topics.fetchTopicOffsets);
  const acls = aclMethods(scope);

  /** Makes a method's promise one the user awaits (the methods are async: bad arguments reject, never throw). */
  const tracked =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      process.track(method(...args));

  const connect = async (): Promise<void> => {
    await cluster.connect();
    instrumentation.emit(EVENTS.CONNECT);
  };

  const disconnect = async (): Promise<void> => {
    await cluster.disconnect();
    instrumentation.emit(EVENTS.DISCONNECT);
  };

  const on = (eventName: string, listener: (event: InstrumentationEvent<unknown>) => unknown): (() => void) => {
    if (!EVENT_NAMES.includes(eventName)) throw new KafkaJSNonRetriableError(`Event name should be one of ${EVENT_KEYS}`);
    return instrumentation.addListener(eventName, (event) => {
      Promise.resolve(listener(event)).catch((e: Error) => {
        logger.error(`Failed to execute listener: ${e.message}`, { eventName, stack: e.stack });
      });
    });
  };

  const admin: Admin = {
    connect: tracked(connect),
    disconnect: tracked(disconnect),
    listTopics: tracked(topics.listTopics),
    createTopics: tracked(topics.createTopics),
    deleteTopics: tracked(topics.deleteTopics),
    createPartitions: tracked(topics.createPartitions),
    fetchTopicMetadata: tracked(topics.fetchTopicMetadata),
    describeCluster: tracked(topics.describeCluster),
    events: EVENTS,
    fetchOffsets: tracked(groups.fetchOffsets),
    fetchTopicOffsets: tracked(topics.fetchTopicOffsets),
    fetchTopicOffsetsByTimestamp: tracked(topics.fetchTopicOffsetsByTimestamp),
    setOffsets: tracked(groups.setOffsets),
    resetOffsets: tracked(groups.resetOffsets),
    describeConfigs: tracked(configs.describeConfigs),
    alterConfigs: tracked(configs.alterConfigs),
    on: on as Admin['on'],
    logger: () => logger,
    listGroups: tracked(groups.listGroups),
    describeGroups: tracked(groups.describeGroups),
    deleteGroups: tracked(groups.deleteGroups),
    describeAcls: tracked(acls.describeAcls),
    deleteAcls: tracked(acls.deleteAcls),
    createAcls: tracked(acls.createAcls),
    deleteTopicRecords: tracked(topics.deleteTopicRecords),
    alterPartitionReassignments: tracked(acls.alterPartitionReassignments),
    listPartitionReassignments: tracked(acls.listPartitionReassignments),
  };
  // For `cluster.kill(admin)`; not enumerable, so the admin's own keys stay KafkaJS's.
  Object.defineProperty(admin, CLIENT_PROCESS, { value: process, enumerable: false });
  return admin;
}
