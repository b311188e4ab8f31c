/**
 * The classic group membership protocol of one coordinator, as Kafka 3.x's `GroupCoordinator` answers it:
 * JoinGroup (with the MEMBER_ID_REQUIRED round of KIP-394 and static members of KIP-345), SyncGroup,
 * Heartbeat and LeaveGroup. Each request is validated against the group (coordinator, member, instance id,
 * generation, protocol) and then drives the rebalance in rebalance.ts.
 *
 * JoinGroup and SyncGroup answers are callbacks resolved when the rebalance gets there, as in Kafka: a second
 * JoinGroup or SyncGroup from a member replaces the first one's callback, which then stays unanswered.
 */
import { ErrorCode } from '../../protocol/index.ts';
import type { GroupCoordinator } from './group-coordinator.ts';
import { ClassicGroup, currentGenerationResult, joinError, Member, syncError, type JoinGroupResult, type Protocol, type SyncGroupResult } from './group.ts';
import type { Rebalance } from './rebalance.ts';

export interface JoinGroupInput {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** JoinGroup v4+ without an instance id: a new member first gets MEMBER_ID_REQUIRED. */
  readonly requireKnownMemberId: boolean;
  /** JoinGroup v9+: a rejoining static leader of a stable group is told to skip the assignment. */
  readonly supportSkippingAssignment: boolean;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly Protocol[];
}

export interface SyncGroupInput {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: ReadonlyMap<string, Buffer>;
}

export interface LeavingMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface LeaveGroupResult {
  readonly errorCode: number;
  readonly members: ReadonlyArray<LeavingMember & { errorCode: number }>;
}

/** Java's `UUID.toString` of a runtime UUID: Kafka member ids look like `client-1-9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d`. */
function javaUuidText(kafkaUuid: string): string {
  const hex = Buffer.from(kafkaUuid, 'base64url').toString('hex').padEnd(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export class Membership {
  constructor(private readonly coordinator: GroupCoordinator) {}

  private get nowMs(): number {
    return this.coordinator.broker.runtime.now();
  }

  private get rebalance(): Rebalance {
    return this.coordinator.rebalance;
  }

  // -------------------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> {
    return new Promise((resolve) => this.handleJoinGroup(input, resolve));
  }

  private handleJoinGroup(input: JoinGroupInput, respond: (result: JoinGroupResult) => void): void {
    const statusError = this.coordinator.validateGroupStatus(input.groupId, 'JoinGroup');
    if (statusError !== null) return respond(joinError(input.memberId, statusError));
    const config = this.coordinator.broker.config;
    if (input.sessionTimeoutMs < config.int('group.min.session.timeout.ms') || input.sessionTimeoutMs > config.int('group.max.session.timeout.ms')) {
      return respond(joinError(input.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = input.memberId === '';
    // A group is created by a member without an id; a member id for a group that does not exist is unknown.
    const group = this.coordinator.getOrMaybeCreateGroup(input.groupId, isUnknownMember);
    if (group === undefined) return respond(joinError(input.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    if (!this.acceptJoiningMember(group, input.memberId)) {
      this.rebalance.removeFromGroup(group, input.memberId);
      respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) {
      this.doNewMemberJoinGroup(group, input, respond);
    } else {
      this.doCurrentMemberJoinGroup(group, input, respond);
    }
    if (group.is('PreparingRebalance')) this.rebalance.checkJoin(group);
  }

  /** `acceptJoiningMember`: the number of members waiting to join is what `group.max.size` bounds while rebalancing. */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const maxSize = this.coordinator.broker.config.int('group.max.size');
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numAwaiting < maxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < maxSize;
    }
  }

  private generateMemberId(clientId: string, groupInstanceId: string | null): string {
    return `${groupInstanceId ?? clientId}-${javaUuidText(this.coordinator.broker.runtime.uuid())}`;
  }

  private doNewMemberJoinGroup(group: ClassicGroup, input: JoinGroupInput, respond: (result: JoinGroupResult) => void): void {
    // A dead group was just unloaded or deleted: the member finds the coordinator again and rejoins.
    if (group.is('Dead')) return respond(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(input.protocolType, input.protocols)) return respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = this.generateMemberId(input.clientId, input.groupInstanceId);
    if (input.groupInstanceId !== null) {
      const oldMemberId = group.currentStaticMemberId(input.groupInstanceId);
      if (oldMemberId !== undefined) this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, input.groupInstanceId, input, respond);
      else this.addMemberAndRebalance(group, newMemberId, input, respond);
    } else if (input.requireKnownMemberId) {
      group.addPendingMember(newMemberId);
      this.rebalance.addPendingMemberExpiration(group, newMemberId, input.sessionTimeoutMs);
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, newMemberId, input, respond);
    }
  }

  /** `validateCurrentMember`: a static member must be the one its instance id maps to; anyone must be a member. */
  validateCurrentMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number | null {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      return null;
    }
    return group.has(memberId) ? null : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private doCurrentMemberJoinGroup(group: ClassicGroup, input: JoinGroupInput, respond: (result: JoinGroupResult) => void): void {
    const memberId = input.memberId;
    if (group.is('Dead')) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(input.protocolType, input.protocols)) return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (group.isPendingMember(memberId)) {
      // Kafka throws IllegalStateException for a pending member id with an instance id: the client sees an unknown error.
      if (input.groupInstanceId !== null) return respond(joinError('', ErrorCode.UNKNOWN_SERVER_ERROR));
      return this.addMemberAndRebalance(group, memberId, input, respond);
    }
    const memberError = this.validateCurrentMember(group, memberId, input.groupInstanceId);
    if (memberError !== null) return respond(joinError(memberId, memberError));
    const member = group.get(memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, input, respond);
      case 'CompletingRebalance':
        // The same metadata again (a lost JoinGroup answer): the current generation, members for the leader.
        if (member.matches(input.protocols)) return respond(currentGenerationResult(group, memberId, group.isLeader(memberId) ? group.currentMemberMetadata() : []));
        return this.updateMemberAndRebalance(group, member, input, respond);
      case 'Stable':
        // The leader's JoinGroup always rebalances (it may have seen a metadata change the others did not).
        if (group.isLeader(memberId) || !member.matches(input.protocols)) return this.updateMemberAndRebalance(group, member, input, respond);
        return respond(currentGenerationResult(group, memberId, []));
      case 'Empty':
      case 'Dead':
        return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, input: JoinGroupInput, respond: (result: JoinGroupResult) => void): void {
    const member = new Member(
      memberId,
      input.groupInstanceId,
      input.clientId,
      input.clientHost,
      input.rebalanceTimeoutMs,
      input.sessionTimeoutMs,
      input.protocolType,
      input.protocols,
    );
    member.isNew = true;
    // The initial delayed join of a new group may be extended while members keep arriving.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, respond);
    // A new member cannot heartbeat before its join completes; its JoinGroup times out after 5 minutes instead.
    this.rebalance.scheduleNewMemberExpiration(group, member);
    this.rebalance.maybePrepareRebalance(group);
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: Member, input: JoinGroupInput, respond: (result: JoinGroupResult) => void): void {
    group.updateMember(member, input.protocols, input.rebalanceTimeoutMs, input.sessionTimeoutMs, respond);
    this.rebalance.maybePrepareRebalance(group);
  }

  /**
   * A static member rejoining with an unknown member id replaces its old member id (the old one is fenced).
   * In a stable group whose protocol does not change, the group is only persisted, not rebalanced: before
   * JoinGroup v9 the answer names the old leader so the rejoined member does not assign; from v9 a rejoined
   * leader is told it leads and to skip the assignment.
   */
  private updateStaticMemberAndRebalance(
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    groupInstanceId: string,
    input: JoinGroupInput,
    respond: (result: JoinGroupResult) => void,
  ): void {
    const currentLeader = group.leaderId ?? '';
    const member = group.replaceStaticMember(groupInstanceId, oldMemberId, newMemberId, ErrorCode.FENCED_INSTANCE_ID);
    this.rebalance.completeAndScheduleNextHeartbeatExpiration(group, member);
    const oldProtocols = member.supportedProtocols;
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs;
    const oldSessionTimeoutMs = member.sessionTimeoutMs;
    group.updateMember(member, input.protocols, input.rebalanceTimeoutMs, input.sessionTimeoutMs, respond);
    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) return this.rebalance.maybePrepareRebalance(group);
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
        void this.coordinator.storeGroup(group, assignment).then((errorCode) => {
          if (errorCode !== ErrorCode.NONE) {
            // The new member id could not be persisted: put the old one back.
            if (group.has(newMemberId)) {
              group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, null);
              const restored = group.replaceStaticMember(groupInstanceId, newMemberId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID);
              this.rebalance.completeAndScheduleNextHeartbeatExpiration(group, restored);
            }
            respond({ ...currentGenerationResult(group, '', []), errorCode, leaderId: currentLeader });
          } else if (input.supportSkippingAssignment) {
            const isLeader = group.isLeader(newMemberId);
            // Kafka fails to list the members of a group that started rebalancing meanwhile (IllegalStateException):
            // the member's JoinGroup is then answered by that rebalance.
            if (isLeader && (group.is('PreparingRebalance') || group.is('Dead'))) return;
            group.maybeInvokeJoinCallback(member, {
              ...currentGenerationResult(group, newMemberId, isLeader ? group.currentMemberMetadata() : []),
              skipAssignment: isLeader,
            });
          } else {
            group.maybeInvokeJoinCallback(member, { ...currentGenerationResult(group, newMemberId, []), leaderId: currentLeader });
          }
        });
        return;
      }
      case 'CompletingRebalance':
        // The leader may already assign for the old member id: rebalance so the new one gets an assignment.
        return this.rebalance.prepareRebalance(group);
      case 'PreparingRebalance':
      case 'Empty':
      case 'Dead':
        return;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // SyncGroup

  syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> {
    return new Promise((resolve) => this.handleSyncGroup(input, resolve));
  }

  private handleSyncGroup(input: SyncGroupInput, respond: (result: SyncGroupResult) => void): void {
    const statusError = this.coordinator.validateGroupStatus(input.groupId, 'SyncGroup');
    // A loading coordinator lost the rebalance: REBALANCE_IN_PROGRESS sends the member back to JoinGroup.
    if (statusError === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (statusError !== null) return respond(syncError(statusError));
    const group = this.coordinator.getGroup(input.groupId);
    if (group === undefined) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const validationError = this.validateSyncGroup(group, input);
    if (validationError !== null) return respond(syncError(validationError));
    switch (group.state) {
      case 'Empty':
        return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        group.get(input.memberId).awaitingSync = respond;
        this.rebalance.removePendingSyncMember(group, input.memberId);
        if (!group.isLeader(input.memberId)) return;
        // Members the leader left out get an empty assignment.
        const assignment = new Map(input.assignments);
        for (const memberId of group.members.keys()) if (!assignment.has(memberId)) assignment.set(memberId, Buffer.alloc(0));
        const generationId = group.generationId;
        void this.coordinator.storeGroup(group, assignment).then((errorCode) => {
          // Another member may have joined meanwhile: only the same generation, still completing, moves on.
          if (!group.is('CompletingRebalance') || group.generationId !== generationId) return;
          if (errorCode !== ErrorCode.NONE) {
            this.rebalance.resetAndPropagateAssignmentError(group, errorCode);
            this.rebalance.maybePrepareRebalance(group);
          } else {
            for (const member of group.members.values()) member.assignment = assignment.get(member.memberId) ?? Buffer.alloc(0);
            this.rebalance.propagateAssignment(group, ErrorCode.NONE);
            group.transitionTo('Stable', this.nowMs);
          }
        });
        return;
      }
      case 'Stable': {
        this.rebalance.removePendingSyncMember(group, input.memberId);
        const member = group.get(input.memberId);
        respond({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
        this.rebalance.completeAndScheduleNextHeartbeatExpiration(group, member);
        return;
      }
      case 'Dead':
        return respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private validateSyncGroup(group: ClassicGroup, input: SyncGroupInput): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = this.validateCurrentMember(group, input.memberId, input.groupInstanceId);
    if (memberError !== null) return memberError;
    if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (input.protocolType !== null && group.protocolType !== input.protocolType) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    if (input.protocolName !== null && group.protocolName !== input.protocolName) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    return null;
  }

  // -------------------------------------------------------------------------------------------------------
  // Heartbeat and sessions

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const statusError = this.coordinator.validateGroupStatus(groupId, 'Heartbeat');
    // While the coordinator loads, heartbeats are answered blindly.
    if (statusError === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (statusError !== null) return statusError;
    const group = this.coordinator.getGroup(groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = this.validateCurrentMember(group, memberId, groupInstanceId);
    if (memberError !== null) return memberError;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'CompletingRebalance':
        // Consumers may heartbeat between their JoinGroup and SyncGroup answers: a normal heartbeat.
        this.rebalance.completeAndScheduleNextHeartbeatExpiration(group, group.get(memberId));
        return ErrorCode.NONE;
      case 'PreparingRebalance':
        this.rebalance.completeAndScheduleNextHeartbeatExpiration(group, group.get(memberId));
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'Stable':
        this.rebalance.completeAndScheduleNextHeartbeatExpiration(group, group.get(memberId));
        return ErrorCode.NONE;
      case 'Dead':
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // LeaveGroup

  leaveGroup(groupId: string, leaving: readonly LeavingMember[]): LeaveGroupResult {
    const statusError = this.coordinator.validateGroupStatus(groupId, 'LeaveGroup');
    if (statusError !== null) return { errorCode: statusError, members: [] };
    const group = this.coordinator.getGroup(groupId);
    if (group === undefined) return { errorCode: ErrorCode.NONE, members: leaving.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((m) => ({ ...m, errorCode: this.leaveOne(group, m) }));
    return { errorCode: ErrorCode.NONE, members };
  }

  private leaveOne(group: ClassicGroup, leaving: LeavingMember): number {
    // An administrator may remove a static member by instance id alone (KIP-345).
    if (leaving.memberId === '') {
      const current = leaving.groupInstanceId === null ? undefined : group.currentStaticMemberId(leaving.groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.rebalance.removeMemberAndUpdateGroup(group, group.get(current));
      return ErrorCode.NONE;
    }
    if (group.isPendingMember(leaving.memberId)) {
      this.rebalance.removePendingMemberAndUpdateGroup(group, leaving.memberId);
      return ErrorCode.NONE;
    }
    const memberError = this.validateCurrentMember(group, leaving.memberId, leaving.groupInstanceId);
    if (memberError !== null) return memberError;
    this.rebalance.removeMemberAndUpdateGroup(group, group.get(leaving.memberId));
    return ErrorCode.NONE;
  }

}
