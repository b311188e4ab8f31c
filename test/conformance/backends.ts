/**
 * The backends every conformance case runs against, behind one small interface, so that a case is written
 * once and runs on a virtual clock and on the wall clock alike:
 * - `sim`: kafkasim in process (`createCluster`, virtual time): waiting is `cluster.runUntil`, sleeping is
 *   `cluster.sleep` (both cost no wall time);
 * - `wire`: the genuine KafkaJS 2.2.4 over TCP to `startBrokerServer` on ephemeral 127.0.0.1 ports;
 * - `real`: a real Kafka cluster named by `KAFKA_BROKERS` (skipped when unset).
 * Every backend hands out its clients through `createKafka` of `src/adapters`, so the adapter is under test
 * too: in sim mode on the first, in real mode (the genuine KafkaJS, errors translated) on the other two.
 * Every wait is bounded; a real clock is polled every 20 ms. With test/server, this is the folder whose tests
 * open (loopback) sockets and wait on the wall clock: the wire and real backends exist to do so.
 */
import { createKafka } from '../../src/adapters/index.ts';
import { brokersFrom } from '../../src/adapters/mode.ts';
import { createCluster, logLevel, startBrokerServer, type Kafka, type KafkaConfig } from '../../src/index.ts';

/** Groups start as soon as their first member joins (Kafka's default delays them 3 s). */
export const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': 0 };

export interface Backend {
  /** A client for this backend, quiet, with KafkaJS's defaults otherwise. */
  kafka(config?: Partial<KafkaConfig>): Kafka;
  /** A topic, group or transactional id not used before on this backend (a real cluster keeps its topics). */
  unique(prefix: string): string;
  /** Resolves once `predicate()` holds; rejects after `maxMs` of the backend's clock. */
  waitFor(predicate: () => boolean, what: string, maxMs?: number): Promise<void>;
  /** Lets `ms` of the backend's clock pass (virtual time: instantly). */
  sleep(ms: number): Promise<void>;
  /** Runs `cleanup` when the case ends, before the backend stops (disconnects, mostly). Last registered runs first. */
  onCleanup(cleanup: () => unknown): void;
}

export interface BackendFactory {
  readonly name: string;
  /** Why this backend cannot run here, or undefined when it can. */
  readonly skipReason: string | undefined;
  start(): Promise<StartedBackend>;
}

export interface StartedBackend extends Backend {
  /** Runs the cleanups registered so far, leaving the backend up for the next case (backends shared by a file). */
  cleanUp(): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_WAIT_MS = 30_000;
const POLL_MS = 20;

/** Cleanups, run newest first; a failing cleanup does not stop the others. */
class Cleanups {
  private readonly list: Array<() => unknown> = [];

  add(cleanup: () => unknown): void {
    this.list.push(cleanup);
  }

  async run(timeoutMs: number): Promise<void> {
    for (const cleanup of this.list.splice(0).reverse()) {
      await withTimeout(Promise.resolve().then(cleanup), timeoutMs, 'a cleanup').catch(() => {});
    }
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** waitFor and sleep on the host's clock. */
const wallClock = {
  async waitFor(predicate: () => boolean, what: string, maxMs = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${maxMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  },
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  },
};

const QUIET: Partial<KafkaConfig> = { clientId: 'conformance', logLevel: logLevel.NOTHING };

export const simBackend: BackendFactory = {
  name: 'kafkasim in process (virtual clock)',
  skipReason: undefined,
  async start() {
    const cluster = createCluster({ brokers: 3, brokerConfig: FAST_GROUPS });
    const cleanups = new Cleanups();
    let names = 0;
    return {
      // `{}`: sim mode whatever the shell exports; `new Kafka` finds the cluster listening at these brokers.
      kafka: (config = {}) => createKafka({ ...QUIET, ...config, brokers: cluster.bootstrapBrokers }, {}),
      unique: (prefix) => `${prefix}-${++names}`,
      waitFor: async (predicate, what, maxMs = DEFAULT_WAIT_MS) => {
        try {
          await cluster.runUntil(predicate, { maxMs });
        } catch (error) {
          throw new Error(`waiting for ${what}: ${(error as Error).message}`, { cause: error });
        }
      },
      sleep: (ms) => cluster.sleep(ms),
      onCleanup: (cleanup) => cleanups.add(cleanup),
      cleanUp: () => cleanups.run(10_000),
      async stop() {
        // Virtual time: a disconnect that waits on a fetch in flight needs the clock driven, which awaiting it does.
        await cleanups.run(10_000);
        cluster.close();
      },
    };
  },
};

export const wireBackend: BackendFactory = {
  name: 'genuine KafkaJS over TCP to the kafkasim server',
  skipReason: undefined,
  async start() {
    const server = await startBrokerServer({ brokers: 3, host: '127.0.0.1', port: 0, seed: 1, brokerConfig: FAST_GROUPS });
    const cleanups = new Cleanups();
    let names = 0;
    return {
      // KAFKA_BROKERS alone selects the real side and replaces the config's brokers (which point nowhere).
      kafka: (config = {}) =>
        createKafka({ ...QUIET, ...config, brokers: ['replaced-by-kafka-brokers:9092'] }, { KAFKA_BROKERS: server.bootstrapServers.join(',') }),
      unique: (prefix) => `${prefix}-${++names}`,
      ...wallClock,
      onCleanup: (cleanup) => cleanups.add(cleanup),
      cleanUp: () => cleanups.run(10_000),
      async stop() {
        await cleanups.run(10_000);
        await withTimeout(server.close(), 10_000, 'closing the server');
      },
    };
  },
};

const realBrokers = brokersFrom(process.env.KAFKA_BROKERS);

export const realBackend: BackendFactory = {
  name: `real Kafka cluster at KAFKA_BROKERS${realBrokers ? ` (${realBrokers.join(',')})` : ''}`,
  skipReason: realBrokers === undefined ? 'KAFKA_BROKERS is not set: the real-cluster conformance run is skipped' : undefined,
  async start() {
    const cleanups = new Cleanups();
    const run = `kafkasim-conformance-${Date.now().toString(36)}-${process.pid}`;
    const topics: string[] = [];
    let names = 0;
    const kafka = (config: Partial<KafkaConfig> = {}) =>
      createKafka({ ...QUIET, ...config, brokers: realBrokers ?? [] }, { KAFKASIM_MODE: 'real', KAFKA_BROKERS: process.env.KAFKA_BROKERS });
    return {
      kafka,
      unique: (prefix) => {
        const name = `${run}-${prefix}-${++names}`;
        topics.push(name);
        return name;
      },
      ...wallClock,
      onCleanup: (cleanup) => cleanups.add(cleanup),
      cleanUp: () => cleanups.run(10_000),
      async stop() {
        await cleanups.run(10_000);
        // Best effort: the names also served as group and transactional ids, which are not topics.
        const admin = kafka().admin();
        await withTimeout(
          (async () => {
            await admin.connect();
            const existing = new Set(await admin.listTopics());
            const mine = topics.filter((topic) => existing.has(topic));
            if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 5_000 });
          })(),
          15_000,
          'deleting the run topics',
        ).catch(() => {});
        await admin.disconnect().catch(() => {});
      },
    };
  },
};

export const BACKENDS: readonly BackendFactory[] = [simBackend, wireBackend, realBackend];
