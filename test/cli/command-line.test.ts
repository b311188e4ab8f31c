/**
 * The client commands' command lines, in process: each flag parsed into its options, `--help` on every
 * command, and every wrong command line refused with its reason and exit code 2 before any connection.
 * Also the pure pieces the commands print with: Kafka's line reader and message formatter, the group
 * tables, dump-log's lines.
 */
import { describe, expect, it } from 'vitest';
import { parseBrokerArgs, withDefaultIntrospection } from '../../src/cli/broker-command.ts';
import { parseConsoleConsumerArgs, formatRecord, type MessageFormat } from '../../src/cli/console-consumer-command.ts';
import { parseConsoleProducerArgs, parseLine, type LineFormat } from '../../src/cli/console-producer-command.ts';
import { formatTable, parseConsumerGroupsArgs } from '../../src/cli/consumer-groups-command.ts';
import { describeError, parseBootstrapServers, unescapeSeparator } from '../../src/cli/command-line.ts';
import { formatLogDump, parseDumpLogArgs } from '../../src/cli/dump-log-command.ts';
import { main } from '../../src/cli/main.ts';
import { parseTopicsArgs } from '../../src/cli/topics-command.ts';
import type { LogDump } from '../../src/server/introspection.ts';
import { fakeIo } from './support.ts';

const B = ['--bootstrap-server', '127.0.0.1:19092'];

describe('kafkasim client commands: flags', () => {
  it('topics parses each action with its options', () => {
    expect(parseTopicsArgs([...B, '--create', '--topic', 't', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=1000', '--config', 'cleanup.policy=compact'])).toEqual({
      action: 'create',
      bootstrapServers: ['127.0.0.1:19092'],
      topics: ['t'],
      partitions: 3,
      replicationFactor: 1,
      configs: [
        { name: 'retention.ms', value: '1000' },
        { name: 'cleanup.policy', value: 'compact' },
      ],
      ifExists: false,
      ifNotExists: false,
      excludeInternal: false,
      connectTimeoutMs: 5000,
    });
    expect(parseTopicsArgs([...B, '--list', '--exclude-internal'])).toMatchObject({ action: 'list', topics: [], excludeInternal: true });
    expect(parseTopicsArgs([...B, '--describe'])).toMatchObject({ action: 'describe', topics: [] });
    expect(parseTopicsArgs([...B, '--describe', '--topic', 'a,b', '--if-exists'])).toMatchObject({ action: 'describe', topics: ['a', 'b'], ifExists: true });
    expect(parseTopicsArgs([...B, '--alter', '--topic', 't', '--partitions', '6'])).toMatchObject({ action: 'alter', partitions: 6 });
    expect(parseTopicsArgs(['--bootstrap-server=h1:1,h2:2', '--delete', '--topic', 't', '--connect-timeout-ms', '250'])).toMatchObject({
      action: 'delete',
      bootstrapServers: ['h1:1', 'h2:2'],
      connectTimeoutMs: 250,
    });
    expect(parseTopicsArgs(['--help'])).toBeNull();
  });

  it('console-producer reads Kafka properties and the --key-separator shorthand', () => {
    expect(parseConsoleProducerArgs([...B, '--topic', 't'])).toEqual({
      bootstrapServers: ['127.0.0.1:19092'],
      topic: 't',
      format: { parseKey: false, keySeparator: '\t', ignoreError: false, parseHeaders: false, headersDelimiter: '\t', headersSeparator: ',', headersKeySeparator: ':', nullMarker: null },
      acks: -1,
      compression: 0,
      isSync: false,
      connectTimeoutMs: 5000,
    });
    expect(parseConsoleProducerArgs([...B, '--topic', 't', '--property', 'parse.key=true', '--property', 'key.separator=:'])!.format).toMatchObject({ parseKey: true, keySeparator: ':' });
    expect(parseConsoleProducerArgs([...B, '--topic', 't', '--key-separator', '::'])!.format).toMatchObject({ parseKey: true, keySeparator: '::' });
    expect(parseConsoleProducerArgs([...B, '--topic', 't', '--property', 'key.separator=\\t', '--property', 'parse.key=TRUE'])!.format).toMatchObject({ parseKey: true, keySeparator: '\t' });
    expect(parseConsoleProducerArgs([...B, '--topic', 't', '--request-required-acks', '1', '--compression-codec', 'zstd', '--sync'])).toMatchObject({ acks: 1, compression: 4, isSync: true });
    expect(parseConsoleProducerArgs([...B, '--topic', 't', '--request-required-acks', 'all'])).toMatchObject({ acks: -1 });
  });

  it('console-consumer reads its limits, group and formatter properties', () => {
    expect(parseConsoleConsumerArgs([...B, '--topic', 't'])).toMatchObject({
      topic: 't',
      groupId: null,
      fromBeginning: false,
      maxMessages: null,
      timeoutMs: null,
      readUncommitted: true,
      format: { printKey: false, printValue: true, keySeparator: '\t', lineSeparator: '\n', nullLiteral: 'null' },
    });
    expect(
      parseConsoleConsumerArgs([...B, '--topic', 't', '--group', 'g', '--from-beginning', '--max-messages', '5', '--timeout-ms', '2000', '--property', 'print.key=true', '--property', 'key.separator=|', '--isolation-level', 'read_committed']),
    ).toMatchObject({ groupId: 'g', fromBeginning: true, maxMessages: 5, timeoutMs: 2000, readUncommitted: false, format: { printKey: true, keySeparator: '|' } });
    const include = parseConsoleConsumerArgs([...B, '--include', 'orders-.*'])!.topic as RegExp;
    expect([include.test('orders-eu'), include.test('xorders-eu')]).toEqual([true, false]);
  });

  it('consumer-groups and dump-log parse their actions and defaults', () => {
    expect(parseConsumerGroupsArgs([...B, '--describe', '--group', 'g'])).toEqual({
      action: 'describe',
      bootstrapServers: ['127.0.0.1:19092'],
      groups: ['g'],
      allGroups: false,
      view: 'offsets',
      connectTimeoutMs: 5000,
    });
    expect(parseConsumerGroupsArgs([...B, '--describe', '--all-groups', '--members'])).toMatchObject({ allGroups: true, view: 'members' });
    expect(parseConsumerGroupsArgs([...B, '--list'])).toMatchObject({ action: 'list', groups: [] });
    expect(parseDumpLogArgs(['--topic', 't', '--partition', '2'])).toEqual({
      server: { host: '127.0.0.1', port: 9093 },
      topic: 't',
      partition: 2,
      brokerId: null,
      printDataLog: false,
      isJson: false,
      timeoutMs: 10000,
    });
    expect(parseDumpLogArgs(['--introspection-server', 'localhost:1234', '--topic', 't', '--partition', '0', '--broker-id', '2', '--print-data-log'])).toMatchObject({
      server: { host: 'localhost', port: 1234 },
      brokerId: 2,
      printDataLog: true,
    });
  });

  it('broker: the introspection endpoint defaults to the port after the last broker, and --introspection-port overrides or turns it off', () => {
    const plain = parseBrokerArgs(['--port', '19092', '--brokers', '3']);
    expect(plain.help === false && withDefaultIntrospection(plain.options).introspection).toEqual({ port: 19095, isOptional: true });
    const ephemeral = parseBrokerArgs(['--port', '0']);
    expect(ephemeral.help === false && withDefaultIntrospection(ephemeral.options).introspection).toEqual({ port: 0, isOptional: true });
    expect(parseBrokerArgs(['--introspection-port', '18000'])).toMatchObject({ options: { introspection: { port: 18000 } } });
    expect(parseBrokerArgs(['--introspection-port', 'off'])).toMatchObject({ isIntrospectionOff: true });
  });

  it.each([
    ['topics', ['--list'], 'missing required option --bootstrap-server <host:port>'],
    ['topics', [...B], 'exactly one action is needed: --create, --list, --describe, --alter or --delete'],
    ['topics', [...B, '--list', '--describe'], 'exactly one action is needed'],
    ['topics', [...B, '--create'], '--create needs exactly one --topic'],
    ['topics', [...B, '--create', '--topic', 't', '--partitions', '0'], "--partitions takes an integer from 1 to 2147483647, got '0'"],
    ['topics', [...B, '--create', '--topic', 't', '--replication-factor', 'x'], "--replication-factor takes an integer from 1 to 32767, got 'x'"],
    ['topics', [...B, '--create', '--topic', 't', '--config', 'retention.ms'], "--config takes name=value, got 'retention.ms'"],
    ['topics', [...B, '--list', '--partitions', '3'], '--partitions is only valid with --create or --alter'],
    ['topics', [...B, '--alter', '--topic', 't'], '--alter needs --partitions'],
    ['topics', [...B, '--delete'], '--delete needs --topic'],
    ['topics', ['--bootstrap-server', 'localhost', '--list'], "--bootstrap-server takes host:port, got 'localhost'"],
    ['topics', ['--bootstrap-server', 'h:99999', '--list'], "--bootstrap-server: port must be an integer from 1 to 65535, got '99999' in 'h:99999'"],
    ['topics', ['--bootstrap-server', 'h:1,', '--list'], "--bootstrap-server takes host:port[,host:port...], got 'h:1,'"],
    ['topics', ['--bootstrap-server', '::1:9092', '--list'], "--bootstrap-server: IPv6 literals are not supported ('::1:9092')"],
    ['topics', [...B, '--list', '--verbose'], "Unknown option '--verbose'"],
    ['topics', [...B, '--list', 'extra'], "Unexpected argument 'extra'"],
    ['console-producer', [...B], 'missing required option --topic <name>'],
    ['console-producer', [...B, '--topic', 't', '--property', 'parse.keys=true'], "unknown --property 'parse.keys' (known: parse.key, key.separator"],
    ['console-producer', [...B, '--topic', 't', '--property', 'parse.key=yes'], "property parse.key takes true or false, got 'yes'"],
    ['console-producer', [...B, '--topic', 't', '--property', 'key.separator='], 'property key.separator must not be empty'],
    ['console-producer', [...B, '--topic', 't', '--key-separator', ':', '--property', 'key.separator=|'], '--key-separator conflicts with --property key.separator'],
    ['console-producer', [...B, '--topic', 't', '--request-required-acks', '2'], "--request-required-acks takes -1, all, 0 or 1, got '2'"],
    ['console-producer', [...B, '--topic', 't', '--compression-codec', 'brotli'], "--compression-codec takes none, gzip, snappy, lz4 or zstd, got 'brotli'"],
    ['console-consumer', [...B], 'exactly one of --topic and --include is needed'],
    ['console-consumer', [...B, '--topic', 't', '--include', 't'], 'exactly one of --topic and --include is needed'],
    ['console-consumer', [...B, '--include', '('], '--include is not a valid regular expression'],
    ['console-consumer', [...B, '--topic', 't', '--max-messages', '0'], "--max-messages takes an integer >= 1, got '0'"],
    ['console-consumer', [...B, '--topic', 't', '--timeout-ms=-5'], "--timeout-ms takes an integer >= 1, got '-5'"],
    ['console-consumer', [...B, '--topic', 't', '--isolation-level', 'serializable'], "--isolation-level takes read_uncommitted or read_committed, got 'serializable'"],
    ['console-consumer', [...B, '--topic', 't', '--property', 'print.keys=true'], "unknown --property 'print.keys'"],
    ['consumer-groups', [...B, '--describe'], '--describe needs --group <id> or --all-groups'],
    ['consumer-groups', [...B, '--list', '--group', 'g'], '--list takes no --group or --all-groups'],
    ['consumer-groups', [...B, '--describe', '--group', 'g', '--members', '--state'], '--offsets, --members and --state exclude each other'],
    ['consumer-groups', [...B, '--delete', '--group', 'g', '--members'], '--members is only valid with --describe'],
    ['dump-log', ['--partition', '0'], 'missing required option --topic <name>'],
    ['dump-log', ['--topic', 't'], 'missing required option --partition <n>'],
    ['dump-log', ['--topic', 't', '--partition', 'x'], "--partition takes an integer from 0 to 2147483647, got 'x'"],
    ['dump-log', [...B, '--topic', 't', '--partition', '0'], "dump-log reads segments from the broker's introspection endpoint, not from its Kafka port: use --introspection-server"],
    ['dump-log', ['--files', '00000000000000000000.log'], 'kafkasim keeps segments in memory, there are no files: use --topic and --partition'],
    ['dump-log', ['--introspection-server', 'nohost', '--topic', 't', '--partition', '0'], "--introspection-server takes host:port, got 'nohost'"],
    ['broker', ['--introspection-port', 'x'], "--introspection-port takes a non-negative integer, got 'x'"],
    ['broker', ['--port', '19092', '--introspection-port', '19092'], 'introspection port 19092 is one of the brokers\' ports 19092..19092'],
  ])('%s %j is refused with exit code 2 and its reason', async (command, args, message) => {
    const io = fakeIo();
    expect(await main([command, ...args], io)).toBe(2);
    expect(io.err).toContain(`kafkasim ${command}: ${message}`);
    expect(io.err).toContain(`Run 'kafkasim ${command} --help'`);
    expect(io.out).toBe('');
  });

  it.each(['topics', 'console-producer', 'console-consumer', 'consumer-groups', 'dump-log'])('%s --help prints its usage and exits 0', async (command) => {
    const io = fakeIo();
    expect(await main([command, '--help'], io)).toBe(0);
    expect(io.out).toContain(`Usage: kafkasim ${command} `);
    expect(io.out).toMatch(/Example: .*kafkasim /);
    const viaHelp = fakeIo();
    expect(await main(['help', command], viaHelp)).toBe(0);
    expect(viaHelp.out).toBe(io.out);
  });

  it('the top-level usage lists every command', async () => {
    const io = fakeIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const command of ['broker', 'topics', 'console-producer', 'console-consumer', 'consumer-groups', 'dump-log']) expect(io.out).toContain(`  ${command} `);
  });
});

describe('kafkasim client commands: what they print', () => {
  const lineFormat: LineFormat = { parseKey: true, keySeparator: ':', ignoreError: false, parseHeaders: false, headersDelimiter: '\t', headersSeparator: ',', headersKeySeparator: ':', nullMarker: null };

  it("console-producer lines follow Kafka's LineMessageReader", () => {
    expect(parseLine('k:v:w', 1, lineFormat)).toEqual({ key: 'k', value: 'v:w' });
    expect(parseLine(':v', 1, lineFormat)).toEqual({ key: '', value: 'v' });
    expect(parseLine('plain', 1, { ...lineFormat, parseKey: false })).toEqual({ value: 'plain' });
    expect(() => parseLine('novalue', 7, lineFormat)).toThrow("No key separator found on line number 7: 'novalue'");
    expect(parseLine('novalue', 7, { ...lineFormat, ignoreError: true })).toEqual({ key: null, value: 'novalue' });
    expect(parseLine('NULL:v', 1, { ...lineFormat, nullMarker: 'NULL' })).toEqual({ key: null, value: 'v' });
    expect(parseLine('h1:a,h2:b\tk:v', 1, { ...lineFormat, parseHeaders: true })).toEqual({ key: 'k', value: 'v', headers: { h1: 'a', h2: 'b' } });
    expect(parseLine('\tk:v', 1, { ...lineFormat, parseHeaders: true })).toEqual({ key: 'k', value: 'v', headers: {} });
    expect(unescapeSeparator('\\t|\\n|\\\\')).toBe('\t|\n|\\');
  });

  it("console-consumer lines follow Kafka's DefaultMessageFormatter", () => {
    const format: MessageFormat = {
      printKey: false,
      printValue: true,
      printTimestamp: false,
      printPartition: false,
      printOffset: false,
      printHeaders: false,
      keySeparator: '\t',
      lineSeparator: '\n',
      headersSeparator: ',',
      nullLiteral: 'null',
    };
    const record = { partition: 2, offset: '7', timestamp: '1700000000000', timestampType: 0, key: Buffer.from('k'), value: Buffer.from('v'), headers: { a: Buffer.from('1') } };
    expect(formatRecord(record, format)).toBe('v\n');
    expect(formatRecord(record, { ...format, printKey: true })).toBe('k\tv\n');
    expect(formatRecord({ ...record, key: null }, { ...format, printKey: true, keySeparator: ':' })).toBe('null:v\n');
    expect(formatRecord(record, { ...format, printTimestamp: true, printPartition: true, printOffset: true, printHeaders: true, printKey: true })).toBe('CreateTime:1700000000000\tPartition:2\tOffset:7\ta:1\tk\tv\n');
    expect(formatRecord({ ...record, headers: {} }, { ...format, printHeaders: true, printValue: false })).toBe('NO_HEADERS\n');
  });

  it('tables are padded to their widest cell, one space apart, after an empty line', () => {
    expect(formatTable(['GROUP', 'LAG'], [['my-group', '0']])).toBe('\nGROUP    LAG\nmy-group 0\n');
  });

  it('errors print as one line, aggregate parts and causes included', () => {
    const aggregate = Object.assign(new Error('Topic creation errors'), { errors: [new Error('Invalid config'), new Error('second\nline')] });
    expect(describeError(aggregate)).toBe('Topic creation errors: Invalid config; second line');
    expect(describeError(new Error('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }))).toBe('fetch failed (connect ECONNREFUSED 127.0.0.1:1)');
    expect(parseBootstrapServers(' a:1 , b:2 ')).toEqual(['a:1', 'b:2']);
  });

  it('dump-log prints what kafka-dump-log.sh prints, plus the segment summary', () => {
    const dump: LogDump = {
      topic: 't',
      partition: 0,
      brokerId: 1,
      role: 'leader',
      leader: 1,
      leaderEpoch: 0,
      logStartOffset: '0',
      logEndOffset: '1',
      highWatermark: '1',
      segments: [
        {
          fileName: '00000000000000000000.log',
          indexFileName: '00000000000000000000.index',
          timeIndexFileName: '00000000000000000000.timeindex',
          baseOffset: '0',
          sizeInBytes: 70,
          batchCount: 1,
          recordCount: 1,
          firstOffset: '0',
          lastOffset: '0',
          maxTimestamp: '1700000000000',
          isActive: true,
          batches: [
            {
              position: 0,
              sizeInBytes: 70,
              baseOffset: '0',
              lastOffset: '0',
              count: 1,
              baseSequence: -1,
              lastSequence: -1,
              producerId: '-1',
              producerEpoch: -1,
              partitionLeaderEpoch: 0,
              isTransactional: false,
              isControl: false,
              deleteHorizonMs: null,
              timestampType: 'CreateTime',
              baseTimestamp: '1700000000000',
              maxTimestamp: '1700000000000',
              magic: 2,
              compression: 'none',
              crc: 123,
              isValid: true,
              records: [{ offset: '0', timestamp: '1700000000000', keySize: 1, valueSize: 5, sequence: -1, headers: [{ key: 'h', value: null }], key: Buffer.from('k').toString('base64'), value: Buffer.from('hello').toString('base64') }],
            },
          ],
        },
      ],
    };
    expect(formatLogDump(dump, true)).toBe(
      [
        'Partition t-0 on broker 1 (leader, leader 1, epoch 0): logStartOffset 0, highWatermark 1, logEndOffset 1, 1 segment',
        'Dumping t-0/00000000000000000000.log',
        'Log starting offset: 0',
        'Segment: 70 bytes, 1 batch, 1 record (active)',
        'baseOffset: 0 lastOffset: 0 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1700000000000 size: 70 magic: 2 compresscodec: none crc: 123 isvalid: true',
        '| offset: 0 CreateTime: 1700000000000 keySize: 1 valueSize: 5 sequence: -1 headerKeys: [h] key: k payload: hello',
        '',
      ].join('\n'),
    );
    expect(formatLogDump(dump, false)).not.toContain('payload:');
  });
});
