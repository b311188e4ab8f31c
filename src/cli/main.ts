/**
 * The `kafkasim` command line: `kafkasim <command> [options]`. Each command lives in its own file and
 * returns an exit code; this file only dispatches. bin/kafkasim.js runs it through tsx.
 *
 * Exit codes: 0 done, 1 the command failed (a port in use), 2 the command line was wrong (as `getopt`
 * tools do).
 */
import { runBroker, BROKER_USAGE } from './broker-command.ts';
import { processIo, type CliIo } from './io.ts';

const USAGE = `Usage: kafkasim <command> [options]

Commands:
  broker    start a cluster that speaks the Kafka protocol over TCP (what \`npm start\` runs)

Run 'kafkasim <command> --help' for a command's options.
`;

const COMMANDS: Record<string, { run(args: string[], io: CliIo): Promise<number>; usage: string }> = {
  broker: { run: runBroker, usage: BROKER_USAGE },
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
