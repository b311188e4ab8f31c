/**
 * The Kafka protocol's primitive types (https://kafka.apache.org/protocol#protocol_types) on a growable
 * buffer: fixed-width big-endian integers, unsigned varints (compact lengths, tagged fields), zigzag
 * varints/varlongs (record batch v2), classic and compact strings/bytes/arrays, UUIDs.
 *
 * int64 is a bigint everywhere. A UUID is Kafka's own text form: the 16 bytes in base64url, no padding
 * (what `Uuid.toString()` prints), so `AAAAAAAAAAAAAAAAAAAAAA` is the zero UUID.
 *
 * Every message goes through here, so the fixed-width integers are read and written byte by byte rather than
 * through Buffer's `readInt32BE`/`writeInt32BE` family (argument validation on each call), and int64 goes
 * through a one-element BigInt64Array: Node's `readBigInt64BE`/`writeBigInt64BE` do BigInt arithmetic on
 * each 32-bit half, several times slower. Writers still refuse out-of-range integers with a RangeError, as
 * Buffer's do.
 */

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
    checkRange(value, -0x80, 0x7f);
    this.ensure(1);
    this.buffer[this.offset++] = value;
    return this;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  int16(value: number): this {
    checkRange(value, -0x8000, 0x7fff);
    return this.put16(value);
  }

  uint16(value: number): this {
    checkRange(value, 0, 0xffff);
    return this.put16(value);
  }

  int32(value: number): this {
    checkRange(value, -0x80000000, 0x7fffffff);
    return this.put32(value);
  }

  uint32(value: number): this {
    checkRange(value, 0, 0xffffffff);
    return this.put32(value);
  }

  int64(value: bigint): this {
    this.ensure(8);
    int64Scratch[0] = value;
    // The typed array wraps what does not fit in 64 bits; Buffer's writer reports it (and big-endian hosts use it).
    if (int64Scratch[0] !== value || !IS_LITTLE_ENDIAN) {
      this.buffer.writeBigInt64BE(value, this.offset);
      this.offset += 8;
      return this;
    }
    const buffer = this.buffer;
    const at = this.offset;
    for (let i = 0; i < 8; i++) buffer[at + i] = int64Bytes[7 - i];
    this.offset = at + 8;
    return this;
  }

  /** The low 16 bits of `value`, big-endian (a Uint8Array store keeps the low 8 bits). */
  private put16(value: number): this {
    this.ensure(2);
    const buffer = this.buffer;
    const at = this.offset;
    buffer[at] = value >>> 8;
    buffer[at + 1] = value;
    this.offset = at + 2;
    return this;
  }

  /** The low 32 bits of `value`, big-endian. */
  private put32(value: number): this {
    this.ensure(4);
    const buffer = this.buffer;
    const at = this.offset;
    buffer[at] = value >>> 24;
    buffer[at + 1] = value >>> 16;
    buffer[at + 2] = value >>> 8;
    buffer[at + 3] = value;
    this.offset = at + 4;
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
    // UTF-8 takes at most 3 bytes per UTF-16 unit: write first, then the length in front.
    this.ensure(2 + 3 * value.length);
    const at = this.offset;
    const length = writeUtf8(this.buffer, value, at + 2);
    this.offset = at;
    this.int16(length);
    this.offset += length;
    return this;
  }

  nullableString(value: string | null): this {
    if (value === null) return this.int16(-1);
    return this.string(value);
  }

  compactString(value: string): this {
    if (value.length <= 42) {
      // At most 126 bytes, so the length + 1 prefix is one varint byte: write first, then the prefix.
      this.ensure(1 + 3 * value.length);
      const at = this.offset;
      const length = writeUtf8(this.buffer, value, at + 1);
      this.buffer[at] = length + 1;
      this.offset = at + 1 + length;
      return this;
    }
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
    if (value === ZERO_UUID) {
      this.ensure(16);
      this.buffer.fill(0, this.offset, this.offset + 16);
      this.offset += 16;
      return this;
    }
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
    return (this.buffer[this.need(1)] << 24) >> 24;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    const at = this.need(2);
    const buffer = this.buffer;
    return ((buffer[at] << 24) >> 16) | buffer[at + 1];
  }

  uint16(): number {
    const at = this.need(2);
    const buffer = this.buffer;
    return (buffer[at] << 8) | buffer[at + 1];
  }

  int32(): number {
    return read32(this.buffer, this.need(4));
  }

  uint32(): number {
    return read32(this.buffer, this.need(4)) >>> 0;
  }

  int64(): bigint {
    const at = this.need(8);
    if (!IS_LITTLE_ENDIAN) return this.buffer.readBigInt64BE(at);
    const buffer = this.buffer;
    for (let i = 0; i < 8; i++) int64Bytes[7 - i] = buffer[at + i];
    return int64Scratch[0];
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
    const at = this.need(16);
    return this.buffer.toString('base64url', at, at + 16);
  }

  /** Array length: int32 (-1 = null) classic, uvarint (0 = null) compact. */
  arrayLength(compact: boolean): number {
    const length = compact ? this.uvarint() - 1 : this.int32();
    // Each element takes at least one byte, so a length beyond the input is malformed, not a reason to allocate.
    if (length > this.remaining) throw new ProtocolDecodeError(`array length ${length} exceeds the remaining ${this.remaining} bytes`);
    return length;
  }
}

/** One int64 and its bytes in host order, through which int64s are read and written. */
const int64Scratch = new BigInt64Array(1);
const int64Bytes = new Uint8Array(int64Scratch.buffer);
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkRange(value: number, min: number, max: number): void {
  if (value > max || value < min) {
    throw new RangeError(`The value of "value" is out of range. It must be >= ${min} and <= ${max}. Received ${value}`);
  }
}

/** A big-endian int32 at `at` (the caller has checked the bounds). */
function read32(buffer: Buffer, at: number): number {
  return (buffer[at] << 24) | (buffer[at + 1] << 16) | (buffer[at + 2] << 8) | buffer[at + 3];
}

/**
 * Writes `value` as UTF-8 at `at`, where there is room for 3 bytes per UTF-16 unit; returns the bytes written.
 * Short ASCII strings (topic names, group, member and client ids) are cheaper to copy unit by unit than to
 * hand to the native UTF-8 encoder; anything else goes to it.
 */
function writeUtf8(buffer: Buffer, value: string, at: number): number {
  const length = value.length;
  if (length > 32) return buffer.write(value, at, 'utf8');
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) return buffer.write(value, at, 'utf8');
    buffer[at + i] = code;
  }
  return length;
}
