/**
 * kafkasim's public surface. KafkaJS-identical exports arrive with the client; kafkasim's own extras are
 * exported under explicit names: the deterministic runtime, the cluster model, the in-process network and
 * the protocol layer.
 */
export { VirtualRuntime, RealRuntime, SimulationLimitError } from './runtime/index.ts';
export type { Runtime, Timer, Prng } from './runtime/index.ts';
export { Cluster } from './broker/cluster.ts';
export type { ClusterOptions, CreateTopicOptions, PartitionState } from './broker/cluster.ts';
export { InProcessNetwork } from './network/index.ts';
export * as protocol from './protocol/index.ts';
