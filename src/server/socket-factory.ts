/**
 * `createSocketFactory(cluster)`: a KafkaJS `socketFactory` that connects the genuine `kafkajs` package to
 * an in-process kafkasim cluster without TCP or ports. Each socket KafkaJS asks for is an in-memory duplex
 * (memory-socket.ts) whose other end is served by a `BrokerConnection` on the broker at that address, the
 * very code path of the TCP server: size-prefixed frames, one request at a time, Kafka's closes.
 *
 * ```ts
 * const cluster = createCluster({ clock: 'real', brokers: 3 });
 * const kafka = new (require('kafkajs').Kafka)({ brokers: cluster.bootstrapBrokers, socketFactory: createSocketFactory(cluster) });
 * ```
 *
 * The cluster must run on the real clock: KafkaJS keeps its own time with host timers (heartbeats,
 * request timeouts), and a virtual clock would either stand still under it (a long-polling Fetch would
 * never return) or race ahead of it (sessions expiring between two of its heartbeats).
 *
 * A connect to an address no broker listens on, or to a crashed broker, fails with `ECONNREFUSED` as
 * `net.connect` would. Connections go straight to the broker, not through the in-process network, so
 * that network's faults (latency, partitions, interceptors) do not apply to them; crashing or shutting
 * down a broker does (its connections close on their next request, new ones are refused).
 * Left out: TLS (`ssl` options are refused with an error, as a plaintext listener would fail the handshake).
 */
import type { Socket } from 'node:net';
import type { Broker } from '../broker/broker.ts';
import type { Cluster } from '../broker/cluster.ts';
import { BrokerConnection } from './broker-connection.ts';
import { memorySocketPair } from './memory-socket.ts';

/** What KafkaJS passes to its `socketFactory`. */
export interface SocketFactoryArgs {
  readonly host: string;
  readonly port: number;
  readonly ssl?: unknown;
  readonly onConnect?: () => void;
}

export type SocketFactory = (args: SocketFactoryArgs) => Socket;

/** A broker model, or anything holding one: `createCluster()`'s cluster (`.model`), a wire server (`.cluster`). */
export type ClusterSource = Cluster | { readonly model: Cluster } | { readonly cluster: Cluster };

export interface SocketFactoryOptions {
  /** An unexpected failure inside the model (a bug); the connection closes either way. Default: stderr. */
  readonly onError?: (error: unknown, info: { connectionId: string; node: string; apiKey: number }) => void;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

function modelOf(source: ClusterSource): Cluster {
  if ('brokers' in source && source.brokers instanceof Map) return source as Cluster;
  if ('model' in source) return source.model;
  return (source as { cluster: Cluster }).cluster;
}

function brokerAt(cluster: Cluster, host: string, port: number): Broker | undefined {
  const brokers = [...cluster.brokers.values()];
  return (
    brokers.find((b) => b.address.host === host && b.address.port === port) ??
    (LOOPBACK.has(host) ? brokers.find((b) => LOOPBACK.has(b.address.host) && b.address.port === port) : undefined)
  );
}

function connectError(message: string, code: string, host: string, port: number): Error {
  return Object.assign(new Error(message), { code, errno: code, syscall: 'connect', address: host, port });
}

export function createSocketFactory(source: ClusterSource, options: SocketFactoryOptions = {}): SocketFactory {
  const cluster = modelOf(source);
  if (cluster.runtime.isVirtual) {
    throw new TypeError(
      "createSocketFactory needs a cluster on the real clock (createCluster({ clock: 'real' })): KafkaJS runs on host timers, which a virtual clock cannot follow",
    );
  }
  const onError =
    options.onError ??
    ((error: unknown, info: { connectionId: string; node: string; apiKey: number }) =>
      process.stderr.write(`kafkasim: ${info.node} failed answering api key ${info.apiKey} on ${info.connectionId}: ${(error as Error)?.stack ?? String(error)}\n`));
  let nextConnection = 1;

  return ({ host, port, ssl, onConnect }) => {
    const { client, server } = memorySocketPair(host, port);
    if (onConnect !== undefined) client.once('connect', onConnect);
    const broker = brokerAt(cluster, host, port);
    // As net.connect: the socket comes back at once, the outcome arrives asynchronously.
    process.nextTick(() => {
      if (client.destroyed) return;
      if (ssl !== undefined && ssl !== null && ssl !== false) {
        client.destroy(connectError(`kafkasim in-memory sockets speak plaintext only (got ssl options for ${host}:${port})`, 'EPROTO', host, port));
        return;
      }
      if (broker === undefined || !broker.isAvailable) {
        client.destroy(connectError(`connect ECONNREFUSED ${host}:${port}`, 'ECONNREFUSED', host, port));
        return;
      }
      new BrokerConnection(server, broker, {
        connectionId: `memory-${nextConnection++}`,
        clientNode: 'in-memory',
        maxFrameBytes: cluster.config.int('socket.request.max.bytes'),
        onError,
      });
      client.markConnected();
    });
    return client as unknown as Socket;
  };
}
