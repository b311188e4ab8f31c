/**
 * The handler registry: one entry per API this broker serves, with its version range. Dispatch, the
 * ApiVersions answer and docs/reference/supported-apis.md all derive from this list, so "do we support X"
 * is answered by reading it (the kfake layout: one file per API, each saying what it leaves out).
 */
import type { ApiKeyNumber } from '../../protocol/index.ts';
import { createAclsHandler } from './create-acls.ts';
import { deleteAclsHandler } from './delete-acls.ts';
import { describeAclsHandler } from './describe-acls.ts';
import { alterConfigsHandler } from './alter-configs.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { createTopicsHandler } from './create-topics.ts';
import { deleteRecordsHandler } from './delete-records.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { GROUP_HANDLERS } from './group-registry.ts';
import { fetchHandler } from './fetch.ts';
import type { Handler } from './handler.ts';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.ts';
import { produceHandler } from './produce.ts';
import { TXN_HANDLERS } from './txn-registry.ts';

export const HANDLERS: readonly Handler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  createPartitionsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  ...(GROUP_HANDLERS as unknown as Handler[]),
  ...(TXN_HANDLERS as unknown as Handler[]),
] as unknown as readonly Handler[];

export const HANDLERS_BY_KEY: ReadonlyMap<number, Handler> = new Map(HANDLERS.map((h) => [h.apiKey as ApiKeyNumber, h]));
