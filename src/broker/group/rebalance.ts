/**
 * The rebalance of a classic group as Kafka 3.x's `GroupCoordinator` runs it, with the delayed operations Kafka
 * keeps in purgatories, here runtime timers on the group and its members:
 * - the join (`DelayedJoin`): a rebalancing group waits up to the largest member rebalance timeout for every
 *   member to rejoin, then drops the dynamic members that did not, picks a new leader if the old one is missing,
 *   and starts the next generation; from Empty it waits `group.initial.rebalance.delay.ms` instead
 *   (`InitialDelayedJoin`, KIP-134), extended by the same delay while new members keep arriving, up to the
 *   rebalance timeout;
 * - the pending sync (`DelayedSync`, KAFKA-13056): after the join every member must send SyncGroup within the
 *   rebalance timeout, or those that did not are removed and the group rebalances again;
 * - each member's session (`DelayedHeartbeat`): a heartbeat, commit, join or sync resets it; expiry removes the
 *   member and rebalances; a new member gets 5 minutes for its first join (`NEW_MEMBER_JOIN_TIMEOUT_MS`);
 * - each pending member (KIP-394: handed a member id with MEMBER_ID_REQUIRED) must rejoin within its session
 *   timeout.
 * Timers fire only while the coordinator is active; a dead group has none left.
 */
import { ErrorCode } from '../../protocol/index.ts';
import type { Timer } from '../../runtime/index.ts';
import type { GroupCoordinator } from './group-coordinator.ts';
import { ClassicGroup, currentGenerationResult, joinError, Member, syncError, type SyncGroupResult } from './group.ts';

/** Kafka's `GroupCoordinator.NewMemberJoinTimeoutMs`. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

type JoinOperation = { readonly kind: 'join' } | { readonly kind: 'initial'; readonly delayMs: number; readonly remainingMs: number };

export class Rebalance {
  private readonly joinOperations = new WeakMap<ClassicGroup, JoinOperation>();
  private readonly syncGenerations = new WeakMap<ClassicGroup, number>();

  constructor(private readonly coordinator: GroupCoordinator) {}

  private get nowMs(): number {
    return this.coordinator.broker.runtime.now();
  }

  private timer(delayMs: number, label: string, task: () => void): Timer {
    return this.coordinator.broker.runtime.timer(delayMs, () => this.coordinator.isActive && task(), `${this.coordinator.broker.node}:${label}`);
  }

  /** A new member cannot heartbeat before its join completes; its JoinGroup times out after 5 minutes instead. */
  scheduleNewMemberExpiration(group: ClassicGroup, member: Member): void {
    this.completeAndScheduleNextExpiration(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
  }

  maybePrepareRebalance(group: ClassicGroup): void {
    if (group.canRebalance) this.prepareRebalance(group);
  }

  prepareRebalance(group: ClassicGroup): void {
    // Members waiting for their SyncGroup answer are told to rejoin.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const initialDelayMs = this.coordinator.broker.config.int('group.initial.rebalance.delay.ms');
    const operation: JoinOperation = group.is('Empty')
      ? { kind: 'initial', delayMs: initialDelayMs, remainingMs: Math.max(group.rebalanceTimeoutMs - initialDelayMs, 0) }
      : { kind: 'join' };
    group.transitionTo('PreparingRebalance', this.nowMs);
    this.watchJoin(group, operation, operation.kind === 'initial' ? operation.delayMs : group.rebalanceTimeoutMs);
  }

  /** `tryCompleteElseWatch` for the join: a plain join completes at once when everyone is already in. */
  private watchJoin(group: ClassicGroup, operation: JoinOperation, delayMs: number): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
    this.joinOperations.set(group, operation);
    if (operation.kind === 'join' && group.hasAllMembersJoined) {
      this.joinOperations.delete(group);
      this.onCompleteJoin(group);
      return;
    }
    group.joinTimer = this.timer(delayMs, `group-join:${group.groupId}`, () => this.onJoinExpired(group, operation));
  }

  /** `checkAndComplete` on the group's join key: completes a plain join once all members are in. */
  checkJoin(group: ClassicGroup): void {
    const operation = this.joinOperations.get(group);
    if (operation?.kind !== 'join' || group.joinTimer === null || !group.hasAllMembersJoined) return;
    group.joinTimer.cancel();
    group.joinTimer = null;
    this.joinOperations.delete(group);
    this.onCompleteJoin(group);
  }

  private onJoinExpired(group: ClassicGroup, operation: JoinOperation): void {
    if (this.joinOperations.get(group) !== operation) return;
    group.joinTimer = null;
    this.joinOperations.delete(group);
    if (operation.kind === 'initial' && group.newMemberAdded && operation.remainingMs !== 0) {
      group.newMemberAdded = false;
      const configured = this.coordinator.broker.config.int('group.initial.rebalance.delay.ms');
      const delayMs = Math.min(configured, operation.remainingMs);
      this.watchJoin(group, { kind: 'initial', delayMs, remainingMs: Math.max(operation.remainingMs - operation.delayMs, 0) }, delayMs);
      return;
    }
    this.onCompleteJoin(group);
  }

  private onCompleteJoin(group: ClassicGroup): void {
    // Dynamic members that did not rejoin in time are gone; static ones keep their place.
    for (const member of group.notYetRejoinedMembers()) {
      if (!member.isStatic) this.removeFromGroup(group, member.memberId);
    }
    if (group.is('Dead')) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Nobody rejoined: wait another rebalance timeout until sessions expire the silent (static) members. At
      // least 1 ms: with rebalance timeouts of 0 Kafka spins on its timer wheel; virtual time would stand still.
      this.watchJoin(group, { kind: 'join' }, Math.max(1, group.rebalanceTimeoutMs));
      return;
    }
    group.initNextGeneration(this.nowMs);
    if (group.is('Empty')) {
      // A failed write of the empty generation is only logged by Kafka: no member is waiting for it.
      void this.coordinator.storeGroup(group, new Map());
      return;
    }
    for (const member of [...group.members.values()]) {
      group.maybeInvokeJoinCallback(member, currentGenerationResult(group, member.memberId, group.isLeader(member.memberId) ? group.currentMemberMetadata() : []));
      this.completeAndScheduleNextHeartbeatExpiration(group, member);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  removeMemberAndUpdateGroup(group: ClassicGroup, member: Member): void {
    // A new member may still wait in JoinGroup: it is told UNKNOWN_MEMBER_ID and may retry.
    group.maybeInvokeJoinCallback(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    this.removeFromGroup(group, member.memberId);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        return this.maybePrepareRebalance(group);
      case 'PreparingRebalance':
        return this.checkJoin(group);
      case 'Empty':
      case 'Dead':
        return;
    }
  }

  removePendingMemberAndUpdateGroup(group: ClassicGroup, memberId: string): void {
    group.pendingMemberTimers.get(memberId)?.cancel();
    group.pendingMemberTimers.delete(memberId);
    this.removeFromGroup(group, memberId);
    if (group.is('PreparingRebalance')) this.checkJoin(group);
  }

  /** `group.remove` plus completing the member's heartbeat expectation (it no longer has one). */
  removeFromGroup(group: ClassicGroup, memberId: string): void {
    const member = group.members.get(memberId);
    group.remove(memberId);
    if (member !== undefined) {
      member.heartbeatTimer?.cancel();
      member.heartbeatTimer = null;
    }
    this.maybeCompleteSyncExpiration(group);
  }

  resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number): void {
    for (const member of group.members.values()) member.assignment = Buffer.alloc(0);
    this.propagateAssignment(group, errorCode);
  }

  propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const isNone = errorCode === ErrorCode.NONE;
    for (const member of [...group.members.values()]) {
      const result: SyncGroupResult = {
        errorCode,
        protocolType: isNone ? group.protocolType : null,
        protocolName: isNone ? group.protocolName : null,
        assignment: member.assignment,
      };
      // The session restarts with the answer: an expiry that came while the member waited was ignored.
      if (group.maybeInvokeSyncCallback(member, result)) this.completeAndScheduleNextHeartbeatExpiration(group, member);
    }
  }

  private schedulePendingSync(group: ClassicGroup): void {
    group.syncTimer?.cancel();
    const generationId = group.generationId;
    this.syncGenerations.set(group, generationId);
    group.syncTimer = this.timer(group.rebalanceTimeoutMs, `group-sync:${group.groupId}`, () => {
      group.syncTimer = null;
      this.onExpirePendingSync(group, generationId);
    });
  }

  removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    this.maybeCompleteSyncExpiration(group);
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    this.maybeCompleteSyncExpiration(group);
  }

  /** `tryCompletePendingSync`: the wait ends with a new generation, a state change, or every SyncGroup in. */
  private maybeCompleteSyncExpiration(group: ClassicGroup): void {
    if (group.syncTimer === null) return;
    const isDone =
      this.syncGenerations.get(group) !== group.generationId ||
      group.is('Dead') ||
      group.is('Empty') ||
      group.is('PreparingRebalance') ||
      group.pendingSyncMembers.size === 0;
    if (!isDone) return;
    group.syncTimer.cancel();
    group.syncTimer = null;
  }

  private onExpirePendingSync(group: ClassicGroup, generationId: number): void {
    if (generationId !== group.generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSyncMembers.size === 0) return;
    for (const memberId of [...group.pendingSyncMembers]) this.removeFromGroup(group, memberId);
    this.prepareRebalance(group);
  }

  completeAndScheduleNextHeartbeatExpiration(group: ClassicGroup, member: Member): void {
    this.completeAndScheduleNextExpiration(group, member, member.sessionTimeoutMs);
  }

  private completeAndScheduleNextExpiration(group: ClassicGroup, member: Member, timeoutMs: number): void {
    member.heartbeatTimer?.cancel();
    // A pending member that joined has nothing left to expire as pending.
    group.pendingMemberTimers.get(member.memberId)?.cancel();
    group.pendingMemberTimers.delete(member.memberId);
    if (group.is('Dead')) {
      member.heartbeatTimer = null;
      return;
    }
    member.heartbeatSatisfied = false;
    const memberId = member.memberId;
    member.heartbeatTimer = this.timer(timeoutMs, `group-session:${group.groupId}:${memberId}`, () => {
      if (member.memberId === memberId) member.heartbeatTimer = null;
      this.onExpireHeartbeat(group, memberId);
    });
  }

  addPendingMemberExpiration(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    group.pendingMemberTimers.get(memberId)?.cancel();
    group.pendingMemberTimers.set(
      memberId,
      this.timer(timeoutMs, `group-pending-member:${group.groupId}:${memberId}`, () => {
        group.pendingMemberTimers.delete(memberId);
        if (group.is('Dead') || group.has(memberId)) return;
        this.removePendingMemberAndUpdateGroup(group, memberId);
      }),
    );
  }

  private onExpireHeartbeat(group: ClassicGroup, memberId: string): void {
    if (group.is('Dead') || !group.has(memberId)) return;
    const member = group.get(memberId);
    if (!member.hasSatisfiedHeartbeat) this.removeMemberAndUpdateGroup(group, member);
  }

  onGroupLoaded(group: ClassicGroup): void {
    if (group.size > this.coordinator.broker.config.int('group.max.size')) this.prepareRebalance(group);
    for (const member of [...group.members.values()]) this.completeAndScheduleNextHeartbeatExpiration(group, member);
  }

  /** The group moves to another coordinator (or this one stops): waiting members are told NOT_COORDINATOR. */
  onGroupUnloaded(group: ClassicGroup): void {
    const previous = group.state;
    group.transitionTo('Dead', this.nowMs);
    for (const member of [...group.members.values()]) {
      if (previous === 'PreparingRebalance') group.maybeInvokeJoinCallback(member, joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
      if (previous === 'Stable' || previous === 'CompletingRebalance') group.maybeInvokeSyncCallback(member, syncError(ErrorCode.NOT_COORDINATOR));
    }
    group.pendingSyncMembers.clear();
    this.cancelTimers(group);
  }

  /** A dead group has no delayed operations left. */
  cancelTimers(group: ClassicGroup): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
    this.joinOperations.delete(group);
    group.syncTimer?.cancel();
    group.syncTimer = null;
    for (const timer of group.pendingMemberTimers.values()) timer.cancel();
    group.pendingMemberTimers.clear();
    for (const member of group.members.values()) {
      member.heartbeatTimer?.cancel();
      member.heartbeatTimer = null;
    }
  }
}
