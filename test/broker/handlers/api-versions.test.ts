import { describe, expect, it } from 'vitest';
import { supportedApiVersions } from '../../../src/broker/broker.ts';
import type { Connection } from '../../../src/network/index.ts';
import { ApiKey, decodeResponse, encodeRequest, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './support.ts';

/** The frame link under a connection: `Connection.request` only sends what encodes, so raw frames go below it. */
interface RawLink {
  sendFrame(frame: Buffer): void;
  frameListener: ((frame: Buffer) => void) | undefined;
}

/** Opens a connection to broker 1 that records every response frame it receives. */
async function rawConnection(t: HandlerTestCluster) {
  const connection: Connection = await t.run(t.network.connect(t.cluster.broker(1).address, { clientId: 'raw', node: 'raw-client', timeoutMs: 1_000 }));
  const link = (connection as unknown as { link: RawLink }).link;
  const received: Buffer[] = [];
  const deliver = link.frameListener;
  link.frameListener = (frame) => {
    received.push(frame);
    deliver?.(frame);
  };
  /** Sends a size-prefixed frame as is (without its prefix, as the link carries frames) and lets it be answered. */
  const sendRaw = async (sizePrefixed: Buffer) => {
    link.sendFrame(sizePrefixed.subarray(4));
    await t.settle(10);
  };
  return { connection, received, sendRaw };
}

/** An ApiVersions v3 request frame with its version field rewritten. */
function apiVersionsFrame(version: number, correlationId: number): Buffer {
  const frame = encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId, clientId: 'raw' }, { clientSoftwareName: 'kafkasim-test', clientSoftwareVersion: '1.0' });
  frame.writeInt16BE(version, 6); // size (4) + api key (2), then the version
  return frame;
}

describe('ApiVersions', () => {
  it('v0 to v4 answer NONE with exactly the handler registry\'s keys and version ranges', async () => {
    const t = await startCluster();
    const registry = supportedApiVersions();
    expect(registry.map((a) => a.apiKey)).toContain(ApiKey.ApiVersions);
    for (let version = 0; version <= 4; version++) {
      const response = await t.send(1, ApiKey.ApiVersions, version, { clientSoftwareName: 'kafkasim-test', clientSoftwareVersion: '1.0' });
      expect({ version, errorCode: response.errorCode, apiKeys: response.apiKeys }).toEqual({ version, errorCode: ErrorCode.NONE, apiKeys: registry });
    }
  });

  it('a request in a version the broker does not know (99) gets a v0-shaped answer with UNSUPPORTED_VERSION and the ApiVersions range; the connection stays open', async () => {
    const t = await startCluster();
    const { connection, received, sendRaw } = await rawConnection(t);
    await sendRaw(apiVersionsFrame(99, 4242));
    expect(received).toHaveLength(1);
    const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 0, received[0]);
    expect(correlationId).toBe(4242);
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys).toContainEqual({ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 });
    // The client retries with a version it now knows, on the same connection.
    expect(connection.isOpen).toBe(true);
    const retried = await t.run(connection.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'kafkasim-test', clientSoftwareVersion: '1.0' }));
    expect(retried?.errorCode).toBe(ErrorCode.NONE);
  });

  it('that UNSUPPORTED_VERSION answer lists only ApiVersions itself, as Kafka\'s ApiVersionsRequest.getErrorResponse does (KIP-511)', async () => {
    // getErrorResponse: `apiKeys.add(ApiVersionsResponse.toApiVersion(ApiKeys.API_VERSIONS))`, nothing else.
    const t = await startCluster();
    const { received, sendRaw } = await rawConnection(t);
    await sendRaw(apiVersionsFrame(99, 7));
    const { body } = decodeResponse(ApiKey.ApiVersions, 0, received[0]);
    expect({ errorCode: body.errorCode, apiKeys: body.apiKeys }).toEqual({
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 }],
    });
  });

  it('a request for an api key the broker does not serve closes the connection without an answer', async () => {
    const t = await startCluster();
    expect(supportedApiVersions().map((a) => a.apiKey)).not.toContain(ApiKey.SaslHandshake);
    await expect(t.send(1, ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).rejects.toThrow(/closed/);

    // An api key no Kafka version defines (999), and a served key in a version nobody defines (Metadata v99).
    for (const frame of [
      (() => {
        const f = apiVersionsFrame(3, 1);
        f.writeInt16BE(999, 4);
        return f;
      })(),
      (() => {
        const f = encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 2, clientId: 'raw' }, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        f.writeInt16BE(99, 6);
        return f;
      })(),
    ]) {
      const { connection, received, sendRaw } = await rawConnection(t);
      await sendRaw(frame);
      expect(received).toEqual([]);
      expect(connection.isOpen).toBe(false);
    }
  });
});
