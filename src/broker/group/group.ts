/**
 * One classic consumer group and its members (Kafka 3.x `GroupMetadata` and `MemberMetadata`): the state
 * machine Empty -> PreparingRebalance -> CompletingRebalance -> Stable (and Dead, when the group is deleted or
 * its coordinator moves), the generation, the protocol type and the protocol the members voted for, the
 * leader, static members by `group.instance.id` (KIP-345), pending members that were handed a member id and
 * must rejoin with it (KIP-394), and the members the coordinator still waits a SyncGroup from.
 *
 * Members are kept in insertion order, which stands in for Kafka's HashMap order wherever Kafka picks "any"
 * member (the next leader after the leader leaves, the protocol among equally voted ones).
 *
 * The timers Kafka keeps in purgatories live here as fields so the coordinator can cancel them with the
 * group: the delayed join, the pending-sync expiration and the expirations of pending members.
 */
import { assert } from '../../runtime/assert.ts';
import type { Timer } from '../../runtime/index.ts';
import { ConsumerProtocolSubscriptionSchema, decodeMessage, ErrorCode, Reader, type ConsumerProtocolSubscription } from '../../protocol/index.ts';
import { GroupOffsets } from './group-offsets.ts';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
  Empty: ['PreparingRebalance'],
};

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface Protocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

/** What a JoinGroup is answered with (Kafka's `JoinGroupResult`). */
export interface JoinGroupResult {
  readonly errorCode: number;
  readonly memberId: string;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string;
  readonly skipAssignment: boolean;
  readonly members: readonly JoinGroupMember[];
}

export interface SyncGroupResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

const EMPTY = Buffer.alloc(0);

export const joinError = (memberId: string, errorCode: number): JoinGroupResult => ({
  errorCode,
  memberId,
  generationId: -1,
  protocolType: null,
  protocolName: null,
  leaderId: '',
  skipAssignment: false,
  members: [],
});

export const syncError = (errorCode: number): SyncGroupResult => ({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY });

/** A successful JoinGroup answer for the group's current generation (members only for the leader). */
export function currentGenerationResult(group: ClassicGroup, memberId: string, members: readonly JoinGroupMember[]): JoinGroupResult {
  return {
    errorCode: ErrorCode.NONE,
    memberId,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leaderId: group.leaderId ?? '',
    skipAssignment: false,
    members,
  };
}

export class Member {
  assignment: Buffer = EMPTY;
  awaitingJoin: ((result: JoinGroupResult) => void) | null = null;
  awaitingSync: ((result: SyncGroupResult) => void) | null = null;
  /** Joined but not yet through a completed join: its first session is `NEW_MEMBER_JOIN_TIMEOUT_MS`. */
  isNew = false;
  heartbeatSatisfied = false;
  heartbeatTimer: Timer | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: readonly Protocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  metadata(protocol: string): Buffer {
    const found = this.supportedProtocols.find((p) => p.name === protocol);
    assert(found !== undefined, `member ${this.memberId} supports protocol ${protocol}`);
    return found.metadata;
  }

  /** Members waiting in a join or sync count as alive; otherwise the next heartbeat is due. */
  get hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return this.heartbeatSatisfied;
    if (this.isAwaitingJoin || this.isAwaitingSync) return true;
    return this.heartbeatSatisfied;
  }

  /** Same protocols, same order, same metadata bytes. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    return protocols.every((p, i) => p.name === this.supportedProtocols[i].name && p.metadata.equals(this.supportedProtocols[i].metadata));
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.supportedProtocols.find((p) => candidates.has(p.name));
    assert(choice !== undefined, `member ${this.memberId} supports one of the candidate protocols`);
    return choice.name;
  }
}

export class ClassicGroup {
  private currentState: GroupState;
  /** When the group entered its state; null when loaded from a record that had none. */
  currentStateTimestamp: number | null;
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  private readonly staticMembers = new Map<string, string>();
  readonly pendingMembers = new Set<string>();
  private numMembersAwaitingJoin = 0;
  private readonly supportedProtocols = new Map<string, number>();
  readonly pendingSyncMembers = new Set<string>();
  /** Topics the consumer-protocol members subscribe to; null when unknown (treated as "every topic"). */
  subscribedTopics: Set<string> | null = null;
  /** A member joined during the initial delayed join, which may then be extended (KIP-134). */
  newMemberAdded = false;
  readonly offsets = new GroupOffsets();

  joinTimer: Timer | null = null;
  syncTimer: Timer | null = null;
  readonly pendingMemberTimers = new Map<string, Timer>();

  constructor(
    readonly groupId: string,
    initialState: GroupState,
    nowMs: number,
  ) {
    this.currentState = initialState;
    this.currentStateTimestamp = nowMs;
  }

  get state(): GroupState {
    return this.currentState;
  }

  is(state: GroupState): boolean {
    return this.currentState === state;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): Member {
    const member = this.members.get(memberId);
    assert(member !== undefined, `group ${this.groupId} has member ${memberId}`);
    return member;
  }

  get size(): number {
    return this.members.size;
  }

  get numAwaiting(): number {
    return this.numMembersAwaitingJoin;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.currentState);
  }

  transitionTo(state: GroupState, nowMs: number): void {
    assert(VALID_PREVIOUS_STATES[state].includes(this.currentState), `group ${this.groupId} may not move from ${this.currentState} to ${state}`);
    this.currentState = state;
    this.currentStateTimestamp = nowMs;
  }

  // --- members -----------------------------------------------------------------------------------------

  add(member: Member, callback: ((result: JoinGroupResult) => void) | null): void {
    if (member.groupInstanceId !== null) {
      assert(!this.staticMembers.has(member.groupInstanceId), `static member ${member.groupInstanceId} is not already in group ${this.groupId}`);
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert(this.protocolType === member.protocolType, 'a member joins with the group protocol type');
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = callback;
    if (member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member !== undefined) {
      this.members.delete(memberId);
      this.countProtocols(member, -1);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  updateMember(member: Member, protocols: readonly Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, callback: ((result: JoinGroupResult) => void) | null): void {
    this.countProtocols(member, -1);
    member.supportedProtocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (callback !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (callback === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    // Kafka replaces the callback: a JoinGroup the member sent before this one is never answered.
    member.awaitingJoin = callback;
  }

  maybeInvokeJoinCallback(member: Member, result: JoinGroupResult): void {
    const callback = member.awaitingJoin;
    if (callback === null) return;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin--;
    callback(result);
  }

  maybeInvokeSyncCallback(member: Member, result: SyncGroupResult): boolean {
    const callback = member.awaitingSync;
    if (callback === null) return false;
    member.awaitingSync = null;
    callback(result);
    return true;
  }

  /** If the leader did not rejoin, any member that did becomes leader; false when none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.get(this.leaderId).isAwaitingJoin) return true;
    for (const [memberId, member] of this.members) {
      if (member.isAwaitingJoin) {
        this.leaderId = memberId;
        return true;
      }
    }
    return false;
  }

  /** A static member rejoining with an unknown member id takes over its old entry under a new id. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fencedErrorCode: number): Member {
    const member = this.members.get(oldMemberId);
    assert(member !== undefined, `static member ${oldMemberId} exists to be replaced`);
    this.members.delete(oldMemberId);
    this.maybeInvokeJoinCallback(member, joinError(oldMemberId, fencedErrorCode));
    this.maybeInvokeSyncCallback(member, syncError(fencedErrorCode));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  get staticMemberCount(): number {
    return this.staticMembers.size;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  addPendingMember(memberId: string): void {
    assert(!this.has(memberId), `pending member ${memberId} is not already a member`);
    this.pendingMembers.add(memberId);
  }

  get hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): Member[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** The largest rebalance timeout of the members: how long a rebalance waits for them. */
  get rebalanceTimeoutMs(): number {
    let timeout = 0;
    for (const member of this.members.values()) timeout = Math.max(timeout, member.rebalanceTimeoutMs);
    return timeout;
  }

  // --- protocols ---------------------------------------------------------------------------------------

  private countProtocols(member: Member, delta: 1 | -1): void {
    for (const protocol of member.supportedProtocols) this.supportedProtocols.set(protocol.name, (this.supportedProtocols.get(protocol.name) ?? 0) + delta);
  }

  private candidateProtocols(): Set<string> {
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === this.members.size) candidates.add(name);
    return candidates;
  }

  supportsProtocols(memberProtocolType: string, memberProtocols: readonly Protocol[]): boolean {
    if (this.is('Empty')) return memberProtocolType.length > 0 && memberProtocols.length > 0;
    return this.protocolType === memberProtocolType && memberProtocols.some((p) => (this.supportedProtocols.get(p.name) ?? 0) === this.members.size);
  }

  /** Each member votes for its preferred candidate; the most votes win (ties: the first voted for). */
  selectProtocol(): string {
    assert(this.members.size > 0, 'a protocol is selected for a non-empty group');
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const vote = member.vote(candidates);
      votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [protocol, count] of votes) {
      if (count > bestVotes) {
        best = protocol;
        bestVotes = count;
      }
    }
    return best;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null || this.subscribedTopics.has(topic);
  }

  /** The union of the consumer-protocol subscriptions; null if one does not parse or the group is not a consumer group. */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const member of this.members.values()) {
      const subscription = parseSubscription(member.metadata(this.protocolName));
      if (subscription === null) return null;
      for (const topic of subscription.topics) topics.add(topic);
    }
    return topics;
  }

  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  /** The members with their metadata for the selected protocol, as the leader's JoinGroup response lists them. */
  currentMemberMetadata(): JoinGroupMember[] {
    assert(!this.is('Dead') && !this.is('PreparingRebalance') && this.protocolName !== null, `group ${this.groupId} has member metadata in ${this.state}`);
    const protocol = this.protocolName;
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(protocol) }));
  }
}

/**
 * `ConsumerProtocol.deserializeSubscription` at version 0 after the version prefix: later versions only add
 * fields after the topics, so v0 reads every version. Null when the bytes are not a subscription.
 */
function parseSubscription(metadata: Buffer): ConsumerProtocolSubscription | null {
  try {
    const reader = new Reader(metadata);
    reader.int16();
    return decodeMessage<ConsumerProtocolSubscription>(ConsumerProtocolSubscriptionSchema, 0, reader);
  } catch {
    return null;
  }
}
