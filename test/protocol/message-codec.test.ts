import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  ProtocolEncodeError,
  type MessageSchema,
} from '../../src/protocol/codec/message-codec.ts';
import { ProtocolDecodeError, Reader } from '../../src/protocol/codec/primitives.ts';
import * as generated from '../../src/protocol/generated/index.ts';
import {
  ApiVersionsRequestSchema,
  CreateTopicsRequestSchema,
  FetchRequestSchema,
  MetadataRequestSchema,
} from '../../src/protocol/generated/index.ts';

const hex = (buffer: Buffer) => buffer.toString('hex');

describe('message codec semantics', () => {
  it('writes classic Metadata v1 byte for byte (int32 array, int16 strings)', () => {
    const bytes = encodeMessage(MetadataRequestSchema, 1, { topics: [{ name: 'ab' }] }).result();
    expect(hex(bytes)).toBe('00000001' + '0002' + '6162');
  });

  it('writes flexible Metadata v9 with compact arrays/strings and empty tag sections', () => {
    const bytes = encodeMessage(MetadataRequestSchema, 9, {
      topics: [{ name: 'ab' }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    }).result();
    // topics: len+1=2, name: len+1=3 "ab", topic tags 0; allowAutoTopicCreation 1;
    // includeClusterAuthorizedOperations (v8-10) 0; includeTopicAuthorizedOperations 0; root tags 0
    expect(hex(bytes)).toBe('02' + '03' + '6162' + '00' + '01' + '00' + '00' + '00');
  });

  it('omits a tagged field at its default and writes it when set (FetchRequest v12 ClusterId, tag 0)', () => {
    const base = { maxWaitMs: 500, minBytes: 1, topics: [], forgottenTopicsData: [], rackId: '' };
    const without = encodeMessage(FetchRequestSchema, 12, base).result();
    expect(without[without.length - 1]).toBe(0); // zero tagged fields at the end of the root struct
    const withId = encodeMessage(FetchRequestSchema, 12, { ...base, clusterId: 'c' }).result();
    // tag count 1, tag 0, size 2, compact string "c"
    expect(hex(withId.subarray(withId.length - 5))).toBe('01' + '00' + '02' + '02' + '63');
    const decoded = decodeMessage<{ clusterId: string | null }>(FetchRequestSchema, 12, new Reader(Buffer.from(withId)));
    expect(decoded.clusterId).toBe('c');
  });

  it('refuses a non-ignorable field set in a version that lacks it (validateOnly before CreateTopics v1)', () => {
    expect(() => encodeMessage(CreateTopicsRequestSchema, 0, { topics: [], timeoutMs: 1, validateOnly: true })).toThrow(
      ProtocolEncodeError,
    );
    expect(() => encodeMessage(CreateTopicsRequestSchema, 1, { topics: [], timeoutMs: 1, validateOnly: true })).not.toThrow();
  });

  it('drops an ignorable field silently in a version that lacks it (Fetch MaxBytes before v3)', () => {
    const bytes = encodeMessage(FetchRequestSchema, 2, { replicaId: -1, maxWaitMs: 1, minBytes: 1, maxBytes: 5, topics: [] }).result();
    const decoded = decodeMessage<{ maxBytes: number }>(FetchRequestSchema, 2, new Reader(Buffer.from(bytes)));
    expect(decoded.maxBytes).toBe(0x7fffffff);
  });

  it('fills fields a version lacks with their spec defaults on decode', () => {
    const bytes = encodeMessage(FetchRequestSchema, 0, { replicaId: -1, maxWaitMs: 1, minBytes: 1, topics: [] }).result();
    const decoded = decodeMessage<Record<string, unknown>>(FetchRequestSchema, 0, new Reader(Buffer.from(bytes)));
    expect(decoded).toMatchObject({ isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', clusterId: null });
  });

  it('rejects null where the version does not allow it, and bad values with the field path', () => {
    expect(() => encodeMessage(MetadataRequestSchema, 0, { topics: null })).toThrow(/not nullable/);
    expect(() => encodeMessage(MetadataRequestSchema, 1, { topics: null })).not.toThrow();
    expect(() => encodeMessage(FetchRequestSchema, 4, { maxWaitMs: 1.5, minBytes: 1, topics: [] })).toThrow(/maxWaitMs/);
    expect(() => encodeMessage(FetchRequestSchema, 4, { maxWaitMs: 2 ** 31, minBytes: 1, topics: [] })).toThrow(ProtocolEncodeError);
  });

  it('rejects versions outside validVersions', () => {
    expect(() => encodeMessage(ApiVersionsRequestSchema, 99, {})).toThrow(/no version 99/);
  });

  it('skips unknown tagged fields on decode', () => {
    // ApiVersions v3 request: client software name "a", version "b", then one unknown tag 7 of 2 bytes.
    const bytes = Buffer.from('02' + '61' + '02' + '62' + '01' + '07' + '02' + 'ffff', 'hex');
    const decoded = decodeMessage(ApiVersionsRequestSchema, 3, new Reader(bytes));
    expect(decoded).toEqual({ clientSoftwareName: 'a', clientSoftwareVersion: 'b' });
  });

  it('never throws anything but ProtocolDecodeError on arbitrary bytes (every request schema, latest version)', () => {
    const schemas = [...generated.API_SCHEMAS.values()].flatMap((api) => [api.request, api.response]);
    fc.assert(
      fc.property(fc.constantFrom(...schemas), fc.uint8Array({ maxLength: 64 }), (schema: MessageSchema, bytes) => {
        for (const version of [schema.validVersions[0], schema.validVersions[1]]) {
          try {
            decodeMessage(schema, version, new Reader(Buffer.from(bytes)));
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolDecodeError);
          }
        }
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});
