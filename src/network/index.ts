/**
 * The network layer: how requests travel between nodes. `transport.ts` holds the interfaces the client
 * and the broker program against (`Transport`, `Connection`, `Endpoint`, `Session`), the errors and
 * `FramedConnection`; `in-process-network.ts` is the deterministic simulated network, with its link
 * conditions, interceptors and trace in their own files. The client imports `transport.ts` only.
 */
export * from './transport.ts';
export { InProcessNetwork, type ConnectionInfo, type InProcessNetworkOptions } from './in-process-network.ts';
export { DEFAULT_LATENCY, type FaultHandle, type LinkLatency } from './link-conditions.ts';
export type {
  InterceptAction,
  InterceptContext,
  InterceptDirection,
  InterceptHandle,
  InterceptOptions,
  InterceptVerb,
} from './interceptors.ts';
export { formatNetworkEvent, type NetworkEvent, type NetworkEventKind, type NetworkEventOutcome } from './network-trace.ts';
