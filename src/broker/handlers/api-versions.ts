/**
 * ApiVersions (key 18), v0-4. The answer is derived from the handler registry, so what we advertise is
 * exactly what we serve. A request in a version we cannot parse is answered by the broker's frame handler
 * with a v0 body carrying UNSUPPORTED_VERSION and the supported versions (KIP-511), as Kafka does.
 * Leaves out: finalized features (KIP-584) beyond an empty list.
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import { supportedApiVersions } from '../broker.ts';
import { defineHandler } from './handler.ts';

export const apiVersionsHandler = defineHandler({
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle: () => ({
    errorCode: ErrorCode.NONE,
    apiKeys: supportedApiVersions(),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  }),
});
