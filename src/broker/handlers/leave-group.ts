/**
 * LeaveGroup (key 13), v0-5: the group coordinator's `handleLeaveGroup` (src/broker/group/membership.ts).
 * v0-2 name one member and answer one error code; v3+ name several (KIP-345), static members by instance id
 * alone (member id ""), and answer per member (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID). A member leaving a
 * stable group starts a rebalance.
 * Leaves out: authorization, the `reason` field (logged by Kafka, not kept).
 */
import { ApiKey, ErrorCode, type LeaveGroupResponseInput } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const leaveGroupHandler = defineHandler({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle: ({ broker, header }, request): LeaveGroupResponseInput => {
    const isBatched = header.apiVersion >= 3;
    const leaving = isBatched ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: request.memberId, groupInstanceId: null }];
    const result = broker.groupCoordinator.membership.leaveGroup(request.groupId, leaving);
    if (isBatched) return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.errorCode })) };
    // `LeaveGroupResponse` before v3: the member's error becomes the only error.
    const errorCode = result.errorCode !== ErrorCode.NONE ? result.errorCode : (result.members[0]?.errorCode ?? ErrorCode.NONE);
    return { throttleTimeMs: 0, errorCode };
  },
});
