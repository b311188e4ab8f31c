/**
 * CreateAcls (key 30), v0-3, as a Kafka broker without an authorizer answers it (the default): SECURITY_DISABLED
 * for every creation.
 * Leaves out: an authorizer, ACL storage and enforcement.
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import { NO_AUTHORIZER } from './describe-acls.ts';
import { defineHandler } from './handler.ts';

export const createAclsHandler = defineHandler({
  apiKey: ApiKey.CreateAcls,
  minVersion: 0,
  maxVersion: 3,
  handle: (_context, request) => ({
    throttleTimeMs: 0,
    results: request.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER })),
  }),
});
