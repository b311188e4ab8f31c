/** The producer (KafkaJS's `src/producer`). Placeholder until the producer lands. */
import type { ProducerConfig } from '../config.ts';
import type { ClientContext } from '../context.ts';

export type Producer = Record<string, never>;

export function createProducer(_context: ClientContext, _config: ProducerConfig): Producer {
  throw new Error('not implemented yet');
}
