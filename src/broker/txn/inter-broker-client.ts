/**
 * Requests one broker sends to others on behalf of its coordinators (Kafka's `InterBrokerSendThread` over a
 * `NetworkClient`): transaction markers to partition leaders and, from partition leaders, AddPartitionsToTxn
 * verifications to transaction coordinators. One connection per destination broker, opened on first use over the
 * cluster network (so partitions, latency and crashes apply), dropped when a request on it fails; the caller retries.
 * A broker sends to itself the same way, as Kafka does.
 *
 * Left out: in-flight limits per connection and reconnect backoff (callers wait before retrying).
 */
import type { ApiKeyNumber, RequestInputByKey, ResponseByKey } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { BrokerConnection } from '../ports.ts';

const CONNECT_TIMEOUT_MS = 10_000;

export class InterBrokerClient {
  private readonly connections = new Map<number, Promise<BrokerConnection>>();

  constructor(
    private readonly broker: Broker,
    private readonly clientId: string,
  ) {}

  /** Rejects when the broker is unknown or unreachable, or the request fails or times out. */
  async request<K extends ApiKeyNumber>(brokerId: number, apiKey: K, version: number, body: RequestInputByKey[K], timeoutMs: number): Promise<ResponseByKey[K]> {
    const { entry } = await this.connection(brokerId);
    const connection = await entry;
    try {
      const response = await connection.request(apiKey, version, body, { timeoutMs });
      if (response === undefined) throw new Error(`no response to api key ${apiKey}`);
      return response as ResponseByKey[K];
    } catch (error) {
      // A timed-out request leaves the connection usable (Kafka keeps it too); a closed one is replaced next time.
      if (!connection.isOpen && this.connections.get(brokerId) === entry) this.connections.delete(brokerId);
      throw error;
    }
  }

  closeAll(): void {
    const pending = [...this.connections.values()];
    this.connections.clear();
    for (const connecting of pending) connecting.then((c) => c.close(), () => undefined);
  }

  /** The open connection's promise (reused), or a new connect. */
  private async connection(brokerId: number): Promise<{ entry: Promise<BrokerConnection> }> {
    const existing = this.connections.get(brokerId);
    if (existing !== undefined) {
      const open = await existing.then((c) => c.isOpen, () => false);
      if (open) return { entry: existing };
      if (this.connections.get(brokerId) === existing) this.connections.delete(brokerId);
      const raced = this.connections.get(brokerId);
      if (raced !== undefined) return { entry: raced };
    }
    const registration = this.broker.image.brokers.get(brokerId);
    if (registration === undefined) throw new Error(`broker ${brokerId} is not registered`);
    const connecting = this.broker.network.connect(
      { host: registration.host, port: registration.port },
      { clientId: this.clientId, node: this.broker.node, timeoutMs: CONNECT_TIMEOUT_MS },
    );
    this.connections.set(brokerId, connecting);
    connecting.catch(() => {
      if (this.connections.get(brokerId) === connecting) this.connections.delete(brokerId);
    });
    return { entry: connecting };
  }
}
