/**
 * `InProcessNetwork`: a deterministic network on the virtual runtime, between named nodes (`client-1`,
 * `broker-2`, `controller`), with the fault hooks a simulation needs. Requests and responses travel as
 * encoded frames, so this path runs the same codec as TCP.
 *
 * What it models, after TCP and Kafka's SocketServer:
 * - Latency: every message takes a one-way delay drawn from its directed link's `{ minMs, maxMs }`
 *   (default 1 ms fixed; see link-conditions.ts for the seeded jitter). A connection is FIFO in each
 *   direction: a message arrives at max(now + latency, arrival of the previous message that way).
 * - Connects are a handshake: SYN out, SYN-ACK back (or RST when nothing listens or the endpoint is down),
 *   each taking the link's latency. A handshake lost to a partition ends in `ConnectionTimeoutError`.
 * - Kafka mutes a channel while it processes a request: the broker gets a connection's next frame only
 *   after the previous one settled and its response was sent. A long-polling Fetch therefore delays a
 *   Heartbeat sent on the same connection, as in Kafka. Different connections are processed concurrently.
 * - Closing travels in-band: a close (or a crash, `closeAll(node)`) takes effect at once on the closing
 *   side and reaches the peer after the messages already on the wire, like a FIN. A message that reaches
 *   a side that closed without the peer knowing gets a reset back, like an RST, so a connection left
 *   half-open by a partition fails on its next use once the partition heals.
 * - Faults, deterministic and changeable at any time: latency, partitions and isolation (messages are
 *   black-holed, checked when sent and when they would arrive; connections stay "open"), drop
 *   probability (a lost request makes its client time out), abrupt `disconnect`, and interceptors
 *   (interceptors.ts, after kfake's `ControlKey`).
 * - A trace of network events (network-trace.ts), built only when someone listens.
 *
 * Left out: bandwidth and message sizes (a 1 MB Fetch takes as long as a Heartbeat), TCP retransmission
 * (a dropped message is gone, which is the point of the fault), drops of handshakes and close messages
 * (only partitions stop those), connection limits and idle-connection reaping (`connections.max.idle.ms`).
 */
import type { Runtime } from '../runtime/index.ts';
import { AssertionError } from '../runtime/index.ts';
import {
  decodeRequest,
  decodeResponse,
  encodeResponse,
  type ApiKeyNumber,
  type DecodedRequest,
  type ResponseByKey,
} from '../protocol/index.ts';
import {
  Interceptors,
  type InterceptAction,
  type InterceptContext,
  type InterceptDirection,
  type InterceptHandle,
  type InterceptOptions,
} from './interceptors.ts';
import { LinkConditions, type FaultHandle, type LinkLatency } from './link-conditions.ts';
import { NetworkTrace, type NetworkEvent, type NetworkEventFields, type NetworkEventOutcome } from './network-trace.ts';
import {
  ConnectionClosedError,
  ConnectionRefusedError,
  ConnectionTimeoutError,
  FramedConnection,
  isCloseConnection,
  type BrokerAddress,
  type ConnectOptions,
  type Connection,
  type Endpoint,
  type FramedConnectionObserver,
  type Transport,
} from './transport.ts';
import { Wire, type ConnectAttempt, type Message, type Toward } from './wire.ts';

export interface InProcessNetworkOptions {
  /** One-way latency of every link without its own setting. Default `{ minMs: 1, maxMs: 1 }`. */
  readonly latency?: LinkLatency;
  /**
   * Keep every event in `network.trace` (it grows without bound: long simulations should stream through
   * `onTrace` instead). Default false; `onTrace` listeners work either way.
   */
  readonly trace?: boolean;
  /** Request timeout of connections whose requests give none. Default 30 000 (KafkaJS `requestTimeout`). */
  readonly defaultRequestTimeoutMs?: number;
  /**
   * Called when an endpoint rejects a frame with something other than `CloseConnection` (the connection
   * is closed either way). An `AssertionError` is also rethrown: a model bug must not pass for a fault.
   */
  readonly onEndpointError?: (error: unknown, info: { connectionId: string; node: string; apiKey: number }) => void;
}

export interface ConnectionInfo {
  readonly id: string;
  readonly clientNode: string;
  readonly clientId: string;
  /** The endpoint's node. */
  readonly node: string;
  readonly address: BrokerAddress;
  readonly isClientOpen: boolean;
  readonly isServerOpen: boolean;
}

/** What an interceptor decided for a message: carry on (with this response, if it made one) or stop. */
type Verdict = { readonly stop: true } | { readonly stop: false; readonly response: Buffer | undefined; readonly duplicate?: true };

const CARRY_ON: Verdict = { stop: false, response: undefined };
const DUPLICATE: Verdict = { stop: false, response: undefined, duplicate: true };
const STOP: Verdict = { stop: true };

function addressKey(address: BrokerAddress): string {
  return `${address.host}:${address.port}`;
}

export class InProcessNetwork implements Transport {
  readonly defaultRequestTimeoutMs: number;
  private readonly conditions: LinkConditions;
  private readonly interceptors = new Interceptors();
  private readonly tracer: NetworkTrace;
  private readonly onEndpointError: InProcessNetworkOptions['onEndpointError'];
  private readonly endpoints = new Map<string, Endpoint>();
  /** Connections with an end still open, by id, in creation order (iteration order is part of determinism). */
  private readonly wires = new Map<string, Wire>();
  private readonly attempts = new Set<ConnectAttempt>();
  private readonly wireHooks = {
    transmit: (wire: Wire, toward: Toward, message: Message) => this.transmit(wire, toward, message),
    closeClient: (wire: Wire) => this.closeClientSide(wire, null, true),
  };

  constructor(
    private readonly runtime: Runtime,
    options: InProcessNetworkOptions = {},
  ) {
    this.conditions = new LinkConditions(runtime.random.fork('network'), options.latency);
    this.tracer = new NetworkTrace(options.trace ?? false);
    this.defaultRequestTimeoutMs = options.defaultRequestTimeoutMs ?? 30_000;
    this.onEndpointError = options.onEndpointError;
  }

  // -------------------------------------------------------------------------------------------------------
  // Listening and connecting

  /** Starts accepting connections at `endpoint.address`. Throws if another endpoint listens there. */
  listen(endpoint: Endpoint): void {
    const key = addressKey(endpoint.address);
    const current = this.endpoints.get(key);
    if (current === endpoint) return;
    if (current !== undefined) throw new Error(`listen EADDRINUSE ${key}: ${current.node} already listens there`);
    this.endpoints.set(key, endpoint);
  }

  /** Stops listening; the endpoint's open connections close (their clients learn in-band). */
  unlisten(endpoint: Endpoint): void {
    const key = addressKey(endpoint.address);
    if (this.endpoints.get(key) !== endpoint) return;
    this.endpoints.delete(key);
    for (const wire of [...this.wires.values()]) if (wire.endpoint === endpoint) this.closeServerSide(wire, `${endpoint.node} stopped listening`, true);
  }

  connect(address: BrokerAddress, options: ConnectOptions): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const attempt: ConnectAttempt = {
        clientNode: options.node,
        address: { host: address.host, port: address.port },
        options,
        isSettled: false,
        timer: undefined,
        wire: undefined,
        resolve,
        reject,
      };
      this.attempts.add(attempt);
      // Partitions and latency apply to the listener's node; to an address nobody listens on, to its name.
      const serverNode = this.endpoints.get(addressKey(address))?.node ?? addressKey(address);
      attempt.timer = this.runtime.timer(
        options.timeoutMs,
        () => {
          if (attempt.isSettled) return;
          this.record({ kind: 'connect', outcome: 'timed-out', from: options.node, to: serverNode, detail: `after ${options.timeoutMs} ms` });
          this.settle(attempt, new ConnectionTimeoutError(attempt.address, options.timeoutMs));
          // The broker accepted but its SYN-ACK was lost: give up our end (a FIN, if the path lets it through).
          if (attempt.wire !== undefined) this.closeClientSide(attempt.wire, null, true);
        },
        'network:connect-timeout',
      );
      this.sendHandshake(options.node, serverNode, () => this.synArrived(attempt, serverNode));
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Crashes and abrupt closes

  /**
   * Closes every connection to or from `node` at once, as a crash or shutdown does: the node's own ends
   * close now (pending requests on them fail), peers learn in-band. Its unfinished connects fail.
   */
  closeAll(node: string): void {
    const detail = `${node} went down`;
    // One error for every client it fails, built only if it fails one (an error captures a stack).
    let error: ConnectionClosedError | undefined;
    const reason = (): ConnectionClosedError => (error ??= new ConnectionClosedError(detail));
    for (const attempt of [...this.attempts]) if (attempt.clientNode === node) this.settle(attempt, reason());
    for (const wire of [...this.wires.values()]) {
      if (wire.serverNode === node) this.closeServerSide(wire, detail, true);
      if (wire.clientNode === node) this.closeClientSide(wire, reason(), true);
    }
  }

  /**
   * Abruptly closes connections, both ends at the same instant (a middlebox reset): every connection to or
   * from a node, or the one with this connection id. Messages on the wire are lost.
   */
  disconnect(target: string): void {
    const reason = new ConnectionClosedError(`connection reset by fault injection (${target})`);
    for (const wire of [...this.wires.values()]) {
      if (wire.id !== target && wire.clientNode !== target && wire.serverNode !== target) continue;
      wire.toServer.isCloseSent = true;
      wire.toClient.isCloseSent = true;
      this.closeClientSide(wire, reason, false);
      this.closeServerSide(wire, reason.message, false);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Link conditions

  /**
   * One-way latency of the directed link `from -> to`; `'*'` matches any node (`'*', '*'` sets the default
   * for every link). Lookup order: exact, `from -> *`, `* -> to`, default. `null` removes a setting.
   */
  setLatency(from: string, to: string, latency: LinkLatency | null): void {
    this.conditions.setLatency(from, to, latency);
  }

  latencyOf(from: string, to: string): LinkLatency {
    return this.conditions.latencyOf(from, to);
  }

  /** The one-way delay a message from one node to another would take now (seeded jitter). */
  sampleLatencyMs(from: string, to: string): number {
    return this.conditions.sampleLatencyMs(from, to);
  }

  /**
   * Messages between the groups are black-holed in both directions; connects across time out. Existing
   * connections stay open on both ends. Nodes may be any names, including ones not connected yet.
   */
  partition(nodesA: readonly string[], nodesB: readonly string[]): FaultHandle {
    return this.conditions.partition(nodesA, nodesB);
  }

  /** Messages from `from` nodes to `to` nodes are black-holed; the other way still works. */
  partitionOneWay(from: readonly string[], to: readonly string[]): FaultHandle {
    return this.conditions.partitionOneWay(from, to);
  }

  /** Cuts `node` off from every other node, including nodes that appear later. */
  isolate(node: string): FaultHandle {
    return this.conditions.isolate(node);
  }

  /** Removes every partition and isolation. Latencies, drop probabilities and interceptors stay. */
  heal(): void {
    this.conditions.heal();
  }

  /** Whether a message from one node would reach the other now (no partition or isolation between them). */
  isReachable(from: string, to: string): boolean {
    return this.conditions.isReachable(from, to);
  }

  /**
   * Each request or response sent on `from -> to` is lost with probability `p`, drawn from the link's own
   * seeded stream; `'*'` matches any node, looked up as latency is; `p = 0` removes the setting.
   */
  dropProbability(from: string, to: string, p: number): void {
    this.conditions.setDropProbability(from, to, p);
  }

  /** Heals partitions, removes drop probabilities and interceptors; latencies stay (they are not faults). */
  clearFaults(): void {
    this.conditions.heal();
    this.conditions.clearDropProbabilities();
    this.interceptors.clear();
  }

  /**
   * Intercepts requests (or, with `direction: 'response'`, the broker's answers) with this api key, at
   * any endpoint or only `node`, from any client or only `clientNode`. Handlers run in the order added;
   * the first that does not pass decides. One-shot unless `keep`. Malformed requests bypass interceptors.
   */
  intercept<K extends ApiKeyNumber>(
    apiKey: K,
    handler: (context: InterceptContext<K>) => InterceptAction<K>,
    options: InterceptOptions = {},
  ): InterceptHandle {
    return this.interceptors.add(apiKey, handler, options);
  }

  // -------------------------------------------------------------------------------------------------------
  // Observation

  /** Every event, when constructed with `trace: true`; empty otherwise. */
  get trace(): readonly NetworkEvent[] {
    return this.tracer.events;
  }

  /** Calls `listener` for every network event from now on; returns an unsubscribe function. */
  onTrace(listener: (event: NetworkEvent) => void): () => void {
    return this.tracer.subscribe(listener);
  }

  /** Connections with an end still open, in creation order; optionally only those to or from `node`. */
  connections(node?: string): ConnectionInfo[] {
    const result: ConnectionInfo[] = [];
    for (const wire of this.wires.values()) {
      if (node !== undefined && wire.clientNode !== node && wire.serverNode !== node) continue;
      result.push({
        id: wire.id,
        clientNode: wire.clientNode,
        clientId: wire.clientId,
        node: wire.serverNode,
        address: wire.attempt.address,
        isClientOpen: wire.clientState === 'open',
        isServerOpen: wire.serverState === 'open',
      });
    }
    return result;
  }

  // -------------------------------------------------------------------------------------------------------
  // Messages on a connection

  /** Puts a message on the wire towards `toward`, or loses it. */
  private transmit(wire: Wire, toward: Toward, message: Message): void {
    const [from, to] = wire.ends(toward);
    const direction = wire.direction(toward);
    const nowMs = this.runtime.now();
    if (message.kind === 'frame' && this.conditions.shouldDrop(from, to)) {
      this.recordMessage(wire, toward, message, 'dropped', nowMs);
      return;
    }
    if (!this.conditions.isReachable(from, to)) {
      this.recordMessage(wire, toward, message, 'partitioned', nowMs);
      return;
    }
    if (message.kind === 'close' || message.kind === 'reset') direction.isCloseSent = true;
    const deliveryMs = Math.max(nowMs + this.conditions.sampleLatencyMs(from, to), direction.lastDeliveryMs);
    direction.lastDeliveryMs = deliveryMs;
    this.runtime.timer(deliveryMs - nowMs, () => this.arrive(wire, toward, message, nowMs), `network:${message.kind}`);
  }

  private arrive(wire: Wire, toward: Toward, message: Message, sentMs: number): void {
    const [from, to] = wire.ends(toward);
    if (!this.conditions.isReachable(from, to)) {
      if (message.kind === 'close' || message.kind === 'reset') wire.direction(toward).isCloseSent = false;
      this.recordMessage(wire, toward, message, 'partitioned', sentMs);
      return;
    }
    switch (message.kind) {
      case 'frame':
        if (!wire.isOpenAt(toward)) {
          this.recordMessage(wire, toward, message, 'discarded', sentMs);
          this.resetIfOwed(wire, toward);
          return;
        }
        this.recordMessage(wire, toward, message, 'delivered', sentMs);
        if (toward === 'server') {
          wire.inbox.push(message.frame);
          this.pump(wire);
        } else {
          wire.link.frameListener?.(message.frame);
        }
        return;
      case 'accept':
        this.acceptArrived(wire, sentMs);
        return;
      case 'close':
      case 'reset': {
        const detail = `connection ${message.kind === 'close' ? 'closed' : 'reset'} by ${from}`;
        if (toward === 'server') this.closeServerSide(wire, detail, false);
        else this.closeClientSide(wire, new ConnectionClosedError(detail), false);
        return;
      }
    }
  }

  /** A side that closed without the peer knowing answers the peer's message with a reset. */
  private resetIfOwed(wire: Wire, closedSide: Toward): void {
    const back: Toward = closedSide === 'server' ? 'client' : 'server';
    if (wire.direction(back).isCloseSent || !wire.isOpenAt(back)) return;
    this.transmit(wire, back, { kind: 'reset' });
  }

  /** Closes the client end; `reason` is null when the client itself closed. */
  private closeClientSide(wire: Wire, reason: Error | null, notifyPeer: boolean): void {
    if (wire.clientState === 'closed') return;
    const wasConnecting = wire.clientState === 'connecting';
    wire.clientState = 'closed';
    this.recordClose(wire, 'client', reason?.message ?? null);
    if (notifyPeer && wire.serverState === 'open') this.transmit(wire, 'server', { kind: 'close' });
    if (wasConnecting) this.settle(wire.attempt, new ConnectionRefusedError(wire.attempt.address));
    else if (reason !== null) wire.link.closeListener?.(reason);
    if (wire.isDead) this.wires.delete(wire.id);
  }

  /** Closes the server end; `detail` says why (for the trace: the broker side gets no error object). */
  private closeServerSide(wire: Wire, detail: string, notifyPeer: boolean): void {
    if (wire.serverState === 'closed') return;
    wire.serverState = 'closed';
    wire.inbox.length = 0;
    this.recordClose(wire, 'server', detail);
    if (notifyPeer && wire.clientState !== 'closed') this.transmit(wire, 'client', { kind: 'close' });
    wire.session.fireClose();
    if (wire.isDead) this.wires.delete(wire.id);
  }

  // -------------------------------------------------------------------------------------------------------
  // Handshake

  /** A handshake segment (SYN or RST): latency and partitions apply, drops do not. */
  private sendHandshake(from: string, to: string, onArrival: () => void): void {
    if (!this.conditions.isReachable(from, to)) {
      this.record({ kind: 'connect', outcome: 'partitioned', from, to });
      return;
    }
    const sentMs = this.runtime.now();
    const arrive = (): void => {
      if (this.conditions.isReachable(from, to)) onArrival();
      else this.record({ kind: 'connect', outcome: 'partitioned', from, to, sentMs });
    };
    this.runtime.timer(this.conditions.sampleLatencyMs(from, to), arrive, 'network:handshake');
  }

  private synArrived(attempt: ConnectAttempt, serverNode: string): void {
    // The client gave up already: nothing will answer the SYN-ACK, so do not open anything.
    if (attempt.isSettled) return;
    const endpoint = this.endpoints.get(addressKey(attempt.address));
    if (endpoint === undefined || !endpoint.isAvailable) {
      this.sendHandshake(serverNode, attempt.clientNode, () => {
        if (attempt.isSettled) return;
        this.record({ kind: 'connect', outcome: 'refused', from: serverNode, to: attempt.clientNode });
        this.settle(attempt, new ConnectionRefusedError(attempt.address));
      });
      return;
    }
    const wire = new Wire(this.runtime.nextId('connection'), attempt, endpoint, this.wireHooks);
    attempt.wire = wire;
    this.wires.set(wire.id, wire);
    this.transmit(wire, 'client', { kind: 'accept' });
  }

  private acceptArrived(wire: Wire, sentMs: number): void {
    const attempt = wire.attempt;
    if (wire.clientState !== 'connecting') return;
    if (attempt.isSettled) {
      // The client timed out or went down meanwhile: its kernel resets the unexpected SYN-ACK.
      wire.clientState = 'closed';
      this.transmit(wire, 'server', { kind: 'reset' });
      if (wire.isDead) this.wires.delete(wire.id);
      return;
    }
    wire.clientState = 'open';
    this.record({ kind: 'connect', outcome: 'delivered', from: wire.clientNode, to: wire.serverNode, connectionId: wire.id, sentMs });
    const connection = new FramedConnection(this.runtime, wire.link, {
      id: wire.id,
      remote: attempt.address,
      node: attempt.clientNode,
      clientId: attempt.options.clientId,
      defaultRequestTimeoutMs: this.defaultRequestTimeoutMs,
      observer: this.connectionObserver(wire),
    });
    this.settle(attempt, null, connection);
  }

  private settle(attempt: ConnectAttempt, error: Error | null, connection?: Connection): void {
    if (attempt.isSettled) return;
    attempt.isSettled = true;
    attempt.timer?.cancel();
    this.attempts.delete(attempt);
    if (error !== null) attempt.reject(error);
    else attempt.resolve(connection as Connection);
  }

  private connectionObserver(wire: Wire): FramedConnectionObserver {
    return {
      requestTimedOut: ({ apiKey, correlationId, timeoutMs }) =>
        this.record({
          kind: 'request-timeout',
          outcome: 'timed-out',
          from: wire.clientNode,
          to: wire.serverNode,
          connectionId: wire.id,
          apiKey,
          correlationId,
          detail: `after ${timeoutMs} ms`,
        }),
      unmatchedResponse: ({ correlationId }) =>
        this.record({ kind: 'unmatched-response', outcome: 'ignored', from: wire.serverNode, to: wire.clientNode, connectionId: wire.id, correlationId }),
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // The broker side: one request at a time per connection

  private pump(wire: Wire): void {
    if (wire.isBusy || wire.serverState !== 'open' || wire.inbox.length === 0) return;
    wire.isBusy = true;
    const frame = wire.inbox.shift() as Buffer;
    // A rejection here is a bug (an AssertionError from the model): left unhandled on purpose, so it fails loudly.
    void this.process(wire, frame).finally(() => {
      wire.isBusy = false;
      this.pump(wire);
    });
  }

  private async process(wire: Wire, frame: Buffer): Promise<void> {
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    let request: DecodedRequest | undefined;
    let response: Buffer | null | undefined;

    if (this.interceptors.has('request', apiKey, wire.serverNode, wire.clientNode)) {
      request = tryDecodeRequest(frame);
      if (request !== undefined) {
        const verdict = await this.applyInterceptors('request', wire, request, undefined);
        if (verdict.stop) return;
        response = verdict.response;
        if (verdict.duplicate === true) {
          // The first copy's answer is lost on the way, as the lost answer of a first attempt would be.
          if (!(await this.handleAtEndpoint(wire, frame, apiKey))) return;
        }
      }
    }

    if (response === undefined) {
      const handled = await this.handleAtEndpoint(wire, frame, apiKey);
      if (handled === false) return;
      response = handled;
    }
    if (response === null) return;

    let copies = 1;
    if (this.interceptors.has('response', apiKey, wire.serverNode, wire.clientNode)) {
      request ??= tryDecodeRequest(frame);
      if (request !== undefined) {
        const verdict = await this.applyInterceptors('response', wire, request, response);
        if (verdict.stop) return;
        response = verdict.response ?? response;
        if (verdict.duplicate === true) copies = 2;
      }
    }
    const correlationId = frame.length >= 8 ? frame.readInt32BE(4) : -1;
    for (let copy = 0; copy < copies; copy++) this.transmit(wire, 'client', { kind: 'frame', frame: response, apiKey, correlationId });
  }

  /** The endpoint's answer (null: none, as for acks=0), or false when the connection closed meanwhile. */
  private async handleAtEndpoint(wire: Wire, frame: Buffer, apiKey: number): Promise<Buffer | null | false> {
    if (!wire.endpoint.isAvailable) {
      this.closeServerSide(wire, `${wire.serverNode} is down`, true);
      return false;
    }
    let response: Buffer | null;
    try {
      response = await wire.endpoint.handleFrame(frame, wire.session);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.closeServerSide(wire, `${wire.serverNode} closed the connection: ${message}`, true);
      if (!isCloseConnection(error)) {
        this.onEndpointError?.(error, { connectionId: wire.id, node: wire.serverNode, apiKey });
        if (error instanceof AssertionError) throw error;
      }
      return false;
    }
    // Closed meanwhile (a crash): the answer has nowhere to go.
    return wire.serverState === 'open' ? response : false;
  }

  private async applyInterceptors(
    direction: InterceptDirection,
    wire: Wire,
    request: DecodedRequest,
    responseFrame: Buffer | undefined,
  ): Promise<Verdict> {
    const { apiKey, apiVersion, correlationId } = request.header;
    const context: InterceptContext = {
      direction,
      apiKey,
      apiVersion,
      correlationId,
      request,
      response: responseFrame === undefined ? undefined : tryDecodeResponse(request, responseFrame),
      responseFrame,
      connectionId: wire.id,
      clientNode: wire.clientNode,
      clientId: wire.clientId,
      node: wire.serverNode,
      nowMs: this.runtime.now(),
    };
    const action = this.interceptors.decide(context);
    if (action.action === 'pass') return CARRY_ON;
    const [from, to] = wire.ends(direction === 'request' ? 'server' : 'client');
    this.record({
      kind: 'intercept',
      outcome: 'intercepted',
      from,
      to,
      connectionId: wire.id,
      apiKey,
      correlationId,
      action: action.action,
      detail: action.action === 'delay' ? `${direction} held ${action.ms} ms` : direction,
    });
    switch (action.action) {
      case 'drop':
        return STOP;
      case 'close':
        this.closeServerSide(wire, `connection ${wire.id} closed by an interceptor`, true);
        return STOP;
      case 'delay':
        // An untracked wait: the network's own holds are not something a user awaits.
        await new Promise<void>((resolve) => this.runtime.timer(action.ms, resolve, 'network:intercept-delay'));
        return wire.serverState === 'open' ? CARRY_ON : STOP;
      case 'respond':
        return { stop: false, response: encodeResponse(apiKey, apiVersion, correlationId, action.body as never).subarray(4) };
      case 'duplicate':
        return DUPLICATE;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Trace

  private record(fields: NetworkEventFields): void {
    if (this.tracer.isActive) this.tracer.record(this.runtime.now(), fields);
  }

  private recordMessage(wire: Wire, toward: Toward, message: Message, outcome: NetworkEventOutcome, sentMs: number): void {
    if (!this.tracer.isActive) return;
    const [from, to] = wire.ends(toward);
    const connectionId = wire.id;
    if (message.kind === 'frame') {
      const kind = toward === 'server' ? 'request' : 'response';
      this.record({ kind, outcome, from, to, connectionId, apiKey: message.apiKey, correlationId: message.correlationId, sentMs });
    } else {
      this.record({ kind: message.kind === 'accept' ? 'connect' : 'close', outcome, from, to, connectionId, sentMs, detail: message.kind });
    }
  }

  private recordClose(wire: Wire, side: Toward, detail: string | null): void {
    if (!this.tracer.isActive) return;
    const [from, to] = side === 'server' ? [wire.serverNode, wire.clientNode] : [wire.clientNode, wire.serverNode];
    this.record({ kind: 'close', outcome: 'closed', from, to, connectionId: wire.id, detail: detail ?? `closed by ${from}` });
  }
}

function tryDecodeRequest(frame: Buffer): DecodedRequest | undefined {
  try {
    return decodeRequest(frame);
  } catch {
    return undefined;
  }
}

function tryDecodeResponse(request: DecodedRequest, frame: Buffer): ResponseByKey[ApiKeyNumber] | undefined {
  try {
    return decodeResponse(request.header.apiKey, request.header.apiVersion, frame).body;
  } catch {
    return undefined;
  }
}
