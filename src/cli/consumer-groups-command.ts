/**
 * `kafkasim consumer-groups`: kafka-consumer-groups.sh's `--list`, `--describe` and `--delete`, through
 * our client over TCP. `--describe` prints Kafka's offsets table by default (GROUP, TOPIC, PARTITION,
 * CURRENT-OFFSET, LOG-END-OFFSET, LAG, CONSUMER-ID, HOST, CLIENT-ID: one row per partition the group has
 * committed to or a member is assigned), `--members` the members table and `--state` the state table, with
 * Kafka's notes on stderr ("Consumer group 'g' has no active members.", "... is rebalancing"). Rows are
 * sorted by topic and partition; a value the group does not have is `-`, as in Kafka.
 *
 * The log end offset is the partition's high watermark (ListOffsets latest, as Kafka's tool asks it), so
 * a group that consumed everything shows lag 0.
 *
 * Left out: `--reset-offsets`, `--delete-offsets`, `--verbose` member assignments, the COORDINATOR column
 * of `--state` (KafkaJS's admin does not expose FindCoordinator), `--command-config`.
 */
import { AssignerProtocol } from '../client/assigners.ts';
import type { Admin, GroupDescription } from '../client/admin/index.ts';
import { commandKafka, DEFAULT_CONNECT_TIMEOUT_MS, reachCluster } from './cluster-client.ts';
import { CommandError, describeError, integerFlag, parseBootstrapServers, parseFlags, runCommand, UsageError, type CommandSpec } from './command-line.ts';
import type { CliIo } from './io.ts';

export const CONSUMER_GROUPS_USAGE = `Usage: kafkasim consumer-groups --bootstrap-server <host:port> <action> [options]

Lists, describes and deletes consumer groups, as kafka-consumer-groups.sh does, through kafkasim's client
over TCP.

Actions (exactly one):
  --list                      print every group id
  --describe                  print the offsets and lag of --group (or --all-groups) per partition;
                              with --members the members, with --state the state
  --delete                    delete --group (it must have no active members)

Options:
  --bootstrap-server <h:p>    broker(s) to connect to, host:port[,host:port...] (required)
  --group <id>                the group; repeatable
  --all-groups                --describe or --delete every group
  --members                   --describe: one row per member (CONSUMER-ID, HOST, CLIENT-ID, #PARTITIONS)
  --state                     --describe: the group's state, assignment strategy and member count
  --offsets                   --describe: the offsets table (the default)
  --connect-timeout-ms <ms>   how long a bootstrap server may take to answer (default ${DEFAULT_CONNECT_TIMEOUT_MS})
  -h, --help                  show this help

Example: kafkasim consumer-groups --bootstrap-server 127.0.0.1:9092 --describe --group my-group
`;

const ACTIONS = ['list', 'describe', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

export interface ConsumerGroupsArgs {
  action: Action;
  bootstrapServers: string[];
  groups: string[];
  allGroups: boolean;
  view: 'offsets' | 'members' | 'state';
  connectTimeoutMs: number;
}

export function parseConsumerGroupsArgs(args: readonly string[]): ConsumerGroupsArgs | null {
  const values = parseFlags(args, {
    'bootstrap-server': { type: 'string' },
    list: { type: 'boolean' },
    describe: { type: 'boolean' },
    delete: { type: 'boolean' },
    group: { type: 'string', multiple: true },
    'all-groups': { type: 'boolean' },
    members: { type: 'boolean' },
    state: { type: 'boolean' },
    offsets: { type: 'boolean' },
    'connect-timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return null;
  const actions = ACTIONS.filter((action) => values[action] === true);
  if (actions.length !== 1) throw new UsageError('exactly one action is needed: --list, --describe or --delete');
  const action = actions[0];
  const bootstrapServers = parseBootstrapServers(values['bootstrap-server']);
  const groups = values.group ?? [];
  if (groups.some((g) => g.trim() === '')) throw new UsageError('--group must not be empty');
  const allGroups = values['all-groups'] === true;
  if (action === 'list' && (groups.length > 0 || allGroups)) throw new UsageError('--list takes no --group or --all-groups');
  if (action !== 'list' && groups.length === 0 && !allGroups) throw new UsageError(`--${action} needs --group <id> or --all-groups`);
  if (groups.length > 0 && allGroups) throw new UsageError('--group and --all-groups exclude each other');
  const views = (['offsets', 'members', 'state'] as const).filter((view) => values[view] === true);
  if (views.length > 1) throw new UsageError('--offsets, --members and --state exclude each other');
  if (views.length > 0 && action !== 'describe') throw new UsageError(`--${views[0]} is only valid with --describe`);
  return {
    action,
    bootstrapServers,
    groups,
    allGroups,
    view: views[0] ?? 'offsets',
    connectTimeoutMs: integerFlag('connect-timeout-ms', values['connect-timeout-ms'], { min: 1 }) ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
}

/** Columns padded to their widest cell, one space apart, as Kafka's tables; an empty line before. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join(' ')
      .trimEnd();
  return `\n${[header, ...rows].map(line).join('\n')}\n`;
}

interface Assignment {
  memberId: string;
  clientHost: string;
  clientId: string;
  partitions: Array<{ topic: string; partition: number }>;
}

function assignmentsOf(group: GroupDescription): Assignment[] {
  return group.members.map((member) => {
    let decoded = null;
    try {
      decoded = member.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment) : null;
    } catch {
      decoded = null;
    }
    const partitions = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, ids]) => ids.map((partition) => ({ topic, partition })));
    return { memberId: member.memberId, clientHost: member.clientHost, clientId: member.clientId, partitions };
  });
}

/** Kafka's notes about a group's state, on stderr; false when the group does not exist. */
function noteState(group: GroupDescription, io: CliIo): boolean {
  if (group.state === 'Dead') {
    io.stderr(`Error: Consumer group '${group.groupId}' does not exist.\n`);
    return false;
  }
  if (group.state === 'Empty') io.stderr(`\nConsumer group '${group.groupId}' has no active members.\n`);
  if (group.state === 'PreparingRebalance' || group.state === 'CompletingRebalance') io.stderr(`\nWarning: Consumer group '${group.groupId}' is rebalancing.\n`);
  return true;
}

async function describeOffsets(admin: Admin, group: GroupDescription): Promise<string[][]> {
  const committed = await admin.fetchOffsets({ groupId: group.groupId });
  const assignments = assignmentsOf(group);
  const rows = new Map<string, { topic: string; partition: number; offset: string | null; owner: Assignment | null }>();
  const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  for (const { topic, partitions } of committed) {
    for (const { partition, offset } of partitions) {
      if (Number(offset) < 0) continue;
      rows.set(key(topic, partition), { topic, partition, offset, owner: null });
    }
  }
  for (const owner of assignments) {
    for (const { topic, partition } of owner.partitions) {
      const row = rows.get(key(topic, partition));
      if (row === undefined) rows.set(key(topic, partition), { topic, partition, offset: null, owner });
      else row.owner = owner;
    }
  }
  const topics = [...new Set([...rows.values()].map((row) => row.topic))];
  const ends = new Map<string, string>();
  for (const topic of topics) {
    try {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.set(key(topic, partition), high);
    } catch {
      // A topic deleted since the group committed to it: its end offsets are unknown ('-').
    }
  }
  return [...rows.values()]
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    .map((row) => {
      const end = ends.get(key(row.topic, row.partition)) ?? null;
      const lag = row.offset !== null && end !== null ? String(BigInt(end) - BigInt(row.offset) > 0n ? BigInt(end) - BigInt(row.offset) : 0n) : '-';
      return [
        group.groupId,
        row.topic,
        String(row.partition),
        row.offset ?? '-',
        end ?? '-',
        lag,
        row.owner?.memberId ?? '-',
        row.owner?.clientHost ?? '-',
        row.owner?.clientId ?? '-',
      ];
    });
}

async function describe(admin: Admin, args: ConsumerGroupsArgs, io: CliIo): Promise<number> {
  const groupIds = args.allGroups ? (await admin.listGroups()).groups.map((g) => g.groupId).sort() : args.groups;
  if (groupIds.length === 0) return 0;
  const { groups } = await admin.describeGroups(groupIds);
  let isMissing = false;
  for (const groupId of groupIds) {
    const group = groups.find((g) => g.groupId === groupId);
    if (group === undefined || !noteState(group, io)) {
      isMissing = true;
      continue;
    }
    if (args.view === 'offsets') {
      const rows = await describeOffsets(admin, group);
      io.stdout(formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows));
    } else if (args.view === 'members') {
      const rows = assignmentsOf(group)
        .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
        .map((m) => [group.groupId, m.memberId, m.clientHost, m.clientId, String(m.partitions.length)]);
      io.stdout(formatTable(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'], rows));
    } else {
      io.stdout(formatTable(['GROUP', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[group.groupId, group.protocol === '' ? '-' : group.protocol, group.state, String(group.members.length)]]));
    }
  }
  return isMissing ? 1 : 0;
}

async function remove(admin: Admin, args: ConsumerGroupsArgs, io: CliIo): Promise<number> {
  const groupIds = args.allGroups ? (await admin.listGroups()).groups.map((g) => g.groupId).sort() : args.groups;
  if (groupIds.length === 0) return 0;
  try {
    await admin.deleteGroups(groupIds);
  } catch (error) {
    const failed = (error as { groups?: Array<{ groupId: string; error?: unknown }> }).groups;
    if (!Array.isArray(failed) || failed.length === 0) throw error;
    const lines = failed.map((g) => `* Group '${g.groupId}' could not be deleted due to: ${describeError(g.error)}`);
    throw new CommandError(`Deletion of some consumer groups failed: ${lines.join(' ')}`);
  }
  io.stdout(`Deletion of requested consumer groups (${groupIds.map((g) => `'${g}'`).join(', ')}) was successful.\n`);
  return 0;
}

export async function runConsumerGroupsCommand(args: ConsumerGroupsArgs, io: CliIo): Promise<number> {
  await reachCluster(args.bootstrapServers, args.connectTimeoutMs);
  const admin = commandKafka(args.bootstrapServers, { clientId: 'kafkasim-consumer-groups', connectTimeoutMs: args.connectTimeoutMs }).admin();
  await admin.connect();
  try {
    switch (args.action) {
      case 'list': {
        const { groups } = await admin.listGroups();
        io.stdout(groups.map((g) => g.groupId).sort().map((id) => `${id}\n`).join(''));
        return 0;
      }
      case 'describe':
        return await describe(admin, args, io);
      case 'delete':
        return await remove(admin, args, io);
    }
  } finally {
    await admin.disconnect();
  }
}

const CONSUMER_GROUPS: CommandSpec<ConsumerGroupsArgs> = {
  name: 'consumer-groups',
  usage: CONSUMER_GROUPS_USAGE,
  parse: parseConsumerGroupsArgs,
  run: runConsumerGroupsCommand,
};

export function runConsumerGroups(args: string[], io: CliIo): Promise<number> {
  return runCommand(CONSUMER_GROUPS, args, io);
}
