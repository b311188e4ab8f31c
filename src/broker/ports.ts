/**
 * What the broker model needs from the network, declared here because the layer table puts the network
 * above the broker (src/network may import src/broker, not the other way). `InProcessNetwork` satisfies
 * these shapes structurally; so will a TCP transport for broker-to-broker traffic.
 */
import type { ApiKeyNumber, RequestInputByKey, ResponseByKey } from '../protocol/index.ts';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

/** The client side of a connection, as a follower's replica fetcher uses it. */
export interface BrokerConnection {
  readonly isOpen: boolean;
  request<K extends ApiKeyNumber>(
    apiKey: K,
    apiVersion: number,
    body: RequestInputByKey[K],
    options?: { timeoutMs?: number; expectResponse?: boolean },
  ): Promise<ResponseByKey[K] | undefined>;
  close(): void;
}

/** A request's connection as the broker sees it. */
export interface ClientSession {
  readonly connectionId: string;
  readonly clientNode: string;
  readonly clientId: string;
}

/** An endpoint the network delivers request frames to. */
export interface FrameEndpoint {
  readonly address: BrokerAddress;
  readonly node: string;
  readonly isAvailable: boolean;
  handleFrame(frame: Buffer, session: ClientSession): Promise<Buffer | null>;
}

export interface ClusterNetwork {
  listen(endpoint: FrameEndpoint): void;
  connect(address: BrokerAddress, options: { clientId: string; node: string; timeoutMs: number }): Promise<BrokerConnection>;
  /** Closes every connection to or from a node at once (a crash). */
  closeAll(node: string): void;
  /** Whether a message from one node would reach the other now (no partition between them). */
  isReachable(from: string, to: string): boolean;
  /** The one-way delay a message from one node to another would take now (seeded jitter). */
  sampleLatencyMs(from: string, to: string): number;
}

/** Raised by a handler to make the network close the connection, as Kafka does for requests it cannot parse. */
export class CloseConnectionSignal extends Error {
  override name = 'CloseConnection';
}
