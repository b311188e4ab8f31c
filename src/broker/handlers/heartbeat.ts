/**
 * Heartbeat (key 12), v0-4: the group coordinator's `handleHeartbeat` (src/broker/group/membership.ts). It
 * resets the member's session and answers NONE in Stable and CompletingRebalance, REBALANCE_IN_PROGRESS while
 * the group prepares a rebalance (the member must rejoin), UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
 * FENCED_INSTANCE_ID (v3+), and NONE without looking while the coordinator is loading.
 * Leaves out: authorization.
 */
import { ApiKey } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const heartbeatHandler = defineHandler({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle: ({ broker }, request) => ({
    throttleTimeMs: 0,
    errorCode: broker.groupCoordinator.membership.heartbeat(request.groupId, request.memberId, request.groupInstanceId, request.generationId),
  }),
});
