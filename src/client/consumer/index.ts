/** The consumer (KafkaJS's `src/consumer`). Placeholder until the consumer lands. */
import type { ConsumerConfig } from '../config.ts';
import type { ClientContext } from '../context.ts';

export type Consumer = Record<string, never>;

export function createConsumer(_context: ClientContext, _config: ConsumerConfig): Consumer {
  throw new Error('not implemented yet');
}
