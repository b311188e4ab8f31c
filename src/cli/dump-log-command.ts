/**
 * `kafkasim dump-log`: kafka-dump-log.sh for a partition of a running `kafkasim broker`. Kafka's tool reads
 * segment files from the log directory; kafkasim's segments live in the broker process's memory and Kafka's
 * protocol has no request for them, so this command asks the broker's read-only introspection endpoint
 * (src/server/introspection.ts, `kafkasim broker --introspection-port`, by default the port after the last
 * broker's: 9093 for a single broker on 9092) for the partition replica's segments, and prints them as
 * Kafka's tool does: per segment `Dumping <topic>-<partition>/<base offset>.log`, `Log starting offset`,
 * then one line per batch (`baseOffset: ... lastOffset: ... count: ... position: ... size: ... crc: ...
 * isvalid: true`) and one per record (`| offset: ... keySize: ... valueSize: ...`), with the key and value
 * (`key: ... payload: ...`) under `--print-data-log`. kafkasim adds one line per segment with its size,
 * batch and record counts. `--json` prints the endpoint's answer as it is.
 *
 * It cannot read a real Kafka's logs (use kafka-dump-log.sh there), and shows the log of one replica (the
 * leader's unless `--broker-id`), not files.
 */
import type { LogDump, SegmentDump } from '../server/introspection.ts';
import { CommandError, describeError, integerFlag, parseFlags, parseHostPort, requireFlag, runCommand, UsageError, type CommandSpec } from './command-line.ts';
import type { CliIo } from './io.ts';

export const DEFAULT_INTROSPECTION_SERVER = '127.0.0.1:9093';

export const DUMP_LOG_USAGE = `Usage: kafkasim dump-log --topic <name> --partition <n> [options]

Prints the segments of a partition of a running \`kafkasim broker\` (file names, base offsets, sizes,
batches and records), as kafka-dump-log.sh prints segment files. The segments live in the broker's
memory: this reads them from the broker's read-only introspection endpoint, whose address
\`kafkasim broker\` prints ("introspection: http://...").

Options:
  --introspection-server <h:p>  the broker's introspection endpoint (default ${DEFAULT_INTROSPECTION_SERVER}: the one of
                                \`kafkasim broker\` with its default port and one broker)
  --topic <name>                the topic (required)
  --partition <n>               the partition (required)
  --broker-id <id>              the replica to read (default: the partition's leader)
  --print-data-log              also print each record's key and payload (as UTF-8)
  --json                        print the endpoint's JSON answer instead (keys and values in base64)
  --timeout-ms <ms>             how long the endpoint may take to answer (default 10000)
  -h, --help                    show this help

Example: kafkasim dump-log --topic orders --partition 0 --print-data-log
`;

export interface DumpLogArgs {
  server: { host: string; port: number };
  topic: string;
  partition: number;
  brokerId: number | null;
  printDataLog: boolean;
  isJson: boolean;
  timeoutMs: number;
}

export function parseDumpLogArgs(args: readonly string[]): DumpLogArgs | null {
  if (args.some((arg) => arg === '--bootstrap-server' || arg.startsWith('--bootstrap-server='))) {
    throw new UsageError(
      "dump-log reads segments from the broker's introspection endpoint, not from its Kafka port: use --introspection-server <host:port> (kafkasim broker prints it)",
    );
  }
  if (args.some((arg) => arg === '--files' || arg.startsWith('--files='))) {
    throw new UsageError('kafkasim keeps segments in memory, there are no files: use --topic and --partition');
  }
  const values = parseFlags(args, {
    'introspection-server': { type: 'string' },
    topic: { type: 'string' },
    partition: { type: 'string' },
    'broker-id': { type: 'string' },
    'print-data-log': { type: 'boolean' },
    json: { type: 'boolean' },
    'timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return null;
  const topic = requireFlag('topic', values.topic, '<name>');
  if (topic.trim() === '') throw new UsageError('--topic must not be empty');
  const partition = integerFlag('partition', requireFlag('partition', values.partition, '<n>'), { min: 0, max: 2147483647 })!;
  if (values.json === true && values['print-data-log'] === true) throw new UsageError('--json already holds the keys and payloads; drop --print-data-log');
  return {
    server: parseHostPort('introspection-server', values['introspection-server'] ?? DEFAULT_INTROSPECTION_SERVER),
    topic,
    partition,
    brokerId: integerFlag('broker-id', values['broker-id'], { min: 0, max: 2147483647 }) ?? null,
    printDataLog: values['print-data-log'] === true,
    isJson: values.json === true,
    timeoutMs: integerFlag('timeout-ms', values['timeout-ms'], { min: 1 }) ?? 10_000,
  };
}

function text(base64: string | null): string {
  return base64 === null ? 'null' : Buffer.from(base64, 'base64').toString('utf8');
}

function plural(count: number, word: string): string {
  return `${count} ${count === 1 ? word : word.endsWith('ch') ? `${word}es` : `${word}s`}`;
}

/** kafka-dump-log.sh's lines for one segment (DumpLogSegments with deep iteration), plus kafkasim's summary line. */
export function formatSegment(dump: LogDump, segment: SegmentDump, printDataLog: boolean): string {
  const lines = [
    `Dumping ${dump.topic}-${dump.partition}/${segment.fileName}`,
    `Log starting offset: ${segment.baseOffset}`,
    `Segment: ${segment.sizeInBytes} bytes, ${plural(segment.batchCount, 'batch')}, ${plural(segment.recordCount, 'record')}${segment.isActive ? ' (active)' : ''}`,
  ];
  for (const batch of segment.batches) {
    lines.push(
      `baseOffset: ${batch.baseOffset} lastOffset: ${batch.lastOffset} count: ${batch.count} baseSequence: ${batch.baseSequence} lastSequence: ${batch.lastSequence} ` +
        `producerId: ${batch.producerId} producerEpoch: ${batch.producerEpoch} partitionLeaderEpoch: ${batch.partitionLeaderEpoch} ` +
        `isTransactional: ${batch.isTransactional} isControl: ${batch.isControl} ` +
        `deleteHorizonMs: ${batch.deleteHorizonMs === null ? 'OptionalLong.empty' : `OptionalLong[${batch.deleteHorizonMs}]`} ` +
        `position: ${batch.position} ${batch.timestampType}: ${batch.maxTimestamp} size: ${batch.sizeInBytes} magic: ${batch.magic} ` +
        `compresscodec: ${batch.compression} crc: ${batch.crc} isvalid: ${batch.isValid}`,
    );
    for (const record of batch.records ?? []) {
      let line =
        `| offset: ${record.offset} ${batch.timestampType}: ${record.timestamp} keySize: ${record.keySize} valueSize: ${record.valueSize} ` +
        `sequence: ${record.sequence} headerKeys: [${record.headers.map((h) => h.key).join(',')}]`;
      if (printDataLog) {
        if (record.endTxnMarker !== undefined) line += ` endTxnMarker: ${record.endTxnMarker.type} coordinatorEpoch: ${record.endTxnMarker.coordinatorEpoch}`;
        else if (!batch.isControl) line += ` key: ${text(record.key)} payload: ${text(record.value)}`;
      }
      lines.push(line);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function formatLogDump(dump: LogDump, printDataLog: boolean): string {
  const header =
    `Partition ${dump.topic}-${dump.partition} on broker ${dump.brokerId} (${dump.role}, leader ${dump.leader}, epoch ${dump.leaderEpoch}): ` +
    `logStartOffset ${dump.logStartOffset}, highWatermark ${dump.highWatermark}, logEndOffset ${dump.logEndOffset}, ${dump.segments.length} segment${dump.segments.length === 1 ? '' : 's'}\n`;
  return header + dump.segments.map((segment) => formatSegment(dump, segment, printDataLog)).join('');
}

export async function runDumpLogCommand(args: DumpLogArgs, io: CliIo): Promise<number> {
  const address = `${args.server.host}:${args.server.port}`;
  const query = new URLSearchParams();
  if (args.brokerId !== null) query.set('broker', String(args.brokerId));
  const search = query.toString();
  const url = `http://${address}/topics/${encodeURIComponent(args.topic)}/partitions/${args.partition}/log${search === '' ? '' : `?${search}`}`;
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(args.timeoutMs) });
    body = await response.text();
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${args.timeoutMs} ms` : describeError(error);
    throw new CommandError(`cannot read from the introspection endpoint at ${address} (${reason}); \`kafkasim broker\` prints its address as 'introspection: http://...'`);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    throw new CommandError(`${address} did not answer as a kafkasim introspection endpoint (HTTP ${response.status}, not JSON)`);
  }
  if (!response.ok) throw new CommandError((answer as { error?: string }).error ?? `HTTP ${response.status} from ${address}`);
  const dump = answer as LogDump;
  if (!Array.isArray(dump.segments)) throw new CommandError(`${address} did not answer as a kafkasim introspection endpoint (no segments)`);
  io.stdout(args.isJson ? `${JSON.stringify(dump, null, 2)}\n` : formatLogDump(dump, args.printDataLog));
  return 0;
}

const DUMP_LOG: CommandSpec<DumpLogArgs> = { name: 'dump-log', usage: DUMP_LOG_USAGE, parse: parseDumpLogArgs, run: runDumpLogCommand };

export function runDumpLog(args: string[], io: CliIo): Promise<number> {
  return runCommand(DUMP_LOG, args, io);
}
