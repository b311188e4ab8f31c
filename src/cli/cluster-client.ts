/**
 * How the client commands reach a cluster: our KafkaJS-identical client over TCP (`createTcpKafka`), quiet
 * (KafkaJS logs at INFO by default; a command's output is its own), with every compression codec readable
 * and writable (KafkaJS ships only GZIP; the CLI registers the project's own Snappy, LZ4 and ZSTD, so a
 * console consumer reads what any producer wrote).
 *
 * Before a command builds its clients it checks that at least one bootstrap server answers ApiVersions
 * within `--connect-timeout-ms`, so an unreachable or wrong address fails at once with one line, instead
 * of after KafkaJS's retries (about ten seconds) with a retry error.
 */
import { CompressionCodecs, CompressionTypes } from '../client/compression.ts';
import type { Kafka } from '../client/kafka.ts';
import { logLevel } from '../client/logger.ts';
import { ApiKey, compress, decompress, type CompressionCodec } from '../protocol/index.ts';
import { RealRuntime } from '../runtime/index.ts';
import { createTcpKafka, TcpTransport } from '../server/tcp-transport.ts';
import { CommandError, describeError } from './command-line.ts';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

function registerCodec(type: number, codec: CompressionCodec): void {
  CompressionCodecs[type] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(codec, buffer),
  });
}

let areCodecsRegistered = false;

function registerCodecs(): void {
  if (areCodecsRegistered) return;
  areCodecsRegistered = true;
  registerCodec(CompressionTypes.Snappy, CompressionTypes.Snappy);
  registerCodec(CompressionTypes.LZ4, CompressionTypes.LZ4);
  registerCodec(CompressionTypes.ZSTD, CompressionTypes.ZSTD);
}

/** A `Kafka` for a command: TCP, real clock, no logs, all codecs. */
export function commandKafka(bootstrapServers: readonly string[], options: { clientId: string; connectTimeoutMs: number }): Kafka {
  registerCodecs();
  return createTcpKafka({
    clientId: options.clientId,
    brokers: [...bootstrapServers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: options.connectTimeoutMs,
  });
}

/** Why `address` does not answer as a Kafka broker within `timeoutMs`, or null when it does. */
async function probe(transport: TcpTransport, address: string, timeoutMs: number): Promise<string | null> {
  const at = address.lastIndexOf(':');
  const remote = { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
  try {
    const connection = await transport.connect(remote, { clientId: 'kafkasim-cli', node: 'kafkasim-cli', timeoutMs });
    try {
      // v0 is understood by every broker since 0.10 and needs no negotiation.
      await connection.request(ApiKey.ApiVersions, 0, {}, { timeoutMs });
      return null;
    } finally {
      connection.close();
    }
  } catch (error) {
    return describeError(error);
  }
}

/** Fails with `CommandError` unless one of the bootstrap servers answers ApiVersions within `timeoutMs`. */
export async function reachCluster(bootstrapServers: readonly string[], timeoutMs: number): Promise<void> {
  const transport = new TcpTransport(new RealRuntime());
  const reasons = await Promise.all(bootstrapServers.map((address) => probe(transport, address, timeoutMs)));
  if (reasons.some((reason) => reason === null)) return;
  const detail = bootstrapServers.length === 1 ? reasons[0] : bootstrapServers.map((address, i) => `${address}: ${reasons[i]}`).join('; ');
  throw new CommandError(`cannot reach a Kafka broker at ${bootstrapServers.join(',')} (${detail})`);
}

/** `operation`, or a `CommandError` naming `what` once `timeoutMs` has passed. */
export async function within<T>(operation: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandError(`timed out after ${timeoutMs} ms ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([operation, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
