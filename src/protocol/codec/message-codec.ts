/**
 * The one generic codec for every Kafka message. `src/protocol/generated/*.ts` holds each API's schema as
 * data (derived from Kafka's own JSON specs); this file compiles a (schema, version) pair into an encoder
 * and a decoder the first time that version is used, then caches them. So every API and every version has
 * its own encode/decode function, without one hand-written or generated file per version.
 *
 * It follows Kafka's generated MessageData semantics (see ../shared/kafka-protocol/SPEC-FORMAT.md):
 * - a field outside a version's range is not written; on read it takes its default. Writing a
 *   non-default value into a version that lacks the field fails unless the field is `ignorable`
 *   (Kafka throws UnsupportedVersionException there, because silently dropping e.g. `validateOnly`
 *   would change the request's meaning);
 * - flexible versions use compact strings/bytes/arrays and end every struct with tagged fields; a
 *   tagged field is written only when it differs from its default, and unknown tags are skipped;
 * - null is only legal inside a field's `nullableVersions`.
 * Leaves out: `zeroCopy` (Buffers are always views here) and `mapKey` (arrays stay arrays).
 */
import { ProtocolDecodeError, Reader, Writer, ZERO_UUID } from './primitives.ts';

export const MAX_VERSION = 0x7fff;

export type VersionRange = readonly [min: number, max: number];

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export interface StructSchema {
  readonly name: string;
  readonly fields: readonly FieldSchema[];
}

export interface FieldSchema {
  /** The property name: the spec's field name in camelCase. */
  readonly name: string;
  readonly type: PrimitiveType | 'struct' | 'array';
  /** For arrays of primitives. */
  readonly elementType?: PrimitiveType;
  /** For a struct field or an array of structs. */
  readonly struct?: StructSchema;
  readonly versions: VersionRange;
  readonly nullableVersions?: VersionRange;
  readonly taggedVersions?: VersionRange;
  readonly tag?: number;
  /** A per-field override of the message's flexible versions ('none' = never compact). */
  readonly flexibleVersions?: VersionRange | 'none';
  readonly ignorable?: boolean;
  /** A custom default from the spec; absent means the type's natural default. */
  readonly default?: string | number | bigint | boolean | null;
  /** What the value names (`topicName`, `brokerId`, `groupId`, `producerId`...), from the spec. */
  readonly entityType?: string;
}

export interface MessageSchema extends StructSchema {
  readonly kind: 'request' | 'response' | 'header' | 'data';
  readonly apiKey?: number;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
}

/** Thrown when a value cannot be written in the requested version. */
export class ProtocolEncodeError extends Error {
  override name = 'ProtocolEncodeError';
}

export const inRange = (range: VersionRange | undefined | null, version: number): boolean =>
  range !== undefined && range !== null && version >= range[0] && version <= range[1];

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexibleVersions, version);
}

type Value = unknown;
type Struct = Record<string, Value>;
type Encode = (writer: Writer, value: Value) => void;
type Decode = (reader: Reader) => Value;

interface CompiledCodec {
  readonly encode: (writer: Writer, value: Struct) => void;
  readonly decode: (reader: Reader) => Struct;
}

const cache = new WeakMap<MessageSchema, Map<number, CompiledCodec>>();

function codecFor(schema: MessageSchema, version: number): CompiledCodec {
  let byVersion = cache.get(schema);
  if (byVersion === undefined) {
    byVersion = new Map();
    cache.set(schema, byVersion);
  }
  let codec = byVersion.get(version);
  if (codec === undefined) {
    if (!inRange(schema.validVersions, version)) {
      throw new ProtocolEncodeError(
        `${schema.name} has no version ${version} (valid ${schema.validVersions[0]}-${schema.validVersions[1]})`,
      );
    }
    codec = compileStruct(schema, version, isFlexible(schema, version), schema.name);
    byVersion.set(version, codec);
  }
  return codec;
}

export function encodeMessage(schema: MessageSchema, version: number, value: object, writer = new Writer()): Writer {
  codecFor(schema, version).encode(writer, value as Struct);
  return writer;
}

export function decodeMessage<T>(schema: MessageSchema, version: number, reader: Reader): T {
  return codecFor(schema, version).decode(reader) as T;
}

/** Whether `version` is one this schema defines (without compiling it). */
export function hasVersion(schema: MessageSchema, version: number): boolean {
  return inRange(schema.validVersions, version);
}

// ---------------------------------------------------------------------------------------------------------
// Defaults

export function defaultValue(field: FieldSchema): Value {
  const custom = field.default;
  if (custom !== undefined) {
    if (custom === null) return null;
    return parseDefault(field, custom);
  }
  switch (field.type) {
    case 'bool':
      return false;
    case 'int64':
      return 0n;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return ZERO_UUID;
    case 'array':
      return [];
    case 'struct':
      return defaultStruct(field.struct!);
    default:
      return 0;
  }
}

function parseDefault(field: FieldSchema, custom: string | number | bigint | boolean): Value {
  if (typeof custom !== 'string') return custom;
  switch (field.type) {
    case 'bool':
      return custom === 'true';
    case 'int64':
      return BigInt(custom);
    case 'string':
      return custom;
    case 'float64':
      return Number(custom);
    default:
      return Number(custom);
  }
}

export function defaultStruct(schema: StructSchema): Struct {
  const result: Struct = {};
  for (const field of schema.fields) result[field.name] = defaultValue(field);
  return result;
}

function isDefault(field: FieldSchema, value: Value): boolean {
  return deepEqual(value, defaultValue(field));
}

function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const left = (a as Struct)[key];
    const right = (b as Struct)[key];
    if (left === undefined || right === undefined) continue;
    if (!deepEqual(left, right)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Compilation

interface FieldPlan {
  readonly field: FieldSchema;
  readonly encode: Encode;
  readonly decode: Decode;
  readonly nullable: boolean;
}

function compileStruct(schema: StructSchema, version: number, flexible: boolean, path: string): CompiledCodec {
  const regular: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  const absent: FieldSchema[] = [];
  for (const field of schema.fields) {
    if (!inRange(field.versions, version)) {
      absent.push(field);
      continue;
    }
    const fieldFlexible =
      field.flexibleVersions === 'none'
        ? false
        : field.flexibleVersions !== undefined
          ? inRange(field.flexibleVersions, version)
          : flexible;
    const nullable = inRange(field.nullableVersions, version);
    const plan: FieldPlan = {
      field,
      nullable,
      ...compileField(field, version, fieldFlexible, flexible, nullable, `${path}.${field.name}`),
    };
    if (flexible && inRange(field.taggedVersions, version)) tagged.push(plan);
    else regular.push(plan);
  }
  tagged.sort((x, y) => x.field.tag! - y.field.tag!);
  const taggedByTag = new Map(tagged.map((plan) => [plan.field.tag!, plan]));
  const fieldOrder = schema.fields;

  const encode = (writer: Writer, value: Struct): void => {
    if (value === null || typeof value !== 'object') {
      throw new ProtocolEncodeError(`${path} (v${version}) must be an object, got ${describe(value)}`);
    }
    for (const field of absent) {
      const item = value[field.name];
      if (item !== undefined && !field.ignorable && !isDefault(field, item)) {
        throw new ProtocolEncodeError(
          `${path}.${field.name} is not supported in version ${version} but was set to a non-default value`,
        );
      }
    }
    for (const plan of regular) {
      let item = value[plan.field.name];
      if (item === undefined) item = defaultValue(plan.field);
      if (item === null && !plan.nullable) {
        throw new ProtocolEncodeError(`${path}.${plan.field.name} is not nullable in version ${version}`);
      }
      plan.encode(writer, item);
    }
    if (!flexible) return;
    const present: Array<[FieldPlan, Value]> = [];
    for (const plan of tagged) {
      const item = value[plan.field.name];
      if (item === undefined || isDefault(plan.field, item)) continue;
      if (item === null && !plan.nullable) {
        throw new ProtocolEncodeError(`${path}.${plan.field.name} is not nullable in version ${version}`);
      }
      present.push([plan, item]);
    }
    writer.uvarint(present.length);
    for (const [plan, item] of present) {
      const scratch = new Writer(64);
      plan.encode(scratch, item);
      writer.uvarint(plan.field.tag!);
      writer.uvarint(scratch.offset);
      writer.raw(scratch.result());
    }
  };

  const decode = (reader: Reader): Struct => {
    const values = new Map<string, Value>();
    for (const plan of regular) values.set(plan.field.name, plan.decode(reader));
    if (flexible) {
      const count = reader.uvarint();
      let previousTag = -1;
      for (let i = 0; i < count; i++) {
        const tag = reader.uvarint();
        const size = reader.uvarint();
        if (tag <= previousTag) throw new ProtocolDecodeError(`${path}: tagged fields out of order (${tag})`);
        previousTag = tag;
        const end = reader.offset + size;
        if (end > reader.end) throw new ProtocolDecodeError(`${path}: tagged field ${tag} overruns its buffer`);
        const plan = taggedByTag.get(tag);
        if (plan !== undefined) {
          const sub = new Reader(reader.buffer, reader.offset, end);
          values.set(plan.field.name, plan.decode(sub));
          if (sub.offset !== end) throw new ProtocolDecodeError(`${path}: tagged field ${tag} has trailing bytes`);
        }
        reader.offset = end;
      }
    }
    // Build the object in declaration order so every decoded value of a version shares one shape.
    const result: Struct = {};
    for (const field of fieldOrder) {
      result[field.name] = values.has(field.name) ? values.get(field.name) : defaultValue(field);
    }
    return result;
  };

  return { encode, decode };
}

function compileField(
  field: FieldSchema,
  version: number,
  compact: boolean,
  flexible: boolean,
  nullable: boolean,
  path: string,
): { encode: Encode; decode: Decode } {
  if (field.type === 'struct') {
    const codec = compileStruct(field.struct!, version, flexible, path);
    if (!nullable) return { encode: codec.encode as Encode, decode: codec.decode };
    // A nullable struct is preceded by a presence byte (-1 null, 1 present), as Kafka's generator writes it.
    return {
      encode: (writer, value) => {
        if (value === null) writer.int8(-1);
        else {
          writer.int8(1);
          codec.encode(writer, value as Struct);
        }
      },
      decode: (reader) => (reader.int8() < 0 ? null : codec.decode(reader)),
    };
  }
  if (field.type === 'array') {
    const element =
      field.struct !== undefined
        ? compileStruct(field.struct, version, flexible, path)
        : primitiveCodec(field.elementType!, compact, false, path);
    const encodeElement = element.encode as Encode;
    const decodeElement = element.decode;
    return {
      encode: (writer, value) => {
        if (value === null) {
          if (compact) writer.uvarint(0);
          else writer.int32(-1);
          return;
        }
        if (!Array.isArray(value)) throw new ProtocolEncodeError(`${path} must be an array, got ${describe(value)}`);
        if (compact) writer.uvarint(value.length + 1);
        else writer.int32(value.length);
        for (const item of value) encodeElement(writer, item);
      },
      decode: (reader) => {
        const length = reader.arrayLength(compact);
        if (length < 0) {
          if (!nullable) throw new ProtocolDecodeError(`${path}: null array in a version where it is not nullable`);
          return null;
        }
        const items = new Array<Value>(length);
        for (let i = 0; i < length; i++) items[i] = decodeElement(reader);
        return items;
      },
    };
  }
  return primitiveCodec(field.type, compact, nullable, path);
}

function primitiveCodec(
  type: PrimitiveType,
  compact: boolean,
  nullable: boolean,
  path: string,
): { encode: Encode; decode: Decode } {
  const expect = (ok: boolean, value: Value, what: string): void => {
    if (!ok) throw new ProtocolEncodeError(`${path} must be ${what}, got ${describe(value)}`);
  };
  const int = (min: number, max: number) => (value: Value) =>
    expect(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max, value, `an integer in [${min}, ${max}]`);
  switch (type) {
    case 'bool':
      return {
        encode: (w, v) => (expect(typeof v === 'boolean', v, 'a boolean'), w.bool(v as boolean)),
        decode: (r) => r.bool(),
      };
    case 'int8': {
      const check = int(-0x80, 0x7f);
      return { encode: (w, v) => (check(v), w.int8(v as number)), decode: (r) => r.int8() };
    }
    case 'int16': {
      const check = int(-0x8000, 0x7fff);
      return { encode: (w, v) => (check(v), w.int16(v as number)), decode: (r) => r.int16() };
    }
    case 'uint16': {
      const check = int(0, 0xffff);
      return { encode: (w, v) => (check(v), w.uint16(v as number)), decode: (r) => r.uint16() };
    }
    case 'int32': {
      const check = int(-0x80000000, 0x7fffffff);
      return { encode: (w, v) => (check(v), w.int32(v as number)), decode: (r) => r.int32() };
    }
    case 'uint32': {
      const check = int(0, 0xffffffff);
      return { encode: (w, v) => (check(v), w.uint32(v as number)), decode: (r) => r.uint32() };
    }
    case 'int64':
      return {
        encode: (w, v) => {
          expect(typeof v === 'bigint' && BigInt.asIntN(64, v) === v, v, 'a bigint in int64 range');
          w.int64(v as bigint);
        },
        decode: (r) => r.int64(),
      };
    case 'float64':
      return {
        encode: (w, v) => (expect(typeof v === 'number', v, 'a number'), w.float64(v as number)),
        decode: (r) => r.float64(),
      };
    case 'uuid':
      return {
        encode: (w, v) => (expect(typeof v === 'string', v, 'a UUID string'), w.uuid(v as string)),
        decode: (r) => r.uuid(),
      };
    case 'string':
      return {
        encode: (w, v) => {
          if (v === null) {
            if (compact) w.uvarint(0);
            else w.int16(-1);
            return;
          }
          expect(typeof v === 'string', v, 'a string');
          if (compact) w.compactString(v as string);
          else {
            if (Buffer.byteLength(v as string) > 0x7fff) throw new ProtocolEncodeError(`${path} is longer than 32767 bytes`);
            w.string(v as string);
          }
        },
        decode: compact
          ? nullable
            ? (r) => r.compactNullableString()
            : (r) => r.compactString()
          : nullable
            ? (r) => r.nullableString()
            : (r) => r.string(),
      };
    case 'bytes':
    case 'records':
      return {
        encode: (w, v) => {
          if (v === null) {
            if (compact) w.uvarint(0);
            else w.int32(-1);
            return;
          }
          expect(v instanceof Uint8Array, v, 'a Buffer');
          if (compact) w.compactBytes(v as Uint8Array);
          else w.bytes(v as Uint8Array);
        },
        decode: compact
          ? nullable
            ? (r) => r.compactNullableBytes()
            : (r) => r.compactBytes()
          : nullable
            ? (r) => r.nullableBytes()
            : (r) => r.bytes(),
      };
  }
}

function describe(value: Value): string {
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return `Buffer(${value.length})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}
