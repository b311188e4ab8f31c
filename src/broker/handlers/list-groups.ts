/**
 * ListGroups (key 16), v0-4: every group this broker coordinates (not the cluster's: admin clients ask every
 * broker), with protocol type and, from v4, state; v4's `statesFilter` keeps the groups whose state is listed
 * (exact names, as Kafka 3.7). COORDINATOR_LOAD_IN_PROGRESS while an offsets partition is loading (with the
 * groups already loaded).
 * Leaves out: authorization, v5's type filter (KIP-848 groups).
 */
import { ApiKey, type ListGroupsResponseInput } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const listGroupsHandler = defineHandler({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 4,
  handle: ({ broker, header }, request): ListGroupsResponseInput => {
    const listed = broker.groupCoordinator.listGroups(header.apiVersion >= 4 ? request.statesFilter : []);
    return {
      throttleTimeMs: 0,
      errorCode: listed.errorCode,
      groups: listed.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state })),
    };
  },
});
