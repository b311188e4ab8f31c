/**
 * JoinGroup (key 11), v0-9: the group coordinator's `handleJoinGroup` (see src/broker/group/membership.ts).
 * Version rules from Kafka's `KafkaApis` / `JoinGroupRequest` / `JoinGroupResponse`:
 * - v0 has no rebalance timeout: the session timeout stands in;
 * - v4+: a member without member id and without instance id first gets MEMBER_ID_REQUIRED and its id (KIP-394);
 * - v5+: `groupInstanceId` makes a static member (KIP-345);
 * - v9+: a rejoining static leader of a stable group may be told to skip the assignment (KIP-814);
 * - the protocol name is "" when there is none before v7 and null from v7.
 * The answer comes when the rebalance completes (or the member is refused or fenced).
 * Leaves out: authorization, the `reason` field (logged by Kafka, not kept).
 */
import { ApiKey, type JoinGroupResponseInput } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const joinGroupHandler = defineHandler({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  handle: async ({ broker, header, session }, request): Promise<JoinGroupResponseInput> => {
    const version = header.apiVersion;
    const result = await broker.groupCoordinator.membership.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      requireKnownMemberId: version >= 4 && request.groupInstanceId === null,
      supportSkippingAssignment: version >= 9,
      clientId: header.clientId ?? session.clientId,
      clientHost: `/${session.clientNode}`,
      rebalanceTimeoutMs: version === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    });
    let protocolName = result.protocolName;
    if (version < 7 && protocolName === null) protocolName = '';
    if (version >= 7 && protocolName === '') protocolName = null;
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      protocolName,
      leader: result.leaderId,
      skipAssignment: version >= 9 ? result.skipAssignment : false,
      memberId: result.memberId,
      members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    };
  },
});
