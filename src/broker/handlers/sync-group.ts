/**
 * SyncGroup (key 14), v0-5: the group coordinator's `handleSyncGroup` (src/broker/group/membership.ts): the
 * leader's assignment is stored in `__consumer_offsets` and handed to every member; followers wait for it.
 * REBALANCE_IN_PROGRESS while the group prepares a rebalance (or its coordinator is loading), ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID (v3+ static members); from v5 the protocol type and name are mandatory
 * and must match the group's (INCONSISTENT_GROUP_PROTOCOL, as `SyncGroupRequest.areMandatoryProtocolTypeAndNamePresent`).
 * Leaves out: authorization.
 */
import { ApiKey, ErrorCode, type SyncGroupResponseInput } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const syncGroupHandler = defineHandler({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  handle: async ({ broker, header }, request): Promise<SyncGroupResponseInput> => {
    if (header.apiVersion >= 5 && (request.protocolType === null || request.protocolName === null)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    const result = await broker.groupCoordinator.membership.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      protocolName: request.protocolName,
      assignments: new Map(request.assignments.map((a) => [a.memberId, Buffer.from(a.assignment)])),
    });
    return { throttleTimeMs: 0, errorCode: result.errorCode, protocolType: result.protocolType, protocolName: result.protocolName, assignment: result.assignment };
  },
});
