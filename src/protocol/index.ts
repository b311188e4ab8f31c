/**
 * The protocol layer: Kafka's requests and responses as typed objects (generated from the official
 * specs), their per-version codecs, headers and frames, record batches and the error table. The
 * in-process client, the broker model and the TCP server all speak through this one layer.
 */
export * from './generated/index.ts';
export * from './frames.ts';
export {
  decodeMessage,
  encodeMessage,
  hasVersion,
  isFlexible,
  defaultStruct,
  MAX_VERSION,
  ProtocolEncodeError,
  type FieldSchema,
  type MessageSchema,
  type StructSchema,
  type VersionRange,
} from './codec/message-codec.ts';
export { ProtocolDecodeError, Reader, Writer, ZERO_UUID } from './codec/primitives.ts';
export * from './codec/record-batch.ts';
export * from './codec/control-records.ts';
export * from './codec/message-set.ts';
export * from './codec/compression.ts';
export { crc32c, crc32 } from './codec/crc32c.ts';
export * from './error-codes.ts';
