/**
 * Where a `Kafka` instance finds its cluster: a Transport to reach the brokers and the Runtime that gives
 * time and randomness. The client layer cannot create clusters (the layer table forbids importing the
 * broker), so the layer above registers a resolver: `createCluster()` clusters bind their `Kafka` objects
 * explicitly, and a plain `new Kafka({ brokers })` asks the resolver (which finds the in-process cluster
 * listening at those addresses or starts the embedded default one).
 */
import type { Runtime } from '../runtime/index.ts';
import type { Transport } from '../network/transport.ts';

export interface ClientEnvironment {
  readonly runtime: Runtime;
  readonly transport: Transport;
}

/** Receives the configured `brokers` when it is a list, `null` when it is a function (resolved at connect). */
export type EnvironmentResolver = (brokers: readonly string[] | null) => ClientEnvironment;

let resolver: EnvironmentResolver | null = null;

export function setEnvironmentResolver(next: EnvironmentResolver): void {
  resolver = next;
}

export function resolveEnvironment(brokers: readonly string[] | null): ClientEnvironment {
  if (resolver === null) throw new Error('kafkasim: no cluster environment registered (import from "kafkasim", not "kafkasim/src/client")');
  return resolver(brokers);
}

/** A config key that binds a `Kafka` to one environment (used by `cluster.kafka()`); not part of KafkaJS's config. */
export const ENVIRONMENT: unique symbol = Symbol.for('kafkasim.environment');
