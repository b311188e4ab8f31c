/**
 * admin as a client: connect/disconnect and network events, `on()` listeners, the logger, the process
 * scope (a killed admin never answers), the request versions KafkaJS would pick, and how the APIs the
 * simulated broker does not serve (ACLs, partition reassignments) fail: as KafkaJS fails against a broker
 * that does not advertise them.
 */
import { describe, expect, it } from 'vitest';
import { createCluster, type LogEntry } from '../../../src/index.ts';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from '../../../src/client/admin/index.ts';
import type { InstrumentationEvent } from '../../../src/client/instrumentation.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { adminOf } from './support.ts';

describe('admin events and logger', () => {
  it('emits admin.connect and admin.disconnect', async () => {
    const sim = createCluster();
    const admin = adminOf(sim);
    const seen: Array<InstrumentationEvent<unknown>> = [];
    admin.on(admin.events.CONNECT, (event) => seen.push(event));
    admin.on(admin.events.DISCONNECT, (event) => seen.push(event));
    await admin.connect();
    const connectedAt = sim.now();
    await admin.disconnect();
    expect(seen.map((e) => [e.type, e.payload])).toEqual([
      ['admin.connect', undefined],
      ['admin.disconnect', undefined],
    ]);
    expect(seen[0].timestamp).toBe(connectedAt);
    expect(typeof seen[0].id).toBe('number');
  });

  it('emits admin.network.request with the versions KafkaJS negotiates, until the listener is removed', async () => {
    const sim = createCluster();
    const admin = adminOf(sim);
    const requests: string[] = [];
    const remove = admin.on(admin.events.REQUEST, ({ type, payload }) => requests.push(`${type} ${payload.apiName} v${payload.apiVersion}`));
    await admin.createTopics({ topics: [{ topic: 'orders' }] });
    await admin.fetchTopicOffsets('orders');
    await admin.fetchOffsets({ groupId: 'g', topics: ['orders'] });
    remove();
    await admin.listTopics();
    expect(new Set(requests)).toEqual(
      new Set([
        'admin.network.request ApiVersions v2',
        'admin.network.request Metadata v6',
        'admin.network.request CreateTopics v3',
        'admin.network.request ListOffsets v3',
        'admin.network.request GroupCoordinator v2',
        'admin.network.request OffsetFetch v4',
      ]),
    );
  });

  it('emits admin.network.request_timeout when a request goes unanswered, and rejects without retrying', async () => {
    const sim = createCluster();
    const admin = adminOf(sim);
    sim.network.intercept(ApiKey.CreateTopics, () => ({ action: 'drop' }));
    const timeouts: Array<InstrumentationEvent<{ apiName: string }>> = [];
    admin.on(admin.events.REQUEST_TIMEOUT, (event) => timeouts.push(event));
    const startedAt = sim.now();
    await expect(admin.createTopics({ topics: [{ topic: 'orders' }] })).rejects.toMatchObject({ name: 'KafkaJSRequestTimeoutError' });
    expect(sim.now() - startedAt).toBeGreaterThanOrEqual(30_000);
    expect(timeouts.map((e) => [e.type, e.payload.apiName])).toEqual([['admin.network.request_timeout', 'CreateTopics']]);
  });

  it('logs a listener that rejects, under the Admin namespace', async () => {
    const sim = createCluster();
    const logs: LogEntry[] = [];
    const admin = adminOf(sim, { logs });
    admin.on(admin.events.CONNECT, async () => {
      throw new Error('listener broke');
    });
    await admin.connect();
    await sim.sleep(1);
    expect(logs.find((e) => e.log.message === 'Failed to execute listener: listener broke')).toMatchObject({
      namespace: 'Admin',
      label: 'ERROR',
      log: { eventName: 'admin.connect' },
    });
    admin.logger().info('hello');
    expect(logs.at(-1)).toMatchObject({ namespace: 'Admin', label: 'INFO', log: { message: 'hello' } });
  });

  it('a killed admin never settles what it handed out', async () => {
    const sim = createCluster();
    const admin = adminOf(sim);
    await admin.connect();
    let settled = false;
    void admin.createTopics({ topics: [{ topic: 'orders' }] }).finally(() => (settled = true));
    sim.kill(admin);
    await sim.sleep(60_000);
    expect(settled).toBe(false);
  });
});

describe('admin APIs the simulated broker does not serve', () => {
  const acl = {
    resourceType: AclResourceTypes.TOPIC,
    resourceName: 'orders',
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: AclOperationTypes.READ,
    permissionType: AclPermissionTypes.ALLOW,
  };
  const aclCalls: Array<[string, (admin: ReturnType<typeof adminOf>) => Promise<unknown>]> = [
    ['createAcls', (admin) => admin.createAcls({ acl: [acl] })],
    ['describeAcls', (admin) => admin.describeAcls(acl)],
    ['deleteAcls', (admin) => admin.deleteAcls({ filters: [acl] })],
  ];

  // The broker answers the ACL APIs as a Kafka broker without an authorizer (the default) does.
  it.each(aclCalls)('%s rejects with SECURITY_DISABLED, as against a Kafka broker without an authorizer', async (_method, call) => {
    const sim = createCluster({ topics: ['orders'] });
    const admin = adminOf(sim);
    await expect(call(admin)).rejects.toMatchObject({ name: 'KafkaJSProtocolError', type: 'SECURITY_DISABLED', retriable: false });
  });

  const calls: Array<[string, number, string, (admin: ReturnType<typeof adminOf>) => Promise<unknown>]> = [
    ['alterPartitionReassignments', 45, 'AlterPartitionReassignments', (admin) => admin.alterPartitionReassignments({ topics: [{ topic: 'orders', partitionAssignment: [{ partition: 0, replicas: [1] }] }] })],
    ['listPartitionReassignments', 46, 'ListPartitionReassignments', (admin) => admin.listPartitionReassignments({})],
  ];

  it.each(calls)('%s rejects with KafkaJSServerDoesNotSupportApiKey, unwrapped and without retrying', async (_method, apiKey, apiName, call) => {
    const sim = createCluster({ topics: ['orders'] });
    const admin = adminOf(sim);
    const startedAt = sim.now();
    await expect(call(admin)).rejects.toMatchObject({
      name: 'KafkaJSServerDoesNotSupportApiKey',
      message: 'The Kafka server does not support the requested API version',
      retriable: false,
      apiKey,
      apiName,
    });
    expect(sim.now() - startedAt).toBeLessThan(50);
  });
});
