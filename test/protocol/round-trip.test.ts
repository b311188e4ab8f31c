import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type MessageSchema } from '../../src/protocol/codec/message-codec.ts';
import { Reader } from '../../src/protocol/codec/primitives.ts';
import * as generated from '../../src/protocol/generated/index.ts';
import { structArbitrary } from './schema-arbitrary.ts';

const schemas = Object.entries(generated)
  .filter(([name, value]) => name.endsWith('Schema') && typeof value === 'object' && value !== null && 'kind' in value)
  .map(([, value]) => value as MessageSchema)
  .sort((a, b) => a.name.localeCompare(b.name));

describe('every message in every version survives encode then decode', () => {
  it('covers every request and response of the specs', () => {
    const requests = schemas.filter((schema) => schema.kind === 'request').length;
    const responses = schemas.filter((schema) => schema.kind === 'response').length;
    expect(requests).toBe(generated.API_SCHEMAS.size);
    expect(responses).toBe(generated.API_SCHEMAS.size);
    expect(generated.API_SCHEMAS.size).toBeGreaterThanOrEqual(88);
  });

  for (const schema of schemas) {
    it(`${schema.name} v${schema.validVersions[0]}-${schema.validVersions[1]}`, () => {
      for (let version = schema.validVersions[0]; version <= schema.validVersions[1]; version++) {
        fc.assert(
          fc.property(structArbitrary(schema, version), (value) => {
            const bytes = encodeMessage(schema, version, value).result();
            const reader = new Reader(Buffer.from(bytes));
            const decoded = decodeMessage(schema, version, reader);
            expect(reader.remaining).toBe(0);
            expect(decoded).toEqual(value);
          }),
          { numRuns: 25, seed: 20261124 + version },
        );
      }
    });
  }
});
