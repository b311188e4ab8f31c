/**
 * The two checksums Kafka's log formats use:
 * - CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78) over a RecordBatch v2 from its
 *   attributes to its end (`DefaultRecordBatch.computeChecksum`, KIP-98, `org.apache.kafka.common.utils.Crc32C`);
 * - CRC-32 (IEEE 802.3, reflected 0xEDB88320) over a legacy message from its magic byte to its end
 *   (`LegacyRecord.computeChecksum`, `java.util.zip.CRC32`).
 *
 * The fast versions call @node-rs/crc32 (SIMD, hardware CRC-32C instructions where the CPU has them).
 * The table versions are a plain, independent implementation kept as the reference the tests compare
 * against; nothing in the model should call them on a hot path.
 *
 * Both return the CRC as an unsigned 32-bit number, as Kafka stores it (`ByteUtils.writeUnsignedInt`).
 * Left out: incremental (streaming) use; every caller has the whole buffer.
 */
import { crc32 as nativeCrc32, crc32c as nativeCrc32c } from '@node-rs/crc32';

function view(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
}

/** CRC-32C of `bytes[start, end)`. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return nativeCrc32c(view(bytes, start, end)) >>> 0;
}

/** CRC-32 (IEEE) of `bytes[start, end)`, the legacy message set checksum. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return nativeCrc32(view(bytes, start, end)) >>> 0;
}

function makeTable(reflectedPolynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPolynomial : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CRC32C_TABLE = makeTable(0x82f63b78);
const CRC32_TABLE = makeTable(0xedb88320);

function tableCrc(table: Uint32Array, bytes: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Byte-at-a-time table CRC-32C: the independent reference for tests. */
export function crc32cReference(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return tableCrc(CRC32C_TABLE, bytes, start, end);
}

/** Byte-at-a-time table CRC-32 (IEEE): the independent reference for tests. */
export function crc32Reference(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return tableCrc(CRC32_TABLE, bytes, start, end);
}
