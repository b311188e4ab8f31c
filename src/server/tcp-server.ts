/**
 * The wire server: a kafkasim cluster on the real clock with one TCP listener per broker, speaking Kafka's
 * protocol to any client (KafkaJS, kafka-python, librdkafka/kcat, the Java client). Frames go to the same
 * `Broker.handleFrame` the in-process client reaches through the in-process network; brokers still talk to
 * each other (replica fetches) over that in-process network, so only clients use TCP.
 *
 * Each broker is advertised in Metadata at the host and port of its own listener, as Kafka's
 * `advertised.listeners`: broker 1 at `port`, broker 2 at `port + 1`, ...; with `port: 0` every listener
 * gets an ephemeral port (tests). Binding happens before the cluster is built, so the advertised ports are
 * the real ones.
 *
 * Config checks follow Kafka's startup: a known broker config with an invalid value refuses to start
 * (`ConfigException`); an unknown name is reported as a warning ("was supplied but isn't a known config")
 * and otherwise ignored.
 *
 * Faults work over TCP too: `server.cluster.crashBroker(id)` drops that broker's TCP clients at once, and
 * while it is down its listener stays bound but closes every new connection straight away (a real dead
 * broker's port would refuse it; clients see a closed connection instead and retry the same way).
 *
 * With `introspection`, the server also answers read-only JSON over HTTP on loopback (introspection.ts): the
 * segments and records of any partition replica, which is how `kafkasim dump-log` reads the model's logs.
 *
 * Left out: TLS and SASL listeners, several listeners per broker, `max.connections` and connection quotas,
 * a persistent log directory (the cluster lives in memory and dies with the process).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Controller } from '../broker/controller.ts';
import { Cluster } from '../broker/cluster.ts';
import { BROKER_CONFIG_BY_NAME, validateConfigValue } from '../broker/config.ts';
import type { ClusterNetwork } from '../broker/ports.ts';
import { InProcessNetwork } from '../network/index.ts';
import { BrokerConnection, type BrokerConnectionOptions } from './broker-connection.ts';
import { startIntrospectionServer, type IntrospectionServer } from './introspection.ts';
import { StoppableRuntime } from './stoppable-runtime.ts';

export interface BrokerServerOptions {
  /** Number of brokers (ids 1..N), default 1. */
  readonly brokers?: number;
  /** Address the listeners bind to. Default `127.0.0.1` (loopback only). */
  readonly host?: string;
  /** Host advertised in Metadata. Default `host`, or `127.0.0.1` when `host` is a wildcard (`0.0.0.0`, `::`). */
  readonly advertisedHost?: string;
  /** Port of broker 1; broker i listens on `port + i - 1`. `0`: an ephemeral port for each. Default 9092. */
  readonly port?: number;
  /** Broker configs with Kafka's names, e.g. `{ 'num.partitions': 3 }`. */
  readonly brokerConfig?: Readonly<Record<string, string | number | boolean>>;
  /** Seeds the cluster's random choices (ids, placement); default: fresh entropy. */
  readonly seed?: number;
  readonly clusterId?: string;
  /** A connection takes no request while more response bytes than this wait to be sent. Default 1 MiB. */
  readonly maxBufferedResponseBytes?: number;
  /** Unknown config names and similar notes. Default: stderr. */
  readonly onWarning?: (message: string) => void;
  /** An unexpected failure inside the model (a bug); the connection closes, the server stays up. Default: stderr. */
  readonly onError?: BrokerConnectionOptions['onError'];
  /**
   * Also serve the read-only introspection endpoint (introspection.ts) on `host` (default `127.0.0.1`) and
   * `port` (0: a free port). When it cannot bind, the server fails to start, or with `isOptional` warns and
   * runs without it. Default: none.
   */
  readonly introspection?: { readonly port: number; readonly host?: string; readonly isOptional?: boolean };
}

export interface BrokerListenerAddress {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
}

export interface BrokerServer {
  /** The broker model (topics, partition state, fault controls such as `crashBroker`). */
  readonly cluster: Cluster;
  /** The in-process network between brokers (latency and partitions between brokers apply; clients use TCP). */
  readonly network: InProcessNetwork;
  readonly runtime: StoppableRuntime;
  /** Advertised address of each broker's listener. */
  readonly addresses: readonly BrokerListenerAddress[];
  /** `host:port` of every broker, for a client's `brokers` / `bootstrap.servers`. */
  readonly bootstrapServers: readonly string[];
  /** Client connections currently open. */
  readonly connectionCount: number;
  /** The introspection endpoint, when asked for and bound. */
  readonly introspection: IntrospectionServer | null;
  /** Stops accepting, drops every connection, stops the brokers and every timer. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 9092;
export const DEFAULT_HOST = '127.0.0.1';
/** Above this the listening backlog may drop SYNs of a burst of connects (the kernel still caps it). */
const LISTEN_BACKLOG = 1024;
const MAX_BROKERS = 100;

/** Why the options cannot start a server, or null. Unknown config names are not an error (see header). */
export function checkServerOptions(options: BrokerServerOptions): string | null {
  const brokers = options.brokers ?? 1;
  if (!Number.isSafeInteger(brokers) || brokers < 1 || brokers > MAX_BROKERS) return `brokers must be an integer from 1 to ${MAX_BROKERS}, got ${brokers}`;
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) return `port must be an integer from 0 to 65535, got ${port}`;
  if (port !== 0 && port + brokers - 1 > 65535) return `ports ${port}..${port + brokers - 1} do not all exist (the last port is 65535)`;
  if (options.introspection !== undefined) {
    const introspectionPort = options.introspection.port;
    if (!Number.isSafeInteger(introspectionPort) || introspectionPort < 0 || introspectionPort > 65535) {
      return `introspection port must be an integer from 0 to 65535, got ${introspectionPort}`;
    }
    if (introspectionPort !== 0 && port !== 0 && introspectionPort >= port && introspectionPort <= port + brokers - 1) {
      return `introspection port ${introspectionPort} is one of the brokers' ports ${port}..${port + brokers - 1}`;
    }
  }
  for (const [name, value] of Object.entries(options.brokerConfig ?? {})) {
    const definition = BROKER_CONFIG_BY_NAME.get(name);
    if (definition === undefined) continue;
    const problem = validateConfigValue(definition, String(value));
    if (problem !== null) return problem;
  }
  return null;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

export async function startBrokerServer(options: BrokerServerOptions = {}): Promise<BrokerServer> {
  const problem = checkServerOptions(options);
  if (problem !== null) throw new RangeError(problem);
  const brokerCount = options.brokers ?? 1;
  const host = options.host ?? DEFAULT_HOST;
  const advertisedHost = options.advertisedHost ?? (isWildcard(host) ? DEFAULT_HOST : host);
  const firstPort = options.port ?? DEFAULT_PORT;
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`kafkasim: ${message}\n`));
  const onError: BrokerConnectionOptions['onError'] =
    options.onError ??
    ((error, info) =>
      process.stderr.write(`kafkasim: ${info.node} failed answering api key ${info.apiKey} on ${info.connectionId}: ${(error as Error)?.stack ?? String(error)}\n`));
  for (const name of Object.keys(options.brokerConfig ?? {})) {
    if (!BROKER_CONFIG_BY_NAME.has(name)) warn(`the configuration '${name}' was supplied but isn't a known config`);
  }

  const connections = new Set<BrokerConnection>();
  /** Open TCP connections per broker node, so that a broker's crash or shutdown drops them at once. */
  const connectionsByNode = new Map<string, Set<BrokerConnection>>();
  const sockets = new Set<Socket>();
  const listeners: Server[] = [];
  let cluster: Cluster | undefined;
  let isClosed = false;
  let nextConnection = 1;

  const accept = (index: number, socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Until the cluster exists (a connect racing startup), while the broker is down, or after close: refuse.
    const broker = cluster?.brokers.get(index + 1);
    if (broker === undefined || !broker.isAvailable || isClosed) {
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const connection = new BrokerConnection(socket, broker, {
      connectionId: `tcp-${nextConnection++}`,
      clientNode: socket.remoteAddress ?? 'unknown',
      maxFrameBytes: cluster!.config.int('socket.request.max.bytes'),
      maxBufferedResponseBytes: options.maxBufferedResponseBytes,
      onError,
      onClose: () => {
        connections.delete(connection);
        connectionsByNode.get(broker.node)?.delete(connection);
      },
    });
    connections.add(connection);
    if (!connectionsByNode.has(broker.node)) connectionsByNode.set(broker.node, new Set());
    connectionsByNode.get(broker.node)!.add(connection);
    // Kafka's `connections.max.idle.ms`: a connection silent that long is closed.
    socket.setTimeout(cluster!.config.int('connections.max.idle.ms'), () => connection.close('idle connection'));
  };

  const ports: number[] = [];
  try {
    for (let i = 0; i < brokerCount; i++) {
      const server = createServer({ noDelay: true }, (socket) => accept(i, socket));
      listeners.push(server);
      const wanted = firstPort === 0 ? 0 : firstPort + i;
      try {
        ports.push(await listen(server, host, wanted));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(`broker ${i + 1} cannot listen on ${host}:${wanted}: ${code === 'EADDRINUSE' ? 'the port is already in use' : (error as Error).message}`, { cause: error });
      }
      // Accept failures (EMFILE under a connection storm) must not take the process down.
      server.on('error', (error) => warn(`listener of broker ${i + 1}: ${error.message}`));
    }
  } catch (error) {
    await Promise.all(listeners.map(closeServer));
    throw error;
  }

  const runtime = new StoppableRuntime({ seed: options.seed });
  const network = new InProcessNetwork(runtime);
  // The brokers see the in-process network, except that a broker going down (`closeAll`, on crash and on
  // shutdown) also drops its TCP clients at that instant, as a dying Kafka process drops its sockets.
  const inProcess: ClusterNetwork = network;
  const clusterNetwork: ClusterNetwork = {
    listen: (endpoint) => inProcess.listen(endpoint),
    connect: (address, connectOptions) => inProcess.connect(address, connectOptions),
    isReachable: (from, to) => inProcess.isReachable(from, to),
    // Metadata reaches the brokers at once. On the wall clock a modelled 1 ms controller hop outlasts a loopback
    // round trip, so a client that changed something (CreatePartitions, say) and asked another broker next would
    // often get the old image; Kafka's brokers replay committed metadata about as fast as the answer returns.
    sampleLatencyMs: (from, to) => (from === Controller.NODE ? 0 : inProcess.sampleLatencyMs(from, to)),
    closeAll: (node) => {
      inProcess.closeAll(node);
      for (const connection of [...(connectionsByNode.get(node) ?? [])]) connection.close(`${node} went down`, { immediately: true });
    },
  };
  cluster = new Cluster({
    runtime,
    network: clusterNetwork,
    brokers: ports.map((port, i) => ({ id: i + 1, host: advertisedHost, port })),
    brokerConfig: options.brokerConfig,
    clusterId: options.clusterId,
  });
  const model = cluster;
  const addresses = ports.map((port, i) => ({ brokerId: i + 1, host: advertisedHost, port }));

  let introspection: IntrospectionServer | null = null;
  if (options.introspection !== undefined) {
    const introspectionHost = options.introspection.host ?? DEFAULT_HOST;
    try {
      introspection = await startIntrospectionServer(model, { host: introspectionHost, port: options.introspection.port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = `the introspection endpoint cannot listen on ${introspectionHost}:${options.introspection.port}: ${code === 'EADDRINUSE' ? 'the port is already in use' : (error as Error).message}`;
      if (options.introspection.isOptional === true) {
        warn(`${reason}; running without it`);
      } else {
        for (const broker of model.brokers.values()) broker.shutdown();
        runtime.stop();
        await Promise.all(listeners.map(closeServer));
        throw new Error(reason, { cause: error });
      }
    }
  }

  let closing: Promise<void> | undefined;
  return {
    cluster: model,
    network,
    runtime,
    addresses,
    bootstrapServers: addresses.map((a) => `${a.host}:${a.port}`),
    get connectionCount() {
      return connections.size;
    },
    introspection,
    close() {
      closing ??= (async () => {
        isClosed = true;
        const stopped = Promise.all([...listeners.map(closeServer), introspection?.close()]);
        for (const connection of [...connections]) connection.close('server shutting down', { immediately: true });
        for (const socket of [...sockets]) socket.destroy();
        for (const broker of model.brokers.values()) broker.shutdown();
        runtime.stop();
        await stopped;
      })();
      return closing;
    },
  };
}
