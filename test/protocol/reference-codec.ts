/**
 * The closure-based message codec kafkasim used before message-codec.ts started generating source (as of
 * commit 774305d, with the Reader and Writer of that time), kept as the oracle of codec-equivalence.test.ts:
 * the generated codec must write the same bytes, decode the same objects and throw the same errors. Copied
 * verbatim apart from imports; do not "fix" it, it is the specification by example.
 */
import {
  inRange,
  isFlexible,
  type FieldSchema,
  type MessageSchema,
  type PrimitiveType,
  type StructSchema,
} from '../../src/protocol/codec/message-codec.ts';

/** The same name as the real one, so that error names and messages compare equal. */
export class ProtocolEncodeError extends Error {
  override name = 'ProtocolEncodeError';
}

/** Thrown by `Reader` on truncated or malformed input; the server turns it into a disconnect. */
export class ProtocolDecodeError extends Error {
  override name = 'ProtocolDecodeError';
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export class Writer {
  buffer: Buffer;
  offset = 0;

  constructor(initialCapacity = 256) {
    this.buffer = Buffer.allocUnsafe(initialCapacity);
  }

  ensure(bytes: number): void {
    const needed = this.offset + bytes;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buffer.copy(next, 0, 0, this.offset);
    this.buffer = next;
  }

  /** The bytes written so far (a view, not a copy). */
  result(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  int8(value: number): this {
    this.ensure(1);
    this.buffer.writeInt8(value, this.offset);
    this.offset += 1;
    return this;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  int16(value: number): this {
    this.ensure(2);
    this.buffer.writeInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  uint16(value: number): this {
    this.ensure(2);
    this.buffer.writeUInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.buffer.writeInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.buffer.writeUInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  int64(value: bigint): this {
    this.ensure(8);
    this.buffer.writeBigInt64BE(value, this.offset);
    this.offset += 8;
    return this;
  }

  float64(value: number): this {
    this.ensure(8);
    this.buffer.writeDoubleBE(value, this.offset);
    this.offset += 8;
    return this;
  }

  /** Unsigned varint of up to 32 bits (compact lengths, tag numbers, tagged field sizes). */
  uvarint(value: number): this {
    this.ensure(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.buffer[this.offset++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buffer[this.offset++] = v;
    return this;
  }

  /** Zigzag varint (int32), as record fields use. */
  varint(value: number): this {
    return this.uvarint((value << 1) ^ (value >> 31));
  }

  /** Zigzag varlong (int64), as record timestamp and offset deltas may use. */
  varlong(value: bigint): this {
    this.ensure(10);
    let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    while (v >= 0x80n) {
      this.buffer[this.offset++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.offset++] = Number(v);
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.offset);
    this.offset += bytes.length;
    return this;
  }

  string(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.int16(length);
    this.ensure(length);
    this.offset += this.buffer.write(value, this.offset, 'utf8');
    return this;
  }

  nullableString(value: string | null): this {
    if (value === null) return this.int16(-1);
    return this.string(value);
  }

  compactString(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.uvarint(length + 1);
    this.ensure(length);
    this.offset += this.buffer.write(value, this.offset, 'utf8');
    return this;
  }

  compactNullableString(value: string | null): this {
    if (value === null) return this.uvarint(0);
    return this.compactString(value);
  }

  bytes(value: Uint8Array): this {
    this.int32(value.length);
    return this.raw(value);
  }

  nullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1);
    return this.bytes(value);
  }

  compactBytes(value: Uint8Array): this {
    this.uvarint(value.length + 1);
    return this.raw(value);
  }

  compactNullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.uvarint(0);
    return this.compactBytes(value);
  }

  uuid(value: string): this {
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length !== 16) throw new TypeError(`not a Kafka UUID (16 bytes, base64url): ${value}`);
    return this.raw(bytes);
  }
}

export class Reader {
  offset: number;

  constructor(
    readonly buffer: Buffer,
    offset = 0,
    readonly end = buffer.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(bytes: number): number {
    const at = this.offset;
    if (bytes < 0 || at + bytes > this.end) {
      throw new ProtocolDecodeError(`truncated input: need ${bytes} bytes at offset ${at}, have ${this.end - at}`);
    }
    this.offset = at + bytes;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.need(1));
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    return this.buffer.readInt16BE(this.need(2));
  }

  uint16(): number {
    return this.buffer.readUInt16BE(this.need(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.need(4));
  }

  uint32(): number {
    return this.buffer.readUInt32BE(this.need(4));
  }

  int64(): bigint {
    return this.buffer.readBigInt64BE(this.need(8));
  }

  float64(): number {
    return this.buffer.readDoubleBE(this.need(8));
  }

  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.offset >= this.end) throw new ProtocolDecodeError('truncated varint');
      const byte = this.buffer[this.offset++];
      if (shift === 28 && byte > 0x0f) throw new ProtocolDecodeError('varint longer than 32 bits');
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }

  varint(): number {
    const v = this.uvarint();
    return (v >>> 1) ^ -(v & 1);
  }

  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.offset >= this.end) throw new ProtocolDecodeError('truncated varlong');
      if (shift > 63n) throw new ProtocolDecodeError('varlong longer than 64 bits');
      const byte = this.buffer[this.offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
    }
    result = BigInt.asUintN(64, result);
    return BigInt.asIntN(64, (result >> 1n) ^ -(result & 1n));
  }

  raw(length: number): Buffer {
    const at = this.need(length);
    return this.buffer.subarray(at, at + length);
  }

  private utf8(length: number): string {
    const at = this.need(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  string(): string {
    const length = this.int16();
    if (length < 0) throw new ProtocolDecodeError('null where a non-nullable string is required');
    return this.utf8(length);
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    return this.utf8(length);
  }

  compactString(): string {
    const length = this.uvarint() - 1;
    if (length < 0) throw new ProtocolDecodeError('null where a non-nullable compact string is required');
    return this.utf8(length);
  }

  compactNullableString(): string | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    return this.utf8(length);
  }

  bytes(): Buffer {
    const length = this.int32();
    if (length < 0) throw new ProtocolDecodeError('null where non-nullable bytes are required');
    return this.raw(length);
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length < 0) return null;
    return this.raw(length);
  }

  compactBytes(): Buffer {
    const length = this.uvarint() - 1;
    if (length < 0) throw new ProtocolDecodeError('null where non-nullable compact bytes are required');
    return this.raw(length);
  }

  compactNullableBytes(): Buffer | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    return this.raw(length);
  }

  uuid(): string {
    return this.raw(16).toString('base64url');
  }

  /** Array length: int32 (-1 = null) classic, uvarint (0 = null) compact. */
  arrayLength(compact: boolean): number {
    const length = compact ? this.uvarint() - 1 : this.int32();
    // Each element takes at least one byte, so a length beyond the input is malformed, not a reason to allocate.
    if (length > this.remaining) throw new ProtocolDecodeError(`array length ${length} exceeds the remaining ${this.remaining} bytes`);
    return length;
  }
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
