/** Handlers of the group coordinator's APIs, merged into the registry in `index.ts`. */
import type { Handler } from './handler.ts';

export const GROUP_HANDLERS: readonly Handler[] = [];
