/**
 * `kafkasim broker`: starts a cluster on the real clock with one TCP listener per broker (9092, 9093, ...),
 * prints how to connect, and runs until SIGINT or SIGTERM, which close the listeners and exit 0.
 *
 * Defaults are Kafka's, including `group.initial.rebalance.delay.ms` = 3000 (a first consumer group join
 * waits 3 s for more members, as it does against a real broker); `--config` changes any broker config by
 * its Kafka name. Unknown config names are warned about and ignored, as Kafka does; invalid values of
 * known ones refuse to start, as Kafka's `ConfigException` does.
 *
 * It also opens the read-only introspection endpoint `kafkasim dump-log` reads segments from, on loopback,
 * by default on the port after the last broker's (9093 with one broker on 9092; a free port with
 * `--port 0`). When that default port is taken the broker starts without it and says so; a port given with
 * `--introspection-port` must bind. `--introspection-port off` leaves it closed.
 */
import { parseArgs } from 'node:util';
import { checkServerOptions, DEFAULT_HOST, DEFAULT_PORT, startBrokerServer, type BrokerServerOptions } from '../server/index.ts';
import type { CliIo } from './io.ts';

export const BROKER_USAGE = `Usage: kafkasim broker [options]

Starts a kafkasim cluster on the real clock, one TCP listener per broker, and runs it until SIGINT
(Ctrl+C) or SIGTERM. Everything lives in memory.

Options:
  --brokers <n>             number of brokers (default 1)
  --port <port>             port of broker 1; broker i listens on port + i - 1 (default ${DEFAULT_PORT}; 0: any free ports)
  --host <address>          address to listen on (default ${DEFAULT_HOST})
  --advertised-host <host>  host given to clients in Metadata (default: --host, or ${DEFAULT_HOST} for 0.0.0.0)
  --config <name=value>     a broker config by its Kafka name; repeatable (--config num.partitions=3)
  --seed <n>                seed of the cluster's random choices (ids, placement)
  --introspection-port <p>  port of the read-only endpoint \`kafkasim dump-log\` reads segments from, on 127.0.0.1
                            (default: the port after the last broker's, 9093 for one broker; 'off': none)
  -h, --help                show this help

Example: kafkasim broker --brokers 3 --config default.replication.factor=3
`;

class UsageError extends Error {}

function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} takes a non-negative integer, got '${value}'`);
  return Number(value);
}

/** The server options a command line asks for; throws `UsageError` with the reason when it is wrong. */
export function parseBrokerArgs(args: readonly string[]): { help: true } | { help: false; options: BrokerServerOptions; isIntrospectionOff?: true } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        brokers: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'advertised-host': { type: 'string' },
        config: { type: 'string', multiple: true },
        seed: { type: 'string' },
        'introspection-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values;
  if (values.help === true) return { help: true };
  const brokerConfig: Record<string, string> = {};
  for (const entry of values.config ?? []) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--config takes name=value, got '${entry}'`);
    brokerConfig[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  for (const name of ['host', 'advertised-host'] as const) {
    if (values[name] !== undefined && values[name]!.trim() === '') throw new UsageError(`--${name} must not be empty`);
  }
  const introspectionFlag = values['introspection-port'];
  const options: BrokerServerOptions = {
    brokers: integerFlag('brokers', values.brokers),
    port: integerFlag('port', values.port),
    host: values.host,
    advertisedHost: values['advertised-host'],
    seed: integerFlag('seed', values.seed),
    brokerConfig,
    ...(introspectionFlag === undefined || introspectionFlag === 'off'
      ? {}
      : { introspection: { port: integerFlag('introspection-port', introspectionFlag)! } }),
  };
  const problem = checkServerOptions(options);
  if (problem !== null) throw new UsageError(problem);
  return { help: false, options, ...(introspectionFlag === 'off' ? { isIntrospectionOff: true } : {}) };
}

/**
 * Without `--introspection-port`: the endpoint on the port after the last broker's (any free port with
 * `--port 0`), left out if that port is taken.
 */
export function withDefaultIntrospection(options: BrokerServerOptions): BrokerServerOptions {
  if (options.introspection !== undefined) return options;
  const port = options.port ?? DEFAULT_PORT;
  const next = port === 0 ? 0 : port + (options.brokers ?? 1);
  if (next > 65535) return options;
  return { ...options, introspection: { port: next, isOptional: true } };
}

export async function runBroker(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseBrokerArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`kafkasim broker: ${error.message}\nRun 'kafkasim broker --help' for the options.\n`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(BROKER_USAGE);
    return 0;
  }
  // Listen before binding, so a signal during startup still ends in a clean close.
  const stopSignal = io.waitForStopSignal();
  let server;
  try {
    const options = parsed.isIntrospectionOff === true ? parsed.options : withDefaultIntrospection(parsed.options);
    server = await startBrokerServer({ ...options, onWarning: (message) => io.stderr(`kafkasim broker: warning: ${message}\n`) });
  } catch (error) {
    io.stderr(`kafkasim broker: ${(error as Error).message}\n`);
    return 1;
  }
  const count = server.addresses.length;
  const bootstrap = server.bootstrapServers.join(',');
  const lines = [
    `kafkasim: ${count} broker${count === 1 ? '' : 's'} on the real clock, cluster id ${server.cluster.metadata.clusterId}`,
    ...server.addresses.map((a) => `  broker ${a.brokerId} listening on ${a.host}:${a.port}`),
    `bootstrap servers: ${bootstrap}`,
    `example: new Kafka({ clientId: 'my-app', brokers: ['${server.bootstrapServers[0]}'] })   or   kcat -b ${bootstrap} -L`,
    ...(server.introspection === null
      ? []
      : [`introspection: ${server.introspection.url} (read-only; kafkasim dump-log --introspection-server ${server.introspection.host}:${server.introspection.port} --topic <t> --partition <p>)`]),
    `Ctrl+C (SIGINT) or SIGTERM stops it; nothing is kept.`,
  ];
  io.stdout(`${lines.join('\n')}\n`);
  const signal = await stopSignal;
  io.stdout(`kafkasim: ${signal} received, shutting down\n`);
  await server.close();
  return 0;
}
