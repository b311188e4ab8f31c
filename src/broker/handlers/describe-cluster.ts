/**
 * DescribeCluster (key 60), v0-1, as a Kafka 4.0 broker answers it (`KafkaApis.handleDescribeCluster`,
 * `AuthHelper.computeDescribeClusterResponse`), from this broker's metadata image:
 * - brokers: the unfenced ones, in id order, with host, port and rack;
 * - controllerId: Kafka's brokers hide the KRaft controllers and name an alive broker instead; this model
 *   names the image's controller id when that broker is alive (as Metadata does), else the lowest alive
 *   broker id, and -1 when none is alive (Kafka answers -1 for an id missing from the broker list);
 * - endpointType (v1+): only brokers answer here (1). An unknown type is UNSUPPORTED_ENDPOINT_TYPE, a
 *   controller endpoint (2) MISMATCHED_ENDPOINT_TYPE; both are INVALID_REQUEST on v0, with Kafka's messages;
 * - clusterAuthorizedOperations: the "not requested" sentinel unless asked; when asked, every cluster
 *   operation, since there is no authorizer (what Kafka answers without one).
 * Leaves out: listeners (every broker has one endpoint), authorizers.
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import { liveBrokers } from '../metadata.ts';
import { defineHandler } from './handler.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
const ENDPOINT_TYPE_BROKER = 1;
const ENDPOINT_TYPE_CONTROLLER = 2;

/**
 * Kafka's `AclEntry.supportedOperations(CLUSTER)` as a bit field of `AclOperation` codes: CREATE (5),
 * ALTER (7), DESCRIBE (8), CLUSTER_ACTION (9), DESCRIBE_CONFIGS (10), ALTER_CONFIGS (11), IDEMPOTENT_WRITE (12).
 */
const ALL_CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12].reduce((bits, code) => bits | (1 << code), 0);

export const describeClusterHandler = defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle: ({ broker, header }, request) => {
    const failed = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      errorCode: header.apiVersion === 0 ? ErrorCode.INVALID_REQUEST : errorCode,
      errorMessage,
      endpointType: ENDPOINT_TYPE_BROKER,
      clusterId: '',
      controllerId: -1,
      brokers: [],
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });
    // v0 has no endpointType field: the decoder fills in its default (1, brokers).
    if (request.endpointType !== ENDPOINT_TYPE_BROKER && request.endpointType !== ENDPOINT_TYPE_CONTROLLER) {
      return failed(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, `Unsupported endpoint type ${request.endpointType}`);
    }
    if (request.endpointType === ENDPOINT_TYPE_CONTROLLER) {
      return failed(ErrorCode.MISMATCHED_ENDPOINT_TYPE, 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER');
    }
    const image = broker.image;
    const alive = liveBrokers(image);
    const controllerId = alive.some((b) => b.id === image.controllerId) ? image.controllerId : (alive[0]?.id ?? -1);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: ENDPOINT_TYPE_BROKER,
      clusterId: image.clusterId,
      controllerId,
      brokers: alive.map((b) => ({ brokerId: b.id, host: b.host, port: b.port, rack: b.rack })),
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? ALL_CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});
