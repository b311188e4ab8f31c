/**
 * What a CLI command may touch of its process: output streams and the stop signals. Commands take it as
 * a parameter so that tests can run them in process and the process itself stays in one place.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Resolves with the signal's name on the first SIGINT or SIGTERM. */
  waitForStopSignal(): Promise<string>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
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
      }),
  };
}
