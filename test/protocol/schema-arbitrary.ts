/**
 * fast-check arbitraries derived from a message schema for one version: every field the version has gets a
 * random value of its type (null only inside its nullable versions); fields the version lacks hold their
 * defaults, since that is what decoding yields for them.
 */
import fc from 'fast-check';
import {
  defaultValue,
  inRange,
  type FieldSchema,
  type PrimitiveType,
  type StructSchema,
} from '../../src/protocol/codec/message-codec.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function primitive(type: PrimitiveType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'uint32':
      return fc.integer({ min: 0, max: 4294967295 });
    case 'int64':
      return fc.bigInt({ min: INT64_MIN, max: INT64_MAX });
    case 'float64':
      return fc.double();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes));
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString('base64url'));
  }
}

/** Lets a caller replace the arbitrary of chosen fields (e.g. aim topic names at a topic that exists). */
export type FieldOverride = (field: FieldSchema) => fc.Arbitrary<unknown> | undefined;

function fieldValue(field: FieldSchema, version: number, depth: number, override?: FieldOverride): fc.Arbitrary<unknown> {
  let arbitrary: fc.Arbitrary<unknown>;
  const replaced = override?.(field);
  if (replaced !== undefined && field.type !== 'array' && field.type !== 'struct') {
    arbitrary = replaced;
  } else if (field.type === 'array') {
    const element =
      field.struct !== undefined
        ? structArbitrary(field.struct, version, depth + 1, override)
        : (override?.({ ...field, type: field.elementType! }) ?? primitive(field.elementType!));
    arbitrary = fc.array(element, { maxLength: depth > 2 ? 1 : 3 });
  } else if (field.type === 'struct') {
    arbitrary = structArbitrary(field.struct!, version, depth + 1, override);
  } else {
    arbitrary = primitive(field.type);
  }
  return inRange(field.nullableVersions, version) ? fc.option(arbitrary, { nil: null, freq: 4 }) : arbitrary;
}

export function structArbitrary(schema: StructSchema, version: number, depth = 0, override?: FieldOverride): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of schema.fields) {
    model[field.name] = inRange(field.versions, version) ? fieldValue(field, version, depth, override) : fc.constant(defaultValue(field));
  }
  return fc.record(model);
}
