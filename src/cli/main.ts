/**
 * The `kafkasim` command line: `kafkasim <command> [options]`. Each command lives in its own file and
 * returns an exit code; this file only dispatches. bin/kafkasim.js runs it through tsx.
 *
 * Exit codes: 0 done, 1 the command failed (a port in use, a broker unreachable), 2 the command line was
 * wrong (as `getopt` tools do).
 */
import { runBroker, BROKER_USAGE } from './broker-command.ts';
import { CONSOLE_CONSUMER_USAGE, runConsoleConsumer } from './console-consumer-command.ts';
import { CONSOLE_PRODUCER_USAGE, runConsoleProducer } from './console-producer-command.ts';
import { CONSUMER_GROUPS_USAGE, runConsumerGroups } from './consumer-groups-command.ts';
import { DUMP_LOG_USAGE, runDumpLog } from './dump-log-command.ts';
import { processIo, type CliIo } from './io.ts';
import { runTopics, TOPICS_USAGE } from './topics-command.ts';
import { runScenarioCommand, SCENARIO_USAGE } from './scenario-command.ts';
import { runSimulateCommand, SIMULATE_USAGE } from './simulate-command.ts';

const USAGE = `Usage: kafkasim <command> [options]

Commands:
  broker            start a cluster that speaks the Kafka protocol over TCP (what \`npm start\` runs)
  topics            create, list, describe, alter and delete topics (kafka-topics.sh)
  console-producer  send lines of standard input as records (kafka-console-producer.sh)
  console-consumer  print the records of a topic (kafka-console-consumer.sh)
  consumer-groups   list, describe (offsets, lag, members) and delete groups (kafka-consumer-groups.sh)
  dump-log          print a partition's segments and records from a running kafkasim broker (kafka-dump-log.sh)
  scenario          run a teaching scenario (duplicates after a kill, acks=1 loss, ...) and print its timeline
  simulate          run one seed of a property-test configuration, or replay a failing plan

The client commands use kafkasim's own client over TCP, so they work against \`kafkasim broker\` and against
any Kafka cluster (dump-log excepted: it reads kafkasim's in-memory segments).

Run 'kafkasim <command> --help' for a command's options.
`;

const COMMANDS: Record<string, { run(args: string[], io: CliIo): Promise<number>; usage: string }> = {
  broker: { run: runBroker, usage: BROKER_USAGE },
  topics: { run: runTopics, usage: TOPICS_USAGE },
  'console-producer': { run: runConsoleProducer, usage: CONSOLE_PRODUCER_USAGE },
  'console-consumer': { run: runConsoleConsumer, usage: CONSOLE_CONSUMER_USAGE },
  'consumer-groups': { run: runConsumerGroups, usage: CONSUMER_GROUPS_USAGE },
  'dump-log': { run: runDumpLog, usage: DUMP_LOG_USAGE },
  scenario: { run: runScenarioCommand, usage: SCENARIO_USAGE },
  simulate: { run: runSimulateCommand, usage: SIMULATE_USAGE },
};

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic] !== undefined) io.stdout(COMMANDS[topic].usage);
    else (command === undefined ? io.stderr : io.stdout)(USAGE);
    return command === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (entry === undefined) {
    io.stderr(`kafkasim: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  return entry.run(rest, io);
}
