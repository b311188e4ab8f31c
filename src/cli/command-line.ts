/**
 * What the client commands (topics, console-producer, console-consumer, consumer-groups, dump-log) share
 * about their command lines: strict flag parsing (an unknown flag or a stray argument is a usage error),
 * the flags Kafka's shell tools spell the same way (`--bootstrap-server host:port[,host:port]`,
 * `--property name=value`), and the frame every command runs in: `--help` prints the usage and exits 0, a
 * usage error prints its reason and exits 2, a failure prints one line and exits 1.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from './io.ts';

/** The command line is wrong: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command could not do its job (a broker unreachable, a topic missing): printed as one line, exit code 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` in strict mode without positionals, failing with `UsageError`. */
export function parseFlags<T extends FlagOptions>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A non-negative decimal integer within [min, max], or undefined when the flag is absent. */
export function integerFlag(name: string, value: string | undefined, range: { min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min || Number(value) > max) {
    const bounds = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new UsageError(`--${name} takes ${bounds}, got '${value}'`);
  }
  return Number(value);
}

export function requireFlag<T>(name: string, value: T | undefined, why = ''): T {
  if (value === undefined) throw new UsageError(`missing required option --${name}${why === '' ? '' : ` ${why}`}`);
  return value;
}

/** `host:port` as KafkaJS reads a broker (its first colon splits them), checked before any connection. */
export function parseHostPort(flag: string, entry: string): { host: string; port: number } {
  const at = entry.lastIndexOf(':');
  const host = entry.slice(0, at);
  const port = entry.slice(at + 1);
  if (at <= 0 || host.trim() === '') throw new UsageError(`--${flag} takes host:port, got '${entry}'`);
  if (host.includes(':') || host.startsWith('[')) throw new UsageError(`--${flag}: IPv6 literals are not supported ('${entry}'); use a host name or an IPv4 address`);
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new UsageError(`--${flag}: port must be an integer from 1 to 65535, got '${port}' in '${entry}'`);
  return { host, port: Number(port) };
}

/** `--bootstrap-server host:port[,host:port...]` (required), as `host:port` strings for `brokers`. */
export function parseBootstrapServers(value: string | undefined): string[] {
  if (value === undefined) throw new UsageError('missing required option --bootstrap-server <host:port>');
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) throw new UsageError(`--bootstrap-server takes host:port[,host:port...], got '${value}'`);
  return entries.map((entry) => {
    const { host, port } = parseHostPort('bootstrap-server', entry);
    return `${host}:${port}`;
  });
}

/**
 * Repeated `--<flag> name=value` entries (Kafka's `--property`), checked against the names the command
 * knows: Kafka's tools ignore a misspelt property, which hides the mistake, so here it is a usage error.
 */
export function parseProperties(flag: string, entries: readonly string[] | undefined, known: readonly string[]): Map<string, string> {
  const properties = new Map<string, string>();
  for (const entry of entries ?? []) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--${flag} takes name=value, got '${entry}'`);
    const name = entry.slice(0, at).trim();
    if (!known.includes(name)) throw new UsageError(`unknown --${flag} '${name}' (known: ${known.join(', ')})`);
    properties.set(name, entry.slice(at + 1));
  }
  return properties;
}

export function booleanProperty(properties: ReadonlyMap<string, string>, name: string, fallback: boolean): boolean {
  const value = properties.get(name);
  if (value === undefined) return fallback;
  const normalized = value.trim().toLowerCase();
  if (normalized === 'true') return true;
  if (normalized === 'false') return false;
  throw new UsageError(`property ${name} takes true or false, got '${value}'`);
}

/** Kafka's properties spell separators with escapes (`key.separator=\t`): `\t`, `\n`, `\r`, `\\` are read as such. */
export function unescapeSeparator(value: string): string {
  return value.replace(/\\([tnr\\])/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c]!);
}

/** One line, whatever the error: KafkaJS aggregate errors list their parts, a cause is appended once. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const parts = (error as Error & { errors?: unknown[] }).errors;
  let text = Array.isArray(parts) && parts.length > 0 ? `${error.message}: ${parts.map((part) => describeError(part)).join('; ')}` : error.message;
  const cause = (error as Error & { cause?: unknown }).cause;
  if (cause instanceof Error && !text.includes(cause.message)) text += ` (${cause.message})`;
  return text.replace(/\s*\n\s*/g, ' ');
}

export interface CommandSpec<P> {
  readonly name: string;
  readonly usage: string;
  /** Throws `UsageError`; `null` for `--help`. */
  parse(args: readonly string[]): P | null;
  /** Throws `CommandError` (or anything) for a failure; returns the exit code otherwise. */
  run(parsed: P, io: CliIo): Promise<number>;
}

/** Runs a command with the shared exit-code conventions. */
export async function runCommand<P>(spec: CommandSpec<P>, args: readonly string[], io: CliIo): Promise<number> {
  let parsed: P | null;
  try {
    parsed = spec.parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`kafkasim ${spec.name}: ${error.message}\nRun 'kafkasim ${spec.name} --help' for the options.\n`);
    return 2;
  }
  if (parsed === null) {
    io.stdout(spec.usage);
    return 0;
  }
  try {
    return await spec.run(parsed, io);
  } catch (error) {
    io.stderr(`kafkasim ${spec.name}: ${describeError(error)}\n`);
    return 1;
  }
}
