/**
 * kafkasim's public surface. KafkaJS-identical exports arrive with the client; kafkasim's own extras are
 * exported under explicit names: the deterministic runtime and the protocol layer.
 */
export { VirtualRuntime, RealRuntime, SimulationLimitError } from './runtime/index.ts';
export type { Runtime, Timer, Prng } from './runtime/index.ts';
export * as protocol from './protocol/index.ts';
