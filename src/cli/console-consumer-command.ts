/**
 * `kafkasim console-consumer`: kafka-console-consumer.sh. Subscribes to `--topic` (or the topics matching
 * `--include`) in a consumer group and prints each record's value, one per line, formatted as Kafka's
 * `DefaultMessageFormatter` (`--property print.key=true`, `print.timestamp`, `print.partition`,
 * `print.offset`, `print.headers`, `key.separator`, ...). It stops after `--max-messages` records, after
 * `--timeout-ms` without a record, or on SIGINT/SIGTERM, and then leaves the group cleanly; stderr gets
 * Kafka's "Processed a total of N messages".
 *
 * Groups as Kafka's tool: with `--group G` the offsets of the records printed are committed (after each
 * batch and when stopping), and only those: a record fetched but not printed because `--max-messages` was
 * reached stays uncommitted, so the next consumer of the group gets it. Without `--group` the consumer
 * joins a throwaway `console-consumer-<n>` group and commits nothing. `--from-beginning` applies when the
 * group has no committed offset (`auto.offset.reset=earliest`), as in Kafka. Isolation defaults to
 * read_uncommitted, as Kafka's consumer does (KafkaJS's default is read_committed).
 *
 * Deliberate difference: `--timeout-ms` counts from the moment the consumer has joined its group (and
 * restarts at each record and each rebalance), not from the first poll; against a broker whose
 * `group.initial.rebalance.delay.ms` is 3 s (Kafka's default, and `kafkasim broker`'s), Kafka's tool with a
 * shorter timeout can give up before it had a chance to read anything.
 *
 * Left out: `--partition` and `--offset` (KafkaJS has no manual assignment), `--formatter`,
 * `--consumer-property` / `--consumer.config`, `--skip-message-on-error`.
 */
import type { IHeaders } from '../client/partitioners.ts';
import type { EachBatchPayload } from '../client/consumer/index.ts';
import { commandKafka, DEFAULT_CONNECT_TIMEOUT_MS, reachCluster, within } from './cluster-client.ts';
import {
  booleanProperty,
  CommandError,
  describeError,
  integerFlag,
  parseBootstrapServers,
  parseFlags,
  parseProperties,
  runCommand,
  unescapeSeparator,
  UsageError,
  type CommandSpec,
} from './command-line.ts';
import type { CliIo } from './io.ts';

export const CONSOLE_CONSUMER_USAGE = `Usage: kafkasim console-consumer --bootstrap-server <host:port> --topic <name> [options]

Prints the records of a topic, one per line, as kafka-console-consumer.sh does, until --max-messages,
--timeout-ms or Ctrl+C (SIGINT); it then leaves its group cleanly, committing what it printed.

Options:
  --bootstrap-server <h:p>      broker(s) to connect to, host:port[,host:port...] (required)
  --topic <name>                topic to read (this or --include is required)
  --include <regex>             read every topic whose name matches (JavaScript regular expression)
  --group <id>                  consumer group; offsets of printed records are committed
                                (default: a throwaway console-consumer-<n> group, nothing committed)
  --from-beginning              start at the earliest offset when the group has no committed offset
  --max-messages <n>            exit after printing n records
  --timeout-ms <ms>             exit after ms without a record (counted once the group is joined)
  --isolation-level <level>     read_uncommitted (default) or read_committed
  --property <name=value>       output format, repeatable, as Kafka's DefaultMessageFormatter:
                                  print.key, print.value (default true), print.timestamp, print.partition,
                                  print.offset, print.headers (true|false, default false)
                                  key.separator (default a tab), line.separator (default \\n),
                                  headers.separator (default ,), null.literal (default null)
  --connect-timeout-ms <ms>     how long a bootstrap server may take to answer (default ${DEFAULT_CONNECT_TIMEOUT_MS})
  -h, --help                    show this help

Example: kafkasim console-consumer --bootstrap-server 127.0.0.1:9092 --topic orders --from-beginning --property print.key=true
`;

const PROPERTIES = [
  'print.key',
  'print.value',
  'print.timestamp',
  'print.partition',
  'print.offset',
  'print.headers',
  'key.separator',
  'line.separator',
  'headers.separator',
  'null.literal',
];

export interface MessageFormat {
  printKey: boolean;
  printValue: boolean;
  printTimestamp: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printHeaders: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  nullLiteral: string;
}

export interface ConsoleConsumerArgs {
  bootstrapServers: string[];
  topic: string | RegExp;
  groupId: string | null;
  fromBeginning: boolean;
  maxMessages: number | null;
  timeoutMs: number | null;
  readUncommitted: boolean;
  format: MessageFormat;
  connectTimeoutMs: number;
}

export function parseConsoleConsumerArgs(args: readonly string[]): ConsoleConsumerArgs | null {
  const values = parseFlags(args, {
    'bootstrap-server': { type: 'string' },
    topic: { type: 'string' },
    include: { type: 'string' },
    group: { type: 'string' },
    'from-beginning': { type: 'boolean' },
    'max-messages': { type: 'string' },
    'timeout-ms': { type: 'string' },
    'isolation-level': { type: 'string' },
    property: { type: 'string', multiple: true },
    'connect-timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return null;
  const bootstrapServers = parseBootstrapServers(values['bootstrap-server']);
  if ((values.topic === undefined) === (values.include === undefined)) throw new UsageError('exactly one of --topic and --include is needed');
  let topic: string | RegExp;
  if (values.topic !== undefined) {
    if (values.topic.trim() === '') throw new UsageError('--topic must not be empty');
    topic = values.topic;
  } else {
    try {
      topic = new RegExp(`^(?:${values.include!})$`);
    } catch (error) {
      throw new UsageError(`--include is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  if (values.group !== undefined && values.group.trim() === '') throw new UsageError('--group must not be empty');
  const isolation = values['isolation-level'] ?? 'read_uncommitted';
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new UsageError(`--isolation-level takes read_uncommitted or read_committed, got '${isolation}'`);
  }
  const properties = parseProperties('property', values.property, PROPERTIES);
  return {
    bootstrapServers,
    topic,
    groupId: values.group ?? null,
    fromBeginning: values['from-beginning'] === true,
    maxMessages: integerFlag('max-messages', values['max-messages'], { min: 1 }) ?? null,
    timeoutMs: integerFlag('timeout-ms', values['timeout-ms'], { min: 1 }) ?? null,
    readUncommitted: isolation === 'read_uncommitted',
    format: {
      printKey: booleanProperty(properties, 'print.key', false),
      printValue: booleanProperty(properties, 'print.value', true),
      printTimestamp: booleanProperty(properties, 'print.timestamp', false),
      printPartition: booleanProperty(properties, 'print.partition', false),
      printOffset: booleanProperty(properties, 'print.offset', false),
      printHeaders: booleanProperty(properties, 'print.headers', false),
      keySeparator: unescapeSeparator(properties.get('key.separator') ?? '\t'),
      lineSeparator: unescapeSeparator(properties.get('line.separator') ?? '\n'),
      headersSeparator: unescapeSeparator(properties.get('headers.separator') ?? ','),
      nullLiteral: properties.get('null.literal') ?? 'null',
    },
    connectTimeoutMs: integerFlag('connect-timeout-ms', values['connect-timeout-ms'], { min: 1 }) ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
}

interface PrintedRecord {
  partition: number;
  offset: string;
  timestamp: string;
  timestampType: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

function headerText(headers: IHeaders | undefined, format: MessageFormat): string {
  const entries: string[] = [];
  for (const [key, value] of Object.entries(headers ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      entries.push(`${key}:${one === undefined || one === null ? format.nullLiteral : String(one)}`);
    }
  }
  return entries.length === 0 ? 'NO_HEADERS' : entries.join(format.headersSeparator);
}

/** Kafka's `DefaultMessageFormatter.writeTo`: the fields asked for, in its order, then the line separator. */
export function formatRecord(record: PrintedRecord, format: MessageFormat): string {
  const fields: string[] = [];
  if (format.printTimestamp) fields.push(`${record.timestampType === 1 ? 'LogAppendTime' : 'CreateTime'}:${record.timestamp}`);
  if (format.printPartition) fields.push(`Partition:${record.partition}`);
  if (format.printOffset) fields.push(`Offset:${record.offset}`);
  if (format.printHeaders) fields.push(headerText(record.headers, format));
  if (format.printKey) fields.push(record.key === null ? format.nullLiteral : record.key.toString('utf8'));
  if (format.printValue) fields.push(record.value === null ? format.nullLiteral : record.value.toString('utf8'));
  return `${fields.join(format.keySeparator)}${format.lineSeparator}`;
}

const DISCONNECT_TIMEOUT_MS = 15_000;

export async function runConsoleConsumerCommand(args: ConsoleConsumerArgs, io: CliIo): Promise<number> {
  await reachCluster(args.bootstrapServers, args.connectTimeoutMs);
  const kafka = commandKafka(args.bootstrapServers, { clientId: 'kafkasim-console-consumer', connectTimeoutMs: args.connectTimeoutMs });
  const isCommitting = args.groupId !== null;
  // Kafka's tool: new Random().nextInt(100000) when no group is given.
  const groupId = args.groupId ?? `console-consumer-${Math.floor(Math.random() * 100_000)}`;
  // Kafka's fetch.max.wait.ms (500), not KafkaJS's 5000: stopping waits for the fetch in flight.
  const consumer = kafka.consumer({ groupId, readUncommitted: args.readUncommitted, maxWaitTimeInMs: 500 });

  let printed = 0;
  let finish: (outcome: { error?: unknown }) => void = () => {};
  const finished = new Promise<{ error?: unknown }>((resolve) => (finish = resolve));
  let isDone = false;
  const done = (outcome: { error?: unknown } = {}): void => {
    if (isDone) return;
    isDone = true;
    finish(outcome);
  };

  let idleTimer: NodeJS.Timeout | undefined;
  const armIdleTimer = (): void => {
    if (args.timeoutMs === null || isDone) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => done(), args.timeoutMs);
  };
  const disarmIdleTimer = (): void => clearTimeout(idleTimer);

  consumer.on(consumer.events.GROUP_JOIN, () => armIdleTimer());
  consumer.on(consumer.events.REBALANCING, () => disarmIdleTimer());
  consumer.on(consumer.events.CRASH, (event) => {
    const { error, restart } = event.payload as { error: unknown; restart: boolean };
    if (!restart) done({ error });
  });
  void io.waitForStopSignal().then(() => done());

  const eachBatch = async ({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    for (const message of batch.messages) {
      if (isDone || !isRunning() || isStale()) return;
      io.stdout(
        formatRecord(
          {
            partition: batch.partition,
            offset: message.offset,
            timestamp: message.timestamp,
            timestampType: message.batchContext.timestampType,
            key: message.key,
            value: message.value,
            headers: message.headers,
          },
          args.format,
        ),
      );
      printed++;
      // Only what was printed counts as consumed: the runner commits resolved offsets after the batch.
      resolveOffset(message.offset);
      armIdleTimer();
      if (args.maxMessages !== null && printed >= args.maxMessages) {
        done();
        return;
      }
    }
  };

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [args.topic], fromBeginning: args.fromBeginning });
    await consumer.run({ eachBatch, eachBatchAutoResolve: false, autoCommit: isCommitting });
    const outcome = await finished;
    disarmIdleTimer();
    if (outcome.error !== undefined) throw new CommandError(`the consumer failed: ${describeError(outcome.error)}`);
    return 0;
  } finally {
    disarmIdleTimer();
    isDone = true;
    try {
      // Stopping waits for the batch in hand, commits its printed offsets and leaves the group.
      await within(consumer.disconnect(), DISCONNECT_TIMEOUT_MS, 'leaving the consumer group');
    } finally {
      io.stderr(`Processed a total of ${printed} messages\n`);
    }
  }
}

const CONSOLE_CONSUMER: CommandSpec<ConsoleConsumerArgs> = {
  name: 'console-consumer',
  usage: CONSOLE_CONSUMER_USAGE,
  parse: parseConsoleConsumerArgs,
  run: runConsoleConsumerCommand,
};

export function runConsoleConsumer(args: string[], io: CliIo): Promise<number> {
  return runCommand(CONSOLE_CONSUMER, args, io);
}
