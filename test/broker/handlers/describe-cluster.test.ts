import { describe, expect, it } from 'vitest';
import { supportedApiVersions } from '../../../src/broker/broker.ts';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster } from './support.ts';

const NOT_REQUESTED = -2147483648;

describe('DescribeCluster', () => {
  it('lists the unfenced brokers, the cluster id and the controller', async () => {
    const t = await startCluster({ brokers: [{ id: 1, rack: 'a' }, { id: 2, rack: 'b' }, { id: 3 }] });
    const response = await t.send(2, ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(response).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: 1,
      clusterId: 'kafkasim-cluster',
      controllerId: 1,
      brokers: [
        { brokerId: 1, host: 'localhost', port: 9092, rack: 'a' },
        { brokerId: 2, host: 'localhost', port: 9093, rack: 'b' },
        { brokerId: 3, host: 'localhost', port: 9094, rack: null },
      ],
      clusterAuthorizedOperations: NOT_REQUESTED,
    });
  });

  it('drops a broker once it is fenced and names an alive broker as controller', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.crashBroker(1);
    await t.runtime.advance(10_000);
    const response = await t.send(3, ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false });
    expect(response.brokers.map((b) => b.brokerId)).toEqual([2, 3]);
    expect(response.controllerId).toBe(2);
  });

  it('reports every cluster operation when asked, since there is no authorizer', async () => {
    const t = await startCluster();
    const response = await t.send(1, ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: true });
    // CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
    expect(response.clusterAuthorizedOperations).toBe(8096);
  });

  it('answers a controller endpoint type with MISMATCHED_ENDPOINT_TYPE and an unknown one with UNSUPPORTED_ENDPOINT_TYPE', async () => {
    const t = await startCluster();
    const controller = await t.send(1, ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    expect(controller).toMatchObject({
      errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE,
      errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER',
      brokers: [],
      controllerId: -1,
    });
    const unknown = await t.send(1, ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 7 });
    expect(unknown).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'Unsupported endpoint type 7' });
  });

  it('the new handlers are announced by ApiVersions with their version ranges', () => {
    const versions = new Map(supportedApiVersions().map((v) => [v.apiKey, [v.minVersion, v.maxVersion]]));
    expect(versions.get(ApiKey.DeleteTopics)).toEqual([0, 6]);
    expect(versions.get(ApiKey.DeleteRecords)).toEqual([0, 2]);
    expect(versions.get(ApiKey.OffsetForLeaderEpoch)).toEqual([0, 4]);
    expect(versions.get(ApiKey.DescribeConfigs)).toEqual([0, 4]);
    expect(versions.get(ApiKey.AlterConfigs)).toEqual([0, 2]);
    expect(versions.get(ApiKey.CreatePartitions)).toEqual([0, 3]);
    expect(versions.get(ApiKey.IncrementalAlterConfigs)).toEqual([0, 1]);
    expect(versions.get(ApiKey.DescribeCluster)).toEqual([0, 1]);
  });
});
