/**
 * What a CLI command may touch of its process: output streams, input lines and the stop signals. Commands
 * take it as a parameter so that tests can run them in process and the process itself stays in one place.
 */
import { createInterface } from 'node:readline';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Resolves with the signal's name on the first SIGINT or SIGTERM (or `EPIPE` when whoever reads stdout
   * went away, as `| head` does): the command should finish cleanly.
   */
  waitForStopSignal(): Promise<string>;
  /** Standard input, line by line without the line ends; absent means no input. */
  readLines?(): AsyncIterable<string>;
}

export function processIo(): CliIo {
  let stdoutGone: ((reason: string) => void) | undefined;
  const stdoutClosed = new Promise<string>((resolve) => (stdoutGone = resolve));
  // A reader that went away (EPIPE) stops the command instead of crashing it with an unhandled error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stdoutGone!('EPIPE');
    else process.stderr.write(`kafkasim: cannot write to stdout: ${error.message}\n`);
  });
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    waitForStopSignal: () =>
      new Promise((resolve) => {
        let received: string | undefined;
        const onSignal = (signal: NodeJS.Signals): void => {
          // A second signal while shutting down means "now".
          if (received !== undefined) process.exit(signal === 'SIGINT' ? 130 : 143);
          received = signal;
          resolve(signal);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        void stdoutClosed.then((reason) => {
          if (received !== undefined) return;
          received = reason;
          resolve(reason);
        });
      }),
    readLines: () => ({
      [Symbol.asyncIterator]: () => {
        // Without `output`, readline leaves the terminal in cooked mode, so Ctrl+C stays a SIGINT to the process.
        const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
        const iterator = lines[Symbol.asyncIterator]();
        return {
          next: () => iterator.next(),
          // Stopping early (a signal): an open stdin (a terminal, a pipe nobody closes) must not keep the process alive.
          return: async () => {
            lines.close();
            process.stdin.destroy();
            return { done: true as const, value: undefined };
          },
        };
      },
    }),
  };
}
