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
 *
 * Compiling means writing JavaScript source for the (struct, version) and building it with `new Function`
 * (see "Compilation" below): every message of the simulation goes through here twice, and straight-line
 * code with fixed property names is several times faster than a closure per field.
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

/** Compiled codecs of a message, indexed by version. */
const cache = new WeakMap<MessageSchema, Array<CompiledCodec | undefined>>();

function codecFor(schema: MessageSchema, version: number): CompiledCodec {
  let byVersion = cache.get(schema);
  if (byVersion === undefined) {
    byVersion = [];
    cache.set(schema, byVersion);
  }
  let codec = byVersion[version];
  if (codec === undefined) {
    if (!inRange(schema.validVersions, version)) {
      throw new ProtocolEncodeError(
        `${schema.name} has no version ${version} (valid ${schema.validVersions[0]}-${schema.validVersions[1]})`,
      );
    }
    codec = compileStruct(schema, version, isFlexible(schema, version), schema.name);
    byVersion[version] = codec;
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
//
// Each (struct, version) becomes JavaScript source, built once with `new Function` into an encoder and a
// decoder. Why source rather than a closure per field: a closure reads its field with `value[field.name]`,
// a keyed load that sees every name of every message and goes megamorphic, and a decoder assembling its
// result key by key builds each object through a chain of map transitions; the generated code reads
// `v["highWatermark"]` and returns one object literal, which V8 compiles to fixed-offset loads and one
// allocation of a known shape. Everything a version decides (which fields exist, nullability, compact or
// classic encodings, tagged or not) is settled while writing the source, so only the version's own
// branches remain. Nested structs are compiled separately and called as functions.
//
// The generated code must do exactly what the closures it replaces did, error messages included: each
// `emit*` function below says which rule it writes out, and test/protocol/codec-equivalence.test.ts runs
// every API and version against a copy of the closure-based codec. This is the only `new Function` in
// kafkasim: its input is the generated schemas, field names are checked to be plain identifiers, and every
// string or default it embeds is written with JSON.stringify or a numeric literal.

/** What one field compiles to in one version. */
interface FieldPlan {
  readonly field: FieldSchema;
  /** `Struct.field`, as error messages name it. */
  readonly path: string;
  /** Compact (flexible) strings, bytes and arrays for this field, which may override the message's choice. */
  readonly compact: boolean;
  readonly nullable: boolean;
  /** For a struct field or an array of structs: the names of the nested codec's functions in the source. */
  readonly nested?: { readonly encode: string; readonly decode: string };
}

/** The helpers generated code calls, bound to local names at the top of each factory. */
const RUNTIME = {
  ProtocolEncodeError,
  ProtocolDecodeError,
  describe,
  deepEqual,
  utf8Length: (value: string): number => Buffer.byteLength(value, 'utf8'),
  emptyBuffer: (): Buffer => Buffer.alloc(0),
  writeTaggedField,
  readTaggedFields,
  NO_TAGGED_VALUES: Object.freeze([]) as readonly Value[],
};
const RUNTIME_NAMES = Object.keys(RUNTIME).join(', ');

/** The source of one generated factory and the values it closes over (`k[i]`, bound to `cI` at its top). */
class Source {
  private readonly constants: unknown[] = [];
  private readonly helpers: string[] = [];
  private count = 0;

  /** A name in the generated code for a value of this module (a nested codec, a default to compare with). */
  constant(value: unknown): string {
    this.constants.push(value);
    return `c${this.constants.length - 1}`;
  }

  /** A fresh local name. */
  local(prefix: string): string {
    return `${prefix}${this.count++}`;
  }

  /** Adds a function declaration at factory level (the encoder or decoder of one tagged field). */
  helper(source: string): void {
    this.helpers.push(source);
  }

  /** Builds the factory whose body ends with `return <what the caller wants>`, and runs it. */
  build<T>(body: string): T {
    const bindings = this.constants.map((_, i) => `c${i} = k[${i}]`);
    const source = [
      `"use strict";`,
      `const { ${RUNTIME_NAMES} } = rt;`,
      bindings.length > 0 ? `const ${bindings.join(', ')};` : '',
      ...this.helpers,
      body,
    ].join('\n');
    const factory = new Function('k', 'rt', source) as (k: unknown[], rt: typeof RUNTIME) => T;
    return factory(this.constants, RUNTIME);
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function compileStruct(schema: StructSchema, version: number, flexible: boolean, path: string): CompiledCodec {
  const src = new Source();
  const regular: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  const absent: FieldSchema[] = [];
  for (const field of schema.fields) {
    if (!IDENTIFIER.test(field.name) || field.name === '__proto__') {
      throw new Error(`${path}: field name ${JSON.stringify(field.name)} is not a plain identifier`);
    }
    if (!inRange(field.versions, version)) {
      absent.push(field);
      continue;
    }
    const compact =
      field.flexibleVersions === 'none'
        ? false
        : field.flexibleVersions !== undefined
          ? inRange(field.flexibleVersions, version)
          : flexible;
    const fieldPath = `${path}.${field.name}`;
    let nested: FieldPlan['nested'];
    if (field.struct !== undefined) {
      const codec = compileStruct(field.struct, version, flexible, fieldPath);
      nested = { encode: src.constant(codec.encode), decode: src.constant(codec.decode) };
    }
    const plan: FieldPlan = { field, path: fieldPath, compact, nullable: inRange(field.nullableVersions, version), nested };
    if (flexible && inRange(field.taggedVersions, version)) tagged.push(plan);
    else regular.push(plan);
  }
  tagged.sort((x, y) => x.field.tag! - y.field.tag!);

  const suffix = `${schema.name.replace(/\W/g, '_')}_v${String(version).replace(/\W/g, '_')}`;
  const encode = emitEncodeStruct(src, path, version, flexible, regular, tagged, absent);
  const decode = emitDecodeStruct(src, path, schema, flexible, regular, tagged);
  return src.build<CompiledCodec>(
    `return {\n  encode: function encode_${suffix}(w, v) {\n${encode}\n  },\n` +
      `  decode: function decode_${suffix}(r) {\n${decode}\n  },\n};`,
  );
}

const str = (text: string): string => JSON.stringify(text);
const prop = (object: string, field: FieldSchema): string => `${object}[${str(field.name)}]`;

/** A primitive default as a JavaScript literal, or undefined when the default is an object. */
function literal(value: Value): string | undefined {
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value); // also NaN, Infinity, -Infinity
    case 'bigint':
      return `${value}n`;
    case 'string':
      return str(value);
    case 'boolean':
      return String(value);
    default:
      return value === null ? 'null' : undefined;
  }
}

/** `isDefault(field, x)` of the closures: deepEqual against the default, which is `===` for a primitive one. */
function emitIsDefault(src: Source, field: FieldSchema, x: string): string {
  const value = defaultValue(field);
  const text = literal(value);
  // Encoding never mutates the value it compares with, so one precomputed default serves every call.
  return text !== undefined ? `${x} === ${text}` : `deepEqual(${x}, ${src.constant(value)})`;
}

/** The default an encoder writes for an absent property (read only, so shared). */
function emitEncodeDefault(src: Source, field: FieldSchema): string {
  const value = defaultValue(field);
  return literal(value) ?? src.constant(value);
}

/** The default a decoder returns: a fresh object each time, as callers may mutate what they decode. */
function emitFreshDefault(src: Source, field: FieldSchema): string {
  const value = defaultValue(field);
  const text = literal(value);
  if (text !== undefined) return text;
  if (field.default === undefined) {
    if (field.type === 'struct') return `${src.constant(structDefaultFactory(field.struct!))}()`;
    if (field.type === 'array') return '[]';
    if (field.type === 'bytes') return 'emptyBuffer()';
  }
  return `${src.constant(() => defaultValue(field))}()`;
}

const structDefaults = new WeakMap<StructSchema, () => Struct>();

/** `defaultStruct(schema)` as one object literal (Fetch v4-11 decodes three absent structs per partition). */
function structDefaultFactory(schema: StructSchema): () => Struct {
  let factory = structDefaults.get(schema);
  if (factory === undefined) {
    const src = new Source();
    const entries = schema.fields.map((field) => `${str(field.name)}: ${emitFreshDefault(src, field)}`);
    factory = src.build<() => Struct>(
      `return function default_${schema.name.replace(/\W/g, '_')}() { return { ${entries.join(', ')} }; };`,
    );
    structDefaults.set(schema, factory);
  }
  return factory;
}

// --- Encoding

/**
 * A struct's encoder, in the order the closures checked and wrote: the value must be an object; fields the
 * version lacks must be absent, ignorable or at their default; regular fields in declaration order (an
 * absent one written as its default, null only where nullable); then, in flexible versions, the count of
 * tagged fields that differ from their defaults and those fields in tag order.
 */
function emitEncodeStruct(
  src: Source,
  path: string,
  version: number,
  flexible: boolean,
  regular: readonly FieldPlan[],
  tagged: readonly FieldPlan[],
  absent: readonly FieldSchema[],
): string {
  const lines: string[] = [
    `if (v === null || typeof v !== 'object') throw new ProtocolEncodeError(${str(`${path} (v${version}) must be an object, got `)} + describe(v));`,
  ];
  for (const field of absent) {
    if (field.ignorable) continue;
    const x = src.local('a');
    lines.push(
      `const ${x} = ${prop('v', field)};`,
      `if (${x} !== undefined && !(${emitIsDefault(src, field, x)})) throw new ProtocolEncodeError(${str(
        `${path}.${field.name} is not supported in version ${version} but was set to a non-default value`,
      )});`,
    );
  }
  for (const plan of regular) {
    const x = src.local('x');
    lines.push(`let ${x} = ${prop('v', plan.field)};`, `if (${x} === undefined) ${x} = ${emitEncodeDefault(src, plan.field)};`);
    if (!plan.nullable) lines.push(`if (${x} === null) throw new ProtocolEncodeError(${str(`${plan.path} is not nullable in version ${version}`)});`);
    lines.push(emitEncodeValue(src, plan, x));
  }
  if (!flexible) return lines.join('\n');
  if (tagged.length === 0) {
    lines.push('w.uvarint(0);');
    return lines.join('\n');
  }
  const present: string[] = [];
  const writes: string[] = [];
  for (const plan of tagged) {
    const x = src.local('t');
    const isPresent = src.local('p');
    lines.push(`const ${x} = ${prop('v', plan.field)};`, `const ${isPresent} = ${x} !== undefined && !(${emitIsDefault(src, plan.field, x)});`);
    if (!plan.nullable) {
      lines.push(`if (${isPresent} && ${x} === null) throw new ProtocolEncodeError(${str(`${plan.path} is not nullable in version ${version}`)});`);
    }
    const encoder = src.local('encodeTag');
    src.helper(`function ${encoder}(w, x) {\n${emitEncodeValue(src, plan, 'x')}\n}`);
    present.push(`(${isPresent} ? 1 : 0)`);
    writes.push(`if (${isPresent}) writeTaggedField(w, ${plan.field.tag!}, ${encoder}, ${x});`);
  }
  lines.push(`w.uvarint(${present.join(' + ')});`, ...writes);
  return lines.join('\n');
}

/** Writes the value in `x` (already checked not to be a forbidden null) as the closures' `compileField` did. */
function emitEncodeValue(src: Source, plan: FieldPlan, x: string): string {
  const { field, compact, path } = plan;
  if (field.type === 'struct') {
    // A nullable struct is preceded by a presence byte (-1 null, 1 present), as Kafka's generator writes it.
    const call = `${plan.nested!.encode}(w, ${x});`;
    return plan.nullable ? `if (${x} === null) w.int8(-1);\nelse { w.int8(1); ${call} }` : call;
  }
  if (field.type === 'array') {
    const length = src.local('n');
    const index = src.local('i');
    const item = src.local('e');
    const element =
      plan.nested !== undefined
        ? `${plan.nested.encode}(w, ${item});`
        : emitEncodePrimitive(field.elementType!, compact, path, item);
    return [
      `if (${x} === null) ${compact ? 'w.uvarint(0);' : 'w.int32(-1);'}`,
      `else {`,
      `if (!Array.isArray(${x})) throw new ProtocolEncodeError(${str(`${path} must be an array, got `)} + describe(${x}));`,
      `const ${length} = ${x}.length;`,
      compact ? `w.uvarint(${length} + 1);` : `w.int32(${length});`,
      `for (let ${index} = 0; ${index} < ${length}; ${index}++) { const ${item} = ${x}[${index}]; ${element} }`,
      `}`,
    ].join('\n');
  }
  return emitEncodePrimitive(field.type, compact, path, x);
}

const INTEGER_RANGES: Partial<Record<PrimitiveType, readonly [min: number, max: number]>> = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/** The closures' `primitiveCodec(...).encode`: check the JavaScript type (and range), then write. */
function emitEncodePrimitive(type: PrimitiveType, compact: boolean, path: string, x: string): string {
  const fail = (what: string): string => `throw new ProtocolEncodeError(${str(`${path} must be ${what}, got `)} + describe(${x}));`;
  const range = INTEGER_RANGES[type];
  if (range !== undefined) {
    const [min, max] = range;
    return (
      `if (!(typeof ${x} === 'number' && Number.isInteger(${x}) && ${x} >= ${min} && ${x} <= ${max})) ${fail(`an integer in [${min}, ${max}]`)}\n` +
      `w.${type}(${x});`
    );
  }
  switch (type) {
    case 'bool':
      return `if (typeof ${x} !== 'boolean') ${fail('a boolean')}\nw.bool(${x});`;
    case 'int64':
      return `if (!(typeof ${x} === 'bigint' && BigInt.asIntN(64, ${x}) === ${x})) ${fail('a bigint in int64 range')}\nw.int64(${x});`;
    case 'float64':
      return `if (typeof ${x} !== 'number') ${fail('a number')}\nw.float64(${x});`;
    case 'uuid':
      return `if (typeof ${x} !== 'string') ${fail('a UUID string')}\nw.uuid(${x});`;
    case 'string': {
      // Null is written whatever the nullability: the caller has already refused a forbidden one.
      const write = compact
        ? `w.compactString(${x});`
        : // 3 bytes at most per UTF-16 unit, so only a string of more than 10922 units can exceed 32767 bytes.
          `if (${x}.length > 10922 && utf8Length(${x}) > 0x7fff) throw new ProtocolEncodeError(${str(`${path} is longer than 32767 bytes`)});\nw.string(${x});`;
      return `if (${x} === null) ${compact ? 'w.uvarint(0);' : 'w.int16(-1);'}\nelse {\nif (typeof ${x} !== 'string') ${fail('a string')}\n${write}\n}`;
    }
    case 'bytes':
    case 'records':
      return (
        `if (${x} === null) ${compact ? 'w.uvarint(0);' : 'w.int32(-1);'}\n` +
        `else {\nif (!(${x} instanceof Uint8Array)) ${fail('a Buffer')}\n${compact ? `w.compactBytes(${x});` : `w.bytes(${x});`}\n}`
      );
    default:
      throw new Error(`unknown primitive type ${type as string}`);
  }
}

/**
 * A tagged field: tag, size, value. The size comes first but is known only once the value is written, so
 * one byte is reserved for it (enough below 128 bytes, the usual case) and the value moved along if the
 * size needs more; the closures wrote the value into a scratch Writer instead, with the same bytes.
 */
function writeTaggedField(writer: Writer, tag: number, encode: Encode, value: Value): void {
  writer.uvarint(tag);
  writer.ensure(1);
  const sizeAt = writer.offset;
  writer.offset = sizeAt + 1;
  encode(writer, value);
  const size = writer.offset - sizeAt - 1;
  let sizeBytes = 1;
  while (sizeBytes < 5 && size >>> (7 * sizeBytes) !== 0) sizeBytes++;
  if (sizeBytes > 1) {
    writer.ensure(sizeBytes - 1);
    writer.buffer.copyWithin(sizeAt + sizeBytes, sizeAt + 1, writer.offset);
    writer.offset += sizeBytes - 1;
  }
  // Written in place: `writer.uvarint` would `ensure` at sizeAt and could drop the value when it grows.
  const buffer = writer.buffer;
  let at = sizeAt;
  let rest = size;
  while (rest >= 0x80) {
    buffer[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  buffer[at] = rest;
}

// --- Decoding

/**
 * A struct's decoder: regular fields in declaration order, then (flexible) the tagged fields section; the
 * result is one object literal in declaration order, fields the version lacks or the input left out holding
 * fresh defaults, so every decoded value of a version shares one shape.
 */
function emitDecodeStruct(
  src: Source,
  path: string,
  schema: StructSchema,
  flexible: boolean,
  regular: readonly FieldPlan[],
  tagged: readonly FieldPlan[],
): string {
  const lines: string[] = [];
  const valueOf = new Map<FieldSchema, string>();
  for (const plan of regular) {
    const x = src.local('f');
    lines.push(emitDecodeValue(src, plan, x));
    valueOf.set(plan.field, x);
  }
  if (flexible) {
    const indexByTag = new Map(tagged.map((plan, i) => [plan.field.tag!, i]));
    const decoders = tagged.map((plan) => {
      const decoder = src.local('decodeTag');
      src.helper(`function ${decoder}(r) {\n${emitDecodeValue(src, plan, 'x')}\nreturn x;\n}`);
      return decoder;
    });
    const count = src.local('count');
    const values = src.local('tagged');
    lines.push(
      `const ${count} = r.uvarint();`,
      `const ${values} = ${count} === 0 ? NO_TAGGED_VALUES : readTaggedFields(r, ${count}, ${str(path)}, ${src.constant(indexByTag)}, [${decoders.join(', ')}]);`,
    );
    tagged.forEach((plan, i) => {
      const x = src.local('t');
      lines.push(`const ${x} = ${values}[${i}] === undefined ? ${emitFreshDefault(src, plan.field)} : ${values}[${i}];`);
      valueOf.set(plan.field, x);
    });
  }
  const entries = schema.fields.map((field) => `${str(field.name)}: ${valueOf.get(field) ?? emitFreshDefault(src, field)}`);
  lines.push(`return { ${entries.join(', ')} };`);
  return lines.join('\n');
}

/** Statements that read one field's value into a new `const x`, as the closures' `compileField` did. */
function emitDecodeValue(src: Source, plan: FieldPlan, x: string): string {
  const { field, compact, nullable, path } = plan;
  if (field.type === 'struct') {
    const call = `${plan.nested!.decode}(r)`;
    return `const ${x} = ${nullable ? `r.int8() < 0 ? null : ${call}` : call};`;
  }
  if (field.type === 'array') {
    const length = src.local('n');
    const index = src.local('i');
    const element = plan.nested !== undefined ? `${plan.nested.decode}(r)` : decodePrimitive(field.elementType!, compact, false);
    const onNull = nullable
      ? `${x} = null;`
      : `throw new ProtocolDecodeError(${str(`${path}: null array in a version where it is not nullable`)});`;
    return [
      `const ${length} = r.arrayLength(${compact});`,
      `let ${x};`,
      `if (${length} < 0) ${onNull}`,
      `else { ${x} = new Array(${length}); for (let ${index} = 0; ${index} < ${length}; ${index}++) ${x}[${index}] = ${element}; }`,
    ].join('\n');
  }
  return `const ${x} = ${decodePrimitive(field.type, compact, nullable)};`;
}

function decodePrimitive(type: PrimitiveType, compact: boolean, nullable: boolean): string {
  switch (type) {
    case 'string':
      return compact ? (nullable ? 'r.compactNullableString()' : 'r.compactString()') : nullable ? 'r.nullableString()' : 'r.string()';
    case 'bytes':
    case 'records':
      return compact ? (nullable ? 'r.compactNullableBytes()' : 'r.compactBytes()') : nullable ? 'r.nullableBytes()' : 'r.bytes()';
    default:
      return `r.${type}()`;
  }
}

/**
 * The tagged fields section after its count: strictly increasing tags, each value read within its declared
 * size (a sub-reader, so a value cannot run past it), unknown tags skipped. Returns the values of the known
 * fields by position in `decoders`, undefined where the input left one out.
 */
function readTaggedFields(
  reader: Reader,
  count: number,
  path: string,
  indexByTag: ReadonlyMap<number, number>,
  decoders: readonly Decode[],
): Value[] {
  const values = new Array<Value>(decoders.length);
  let previousTag = -1;
  for (let i = 0; i < count; i++) {
    const tag = reader.uvarint();
    const size = reader.uvarint();
    if (tag <= previousTag) throw new ProtocolDecodeError(`${path}: tagged fields out of order (${tag})`);
    previousTag = tag;
    const end = reader.offset + size;
    if (end > reader.end) throw new ProtocolDecodeError(`${path}: tagged field ${tag} overruns its buffer`);
    const index = indexByTag.get(tag);
    if (index !== undefined) {
      const sub = new Reader(reader.buffer, reader.offset, end);
      values[index] = decoders[index](sub);
      if (sub.offset !== end) throw new ProtocolDecodeError(`${path}: tagged field ${tag} has trailing bytes`);
    }
    reader.offset = end;
  }
  return values;
}

function describe(value: Value): string {
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return `Buffer(${value.length})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}
