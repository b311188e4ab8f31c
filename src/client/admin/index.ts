/** The admin client (KafkaJS's `src/admin`). Placeholder until the admin lands. */
import type { AdminConfig } from '../config.ts';
import type { ClientContext } from '../context.ts';

export type Admin = Record<string, never>;

export function createAdmin(_context: ClientContext, _config: AdminConfig): Admin {
  throw new Error('not implemented yet');
}
