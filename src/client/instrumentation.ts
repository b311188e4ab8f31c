/**
 * KafkaJS's instrumentation events (`src/instrumentation`): `{ id, type, timestamp, payload }`, emitted only
 * when someone listens, listener errors isolated. Ids count per runtime rather than per process as KafkaJS's
 * module-level counter does, so two simulations in one process replay the same ids.
 */
import { EventEmitter } from 'eventemitter3';
import { KafkaJSError } from './errors.ts';

export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

export type RemoveInstrumentationEventListener<T> = () => void;

/** Any one of a client's event names; KafkaJS's (unexported) helper for the catch-all `on` overload. */
export type ValueOf<T> = T[keyof T];

/** The event types every client (producer, consumer, admin) shares, as KafkaJS declares them. */
export type ConnectEvent = InstrumentationEvent<null>;
export type DisconnectEvent = InstrumentationEvent<null>;
export type RequestEvent = InstrumentationEvent<{
  apiKey: number;
  apiName: string;
  apiVersion: number;
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  duration: number;
  pendingDuration: number;
  sentAt: number;
  size: number;
}>;
export type RequestTimeoutEvent = InstrumentationEvent<{
  apiKey: number;
  apiName: string;
  apiVersion: number;
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  pendingDuration: number;
  sentAt: number;
}>;
export type RequestQueueSizeEvent = InstrumentationEvent<{
  broker: string;
  clientId: string;
  queueSize: number;
}>;

const counters = new WeakMap<object, { next: number }>();

export class InstrumentationEmitter {
  private readonly emitter = new EventEmitter();
  private readonly counter: { next: number };

  constructor(
    private readonly now: () => number,
    scope: object,
  ) {
    let counter = counters.get(scope);
    if (counter === undefined) counters.set(scope, (counter = { next: 0 }));
    this.counter = counter;
  }

  emit(eventName: string, payload?: unknown): void {
    if (!eventName) throw new KafkaJSError('Invalid event name', { retriable: false });
    if (this.emitter.listenerCount(eventName) === 0) return;
    const id = this.counter.next++;
    // KafkaJS's ids are numbers although its d.ts says string; keep the runtime value.
    const event = { id, type: eventName, timestamp: this.now(), payload };
    this.emitter.emit(eventName, event);
  }

  addListener(eventName: string, listener: (event: InstrumentationEvent<unknown>) => void): () => void {
    this.emitter.addListener(eventName, listener);
    return () => {
      this.emitter.removeListener(eventName, listener);
    };
  }
}
