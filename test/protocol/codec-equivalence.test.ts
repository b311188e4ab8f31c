/**
 * The generated codec (src/protocol/codec/message-codec.ts) against the closure-based codec it replaced
 * (reference-codec.ts), for every message schema and every version: the same bytes for valid values, the same
 * error (name and message) or bytes for values with wrong types, nulls, out-of-range numbers and fields set in
 * versions that lack them, and the same decoded object (values, types, key order, reader offset) or error for
 * valid, truncated, mutated and random input. Round-trip tests cannot see a change that both directions share;
 * this test exists so that a faster codec cannot quietly change the wire format or its messages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, inRange, type FieldSchema, type MessageSchema, type StructSchema } from '../../src/protocol/codec/message-codec.ts';
import { Reader, ZERO_UUID } from '../../src/protocol/codec/primitives.ts';
import * as generated from '../../src/protocol/generated/index.ts';
import * as reference from './reference-codec.ts';
import { primitive, structArbitrary } from './schema-arbitrary.ts';

const schemas = Object.entries(generated)
  .filter(([name, value]) => name.endsWith('Schema') && typeof value === 'object' && value !== null && 'kind' in value)
  .map(([, value]) => value as MessageSchema)
  .sort((a, b) => a.name.localeCompare(b.name));

/** A value as text that tells apart what toEqual would not: key order, Buffer vs array, -0, undefined vs missing. */
function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'bigint':
      return `${value}n`;
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return String(value);
    case 'object':
      break;
    default:
      return `<${typeof value}>`;
  }
  if (Buffer.isBuffer(value)) return `Buffer<${value.toString('hex')}>`;
  if (Array.isArray(value)) return `[${Array.from({ length: value.length }, (_, i) => (i in value ? canonical(value[i]) : '<hole>')).join(',')}]`;
  if (Object.getPrototypeOf(value) !== Object.prototype) return `<${Object.getPrototypeOf(value)?.constructor?.name}>`;
  return `{${Object.entries(value).map(([key, item]) => `${key}:${canonical(item)}`).join(',')}}`;
}

/** Objects reachable from both values: decoded defaults must be fresh, as callers may mutate what they decode. */
function sharedObjects(a: unknown, b: unknown): number {
  const seen = new Set<object>();
  const walk = (value: unknown, visit: (object: object) => void): void => {
    if (typeof value !== 'object' || value === null) return;
    visit(value);
    if (!Buffer.isBuffer(value)) for (const item of Object.values(value)) walk(item, visit);
  };
  walk(a, (object) => seen.add(object));
  let shared = 0;
  walk(b, (object) => (shared += seen.has(object) ? 1 : 0));
  return shared;
}

const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : `thrown ${String(error)}`);

function encodeBoth(schema: MessageSchema, version: number, value: unknown): [string, string] {
  const outcome = (encode: () => Buffer): string => {
    try {
      return `bytes ${encode().toString('hex')}`;
    } catch (error) {
      return errorText(error);
    }
  };
  return [
    outcome(() => encodeMessage(schema, version, value as object).result()),
    outcome(() => reference.encodeMessage(schema, version, value as object).result()),
  ];
}

function decodeBoth(schema: MessageSchema, version: number, bytes: Buffer): [string, string] {
  const actual = (() => {
    const reader = new Reader(bytes);
    try {
      return `${canonical(decodeMessage(schema, version, reader))} at ${reader.offset}`;
    } catch (error) {
      return errorText(error);
    }
  })();
  const expected = (() => {
    const reader = new reference.Reader(bytes);
    try {
      return `${canonical(reference.decodeMessage(schema, version, reader))} at ${reader.offset}`;
    } catch (error) {
      return errorText(error);
    }
  })();
  return [actual, expected];
}

/** Values a caller might wrongly pass: each type's neighbours, range edges, and what no field accepts. */
const ODD_VALUES: readonly unknown[] = [
  null,
  undefined,
  0,
  -1,
  1.5,
  NaN,
  128,
  -129,
  32768,
  65536,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  0n,
  -1n,
  2n ** 63n,
  -(2n ** 63n) - 1n,
  true,
  '',
  'x',
  'é'.repeat(16_384), // 32768 UTF-8 bytes: one over a classic string's limit
  ZERO_UUID,
  'not-a-uuid',
  Buffer.from('00ff', 'hex'),
  new Uint8Array([1, 2]),
  [],
  [1],
  {},
  { name: 'x' },
];

/** Like structArbitrary, but any field (present in the version or not) may be missing or hold an odd value. */
function looseStruct(schema: StructSchema, version: number, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of schema.fields) {
    model[field.name] = fc.oneof(
      { weight: inRange(field.versions, version) ? 6 : 1, arbitrary: looseField(field, version, depth) },
      { weight: 1, arbitrary: fc.constantFrom(...ODD_VALUES) },
    );
  }
  return fc.record(model, { requiredKeys: [] });
}

function looseField(field: FieldSchema, version: number, depth: number): fc.Arbitrary<unknown> {
  if (field.type === 'struct') return looseStruct(field.struct!, version, depth + 1);
  if (field.type === 'array') {
    const element =
      field.struct !== undefined
        ? looseStruct(field.struct, version, depth + 1)
        : fc.oneof({ weight: 6, arbitrary: primitive(field.elementType!) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_VALUES) });
    return fc.array(element, { maxLength: depth > 1 ? 1 : 2 });
  }
  return primitive(field.type);
}

const versionsOf = (schema: MessageSchema): number[] =>
  Array.from({ length: schema.validVersions[1] - schema.validVersions[0] + 1 }, (_, i) => schema.validVersions[0] + i);

describe('the generated codec writes, reads and refuses exactly as the closure-based one', () => {
  it('covers every message schema', () => {
    expect(schemas.length).toBeGreaterThanOrEqual(2 * generated.API_SCHEMAS.size);
  });

  for (const schema of schemas) {
    it(`${schema.name} v${schema.validVersions[0]}-${schema.validVersions[1]}`, () => {
      for (const version of versionsOf(schema)) {
        // Valid values: same bytes, and both decode them to the same object.
        fc.assert(
          fc.property(structArbitrary(schema, version), (value) => {
            const [actual, expected] = encodeBoth(schema, version, value);
            expect(actual).toBe(expected);
            const bytes = Buffer.from(actual.slice('bytes '.length), 'hex');
            const [decoded, decodedByReference] = decodeBoth(schema, version, bytes);
            expect(decoded).toBe(decodedByReference);
            const first = decodeMessage(schema, version, new Reader(bytes));
            expect(sharedObjects(first, decodeMessage(schema, version, new Reader(bytes)))).toBe(0);
          }),
          { numRuns: 15, seed: 20261125 + version },
        );
        // Odd values: the same error, or the same bytes when the codec accepts them.
        fc.assert(
          fc.property(fc.oneof({ weight: 20, arbitrary: looseStruct(schema, version, 0) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_VALUES) }), (value) => {
            const [actual, expected] = encodeBoth(schema, version, value);
            expect(actual).toBe(expected);
          }),
          { numRuns: 30, seed: 20261126 + version },
        );
        // Truncated, mutated and random input: the same object and offset, or the same error.
        fc.assert(
          fc.property(
            structArbitrary(schema, version),
            fc.nat(),
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
            fc.uint8Array({ maxLength: 48 }),
            fc.constantFrom('truncate', 'mutate', 'random'),
            (value, cut, edits, random, how) => {
              let bytes = Buffer.from(reference.encodeMessage(schema, version, value).result());
              if (how === 'truncate') bytes = bytes.subarray(0, cut % (bytes.length + 1));
              else if (how === 'mutate') for (const [at, byte] of edits) if (bytes.length > 0) bytes[at % bytes.length] = byte;
              else bytes = Buffer.from(random);
              const [actual, expected] = decodeBoth(schema, version, bytes);
              expect(actual).toBe(expected);
            },
          ),
          { numRuns: 30, seed: 20261127 + version },
        );
      }
    });
  }
});
