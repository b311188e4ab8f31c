/**
 * The runtime layer's public surface: the `Runtime` contract every stateful object takes, its virtual
 * and real implementations, the seeded prng and the invariant assertion. host.ts is deliberately not
 * exported: nothing outside this folder may touch the host's clock.
 */
export type { Prng, Runtime, Timer } from './runtime.ts';
export { SeededPrng, randomUuid } from './prng.ts';
export {
  SimulationLimitError,
  VirtualRuntime,
  type DriveMode,
  type IdleMode,
  type RunUntilIdleOptions,
  type RunUntilOptions,
  type SimulationLimitReason,
  type VirtualRuntimeOptions,
} from './virtual-runtime.ts';
export { RealRuntime, type RealRuntimeOptions } from './real-runtime.ts';
export { AssertionError, assert } from './assert.ts';
/** Host environment variables (configuration only; the clock stays behind host.ts). */
export { hostEnv as environmentVariable } from './host.ts';
