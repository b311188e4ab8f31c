/**
 * DeleteGroups (key 42), v0-2: the group coordinator's `handleDeleteGroups` for each distinct group id, in
 * request order: an Empty group is deleted with its offsets (tombstones in `__consumer_offsets`),
 * NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when this coordinator does not know it,
 * NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS for groups of other coordinators or loading partitions.
 * Leaves out: authorization.
 */
import { ApiKey, type DeleteGroupsResponseInput } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const deleteGroupsHandler = defineHandler({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle: ({ broker }, request): DeleteGroupsResponseInput => ({
    throttleTimeMs: 0,
    results: broker.groupCoordinator.deleteGroups([...new Set(request.groupsNames)]),
  }),
});
