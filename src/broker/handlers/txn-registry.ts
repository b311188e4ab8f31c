/** Handlers of the transaction APIs, merged into the registry in `index.ts`. */
import type { Handler } from './handler.ts';

export const TXN_HANDLERS: readonly Handler[] = [];
