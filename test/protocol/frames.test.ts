import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  FrameDecoder,
  FrameTooLargeError,
  ProtocolDecodeError,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../src/protocol/index.ts';

describe('header versions per API (Kafka ApiKeys.requestHeaderVersion / responseHeaderVersion)', () => {
  it('uses request header v2 exactly for flexible versions, v0 only for ControlledShutdown v0', () => {
    expect(requestHeaderVersion(ApiKey.Metadata, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Metadata, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.Fetch, 11)).toBe(1);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
  });

  it('answers ApiVersions with response header v0 even in its flexible versions', () => {
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
  });
});

describe('request and response frames', () => {
  it('round-trips a flexible request with its client id in classic string form', () => {
    const frame = encodeRequest(
      { apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 42, clientId: 'my-app' },
      { topics: [{ name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
    );
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    // apiKey 3, version 12, correlation 42, client id int16 length 6 (classic, even in header v2)
    expect(frame.subarray(4, 14).toString('hex')).toBe('0003000c0000002a0006');
    const decoded = decodeRequest(frame.subarray(4));
    expect(decoded.header).toEqual({ apiKey: 3, apiVersion: 12, correlationId: 42, clientId: 'my-app' });
    expect(decoded.body).toMatchObject({ topics: [{ name: 'orders' }], allowAutoTopicCreation: false });
  });

  it('round-trips a response and reads its correlation id', () => {
    const frame = encodeResponse(ApiKey.Heartbeat, 4, 7, { throttleTimeMs: 0, errorCode: 27 });
    const { correlationId, body } = decodeResponse(ApiKey.Heartbeat, 4, frame.subarray(4));
    expect(correlationId).toBe(7);
    expect(body).toEqual({ throttleTimeMs: 0, errorCode: 27 });
  });

  it('reads the header of an unknown api key so the caller can disconnect cleanly', () => {
    const frame = Buffer.from('7fff0000000000090000', 'hex');
    expect(decodeRequestHeader(frame).header).toMatchObject({ apiKey: 0x7fff, apiVersion: 0, correlationId: 9, clientId: '' });
    expect(() => decodeRequest(frame)).toThrow(ProtocolDecodeError);
  });

  it('rejects an unsupported version of a known api as a decode error', () => {
    const frame = Buffer.from('00030063000000010000', 'hex');
    expect(() => decodeRequest(frame)).toThrow(/no version 99/);
  });
});

describe('FrameDecoder', () => {
  const frames = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello world'), Buffer.alloc(300, 7)];
  const stream = Buffer.concat(frames.map((f) => Buffer.concat([Buffer.from([0, 0, f.length >> 8, f.length & 255]), f])));

  it('yields the same frames however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 20 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const decoder = new FrameDecoder();
        const out: Buffer[] = [];
        let last = 0;
        for (const point of [...points, stream.length]) {
          out.push(...decoder.push(stream.subarray(last, point)));
          last = point;
        }
        expect(out.map((f) => f.toString('hex'))).toEqual(frames.map((f) => f.toString('hex')));
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('rejects a declared size above the limit before buffering it, and a negative size', () => {
    const decoder = new FrameDecoder(1024);
    expect(() => decoder.push(Buffer.from('00000401', 'hex'))).toThrow(FrameTooLargeError);
    expect(() => new FrameDecoder().push(Buffer.from('ffffffff', 'hex'))).toThrow(FrameTooLargeError);
  });
});
