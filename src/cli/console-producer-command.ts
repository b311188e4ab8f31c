/**
 * `kafkasim console-producer`: kafka-console-producer.sh. Each line of standard input becomes one record
 * of `--topic`; at end of input (Ctrl+D, or the end of a pipe) everything read is sent, acknowledged, and
 * the command exits 0. SIGINT/SIGTERM stop reading and flush the same way.
 *
 * Line parsing is Kafka's `LineMessageReader`: with `--property parse.key=true` a line is
 * `key<key.separator>value` (separator `\t` by default, split at its first occurrence); a line without
 * the separator fails the command ("No key separator found on line number N") unless `ignore.error=true`,
 * which sends the whole line as the value without a key. `--key-separator <s>` is a shorthand for both
 * properties. `parse.headers=true` reads `h1:v1,h2:v2<TAB>` before the key, and `null.marker` turns a key
 * or value equal to it into null.
 *
 * Records go out in the order read: while one send is in flight, the lines that arrive are gathered into
 * the next (`--sync` sends and waits line by line). Acks default to all (-1), as Kafka's 3.x console
 * producer.
 *
 * Left out: `--producer-property` / `--producer.config`, `--line-reader`, `--batch-size` and `--timeout`
 * (batching is by what arrives during a send), the `>` prompt.
 */
import type { IHeaders, Message } from '../client/partitioners.ts';
import { Partitioners } from '../client/partitioners.ts';
import { CompressionTypes } from '../client/compression.ts';
import { commandKafka, DEFAULT_CONNECT_TIMEOUT_MS, reachCluster } from './cluster-client.ts';
import {
  booleanProperty,
  CommandError,
  describeError,
  integerFlag,
  parseBootstrapServers,
  parseFlags,
  parseProperties,
  requireFlag,
  runCommand,
  unescapeSeparator,
  UsageError,
  type CommandSpec,
} from './command-line.ts';
import type { CliIo } from './io.ts';

export const CONSOLE_PRODUCER_USAGE = `Usage: kafkasim console-producer --bootstrap-server <host:port> --topic <name> [options]

Sends each line of standard input as one record to a topic, as kafka-console-producer.sh does, and exits
once the input ends (Ctrl+D) and every record is acknowledged.

Options:
  --bootstrap-server <h:p>      broker(s) to connect to, host:port[,host:port...] (required)
  --topic <name>                topic to write to (required)
  --property <name=value>       line reading, repeatable, as Kafka's LineMessageReader:
                                  parse.key=true|false      lines are key<separator>value (default false)
                                  key.separator=<s>         default a tab (\\t)
                                  ignore.error=true|false   a line without separator: whole line as value
                                  parse.headers=true|false  lines start with h1:v1,h2:v2<headers.delimiter>
                                  headers.delimiter=<s>     default a tab; headers.separator (default ,)
                                  headers.key.separator=<s> default :
                                  null.marker=<s>           a key or value equal to it is sent as null
  --key-separator <s>           shorthand for --property parse.key=true --property key.separator=<s>
  --request-required-acks <a>   -1 or all (default), 1, or 0
  --compression-codec <c>       none (default), gzip, snappy, lz4 or zstd
  --sync                        send each line on its own and wait for its acknowledgement
  --connect-timeout-ms <ms>     how long a bootstrap server may take to answer (default ${DEFAULT_CONNECT_TIMEOUT_MS})
  -h, --help                    show this help

Example: printf 'k1:v1\\nk2:v2\\n' | kafkasim console-producer --bootstrap-server 127.0.0.1:9092 --topic orders --key-separator :
`;

const PROPERTIES = ['parse.key', 'key.separator', 'ignore.error', 'parse.headers', 'headers.delimiter', 'headers.separator', 'headers.key.separator', 'null.marker'];
const CODECS: Record<string, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

export interface LineFormat {
  parseKey: boolean;
  keySeparator: string;
  ignoreError: boolean;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullMarker: string | null;
}

export interface ConsoleProducerArgs {
  bootstrapServers: string[];
  topic: string;
  format: LineFormat;
  acks: -1 | 0 | 1;
  compression: CompressionTypes;
  isSync: boolean;
  connectTimeoutMs: number;
}

function parseAcks(value: string | undefined): -1 | 0 | 1 {
  if (value === undefined || value === 'all' || value === '-1') return -1;
  if (value === '0') return 0;
  if (value === '1') return 1;
  throw new UsageError(`--request-required-acks takes -1, all, 0 or 1, got '${value}'`);
}

export function parseConsoleProducerArgs(args: readonly string[]): ConsoleProducerArgs | null {
  const values = parseFlags(args, {
    'bootstrap-server': { type: 'string' },
    topic: { type: 'string' },
    property: { type: 'string', multiple: true },
    'key-separator': { type: 'string' },
    'request-required-acks': { type: 'string' },
    'compression-codec': { type: 'string' },
    sync: { type: 'boolean' },
    'connect-timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return null;
  const bootstrapServers = parseBootstrapServers(values['bootstrap-server']);
  const topic = requireFlag('topic', values.topic, '<name>');
  if (topic.trim() === '') throw new UsageError('--topic must not be empty');
  const properties = parseProperties('property', values.property, PROPERTIES);
  const shorthand = values['key-separator'];
  if (shorthand !== undefined) {
    if (shorthand === '') throw new UsageError('--key-separator must not be empty');
    if (properties.has('key.separator') || booleanProperty(properties, 'parse.key', true) === false) {
      throw new UsageError('--key-separator conflicts with --property key.separator / parse.key=false');
    }
  }
  const keySeparator = shorthand ?? unescapeSeparator(properties.get('key.separator') ?? '\t');
  const separators = { 'key.separator': keySeparator, 'headers.delimiter': unescapeSeparator(properties.get('headers.delimiter') ?? '\t'), 'headers.separator': unescapeSeparator(properties.get('headers.separator') ?? ','), 'headers.key.separator': unescapeSeparator(properties.get('headers.key.separator') ?? ':') };
  for (const [name, separator] of Object.entries(separators)) {
    if (separator === '') throw new UsageError(`property ${name} must not be empty`);
  }
  const codec = values['compression-codec'] ?? 'none';
  if (!Object.hasOwn(CODECS, codec)) throw new UsageError(`--compression-codec takes none, gzip, snappy, lz4 or zstd, got '${codec}'`);
  return {
    bootstrapServers,
    topic,
    format: {
      parseKey: shorthand !== undefined || booleanProperty(properties, 'parse.key', false),
      keySeparator,
      ignoreError: booleanProperty(properties, 'ignore.error', false),
      parseHeaders: booleanProperty(properties, 'parse.headers', false),
      headersDelimiter: separators['headers.delimiter'],
      headersSeparator: separators['headers.separator'],
      headersKeySeparator: separators['headers.key.separator'],
      nullMarker: properties.has('null.marker') ? properties.get('null.marker')! : null,
    },
    acks: parseAcks(values['request-required-acks']),
    compression: CODECS[codec],
    isSync: values.sync === true,
    connectTimeoutMs: integerFlag('connect-timeout-ms', values['connect-timeout-ms'], { min: 1 }) ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
}

/** One line as a record, or a `CommandError` for a line the format rejects (Kafka's messages). */
export function parseLine(line: string, lineNumber: number, format: LineFormat): Message {
  let rest = line;
  let headers: IHeaders | undefined;
  const nullable = (text: string): string | null => (format.nullMarker !== null && text === format.nullMarker ? null : text);
  if (format.parseHeaders) {
    const at = rest.indexOf(format.headersDelimiter);
    if (at < 0) {
      if (!format.ignoreError) throw new CommandError(`No headers delimiter found on line number ${lineNumber}: '${line}'`);
    } else {
      headers = {};
      const text = rest.slice(0, at);
      rest = rest.slice(at + format.headersDelimiter.length);
      if (text !== '') {
        for (const header of text.split(format.headersSeparator)) {
          const split = header.indexOf(format.headersKeySeparator);
          const key = split < 0 ? header : header.slice(0, split);
          if (key === '') throw new CommandError(`Header key cannot be empty on line number ${lineNumber}: '${line}'`);
          headers[key] = split < 0 ? undefined : (nullable(header.slice(split + format.headersKeySeparator.length)) ?? undefined);
        }
      }
    }
  }
  if (!format.parseKey) return { value: nullable(rest), ...(headers === undefined ? {} : { headers }) };
  const at = rest.indexOf(format.keySeparator);
  if (at < 0) {
    if (format.ignoreError) return { key: null, value: nullable(rest), ...(headers === undefined ? {} : { headers }) };
    throw new CommandError(`No key separator found on line number ${lineNumber}: '${line}'`);
  }
  return {
    key: nullable(rest.slice(0, at)),
    value: nullable(rest.slice(at + format.keySeparator.length)),
    ...(headers === undefined ? {} : { headers }),
  };
}

async function* noInput(): AsyncIterable<string> {}

export async function runConsoleProducerCommand(args: ConsoleProducerArgs, io: CliIo): Promise<number> {
  await reachCluster(args.bootstrapServers, args.connectTimeoutMs);
  const kafka = commandKafka(args.bootstrapServers, { clientId: 'kafkasim-console-producer', connectTimeoutMs: args.connectTimeoutMs });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let pending: Message[] = [];
  let failure: unknown = null;
  let sent = 0;
  let inFlight: Promise<void> | null = null;
  const sendPending = (): Promise<void> => {
    inFlight ??= (async () => {
      while (pending.length > 0 && failure === null) {
        const messages = pending;
        pending = [];
        try {
          await producer.send({ topic: args.topic, messages, acks: args.acks, compression: args.compression });
          sent += messages.length;
        } catch (error) {
          failure = error;
        }
      }
    })().finally(() => (inFlight = null));
    return inFlight;
  };
  let stopped = false;
  const stop = io.waitForStopSignal().then(() => void (stopped = true));
  try {
    let lineNumber = 0;
    let badLine: unknown = null;
    const lines = (io.readLines ?? noInput)()[Symbol.asyncIterator]();
    for (;;) {
      const next = await Promise.race([lines.next(), stop.then(() => null)]);
      if (next === null || next.done === true || failure !== null) break;
      lineNumber++;
      try {
        pending.push(parseLine(next.value, lineNumber, args.format));
      } catch (error) {
        // As Kafka's console producer: the lines before it still go out, then the command fails.
        badLine = error;
        break;
      }
      if (args.isSync) await sendPending();
      else void sendPending();
      if (stopped) break;
    }
    void lines.return?.();
    while (inFlight !== null || (pending.length > 0 && failure === null)) await sendPending();
    if (failure !== null) throw new CommandError(`sending to ${args.topic} failed after ${sent} record${sent === 1 ? '' : 's'}: ${describeError(failure)}`);
    if (badLine !== null) throw badLine;
    return 0;
  } finally {
    await producer.disconnect();
  }
}

const CONSOLE_PRODUCER: CommandSpec<ConsoleProducerArgs> = {
  name: 'console-producer',
  usage: CONSOLE_PRODUCER_USAGE,
  parse: parseConsoleProducerArgs,
  run: runConsoleProducerCommand,
};

export function runConsoleProducer(args: string[], io: CliIo): Promise<number> {
  return runCommand(CONSOLE_PRODUCER, args, io);
}
