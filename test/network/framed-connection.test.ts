import { describe, expect, it } from 'vitest';
import { ApiKey, encodeResponse, ProtocolDecodeError, decodeRequestHeader } from '../../src/protocol/index.ts';
import { VirtualRuntime } from '../../src/runtime/index.ts';
import { ConnectionClosedError, FramedConnection, RequestTimeoutError, type FrameLink } from '../../src/network/index.ts';

/** A link whose far end is the test: it sees sent frames and pushes frames and closes by hand. */
class ScriptedLink implements FrameLink {
  readonly sent: Buffer[] = [];
  isClosed = false;
  deliver: (frame: Buffer) => void = () => {};
  fail: (reason: Error) => void = () => {};

  sendFrame(frame: Buffer): void {
    this.sent.push(frame);
  }
  onFrame(listener: (frame: Buffer) => void): void {
    this.deliver = listener;
  }
  onClose(listener: (reason: Error) => void): void {
    this.fail = listener;
  }
  close(): void {
    this.isClosed = true;
  }
}

function setup() {
  const runtime = new VirtualRuntime({ drive: 'manual' });
  const link = new ScriptedLink();
  const events: string[] = [];
  const connection = new FramedConnection(runtime, link, {
    id: 'conn-test',
    remote: { host: 'localhost', port: 9092 },
    node: 'client-1',
    clientId: 'app',
    observer: {
      requestTimedOut: ({ correlationId }) => events.push(`timeout ${correlationId}`),
      unmatchedResponse: ({ correlationId }) => events.push(`unmatched ${correlationId}`),
    },
  });
  const heartbeatAnswer = (correlationId: number, errorCode = 0) =>
    encodeResponse(ApiKey.Heartbeat, 4, correlationId, { throttleTimeMs: 0, errorCode }).subarray(4);
  return { runtime, link, connection, events, heartbeatAnswer };
}

const hb = { groupId: 'g', generationId: 1, memberId: 'm' };

describe('FramedConnection', () => {
  it('sends frames without size prefix carrying the client id, and matches answers by correlation id in any order', async () => {
    const { link, connection, heartbeatAnswer } = setup();
    const first = connection.request(ApiKey.Heartbeat, 4, hb);
    const second = connection.request(ApiKey.Heartbeat, 4, hb);
    expect(link.sent.map((f) => decodeRequestHeader(f).header)).toEqual([
      { apiKey: ApiKey.Heartbeat, apiVersion: 4, correlationId: 0, clientId: 'app' },
      { apiKey: ApiKey.Heartbeat, apiVersion: 4, correlationId: 1, clientId: 'app' },
    ]);
    expect(connection.pendingRequests).toBe(2);
    link.deliver(heartbeatAnswer(1, 27));
    link.deliver(heartbeatAnswer(0, 0));
    expect(await first).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    expect(await second).toEqual({ throttleTimeMs: 0, errorCode: 27 });
    expect(connection.pendingRequests).toBe(0);
  });

  it('wraps correlation ids at 2^31 - 1 back to 0, as KafkaJS does', () => {
    const { link, connection } = setup();
    (connection as unknown as { nextCorrelationId: number }).nextCorrelationId = 0x7fff_fffe;
    for (let i = 0; i < 3; i++) void connection.request(ApiKey.Produce, 7, { acks: 0, timeoutMs: 1, topicData: [] }, { expectResponse: false });
    expect(link.sent.map((f) => decodeRequestHeader(f).header.correlationId)).toEqual([0x7fff_fffe, 0, 1]);
  });

  it('ignores a response that matches nothing pending and keeps the connection open', async () => {
    const { link, connection, events, heartbeatAnswer } = setup();
    link.deliver(heartbeatAnswer(42));
    expect(connection.isOpen).toBe(true);
    expect(events).toEqual(['unmatched 42']);
  });

  it('rejects a request whose answer does not decode with the decode error; the connection stays open', async () => {
    const { link, connection } = setup();
    const pending = connection.request(ApiKey.Heartbeat, 4, hb);
    link.deliver(Buffer.from('00000000ff', 'hex'));
    await expect(pending).rejects.toBeInstanceOf(ProtocolDecodeError);
    expect(connection.isOpen).toBe(true);
  });

  it('closes on a frame too short to carry a correlation id', async () => {
    const { link, connection } = setup();
    const pending = connection.request(ApiKey.Heartbeat, 4, hb);
    link.deliver(Buffer.from('00', 'hex'));
    await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
    expect([connection.isOpen, link.isClosed]).toEqual([false, true]);
  });

  it('times out a request after timeoutMs (default 30 s) and forgets it', async () => {
    const { runtime, link, connection, events, heartbeatAnswer } = setup();
    const pending = connection.request(ApiKey.Heartbeat, 4, hb);
    const rejected = expect(pending).rejects.toBeInstanceOf(RequestTimeoutError);
    await runtime.advance(29_999);
    expect(connection.pendingRequests).toBe(1);
    await runtime.advance(1);
    await rejected;
    link.deliver(heartbeatAnswer(0));
    expect(events).toEqual(['timeout 0', 'unmatched 0']);
    expect(connection.isOpen).toBe(true);
  });

  it('fails pending requests when the link closes and tells listeners why; a local close reports null', async () => {
    const { link, connection } = setup();
    const reasons: Array<Error | null> = [];
    connection.onClose((reason) => reasons.push(reason));
    const pending = connection.request(ApiKey.Heartbeat, 4, hb);
    link.fail(new ConnectionClosedError('reset by peer'));
    await expect(pending).rejects.toThrow('reset by peer');
    expect(reasons.map((r) => r?.message)).toEqual(['reset by peer']);
    await expect(connection.request(ApiKey.Heartbeat, 4, hb)).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(link.sent).toHaveLength(1);

    const other = setup();
    const late: Array<Error | null> = [];
    const unsubscribed: Array<Error | null> = [];
    const unsubscribe = other.connection.onClose((reason) => unsubscribed.push(reason));
    unsubscribe();
    const pendingLocal = other.connection.request(ApiKey.Heartbeat, 4, hb);
    other.connection.close();
    other.connection.close();
    await expect(pendingLocal).rejects.toBeInstanceOf(ConnectionClosedError);
    other.connection.onClose((reason) => late.push(reason));
    expect([late, unsubscribed, other.link.isClosed]).toEqual([[null], [], true]);
  });

  it('rejects a request that cannot be encoded without sending anything', async () => {
    const { link, connection } = setup();
    await expect(connection.request(ApiKey.Heartbeat, 9, hb)).rejects.toThrow(/no version 9/);
    expect(link.sent).toEqual([]);
    expect(connection.isOpen).toBe(true);
  });
});
