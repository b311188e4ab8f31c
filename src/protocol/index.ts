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
