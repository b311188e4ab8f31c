/**
 * KafkaJS's transaction state machine (`src/producer/eosManager/transactionStateMachine.js`): the states a
 * producer's EOS manager moves through, the legal transitions, and guards that make a method throw (or
 * reject, for async ones) 'Transaction state exception: Cannot call "<method>" in state "<state>"' when it is
 * called in the wrong state. Kafka's Java client has more states (fatal/abortable errors); KafkaJS does not,
 * and neither does this.
 */
import { KafkaJSNonRetriableError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export const TransactionState = {
  UNINITIALIZED: 'UNINITIALIZED',
  READY: 'READY',
  TRANSACTING: 'TRANSACTING',
  COMMITTING: 'COMMITTING',
  ABORTING: 'ABORTING',
} as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

const VALID_TRANSITIONS: Record<TransactionState, readonly TransactionState[]> = {
  UNINITIALIZED: ['READY'],
  READY: ['READY', 'TRANSACTING'],
  TRANSACTING: ['COMMITTING', 'ABORTING'],
  COMMITTING: ['READY'],
  ABORTING: ['READY'],
};

export interface GuardSpec {
  readonly legalStates: readonly TransactionState[];
  /** Async methods reject instead of throwing. Default true. */
  readonly async?: boolean;
}

export class TransactionStateMachine {
  private current: TransactionState = TransactionState.UNINITIALIZED;
  private readonly listeners: Array<(transition: { from: TransactionState; to: TransactionState }) => void> = [];

  constructor(private readonly logger: Logger) {}

  state(): TransactionState {
    return this.current;
  }

  onTransition(listener: (transition: { from: TransactionState; to: TransactionState }) => void): void {
    this.listeners.push(listener);
  }

  transitionTo(state: TransactionState): void {
    this.logger.debug(`Transaction state transition ${this.current} --> ${state}`);
    if (!VALID_TRANSITIONS[this.current].includes(state)) {
      throw new KafkaJSNonRetriableError(`Transaction state exception: Invalid transition ${this.current} --> ${state}`);
    }
    for (const listener of this.listeners) listener({ from: this.current, to: state });
    this.current = state;
  }

  /** Wraps `fn` so that it only runs in one of `legalStates`. */
  guard<A extends unknown[], R>(method: string, spec: GuardSpec, fn: (...args: A) => R): (...args: A) => R {
    return (...args: A): R => {
      if (!spec.legalStates.includes(this.current)) {
        const error = new KafkaJSNonRetriableError(`Transaction state exception: Cannot call "${method}" in state "${this.current}"`);
        if (spec.async ?? true) return Promise.reject(error) as R;
        throw error;
      }
      return fn(...args);
    };
  }
}
