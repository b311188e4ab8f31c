/**
 * DescribeGroups (key 15), v0-5: the group coordinator's `handleDescribeGroup` for each group id, in request
 * order: state as Kafka spells it ("Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"; a group
 * this coordinator does not know is "Dead" with no members), protocol type, the selected protocol and each
 * member's metadata and assignment only once Stable. Group-level errors (NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS) come with an empty state. v3+ `includeAuthorizedOperations` gets READ, DELETE
 * and DESCRIBE (no authorizer: everything a group supports), otherwise -2147483648.
 * Leaves out: authorization.
 */
import { ApiKey, ErrorCode, type DescribeGroupsResponseInput } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** `AclEntry.supportedOperations(GROUP)` as a bit field of `AclOperation` codes: READ (3), DELETE (6), DESCRIBE (8). */
const ALL_GROUP_OPERATIONS = [3, 6, 8].reduce((bits, code) => bits | (1 << code), 0);

export const describeGroupsHandler = defineHandler({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle: ({ broker }, request): DescribeGroupsResponseInput => ({
    throttleTimeMs: 0,
    groups: request.groups.map((groupId) => {
      const described = broker.groupCoordinator.describeGroup(groupId);
      return {
        errorCode: described.errorCode,
        groupId,
        groupState: described.state,
        protocolType: described.protocolType,
        protocolData: described.protocol,
        members: described.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: request.includeAuthorizedOperations && described.errorCode === ErrorCode.NONE ? ALL_GROUP_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      };
    }),
  }),
});
