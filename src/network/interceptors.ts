/**
 * Request and response interceptors for the in-process network, after franz-go kfake's `ControlKey`:
 * a handler sees a decoded request (and, on the response side, the broker's answer) and passes, drops,
 * delays, answers in the broker's place or closes the connection. Handlers run in the order they were
 * added; the first that does not pass decides. An interceptor is one-shot unless kept: it is removed once
 * it has handled one message, and passing does not count (kfake's "not handled"), so a handler that
 * waits for a particular request stays armed until it sees it.
 *
 * Left out: async handlers (a handler decides synchronously; `delay` covers waiting), and kfake's
 * `SleepControl` hand-over between handlers.
 */
import type { ApiKeyNumber, DecodedRequest, ResponseByKey, ResponseInputByKey } from '../protocol/index.ts';

export type InterceptDirection = 'request' | 'response';

export type InterceptAction<K extends ApiKeyNumber = ApiKeyNumber> =
  /** Not handled: the next interceptor decides, or the network carries on; a one-shot stays armed. */
  | { readonly action: 'pass' }
  /** The request never reaches the broker / the response never leaves it. */
  | { readonly action: 'drop' }
  /** Hold the request before the broker sees it / the response before it is sent (later frames of the connection wait). */
  | { readonly action: 'delay'; readonly ms: number }
  /** Answer with this body: instead of the broker (request) or instead of its answer (response). */
  | { readonly action: 'respond'; readonly body: ResponseInputByKey[K] }
  /** Close the connection, as kfake does when a control function returns an error. */
  | { readonly action: 'close' }
  /**
   * Request: the broker handles it twice in a row and the client gets the answer to the second copy, as
   * when a first attempt landed but its answer was lost and the retry went through (TCP itself never
   * duplicates; a resend, a proxy or a load balancer retrying does). Response: the answer reaches the
   * client twice; the copy matches no pending request and is ignored, as KafkaJS ignores one.
   */
  | { readonly action: 'duplicate' };

export type InterceptVerb = Exclude<InterceptAction['action'], 'pass'>;

export interface InterceptContext<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly direction: InterceptDirection;
  readonly apiKey: K;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** The decoded request (header and body), in both directions. */
  readonly request: DecodedRequest<K>;
  /** The broker's answer, decoded (undefined if it does not decode); only in the response direction. */
  readonly response: ResponseByKey[K] | undefined;
  /** The broker's answer as sent (without size prefix); only in the response direction. */
  readonly responseFrame: Buffer | undefined;
  readonly connectionId: string;
  readonly clientNode: string;
  readonly clientId: string;
  /** The endpoint's node. */
  readonly node: string;
  readonly nowMs: number;
}

export interface InterceptOptions {
  /** Keep acting on every matching message instead of only the first one it handles. Default false. */
  readonly keep?: boolean;
  /** Default 'request'. */
  readonly direction?: InterceptDirection;
  /** Only at this endpoint node. */
  readonly node?: string;
  /** Only on connections from this node. */
  readonly clientNode?: string;
}

export interface InterceptHandle {
  /** Disarms the interceptor; idempotent. Safe to call from inside its own handler. */
  remove(): void;
  readonly isActive: boolean;
  /** Messages it handled (returned anything but 'pass'). */
  readonly hits: number;
}

interface Interceptor {
  readonly apiKey: number;
  readonly direction: InterceptDirection;
  readonly keep: boolean;
  readonly node: string | undefined;
  readonly clientNode: string | undefined;
  readonly handler: (context: InterceptContext) => InterceptAction;
  isActive: boolean;
  hits: number;
}

const PASS: InterceptAction = { action: 'pass' };

export class Interceptors {
  private readonly byDirection: Record<InterceptDirection, Map<number, Interceptor[]>> = {
    request: new Map(),
    response: new Map(),
  };

  add<K extends ApiKeyNumber>(
    apiKey: K,
    handler: (context: InterceptContext<K>) => InterceptAction<K>,
    options: InterceptOptions,
  ): InterceptHandle {
    const interceptor: Interceptor = {
      apiKey,
      direction: options.direction ?? 'request',
      keep: options.keep ?? false,
      node: options.node,
      clientNode: options.clientNode,
      handler: handler as unknown as (context: InterceptContext) => InterceptAction,
      isActive: true,
      hits: 0,
    };
    const byKey = this.byDirection[interceptor.direction];
    byKey.set(apiKey, [...(byKey.get(apiKey) ?? []), interceptor]);
    return {
      remove: () => this.remove(interceptor),
      get isActive() {
        return interceptor.isActive;
      },
      get hits() {
        return interceptor.hits;
      },
    };
  }

  /** Whether any interceptor could act on this message: the cheap check before decoding anything. */
  has(direction: InterceptDirection, apiKey: number, node: string, clientNode: string): boolean {
    const list = this.byDirection[direction].get(apiKey);
    return list !== undefined && list.some((i) => matches(i, node, clientNode));
  }

  /** Runs the matching handlers in order; the first that does not pass decides (and a one-shot is spent). */
  decide(context: InterceptContext): InterceptAction {
    const list = this.byDirection[context.direction].get(context.apiKey);
    if (list === undefined) return PASS;
    // A copy: handlers may add or remove interceptors.
    for (const interceptor of [...list]) {
      if (!interceptor.isActive || !matches(interceptor, context.node, context.clientNode)) continue;
      const action = interceptor.handler(context);
      if (action.action === 'pass') continue;
      if (action.action === 'delay' && !(Number.isFinite(action.ms) && action.ms >= 0)) {
        throw new RangeError(`intercept: delay needs a finite ms >= 0, got ${action.ms}`);
      }
      interceptor.hits++;
      if (!interceptor.keep) this.remove(interceptor);
      return action;
    }
    return PASS;
  }

  clear(): void {
    for (const byKey of Object.values(this.byDirection)) {
      for (const list of byKey.values()) for (const interceptor of list) interceptor.isActive = false;
      byKey.clear();
    }
  }

  private remove(interceptor: Interceptor): void {
    if (!interceptor.isActive) return;
    interceptor.isActive = false;
    const byKey = this.byDirection[interceptor.direction];
    const remaining = (byKey.get(interceptor.apiKey) ?? []).filter((i) => i !== interceptor);
    if (remaining.length === 0) byKey.delete(interceptor.apiKey);
    else byKey.set(interceptor.apiKey, remaining);
  }
}

function matches(interceptor: Interceptor, node: string, clientNode: string): boolean {
  return (
    interceptor.isActive &&
    (interceptor.node === undefined || interceptor.node === node) &&
    (interceptor.clientNode === undefined || interceptor.clientNode === clientNode)
  );
}
