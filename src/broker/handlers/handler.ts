/**
 * The shape of a request handler: one file per API in this folder, each serving a version range. The
 * registry in `index.ts` is the single source for dispatch, the ApiVersions answer and the supported-APIs
 * reference page.
 */
import type { ApiKeyNumber, RequestByKey, RequestFrameHeader, ResponseInputByKey } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { ClientSession } from '../ports.ts';

export interface RequestContext {
  readonly broker: Broker;
  readonly header: RequestFrameHeader;
  readonly session: ClientSession;
}

export interface Handler<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Resolves with the response body, or null when Kafka sends no response (Produce with acks=0). */
  handle(context: RequestContext, request: RequestByKey[K]): ResponseInputByKey[K] | null | Promise<ResponseInputByKey[K] | null>;
}

export const defineHandler = <K extends ApiKeyNumber>(handler: Handler<K>): Handler<K> => handler;
