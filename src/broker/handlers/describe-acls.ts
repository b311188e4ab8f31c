/**
 * DescribeAcls (key 29), v0-3, as a Kafka broker without an authorizer answers it (the default): SECURITY_DISABLED
 * with "No Authorizer is configured.", so clients see what they see against a default Kafka.
 * Leaves out: an authorizer, ACL storage and enforcement.
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

/** What a Kafka broker without an authorizer (`authorizer.class.name` unset, the default) says. */
export const NO_AUTHORIZER = 'No Authorizer is configured.';

export const describeAclsHandler = defineHandler({
  apiKey: ApiKey.DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  handle: () => ({ throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER, resources: [] }),
});
