/**
 * A reference model of one classic consumer group (Kafka 3.x `GroupMetadata` driven by `GroupCoordinator`),
 * small enough to read in one sitting, for the model-based property test in
 * test/broker/group/group-model.property.test.ts.
 *
 * It follows the group through Empty -> PreparingRebalance -> CompletingRebalance -> Stable (and "Dead", a group
 * the coordinator does not know) and predicts what every request is answered, including the JoinGroup and
 * SyncGroup answers that wait for a rebalance. Its timers are deadlines on the virtual clock: the delayed join
 * (largest member rebalance timeout), the pending sync (KAFKA-13056), each member session, each KIP-394 pending
 * member id, and the 5-minute first join of a new member. The test only advances time where exactly one of them
 * is due, so the model never has to guess which timer Kafka runs first.
 *
 * What it cannot know in advance it leaves open and learns from the answers: which member leads when Kafka picks
 * "any" one (HashMap order), the ids the coordinator generates, and the generation after a long expiry.
 */
import { ErrorCode } from '../../../src/protocol/index.ts';

export type ModelState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

/** Kafka's `GroupCoordinator.NewMemberJoinTimeoutMs`. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

export interface ClientSpec {
  readonly name: string;
  readonly instanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
}

export interface JoinAnswer {
  readonly errorCode: number;
  /** Success only: the generation, the member id, who may lead, and the member ids a leader is given. */
  readonly generationId?: number;
  readonly memberId?: string;
  readonly leaderCandidates?: readonly string[];
  readonly members?: readonly string[];
  /** Static rejoin before v9: the answer names this leader and lists no members. */
  readonly fixedLeader?: string;
}

export interface SyncAnswer {
  readonly errorCode: number;
  readonly assignment?: string;
}

/** What the model expects of a request that may wait: still waiting, or this answer. */
export type Awaiting<A> = { readonly kind: 'waiting' } | { readonly kind: 'answered'; readonly answer: A } | { readonly kind: 'never' };

export interface ModelMember {
  readonly client: ClientSpec;
  /** `?<instance id>` until the coordinator's generated id is learned (a static member joining without one). */
  memberId: string;
  isAwaitingJoin: boolean;
  isAwaitingSync: boolean;
  isNew: boolean;
  sessionDeadline: number;
  assignment: string;
}

export interface ClientView {
  readonly spec: ClientSpec;
  /** The member id this client uses ("" before it has one). */
  memberId: string;
  /** The id it had before its last new one (to send stale or fenced requests). */
  previousId: string | null;
  generationId: number;
  /** The members a leader was handed in its last successful JoinGroup. */
  leaderOf: readonly string[] | null;
  join: Awaiting<JoinAnswer> | null;
  sync: Awaiting<SyncAnswer> | null;
}

interface Snapshot {
  readonly generationId: number | null;
  readonly leaderId: string | null;
  readonly members: ReadonlyArray<{ client: ClientSpec; memberId: string; assignment: string }>;
}

export type TimedEvent =
  | { readonly kind: 'join'; readonly at: number }
  | { readonly kind: 'sync'; readonly at: number }
  | { readonly kind: 'session'; readonly at: number; readonly member: ModelMember }
  | { readonly kind: 'pending'; readonly at: number; readonly memberId: string };

export class GroupModel {
  exists = false;
  state: ModelState = 'Empty';
  generationId = 0;
  /** False after a long expiry whose number of generations the model did not follow. */
  isGenerationExact = true;
  /** A member id, null (no leader), or undefined: "any member", learned from the next JoinGroup answers. */
  leaderId: string | null | undefined = null;
  members: ModelMember[] = [];
  readonly pendingIds = new Map<string, number>();
  /**
   * Member ids the pending sync waits for. By id, as Kafka keeps them: a static member replaced meanwhile is not
   * renamed here, so its old id is what the expiry removes (nothing), and the group still rebalances.
   */
  readonly pendingSync = new Set<string>();
  joinDeadline: number | null = null;
  /** The initial delayed join (group.initial.rebalance.delay.ms = 0): completes before the next command. */
  isInitialJoinDue = false;
  syncDeadline: number | null = null;
  readonly offsets = new Map<string, bigint>();
  snapshot: Snapshot | null = null;
  readonly clients = new Map<string, ClientView>();
  /** Leader per generation, as answered: at most one. */
  readonly leaders = new Map<number, string>();
  /** The highest generation a JoinGroup answered: answers never go below it. */
  maxGenerationAnswered = 0;
  now = 0;

  constructor(specs: readonly ClientSpec[]) {
    for (const spec of specs) this.clients.set(spec.name, { spec, memberId: '', previousId: null, generationId: -1, leaderOf: null, join: null, sync: null });
  }

  client(name: string): ClientView {
    return this.clients.get(name)!;
  }

  memberById(memberId: string): ModelMember | undefined {
    return this.members.find((m) => m.memberId === memberId);
  }

  memberOf(name: string): ModelMember | undefined {
    return this.members.find((m) => m.client.name === name);
  }

  private staticMember(instanceId: string): ModelMember | undefined {
    return this.members.find((m) => m.client.instanceId === instanceId);
  }

  get rebalanceTimeoutMs(): number {
    return Math.max(0, ...this.members.map((m) => m.client.rebalanceTimeoutMs));
  }

  private get hasAllMembersJoined(): boolean {
    return this.members.every((m) => m.isAwaitingJoin) && this.pendingIds.size === 0;
  }

  private touch(member: ModelMember): void {
    member.sessionDeadline = this.now + member.client.sessionTimeoutMs;
  }

  private answerJoin(member: ModelMember, answer: JoinAnswer): void {
    member.isAwaitingJoin = false;
    this.client(member.client.name).join = { kind: 'answered', answer };
  }

  private answerSync(member: ModelMember, answer: SyncAnswer): void {
    member.isAwaitingSync = false;
    this.client(member.client.name).sync = { kind: 'answered', answer };
  }

  // --- validation ---------------------------------------------------------------------------------------

  /** `validateCurrentMember`. */
  validateMember(memberId: string, instanceId: string | null): number | null {
    if (instanceId !== null) {
      const current = this.staticMember(instanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current.memberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      return null;
    }
    return this.memberById(memberId) === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : null;
  }

  // --- rebalance ----------------------------------------------------------------------------------------

  private removeFromGroup(member: ModelMember): void {
    this.members = this.members.filter((m) => m !== member);
    if (member.isAwaitingSync) this.client(member.client.name).sync = { kind: 'never' };
    if (this.leaderId === member.memberId) this.leaderId = this.members.length === 0 ? null : undefined;
    this.pendingSync.delete(member.memberId);
    if (this.pendingSync.size === 0) this.syncDeadline = null;
  }

  removeMemberAndUpdateGroup(member: ModelMember): void {
    if (member.isAwaitingJoin) this.answerJoin(member, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    this.removeFromGroup(member);
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') this.prepareRebalance();
    else if (this.state === 'PreparingRebalance') this.checkJoin();
  }

  private removePending(memberId: string): void {
    this.pendingIds.delete(memberId);
    if (this.state === 'PreparingRebalance') this.checkJoin();
  }

  private prepareRebalance(): void {
    if (this.state === 'CompletingRebalance') {
      for (const m of this.members) {
        m.assignment = '';
        if (m.isAwaitingSync) {
          this.answerSync(m, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
          this.touch(m);
        }
      }
    }
    this.pendingSync.clear();
    this.syncDeadline = null;
    const wasEmpty = this.state === 'Empty';
    this.state = 'PreparingRebalance';
    if (wasEmpty) {
      this.isInitialJoinDue = true;
      this.joinDeadline = null;
    } else if (this.hasAllMembersJoined) {
      this.completeJoin();
    } else {
      this.joinDeadline = this.now + this.rebalanceTimeoutMs;
    }
  }

  private maybePrepareRebalance(): void {
    if (this.state !== 'PreparingRebalance') this.prepareRebalance();
  }

  private checkJoin(): void {
    if (this.state === 'PreparingRebalance' && !this.isInitialJoinDue && this.joinDeadline !== null && this.hasAllMembersJoined) this.completeJoin();
  }

  /**
   * Runs what is due without time passing: the initial delayed join of 0 ms, and a delayed join of a group
   * left without members, whose rebalance timeout (the largest of its members') is 0.
   */
  settle(): void {
    for (let round = 0; round < 100; round++) {
      if (this.isInitialJoinDue) {
        this.isInitialJoinDue = false;
        this.completeJoin();
        continue;
      }
      const due = this.events()[0];
      if (due === undefined || due.at > this.now) return;
      this.fire(due);
    }
    throw new Error('the model does not settle');
  }

  private completeJoin(): void {
    this.joinDeadline = null;
    this.isInitialJoinDue = false;
    for (const m of [...this.members]) if (!m.isAwaitingJoin && m.client.instanceId === null) this.removeFromGroup(m);
    const joined = this.members.filter((m) => m.isAwaitingJoin);
    if (joined.length === 0 && this.members.length > 0) {
      this.joinDeadline = this.now + Math.max(1, this.rebalanceTimeoutMs);
      return;
    }
    this.generationId++;
    if (this.members.length === 0) {
      this.state = 'Empty';
      this.leaderId = null;
      this.snapshot = { generationId: this.isGenerationExact ? this.generationId : null, leaderId: null, members: [] };
      return;
    }
    this.state = 'CompletingRebalance';
    const current = this.leaderId === undefined ? undefined : this.members.find((m) => m.memberId === this.leaderId);
    const candidates = current !== undefined && current.isAwaitingJoin ? [current] : joined;
    const candidateIds = candidates.map((m) => m.memberId);
    this.leaderId = candidates.length === 1 ? candidates[0].memberId : undefined;
    const memberIds = this.members.map((m) => m.memberId);
    for (const m of this.members) {
      // A static member that did not rejoin keeps its place but has no JoinGroup to answer.
      if (m.isAwaitingJoin) this.answerJoin(m, { errorCode: ErrorCode.NONE, generationId: this.generationId, memberId: m.memberId, leaderCandidates: candidateIds, members: memberIds });
      this.touch(m);
      m.isNew = false;
      this.pendingSync.add(m.memberId);
    }
    this.syncDeadline = this.now + this.rebalanceTimeoutMs;
  }

  // --- timers -------------------------------------------------------------------------------------------

  events(): TimedEvent[] {
    const events: TimedEvent[] = [];
    if (this.joinDeadline !== null) events.push({ kind: 'join', at: this.joinDeadline });
    if (this.syncDeadline !== null) events.push({ kind: 'sync', at: this.syncDeadline });
    for (const m of this.members) {
      // A member waiting in a join or sync counts as alive when its session ends; a new one does not.
      if (m.isNew || (!m.isAwaitingJoin && !m.isAwaitingSync)) events.push({ kind: 'session', at: m.sessionDeadline, member: m });
    }
    for (const [memberId, at] of this.pendingIds) events.push({ kind: 'pending', at, memberId });
    return events.sort((a, b) => a.at - b.at);
  }

  fire(event: TimedEvent): void {
    switch (event.kind) {
      case 'join':
        return this.completeJoin();
      case 'sync': {
        this.syncDeadline = null;
        for (const memberId of [...this.pendingSync]) {
          const member = this.memberById(memberId);
          if (member !== undefined) this.removeFromGroup(member);
        }
        this.pendingSync.clear();
        return this.prepareRebalance();
      }
      case 'session':
        return this.removeMemberAndUpdateGroup(event.member);
      case 'pending':
        return this.removePending(event.memberId);
    }
  }

  // --- requests -----------------------------------------------------------------------------------------

  /** JoinGroup v7 from `name` with its member id, or with "" (a new member; KIP-394 for dynamic ones). */
  join(name: string, withId: boolean): void {
    const view = this.client(name);
    const spec = view.spec;
    const memberId = withId ? view.memberId : '';
    const answer = (a: JoinAnswer): void => void (view.join = { kind: 'answered', answer: a });
    if (memberId === '') {
      if (!this.exists) this.createGroup();
      if (spec.instanceId === null) {
        // The id is generated: the test registers it with `addPendingId` once it reads the answer.
        return answer({ errorCode: ErrorCode.MEMBER_ID_REQUIRED });
      }
      const old = this.staticMember(spec.instanceId);
      if (old !== undefined) return this.replaceStaticMember(old, view);
      return this.addMember(spec, null, view);
    }
    if (!this.exists) return answer({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    if (this.pendingIds.has(memberId)) {
      this.pendingIds.delete(memberId);
      this.addMember(spec, memberId, view);
      return this.checkJoin();
    }
    const error = this.validateMember(memberId, spec.instanceId);
    if (error !== null) return answer({ errorCode: error });
    const member = this.memberById(memberId)!;
    switch (this.state) {
      case 'PreparingRebalance':
        member.isAwaitingJoin = true;
        view.join = { kind: 'waiting' };
        return this.checkJoin();
      case 'CompletingRebalance':
        // Same metadata (the test never changes it): the current generation again.
        return answer(this.currentGeneration(member));
      case 'Stable':
        if (this.leaderId === memberId) {
          member.isAwaitingJoin = true;
          view.join = { kind: 'waiting' };
          this.maybePrepareRebalance();
          return this.checkJoin();
        }
        return answer({ ...this.currentGeneration(member), members: [] });
      case 'Empty':
        return answer({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    }
  }

  private currentGeneration(member: ModelMember): JoinAnswer {
    const isLeader = this.leaderId === member.memberId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      memberId: member.memberId,
      leaderCandidates: [this.leaderId!],
      members: isLeader ? this.members.map((m) => m.memberId) : [],
    };
  }

  private createGroup(): void {
    this.exists = true;
    this.state = 'Empty';
  }

  setPendingDeadline(memberId: string, sessionTimeoutMs: number): void {
    this.pendingIds.set(memberId, this.now + sessionTimeoutMs);
  }

  private addMember(spec: ClientSpec, knownId: string | null, view: ClientView): void {
    const memberId = knownId ?? `?${spec.instanceId}`;
    const member: ModelMember = { client: spec, memberId, isAwaitingJoin: true, isAwaitingSync: false, isNew: true, sessionDeadline: this.now + NEW_MEMBER_JOIN_TIMEOUT_MS, assignment: '' };
    if (this.members.length === 0) this.leaderId = memberId;
    this.members.push(member);
    view.join = { kind: 'waiting' };
    this.maybePrepareRebalance();
  }

  /** KIP-345: a static member rejoining without its id replaces its old entry (the old id is fenced). */
  private replaceStaticMember(old: ModelMember, view: ClientView): void {
    const previousLeader = this.leaderId;
    const wasLeader = this.leaderId === old.memberId;
    // The new id is learned from the answer (or DescribeGroups).
    old.memberId = `?${old.client.instanceId}`;
    if (wasLeader) this.leaderId = old.memberId;
    // Kafka re-inserts the member under its new id.
    this.members = [...this.members.filter((m) => m !== old), old];
    this.touch(old);
    switch (this.state) {
      case 'Stable': {
        this.snapshot = this.snapshotOf();
        view.join = { kind: 'answered', answer: { errorCode: ErrorCode.NONE, generationId: this.generationId, memberId: old.memberId, fixedLeader: previousLeader ?? undefined, members: [] } };
        return;
      }
      case 'CompletingRebalance':
        old.isAwaitingJoin = true;
        view.join = { kind: 'waiting' };
        this.prepareRebalance();
        return;
      case 'PreparingRebalance':
        old.isAwaitingJoin = true;
        view.join = { kind: 'waiting' };
        return this.checkJoin();
      case 'Empty':
        throw new Error('a static member is never in an Empty group');
    }
  }

  /** Static ids learned: the placeholder `?<instance id>` stands for the id until then. */
  readonly learned = new Map<string, string>();

  /** A static member's generated id, learned from an answer or DescribeGroups. */
  learnStaticId(instanceId: string, memberId: string): void {
    const placeholder = `?${instanceId}`;
    const member = this.members.find((m) => m.memberId === placeholder);
    if (member === undefined) return;
    this.learned.set(placeholder, memberId);
    member.memberId = memberId;
    if (this.leaderId === placeholder) this.leaderId = memberId;
    if (this.pendingSync.delete(placeholder)) this.pendingSync.add(memberId);
    if (this.snapshot !== null) {
      this.snapshot = {
        ...this.snapshot,
        leaderId: this.snapshot.leaderId === placeholder ? memberId : this.snapshot.leaderId,
        members: this.snapshot.members.map((m) => (m.memberId === placeholder ? { ...m, memberId } : m)),
      };
    }
  }

  /** A member id as the coordinator spells it (placeholders resolved). */
  resolve(memberId: string): string {
    return this.learned.get(memberId) ?? memberId;
  }

  private snapshotOf(): Snapshot {
    return {
      generationId: this.isGenerationExact ? this.generationId : null,
      leaderId: this.leaderId ?? null,
      members: this.members.map((m) => ({ client: m.client, memberId: m.memberId, assignment: m.assignment })),
    };
  }

  /** SyncGroup v5 from `name` with its member id and generation; a leader assigns `<memberId>@<generation>`. */
  sync(name: string): void {
    const view = this.client(name);
    const answer = (a: SyncAnswer): void => void (view.sync = { kind: 'answered', answer: a });
    if (!this.exists) return answer({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    const error = this.validateMember(view.memberId, view.spec.instanceId);
    if (error !== null) return answer({ errorCode: error });
    if (view.generationId !== this.generationId) return answer({ errorCode: ErrorCode.ILLEGAL_GENERATION });
    const member = this.memberById(view.memberId)!;
    switch (this.state) {
      case 'Empty':
        return answer({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
      case 'PreparingRebalance':
        return answer({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
      case 'CompletingRebalance': {
        member.isAwaitingSync = true;
        view.sync = { kind: 'waiting' };
        this.pendingSync.delete(member.memberId);
        if (this.pendingSync.size === 0) this.syncDeadline = null;
        if (this.leaderId !== member.memberId) return;
        const assigned = new Set(view.leaderOf ?? []);
        for (const m of this.members) m.assignment = assigned.has(m.memberId) ? assignmentFor(m.memberId, this.generationId) : '';
        for (const m of this.members) {
          if (m.isAwaitingSync) {
            this.answerSync(m, { errorCode: ErrorCode.NONE, assignment: m.assignment });
            this.touch(m);
          }
        }
        this.state = 'Stable';
        this.snapshot = this.snapshotOf();
        return;
      }
      case 'Stable':
        this.pendingSync.delete(member.memberId);
        if (this.pendingSync.size === 0) this.syncDeadline = null;
        this.touch(member);
        return answer({ errorCode: ErrorCode.NONE, assignment: member.assignment });
    }
  }

  heartbeat(memberId: string, instanceId: string | null, generationId: number): number {
    if (!this.exists) return ErrorCode.UNKNOWN_MEMBER_ID;
    const error = this.validateMember(memberId, instanceId);
    if (error !== null) return error;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = this.memberById(memberId)!;
    switch (this.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'CompletingRebalance':
      case 'Stable':
        this.touch(member);
        return ErrorCode.NONE;
      case 'PreparingRebalance':
        this.touch(member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
    }
  }

  leave(memberId: string, instanceId: string | null): number {
    if (!this.exists) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (this.pendingIds.has(memberId)) {
      this.removePending(memberId);
      return ErrorCode.NONE;
    }
    const error = this.validateMember(memberId, instanceId);
    if (error !== null) return error;
    this.removeMemberAndUpdateGroup(this.memberById(memberId)!);
    return ErrorCode.NONE;
  }

  /** OffsetCommit v8 of `offsets`: the error every partition gets; accepted offsets are remembered. */
  commit(memberId: string, instanceId: string | null, generationId: number, offsets: ReadonlyMap<string, bigint>): number {
    const error = this.commitError(memberId, instanceId, generationId);
    if (error === ErrorCode.NONE) for (const [key, offset] of offsets) this.offsets.set(key, offset);
    return error;
  }

  private commitError(memberId: string, instanceId: string | null, generationId: number): number {
    if (!this.exists) {
      if (generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      this.createGroup();
    }
    if (generationId < 0 && this.state === 'Empty') return ErrorCode.NONE;
    if (generationId >= 0 || memberId !== '' || instanceId !== null) {
      const error = this.validateMember(memberId, instanceId);
      if (error !== null) return error;
      if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (this.state !== 'Empty') {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    switch (this.state) {
      case 'Empty':
        return ErrorCode.NONE;
      case 'Stable':
      case 'PreparingRebalance':
        this.touch(this.memberById(memberId)!);
        return ErrorCode.NONE;
      case 'CompletingRebalance':
        return ErrorCode.REBALANCE_IN_PROGRESS;
    }
  }

  deleteGroup(): number {
    if (!this.exists) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (this.state !== 'Empty') return ErrorCode.NON_EMPTY_GROUP;
    this.reset();
    // A group created again after its deletion starts over at generation 0.
    this.forgetGenerationsAfter(0);
    this.offsets.clear();
    this.snapshot = null;
    return ErrorCode.NONE;
  }

  private forgetGenerationsAfter(generationId: number): void {
    for (const g of [...this.leaders.keys()]) if (g > generationId) this.leaders.delete(g);
    this.maxGenerationAnswered = Math.min(this.maxGenerationAnswered, generationId);
  }

  private reset(): void {
    this.exists = false;
    this.state = 'Empty';
    this.generationId = 0;
    this.isGenerationExact = true;
    this.leaderId = null;
    this.members = [];
    this.pendingIds.clear();
    this.pendingSync.clear();
    this.joinDeadline = null;
    this.syncDeadline = null;
    this.isInitialJoinDue = false;
  }

  /**
   * The coordinator stops and loads the group back from `__consumer_offsets`: waiting JoinGroups (rebalancing
   * group) and SyncGroups (completing or stable group) are answered NOT_COORDINATOR; the group comes back as its
   * last written record left it (Stable with members, Empty without), each member with a fresh session.
   */
  restartCoordinator(): void {
    for (const m of this.members) {
      if (this.state === 'PreparingRebalance' && m.isAwaitingJoin) this.answerJoin(m, { errorCode: ErrorCode.NOT_COORDINATOR });
      if ((this.state === 'Stable' || this.state === 'CompletingRebalance') && m.isAwaitingSync) this.answerSync(m, { errorCode: ErrorCode.NOT_COORDINATOR });
    }
    const snapshot = this.snapshot;
    const hasOffsets = this.offsets.size > 0;
    this.reset();
    // Generations that were never written (no SyncGroup completed them) are lost with the coordinator: Kafka
    // hands the same numbers out again.
    this.forgetGenerationsAfter(snapshot?.generationId ?? 0);
    if (snapshot === null && !hasOffsets) return;
    this.exists = true;
    this.generationId = snapshot?.generationId ?? 0;
    this.isGenerationExact = snapshot === null || snapshot.generationId !== null;
    this.members = (snapshot?.members ?? []).map((m) => ({ client: m.client, memberId: m.memberId, isAwaitingJoin: false, isAwaitingSync: false, isNew: false, sessionDeadline: this.now + m.client.sessionTimeoutMs, assignment: m.assignment }));
    this.state = this.members.length > 0 ? 'Stable' : 'Empty';
    this.leaderId = this.members.length > 0 ? snapshot!.leaderId : null;
  }

  /**
   * Everything expires (no request for a long time): every member and pending id is gone and the group is Empty
   * with some later generation. Waiting requests are answered; the test checks those answers loosely.
   */
  expireEverything(): void {
    for (const m of this.members) {
      const view = this.client(m.client.name);
      if (m.isAwaitingJoin) view.join = { kind: 'answered', answer: { errorCode: -100 } };
      if (m.isAwaitingSync) view.sync = { kind: 'answered', answer: { errorCode: -100 } };
    }
    const hadGroup = this.exists;
    const wasExact = this.isGenerationExact;
    const offsets = new Map(this.offsets);
    const hadGeneration = this.members.length > 0 || this.state !== 'Empty';
    const generationId = this.generationId;
    this.reset();
    this.exists = hadGroup;
    this.generationId = generationId;
    this.isGenerationExact = wasExact;
    if (hadGeneration) {
      this.isGenerationExact = false;
      this.snapshot = { generationId: null, leaderId: null, members: [] };
    }
    for (const [k, v] of offsets) this.offsets.set(k, v);
  }
}

export function assignmentFor(memberId: string, generationId: number): string {
  return `${memberId}@${generationId}`;
}
