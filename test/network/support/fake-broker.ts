/**
 * A tiny endpoint for network tests: it decodes real request frames and answers ApiVersions, Heartbeat and
 * Produce (acks=0 gets no answer). Heartbeats for group `slow-<ms>` take that long (a stand-in for a
 * long-polling Fetch); a Heartbeat for group `reject` makes it close the connection, as Kafka does for a
 * request it cannot parse; a Heartbeat for group `crash` throws a plain error.
 */
import {
  ApiKey,
  decodeRequest,
  encodeResponse,
  ProtocolDecodeError,
  type HeartbeatRequest,
  type ProduceRequest,
} from '../../../src/protocol/index.ts';
import type { Runtime } from '../../../src/runtime/index.ts';
import {
  CloseConnection,
  InProcessNetwork,
  type BrokerAddress,
  type Endpoint,
  type Session,
} from '../../../src/network/index.ts';
import { VirtualRuntime } from '../../../src/runtime/index.ts';

export interface Handled {
  readonly apiKey: number;
  readonly correlationId: number;
  readonly connectionId: string;
  readonly clientNode: string;
  readonly startedMs: number;
  readonly groupId: string | null;
}

export class FakeBroker implements Endpoint {
  isAvailable = true;
  readonly handled: Handled[] = [];
  readonly address: BrokerAddress;

  constructor(
    private readonly runtime: Runtime,
    readonly node: string,
    port: number,
  ) {
    this.address = { host: 'localhost', port };
  }

  async handleFrame(frame: Buffer, session: Session): Promise<Buffer | null> {
    let request;
    try {
      request = decodeRequest(frame);
    } catch (error) {
      if (error instanceof ProtocolDecodeError) throw new CloseConnection(`malformed request: ${error.message}`);
      throw error;
    }
    const { apiKey, apiVersion, correlationId } = request.header;
    const groupId = apiKey === ApiKey.Heartbeat ? (request.body as HeartbeatRequest).groupId : null;
    this.handled.push({ apiKey, correlationId, connectionId: session.connectionId, clientNode: session.clientNode, startedMs: this.runtime.now(), groupId });
    switch (apiKey) {
      case ApiKey.ApiVersions:
        return encodeResponse(ApiKey.ApiVersions, apiVersion, correlationId, {
          errorCode: 0,
          apiKeys: [{ apiKey: ApiKey.Heartbeat, minVersion: 0, maxVersion: 4 }],
        }).subarray(4);
      case ApiKey.Heartbeat: {
        if (groupId === 'reject') throw new CloseConnection('cannot parse this');
        if (groupId === 'crash') throw new Error('handler bug');
        const slow = /^slow-(\d+)$/.exec(groupId ?? '');
        if (slow !== null) await new Promise<void>((resolve) => this.runtime.timer(Number(slow[1]), resolve, 'fake-broker:slow'));
        return encodeResponse(ApiKey.Heartbeat, apiVersion, correlationId, { throttleTimeMs: 0, errorCode: 0 }).subarray(4);
      }
      case ApiKey.Produce: {
        const produce = request.body as ProduceRequest;
        if (produce.acks === 0) return null;
        return encodeResponse(ApiKey.Produce, apiVersion, correlationId, { responses: [], throttleTimeMs: 0 }).subarray(4);
      }
      default:
        throw new CloseConnection(`unsupported api key ${apiKey}`);
    }
  }

  /** Goes down as a broker crash does: refuses connects, and every connection closes. */
  crash(network: InProcessNetwork): void {
    this.isAvailable = false;
    network.closeAll(this.node);
  }
}

export const heartbeat = (groupId = 'g') => ({ groupId, generationId: 1, memberId: 'm' });
export const produceAcks0 = { transactionalId: null, acks: 0, timeoutMs: 1_000, topicData: [] };

export function setup(seed = 1, options: ConstructorParameters<typeof InProcessNetwork>[1] = {}) {
  const runtime = new VirtualRuntime({ seed, drive: 'manual' });
  const network = new InProcessNetwork(runtime, { trace: true, ...options });
  const broker = new FakeBroker(runtime, 'broker-1', 9092);
  network.listen(broker);
  /** Settles `promise` by running the simulation, failing if it takes more than `maxMs` of virtual time. */
  async function settle<T>(promise: Promise<T>, maxMs = 120_000): Promise<T> {
    let state: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    promise.then(
      (value) => (state = { ok: true, value }),
      (error: unknown) => (state = { ok: false, error }),
    );
    await runtime.runUntil(() => state !== undefined, { maxMs });
    const result = state as { ok: true; value: T } | { ok: false; error: unknown };
    if (!result.ok) throw result.error;
    return result.value;
  }
  const connect = (node = 'client-1', timeoutMs = 1_000, target: FakeBroker = broker) =>
    settle(network.connect(target.address, { clientId: `${node}-app`, node, timeoutMs }));
  return { runtime, network, broker, settle, connect };
}

/** The promise's outcome once the simulation ran: `{ value }` or `{ error }`. */
export function outcome<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const result: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => {
      result.value = value;
      result.settled = true;
    },
    (error: unknown) => {
      result.error = error;
      result.settled = true;
    },
  );
  return result;
}
