/**
 * `kafkasim topics`: kafka-topics.sh with the same flags and output, through our client over TCP, so it
 * works against a `kafkasim broker` or a real Kafka. Actions: `--create`, `--list`, `--describe`,
 * `--alter --partitions N`, `--delete`; `--if-exists`, `--if-not-exists` and `--exclude-internal` as in
 * Kafka. Describe prints Kafka's lines (`Topic: t  PartitionCount: 3  ReplicationFactor: 1  Configs: ...`,
 * then per partition `Leader`, `Replicas`, `Isr`, and `Offline` when some replica is), with the topic
 * configs set on the topic itself (Kafka's DYNAMIC_TOPIC_CONFIG source).
 *
 * Left out: `TopicId` in describe (KafkaJS's metadata answer drops it), `--topic` as a regular expression
 * (names are exact; a comma-separated list is accepted), `--replica-assignment`, the
 * `--under-replicated-partitions` family of describe filters, `--command-config`.
 */
import { ConfigResourceTypes, ConfigSource } from '../client/admin/enums.ts';
import type { Admin } from '../client/admin/index.ts';
import { commandKafka, DEFAULT_CONNECT_TIMEOUT_MS, reachCluster } from './cluster-client.ts';
import { CommandError, integerFlag, parseBootstrapServers, parseFlags, runCommand, UsageError, type CommandSpec } from './command-line.ts';
import type { CliIo } from './io.ts';

export const TOPICS_USAGE = `Usage: kafkasim topics --bootstrap-server <host:port> <action> [options]

Creates, lists, describes, alters and deletes topics, as kafka-topics.sh does, through kafkasim's client
over TCP (against \`kafkasim broker\` or any Kafka cluster).

Actions (exactly one):
  --create                    create --topic (with --partitions, --replication-factor, --config)
  --list                      print every topic name
  --describe                  print partitions, leaders, replicas and ISR of --topic (default: all topics)
  --alter                     raise the partition count of --topic to --partitions
  --delete                    delete --topic

Options:
  --bootstrap-server <h:p>    broker(s) to connect to, host:port[,host:port...] (required)
  --topic <name>              the topic; a comma-separated list for --describe and --delete
  --partitions <n>            partition count (default: the broker's num.partitions)
  --replication-factor <n>    replicas per partition (default: the broker's default.replication.factor)
  --config <name=value>       a topic config for --create; repeatable (--config retention.ms=60000)
  --if-not-exists             --create: do nothing when the topic exists
  --if-exists                 --alter, --describe, --delete: do nothing when the topic does not exist
  --exclude-internal          --list, --describe: leave out internal topics (__consumer_offsets, ...)
  --connect-timeout-ms <ms>   how long a bootstrap server may take to answer (default ${DEFAULT_CONNECT_TIMEOUT_MS})
  -h, --help                  show this help

Example: kafkasim topics --bootstrap-server 127.0.0.1:9092 --create --topic orders --partitions 3 --replication-factor 1
`;

const ACTIONS = ['create', 'list', 'describe', 'alter', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

export interface TopicsArgs {
  action: Action;
  bootstrapServers: string[];
  topics: string[];
  partitions?: number;
  replicationFactor?: number;
  configs: Array<{ name: string; value: string }>;
  ifExists: boolean;
  ifNotExists: boolean;
  excludeInternal: boolean;
  connectTimeoutMs: number;
}

const INT16_MAX = 32767;
const INT32_MAX = 2147483647;

export function parseTopicsArgs(args: readonly string[]): TopicsArgs | null {
  const values = parseFlags(args, {
    'bootstrap-server': { type: 'string' },
    create: { type: 'boolean' },
    list: { type: 'boolean' },
    describe: { type: 'boolean' },
    alter: { type: 'boolean' },
    delete: { type: 'boolean' },
    topic: { type: 'string' },
    partitions: { type: 'string' },
    'replication-factor': { type: 'string' },
    config: { type: 'string', multiple: true },
    'if-exists': { type: 'boolean' },
    'if-not-exists': { type: 'boolean' },
    'exclude-internal': { type: 'boolean' },
    'connect-timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return null;
  const actions = ACTIONS.filter((action) => values[action] === true);
  if (actions.length !== 1) throw new UsageError('exactly one action is needed: --create, --list, --describe, --alter or --delete');
  const action = actions[0];
  const bootstrapServers = parseBootstrapServers(values['bootstrap-server']);
  const topics = values.topic === undefined ? [] : values.topic.split(',').map((t) => t.trim());
  if (topics.some((t) => t === '')) throw new UsageError(`--topic takes a topic name, got '${values.topic}'`);
  if ((action === 'create' || action === 'alter') && topics.length !== 1) throw new UsageError(`--${action} needs exactly one --topic`);
  if (action === 'delete' && topics.length === 0) throw new UsageError('--delete needs --topic');
  if (action === 'list' && topics.length > 0) throw new UsageError('--list takes no --topic');
  const partitions = integerFlag('partitions', values.partitions, { min: 1, max: INT32_MAX });
  const replicationFactor = integerFlag('replication-factor', values['replication-factor'], { min: 1, max: INT16_MAX });
  if (action === 'alter' && partitions === undefined) throw new UsageError('--alter needs --partitions (the new partition count)');
  if (action !== 'create' && action !== 'alter' && partitions !== undefined) throw new UsageError(`--partitions is only valid with --create or --alter`);
  if (action !== 'create' && replicationFactor !== undefined) throw new UsageError('--replication-factor is only valid with --create');
  const configs = (values.config ?? []).map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--config takes name=value, got '${entry}'`);
    return { name: entry.slice(0, at).trim(), value: entry.slice(at + 1).trim() };
  });
  if (action !== 'create' && configs.length > 0) throw new UsageError('--config is only valid with --create');
  if (values['if-not-exists'] === true && action !== 'create') throw new UsageError('--if-not-exists is only valid with --create');
  if (values['if-exists'] === true && action !== 'alter' && action !== 'describe' && action !== 'delete') {
    throw new UsageError('--if-exists is only valid with --alter, --describe or --delete');
  }
  if (values['exclude-internal'] === true && action !== 'list' && action !== 'describe') throw new UsageError('--exclude-internal is only valid with --list or --describe');
  return {
    action,
    bootstrapServers,
    topics,
    partitions,
    replicationFactor,
    configs,
    ifExists: values['if-exists'] === true,
    ifNotExists: values['if-not-exists'] === true,
    excludeInternal: values['exclude-internal'] === true,
    connectTimeoutMs: integerFlag('connect-timeout-ms', values['connect-timeout-ms'], { min: 1 }) ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
}

function isInternal(topic: string): boolean {
  return topic === '__consumer_offsets' || topic === '__transaction_state';
}

function missing(topics: readonly string[], existing: ReadonlySet<string>): string[] {
  return topics.filter((topic) => !existing.has(topic));
}

function doesNotExist(topics: readonly string[]): CommandError {
  return new CommandError(topics.length === 1 ? `Topic '${topics[0]}' does not exist as expected` : `Topics ${topics.map((t) => `'${t}'`).join(', ')} do not exist as expected`);
}

async function create(admin: Admin, args: TopicsArgs, existing: ReadonlySet<string>, io: CliIo): Promise<number> {
  const topic = args.topics[0];
  if (existing.has(topic)) {
    if (args.ifNotExists) return 0;
    throw new CommandError(`Topic '${topic}' already exists.`);
  }
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: args.partitions, replicationFactor: args.replicationFactor, configEntries: args.configs }],
    waitForLeaders: true,
  });
  if (!created && !args.ifNotExists) throw new CommandError(`Topic '${topic}' already exists.`);
  if (created) io.stdout(`Created topic ${topic}.\n`);
  return 0;
}

async function describe(admin: Admin, args: TopicsArgs, existing: ReadonlySet<string>, io: CliIo): Promise<number> {
  const absent = missing(args.topics, existing);
  if (absent.length > 0 && !args.ifExists) throw doesNotExist(absent);
  let names = args.topics.length > 0 ? args.topics.filter((t) => existing.has(t)) : [...existing];
  if (args.excludeInternal) names = names.filter((t) => !isInternal(t));
  names.sort();
  if (names.length === 0) return 0;
  const { topics } = await admin.fetchTopicMetadata({ topics: names });
  const configs = await admin.describeConfigs({
    resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    includeSynonyms: false,
  });
  const overrides = new Map(
    configs.resources.map((resource) => [
      resource.resourceName,
      resource.configEntries
        .filter((entry) => entry.configSource === ConfigSource.TOPIC_CONFIG)
        .map((entry) => `${entry.configName}=${entry.isSensitive ? '<sensitive>' : entry.configValue}`)
        .join(','),
    ]),
  );
  const lines: string[] = [];
  for (const name of names) {
    const metadata = topics.find((t) => t.name === name);
    if (metadata === undefined) continue;
    const partitions = [...metadata.partitions].sort((a, b) => a.partitionId - b.partitionId);
    const replicationFactor = partitions[0]?.replicas.length ?? 0;
    lines.push(`Topic: ${name}\tPartitionCount: ${partitions.length}\tReplicationFactor: ${replicationFactor}\tConfigs: ${overrides.get(name) ?? ''}`);
    for (const p of partitions) {
      const offline = p.offlineReplicas !== undefined && p.offlineReplicas.length > 0 ? `\tOffline: ${p.offlineReplicas.join(',')}` : '';
      const leader = p.leader < 0 ? 'none' : String(p.leader);
      lines.push(`\tTopic: ${name}\tPartition: ${p.partitionId}\tLeader: ${leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${offline}`);
    }
  }
  io.stdout(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  return 0;
}

async function alter(admin: Admin, args: TopicsArgs, existing: ReadonlySet<string>): Promise<number> {
  const topic = args.topics[0];
  if (!existing.has(topic)) {
    if (args.ifExists) return 0;
    throw doesNotExist([topic]);
  }
  await admin.createPartitions({ topicPartitions: [{ topic, count: args.partitions! }] });
  return 0;
}

async function remove(admin: Admin, args: TopicsArgs, existing: ReadonlySet<string>): Promise<number> {
  const absent = missing(args.topics, existing);
  if (absent.length > 0 && !args.ifExists) throw doesNotExist(absent);
  const present = args.topics.filter((t) => existing.has(t));
  const internal = present.filter(isInternal);
  if (internal.length > 0) throw new CommandError(`Topic '${internal[0]}' is a kafka internal topic and is not allowed to be marked for deletion.`);
  if (present.length > 0) await admin.deleteTopics({ topics: present });
  return 0;
}

export async function runTopicsCommand(args: TopicsArgs, io: CliIo): Promise<number> {
  await reachCluster(args.bootstrapServers, args.connectTimeoutMs);
  const admin = commandKafka(args.bootstrapServers, { clientId: 'kafkasim-topics', connectTimeoutMs: args.connectTimeoutMs }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    switch (args.action) {
      case 'create':
        return await create(admin, args, existing, io);
      case 'list': {
        const names = [...existing].filter((t) => !args.excludeInternal || !isInternal(t)).sort();
        io.stdout(names.map((name) => `${name}\n`).join(''));
        return 0;
      }
      case 'describe':
        return await describe(admin, args, existing, io);
      case 'alter':
        return await alter(admin, args, existing);
      case 'delete':
        return await remove(admin, args, existing);
    }
  } finally {
    await admin.disconnect();
  }
}

const TOPICS: CommandSpec<TopicsArgs> = { name: 'topics', usage: TOPICS_USAGE, parse: parseTopicsArgs, run: runTopicsCommand };

export function runTopics(args: string[], io: CliIo): Promise<number> {
  return runCommand(TOPICS, args, io);
}
