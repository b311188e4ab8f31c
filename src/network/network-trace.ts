/**
 * The in-process network's trace: one `NetworkEvent` per thing that happened (a connect completing or
 * failing, a message delivered or lost, a side closing, an interceptor acting, a client-side timeout).
 * Tests assert on it; the simulation harness prints it next to `reproduce: <seed>` and compares it across
 * replays. Events are built only when someone listens.
 */
import { API_SCHEMAS } from '../protocol/index.ts';
import type { InterceptVerb } from './interceptors.ts';

export type NetworkEventKind =
  | 'connect'
  | 'request'
  | 'response'
  | 'close'
  | 'intercept'
  | 'request-timeout'
  | 'unmatched-response';

export type NetworkEventOutcome =
  /** Arrived at its destination (for 'connect': the handshake completed). */
  | 'delivered'
  /** Lost to `dropProbability`. */
  | 'dropped'
  /** Black-holed by a partition or isolation, when sent or when it would have arrived. */
  | 'partitioned'
  /** Arrived at a side that had already closed. */
  | 'discarded'
  | 'refused'
  | 'timed-out'
  /** A side of a connection closed (kind 'close'). */
  | 'closed'
  /** A response nobody waited for, ignored by the client. */
  | 'ignored'
  /** An interceptor handled it; `action` says how. */
  | 'intercepted';

/** One thing that happened on the network. Every field is always present (null when not applicable). */
export interface NetworkEvent {
  readonly atMs: number;
  readonly kind: NetworkEventKind;
  readonly outcome: NetworkEventOutcome;
  readonly from: string;
  readonly to: string;
  readonly connectionId: string | null;
  readonly apiKey: number | null;
  readonly correlationId: number | null;
  /** When a message was sent; null for events that are not messages. */
  readonly sentMs: number | null;
  readonly action: InterceptVerb | null;
  readonly detail: string | null;
}

export type NetworkEventFields = Partial<NetworkEvent> & Pick<NetworkEvent, 'kind' | 'outcome' | 'from' | 'to'>;

/** `+12ms client-1 -> broker-1 connection-3 request Heartbeat#4 delivered (sent +11ms)`, times relative to `startMs`. */
export function formatNetworkEvent(event: NetworkEvent, startMs = 0): string {
  const parts = [`+${event.atMs - startMs}ms`, `${event.from} -> ${event.to}`];
  if (event.connectionId !== null) parts.push(event.connectionId);
  let what: string = event.kind;
  if (event.apiKey !== null) {
    what += ` ${API_SCHEMAS.get(event.apiKey)?.name ?? `apiKey ${event.apiKey}`}`;
    if (event.correlationId !== null) what += `#${event.correlationId}`;
  }
  parts.push(what, event.action === null ? event.outcome : `${event.outcome} ${event.action}`);
  if (event.sentMs !== null && event.sentMs !== event.atMs) parts.push(`(sent +${event.sentMs - startMs}ms)`);
  if (event.detail !== null) parts.push(`[${event.detail}]`);
  return parts.join(' ');
}

/** Fans events out to the recorded log and the listeners; `isActive` guards building them at all. */
export class NetworkTrace {
  readonly events: NetworkEvent[] = [];
  private listeners: Array<(event: NetworkEvent) => void> = [];

  constructor(private readonly isRecording: boolean) {}

  get isActive(): boolean {
    return this.isRecording || this.listeners.length > 0;
  }

  subscribe(listener: (event: NetworkEvent) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  record(atMs: number, fields: NetworkEventFields): void {
    const event: NetworkEvent = {
      atMs,
      kind: fields.kind,
      outcome: fields.outcome,
      from: fields.from,
      to: fields.to,
      connectionId: fields.connectionId ?? null,
      apiKey: fields.apiKey ?? null,
      correlationId: fields.correlationId ?? null,
      sentMs: fields.sentMs ?? null,
      action: fields.action ?? null,
      detail: fields.detail ?? null,
    };
    if (this.isRecording) this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }
}
