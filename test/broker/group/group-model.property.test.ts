/**
 * Model-based test of the classic group protocol (fast-check `fc.commands`): five members (three dynamic that
 * go through KIP-394's MEMBER_ID_REQUIRED round, two static ones of KIP-345) send JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup and OffsetCommit with right and wrong identities; an admin commits without a
 * generation, fetches offsets and deletes the group; virtual time moves in small ticks, to exactly the next
 * group timer (delayed join, pending sync, a session, a pending member id, a new member's first join), or far
 * past all of them; the coordinator restarts and reloads the group from `__consumer_offsets`.
 *
 * After every command the cluster is compared with the reference model in ../support/group-model.ts: each
 * answer (those that wait for a rebalance too) and its error code, DescribeGroups' state and members, committed
 * offsets read back, generations that only grow, one leader per generation, every member's assignment as its
 * leader wrote it.
 *
 * Deterministic: seeded, virtual time. KAFKASIM_GROUP_RUNS=10 multiplies the runs for a longer local run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, type JoinGroupResponse, type SyncGroupResponse } from '../../../src/protocol/index.ts';
import { assignmentFor, GroupModel, type ClientSpec, type ClientView, type JoinAnswer, type SyncAnswer } from '../support/group-model.ts';
import { startGroupCluster, subscription, type GroupTestCluster } from './support.ts';

const SCALE = Math.max(1, Number(process.env.KAFKASIM_GROUP_RUNS ?? 1));
const GROUP = 'g';
/** Virtual time every command runs for: requests travel 1 ms each way, the initial join delay is 0. */
const SETTLE_MS = 20;
/** How far from any group timer a command must stay so that none fires while it runs. */
const MARGIN_MS = 100;

const SPECS: readonly ClientSpec[] = [
  { name: 'd0', instanceId: null, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 4_000 },
  { name: 'd1', instanceId: null, sessionTimeoutMs: 11_000, rebalanceTimeoutMs: 5_000 },
  { name: 'd2', instanceId: null, sessionTimeoutMs: 12_500, rebalanceTimeoutMs: 6_000 },
  { name: 's0', instanceId: 's0', sessionTimeoutMs: 14_000, rebalanceTimeoutMs: 4_500 },
  { name: 's1', instanceId: 's1', sessionTimeoutMs: 15_500, rebalanceTimeoutMs: 5_500 },
];
const NAMES = SPECS.map((s) => s.name);

interface Tracked<T> {
  settled: boolean;
  value?: T;
  failure?: unknown;
}

function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: Tracked<T> = { settled: false };
  promise.then(
    (value) => Object.assign(tracked, { settled: true, value }),
    (failure: unknown) => Object.assign(tracked, { settled: true, failure }),
  );
  return tracked;
}

interface Real {
  readonly t: GroupTestCluster;
  readonly coordinator: number;
  readonly joins: Map<string, Tracked<JoinGroupResponse>>;
  readonly syncs: Map<string, Tracked<SyncGroupResponse>>;
  nextOffset: bigint;
  readonly log: string[];
}

/** The value of an answered request (the model said it should be answered). */
function answered<T>(tracked: Tracked<T>, what: string): T {
  expect(tracked.settled, `${what} is answered`).toBe(true);
  if (tracked.failure !== undefined) throw tracked.failure;
  return tracked.value!;
}

/** No group timer falls within `ms` from now. */
function isQuietFor(model: GroupModel, ms: number): boolean {
  const first = model.events()[0];
  return first === undefined || first.at > model.now + ms;
}

/** The clock of the model follows the cluster's; every command starts by reading it. */
function syncClock(model: GroupModel, real: Real): void {
  model.now = real.t.runtime.now();
}

const joinBody = (spec: ClientSpec, memberId: string) => ({
  groupId: GROUP,
  sessionTimeoutMs: spec.sessionTimeoutMs,
  rebalanceTimeoutMs: spec.rebalanceTimeoutMs,
  memberId,
  groupInstanceId: spec.instanceId,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: subscription(['orders']) }],
  reason: null,
});

// --- checks after every command -------------------------------------------------------------------------

async function checkAll(model: GroupModel, real: Real): Promise<void> {
  const described = await real.t.describe(real.coordinator, GROUP);
  // Learn the ids the coordinator generated for static members that joined without one.
  for (const m of described.members) if (m.groupInstanceId !== null) model.learnStaticId(m.groupInstanceId, m.memberId);
  for (const view of model.clients.values()) {
    checkJoin(model, real, view);
    checkSync(model, real, view);
  }
  expect(described.errorCode).toBe(ErrorCode.NONE);
  expect(described.groupState, 'DescribeGroups state').toBe(model.exists ? model.state : 'Dead');
  expect(described.members.map((m) => m.memberId).sort(), 'DescribeGroups members').toEqual(model.members.map((m) => model.resolve(m.memberId)).sort());
  if (model.state === 'Stable') {
    for (const m of described.members) expect(m.memberAssignment.toString(), `assignment of ${m.memberId}`).toBe(model.memberById(m.memberId)!.assignment);
  }
}

function checkJoin(model: GroupModel, real: Real, view: ClientView): void {
  const name = view.spec.name;
  const tracked = real.joins.get(name);
  const expected = view.join;
  if (expected === null) return expect(tracked, `${name} has no JoinGroup in flight`).toBeUndefined();
  expect(tracked, `${name} has a JoinGroup in flight`).toBeDefined();
  if (expected.kind !== 'answered') return expect(tracked!.settled, `${name}'s JoinGroup still waits`).toBe(false);
  const response = answered(tracked!, `${name}'s JoinGroup`);
  real.joins.delete(name);
  view.join = null;
  applyJoin(model, real, view, expected.answer, response);
}

function applyJoin(model: GroupModel, real: Real, view: ClientView, expected: JoinAnswer, response: JoinGroupResponse): void {
  const name = view.spec.name;
  if (expected.errorCode === -100) {
    // After a long expiry: any answer a rebalance can give.
    expect([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID], `${name}'s JoinGroup during expiry`).toContain(response.errorCode);
  } else {
    expect(response.errorCode, `${name}'s JoinGroup error`).toBe(expected.errorCode);
  }
  if (response.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
    expect(response.memberId).not.toBe('');
    model.setPendingDeadline(response.memberId, view.spec.sessionTimeoutMs);
    setMemberId(view, response.memberId);
    return;
  }
  if (response.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
    // Like KafkaJS, a member told it is unknown joins again without an id.
    setMemberId(view, '');
    return;
  }
  if (response.errorCode !== ErrorCode.NONE) return;
  // Generations only grow: nobody is ever answered an older generation than one already answered.
  expect(response.generationId, `${name}'s generation`).toBeGreaterThanOrEqual(model.maxGenerationAnswered);
  model.maxGenerationAnswered = response.generationId;
  if (expected.errorCode === ErrorCode.NONE) {
    if (model.isGenerationExact) expect(response.generationId, `${name}'s generation`).toBe(expected.generationId);
    else {
      model.generationId = response.generationId;
      model.isGenerationExact = true;
    }
    expect(response.memberId, `${name}'s member id`).toBe(model.resolve(expected.memberId!));
    if (expected.fixedLeader !== undefined) {
      expect(response.leader, `${name}'s leader (static rejoin before v9)`).toBe(model.resolve(expected.fixedLeader));
      expect(response.members).toEqual([]);
    } else {
      expect(expected.leaderCandidates!.map((id) => model.resolve(id)), `${name}'s leader`).toContain(response.leader);
      if (model.leaderId === undefined) model.leaderId = response.leader;
      expect(response.leader, 'the model and the cluster agree on the leader').toBe(model.resolve(model.leaderId ?? ''));
      const isLeader = response.leader === response.memberId;
      const members = response.members.map((m) => m.memberId).sort();
      expect(members, `${name}'s member list`).toEqual(isLeader ? expected.members!.map((id) => model.resolve(id)).sort() : []);
    }
  }
  // At most one leader per generation. A static leader that rejoins keeps leading under its new member id, so
  // static members count by instance id.
  const leader = model.leaders.get(response.generationId);
  if (leader === undefined) model.leaders.set(response.generationId, leaderIdentity(response.leader));
  else expect(leaderIdentity(response.leader), `the one leader of generation ${response.generationId}`).toBe(leader);
  setMemberId(view, response.memberId);
  view.generationId = response.generationId;
  view.leaderOf = response.leader === response.memberId && response.members.length > 0 ? response.members.map((m) => m.memberId) : null;
}

/** Static member ids are `<instance id>-<uuid>` (the instance ids are s0, s1); a dynamic member is its id. */
function leaderIdentity(memberId: string): string {
  return /^(s\d)-/.exec(memberId)?.[1] ?? memberId;
}

function setMemberId(view: ClientView, memberId: string): void {
  if (memberId === view.memberId) return;
  if (view.memberId !== '') view.previousId = view.memberId;
  view.memberId = memberId;
}

function checkSync(model: GroupModel, real: Real, view: ClientView): void {
  const name = view.spec.name;
  const tracked = real.syncs.get(name);
  const expected = view.sync;
  if (expected === null) return expect(tracked, `${name} has no SyncGroup in flight`).toBeUndefined();
  expect(tracked, `${name} has a SyncGroup in flight`).toBeDefined();
  if (expected.kind !== 'answered') return expect(tracked!.settled, `${name}'s SyncGroup still waits`).toBe(false);
  const response = answered(tracked!, `${name}'s SyncGroup`);
  real.syncs.delete(name);
  view.sync = null;
  applySync(view, expected.answer, response);
}

function applySync(view: ClientView, expected: SyncAnswer, response: SyncGroupResponse): void {
  const name = view.spec.name;
  if (expected.errorCode === -100) {
    expect([ErrorCode.NONE, ErrorCode.REBALANCE_IN_PROGRESS], `${name}'s SyncGroup during expiry`).toContain(response.errorCode);
    if (response.errorCode === ErrorCode.NONE) expect([assignmentFor(view.memberId, view.generationId), '']).toContain(response.assignment.toString());
    return;
  }
  expect(response.errorCode, `${name}'s SyncGroup error`).toBe(expected.errorCode);
  // Every member of a completed generation gets exactly what its leader assigned it.
  if (response.errorCode === ErrorCode.NONE) expect(response.assignment.toString(), `${name}'s assignment`).toBe(expected.assignment);
}

// --- commands ---------------------------------------------------------------------------------------------

type Command = fc.AsyncCommand<GroupModel, Real>;

const hasNothingInFlight = (view: ClientView): boolean => view.join === null && view.sync === null;

/** Runs one request-sending command: no timer may fire meanwhile. */
async function step(model: GroupModel, real: Real, label: string, body: () => void | Promise<void>): Promise<void> {
  syncClock(model, real);
  real.log.push(`${model.now}: ${label}`);
  await body();
  await real.t.runtime.advance(SETTLE_MS);
  model.settle();
  await checkAll(model, real);
  // The next command's precondition looks ahead from the clock as it is now.
  syncClock(model, real);
}

class JoinCommand implements Command {
  constructor(
    readonly name: string,
    readonly withId: boolean,
  ) {}
  check(model: GroupModel): boolean {
    const view = model.client(this.name);
    return isQuietFor(model, MARGIN_MS) && hasNothingInFlight(view) && (!this.withId || view.memberId !== '');
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    const view = model.client(this.name);
    await step(model, real, this.toString(), () => {
      real.joins.set(this.name, track(real.t.start(this.name, real.coordinator, ApiKey.JoinGroup, 7, joinBody(view.spec, this.withId ? view.memberId : ''))));
      model.join(this.name, this.withId);
    });
  }
  toString(): string {
    return `join(${this.name}, ${this.withId ? 'id' : 'no id'})`;
  }
}

class SyncCommand implements Command {
  constructor(readonly name: string) {}
  check(model: GroupModel): boolean {
    const view = model.client(this.name);
    return isQuietFor(model, MARGIN_MS) && model.isGenerationExact && hasNothingInFlight(view) && view.memberId !== '' && view.generationId >= 0;
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    const view = model.client(this.name);
    await step(model, real, this.toString(), () => {
      const assignments = (view.leaderOf ?? []).map((memberId) => ({ memberId, assignment: Buffer.from(assignmentFor(memberId, view.generationId)) }));
      real.syncs.set(
        this.name,
        track(
          real.t.start(this.name, real.coordinator, ApiKey.SyncGroup, 5, {
            groupId: GROUP,
            generationId: view.generationId,
            memberId: view.memberId,
            groupInstanceId: view.spec.instanceId,
            protocolType: 'consumer',
            protocolName: 'range',
            assignments,
          }),
        ),
      );
      model.sync(this.name);
    });
  }
  toString(): string {
    return `sync(${this.name})`;
  }
}

type Identity = 'current' | 'stale-generation' | 'previous-id';

function identityOf(view: ClientView, identity: Identity): { memberId: string; generationId: number } {
  switch (identity) {
    case 'current':
      return { memberId: view.memberId, generationId: view.generationId };
    case 'stale-generation':
      return { memberId: view.memberId, generationId: view.generationId - 1 };
    case 'previous-id':
      return { memberId: view.previousId ?? '', generationId: view.generationId };
  }
}

const isUsable = (view: ClientView, identity: Identity): boolean => (identity === 'previous-id' ? view.previousId !== null : view.memberId !== '');

class HeartbeatCommand implements Command {
  constructor(
    readonly name: string,
    readonly identity: Identity,
  ) {}
  check(model: GroupModel): boolean {
    return isQuietFor(model, MARGIN_MS) && model.isGenerationExact && isUsable(model.client(this.name), this.identity);
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    const view = model.client(this.name);
    const { memberId, generationId } = identityOf(view, this.identity);
    let tracked: Tracked<{ errorCode: number }> | null = null;
    let expected = 0;
    await step(model, real, this.toString(), () => {
      // A connection of its own: the heartbeat does not queue behind a JoinGroup or SyncGroup that waits.
      tracked = track(real.t.start(`${this.name}-aux`, real.coordinator, ApiKey.Heartbeat, 4, { groupId: GROUP, memberId, generationId, groupInstanceId: view.spec.instanceId }));
      expected = model.heartbeat(memberId, view.spec.instanceId, generationId);
    });
    expect(answered(tracked!, 'Heartbeat').errorCode, `${this}`).toBe(expected);
  }
  toString(): string {
    return `heartbeat(${this.name}, ${this.identity})`;
  }
}

class LeaveCommand implements Command {
  constructor(
    readonly name: string,
    readonly identity: Identity,
  ) {}
  check(model: GroupModel): boolean {
    const view = model.client(this.name);
    return isQuietFor(model, MARGIN_MS) && hasNothingInFlight(view) && isUsable(view, this.identity) && this.identity !== 'stale-generation';
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    const view = model.client(this.name);
    const { memberId } = identityOf(view, this.identity);
    let tracked: Tracked<{ errorCode: number; members: Array<{ errorCode: number }> }> | null = null;
    let expected = 0;
    await step(model, real, this.toString(), () => {
      tracked = track(real.t.start(`${this.name}-aux`, real.coordinator, ApiKey.LeaveGroup, 4, { groupId: GROUP, members: [{ memberId, groupInstanceId: view.spec.instanceId }] }));
      expected = model.leave(memberId, view.spec.instanceId);
    });
    const response = answered(tracked!, 'LeaveGroup');
    expect([response.errorCode, response.members[0].errorCode], `${this}`).toEqual([ErrorCode.NONE, expected]);
  }
  toString(): string {
    return `leave(${this.name}, ${this.identity})`;
  }
}

class CommitCommand implements Command {
  constructor(
    readonly name: string | 'admin',
    readonly identity: Identity,
    readonly partition: number,
  ) {}
  check(model: GroupModel): boolean {
    if (!isQuietFor(model, MARGIN_MS) || !model.isGenerationExact) return false;
    return this.name === 'admin' || isUsable(model.client(this.name), this.identity);
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    const isAdmin = this.name === 'admin';
    const view = isAdmin ? null : model.client(this.name);
    const { memberId, generationId } = view === null ? { memberId: '', generationId: -1 } : identityOf(view, this.identity);
    const instanceId = view?.spec.instanceId ?? null;
    const offset = real.nextOffset++;
    let tracked: Tracked<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }> | null = null;
    let expected = 0;
    await step(model, real, this.toString(), () => {
      tracked = track(
        real.t.start(isAdmin ? 'admin' : `${this.name}-aux`, real.coordinator, ApiKey.OffsetCommit, 8, {
          groupId: GROUP,
          generationIdOrMemberEpoch: generationId,
          memberId,
          groupInstanceId: instanceId,
          topics: [{ name: 'orders', partitions: [{ partitionIndex: this.partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }],
        }),
      );
      expected = model.commit(memberId, instanceId, generationId, new Map([[`orders-${this.partition}`, offset]]));
    });
    expect(answered(tracked!, 'OffsetCommit').topics[0].partitions[0].errorCode, `${this}`).toBe(expected);
  }
  toString(): string {
    return `commit(${this.name}, ${this.name === 'admin' ? 'generation -1' : this.identity}, orders-${this.partition})`;
  }
}

class FetchOffsetsCommand implements Command {
  check(model: GroupModel): boolean {
    return isQuietFor(model, MARGIN_MS);
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    syncClock(model, real);
    real.log.push(`${model.now}: ${this}`);
    const fetched = await real.t.fetchOffsets(real.coordinator, GROUP, [
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 1 },
    ]);
    syncClock(model, real);
    expect(fetched.errorCode).toBe(ErrorCode.NONE);
    // Committed offsets read back as committed; a partition without a commit reads -1.
    expect(fetched.offsets.map((o) => [o.partition, o.offset, o.errorCode])).toEqual([0, 1].map((p) => [p, model.offsets.get(`orders-${p}`) ?? -1n, ErrorCode.NONE]));
  }
  toString(): string {
    return 'fetchOffsets';
  }
}

class DeleteGroupCommand implements Command {
  check(model: GroupModel): boolean {
    return isQuietFor(model, MARGIN_MS);
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    let tracked: Tracked<{ results: Array<{ errorCode: number }> }> | null = null;
    let expected = 0;
    await step(model, real, this.toString(), () => {
      tracked = track(real.t.start('admin', real.coordinator, ApiKey.DeleteGroups, 2, { groupsNames: [GROUP] }));
      expected = model.deleteGroup();
    });
    expect(answered(tracked!, 'DeleteGroups').results[0].errorCode, `${this}`).toBe(expected);
  }
  toString(): string {
    return 'deleteGroup';
  }
}

class TickCommand implements Command {
  constructor(readonly ms: number) {}
  check(model: GroupModel): boolean {
    return isQuietFor(model, this.ms + MARGIN_MS);
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    await step(model, real, this.toString(), () => real.t.runtime.advance(this.ms));
  }
  toString(): string {
    return `tick(${this.ms} ms)`;
  }
}

/** Runs time to just past the next group timer, when no other one is due close to it. */
class NextTimerCommand implements Command {
  check(model: GroupModel): boolean {
    const [first, second] = model.events();
    return first !== undefined && (second === undefined || second.at > first.at + MARGIN_MS);
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    syncClock(model, real);
    const event = model.events()[0];
    real.log.push(`${model.now}: ${this} -> ${event.kind} at ${event.at}${event.kind === 'session' ? ` of ${event.member.memberId}` : ''}`);
    await real.t.runtime.advance(Math.max(0, event.at - model.now) + SETTLE_MS);
    model.now = event.at;
    model.fire(event);
    model.settle();
    await checkAll(model, real);
    syncClock(model, real);
  }
  toString(): string {
    return 'nextTimer';
  }
}

class ExpireEverythingCommand implements Command {
  check(): boolean {
    return true;
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    syncClock(model, real);
    real.log.push(`${model.now}: ${this}`);
    await real.t.runtime.advance(20 * 60_000);
    model.expireEverything();
    await checkAll(model, real);
    syncClock(model, real);
  }
  toString(): string {
    return 'expireEverything';
  }
}

class RestartCoordinatorCommand implements Command {
  check(model: GroupModel): boolean {
    return isQuietFor(model, MARGIN_MS);
  }
  async run(model: GroupModel, real: Real): Promise<void> {
    await step(model, real, this.toString(), () => {
      const coordinator = real.t.cluster.broker(real.coordinator).groupCoordinator;
      coordinator.stop();
      coordinator.start();
      model.restartCoordinator();
    });
  }
  toString(): string {
    return 'restartCoordinator';
  }
}

const name = fc.constantFrom(...NAMES);
const identity = fc.constantFrom<Identity>('current', 'current', 'stale-generation', 'previous-id');
const times = <T>(n: number, arbitrary: fc.Arbitrary<T>): Array<fc.Arbitrary<T>> => Array.from({ length: n }, () => arbitrary);
/** fc.commands picks uniformly: members talk often, the disruptive commands are rare. */
const commands: Array<fc.Arbitrary<Command>> = [
  ...times(8, fc.tuple(name, fc.boolean()).map(([n, withId]) => new JoinCommand(n, withId))),
  ...times(6, name.map((n) => new SyncCommand(n))),
  ...times(3, fc.tuple(name, identity).map(([n, i]) => new HeartbeatCommand(n, i))),
  fc.tuple(name, identity).map(([n, i]) => new LeaveCommand(n, i)),
  ...times(3, fc.tuple(fc.constantFrom(...NAMES, 'admin'), identity, fc.integer({ min: 0, max: 1 })).map(([n, i, p]) => new CommitCommand(n, i, p))),
  fc.constant(new FetchOffsetsCommand()),
  ...times(2, fc.constantFrom(200, 1_000, 3_000).map((ms) => new TickCommand(ms))),
  ...times(3, fc.constant(new NextTimerCommand())),
  fc.oneof(
    { arbitrary: fc.constant(new RestartCoordinatorCommand()), weight: 2 },
    { arbitrary: fc.constant(new DeleteGroupCommand()), weight: 2 },
    { arbitrary: fc.constant(new ExpireEverythingCommand()), weight: 1 },
  ),
];

async function setup(): Promise<{ model: GroupModel; real: Real }> {
  // The offsets expiration task (which also drops Empty groups without offsets) stays out of the way.
  const t = await startGroupCluster({ brokerConfig: { 'group.initial.rebalance.delay.ms': 0, 'offsets.retention.check.interval.ms': 86_400_000 } });
  t.cluster.createTopic('orders', { partitions: 2 });
  await t.settle();
  const coordinator = await t.findCoordinator(GROUP);
  const model = new GroupModel(SPECS);
  return { model, real: { t, coordinator, joins: new Map(), syncs: new Map(), nextOffset: 1n, log: [] } };
}

describe('classic group protocol against a reference model', () => {
  it(
    'every answer, state, generation, leader, assignment and committed offset is what Kafka would give',
    async () => {
      let lastLog: string[] = [];
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: 'max' }), async (cmds) => {
          const { model, real } = await setup();
          lastLog = real.log;
          await fc.asyncModelRun(() => ({ model, real }), cmds);
        }),
        // Shrinking replays whole clusters; KAFKASIM_GROUP_SHRINK=1 turns it on when a failure needs it.
        { numRuns: 300 * SCALE, seed: 20_240_601, endOnFailure: process.env.KAFKASIM_GROUP_SHRINK === undefined },
      ).catch((error: unknown) => {
        const cause = error instanceof Error && error.cause !== undefined ? `\ncause: ${String(error.cause)}` : '';
        throw new Error(`${String(error)}${cause}\nlast run:\n${lastLog.join('\n')}`);
      });
    },
    120_000 * SCALE,
  );
});
