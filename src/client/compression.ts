/**
 * KafkaJS's `CompressionTypes` and `CompressionCodecs` (`src/protocol/message/compression/index.js`): the
 * codec ids of the record-batch attributes, and a mutable registry of codec factories keyed by id. As in
 * KafkaJS, only GZIP is registered out of the box; Snappy, LZ4 and ZSTD factories throw
 * `KafkaJSNotImplemented('<Name> compression not implemented')` until the application registers one, e.g.
 * `CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec` (kafkajs-snappy) or
 * `CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec` (kafkajs-lz4).
 *
 * The registry is the gate, not the implementation: once a factory is registered (and calling it does not
 * throw), the bytes are produced and read by the project's own synchronous codecs
 * (`src/protocol/codec/compression.ts`), which write what the Java client writes. That keeps compression
 * deterministic (KafkaJS's codecs are async and run on the libuv pool) and byte-compatible with Kafka; the
 * object a user factory returns is not called. Left out: codecs for ids outside 1-4 (KafkaJS would call
 * them; here a batch with such an id cannot be encoded and fails with a RangeError).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { KafkaJSNotImplemented } from './errors.ts';

export const CompressionTypes = { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];
/**
 * KafkaJS declares an enum, whose members are types too (`compression: CompressionTypes.GZIP`); this type-only
 * namespace gives the same, and is erased (no runtime enum, so the file stays strippable TypeScript).
 */
export declare namespace CompressionTypes {
  type None = typeof CompressionTypes.None;
  type GZIP = typeof CompressionTypes.GZIP;
  type Snappy = typeof CompressionTypes.Snappy;
  type LZ4 = typeof CompressionTypes.LZ4;
  type ZSTD = typeof CompressionTypes.ZSTD;
}

/** The low three bits of a batch's attributes name its codec. */
export const COMPRESSION_CODEC_MASK = 0x07;

/** The shape KafkaJS codecs have; kept for user codecs registered in `CompressionCodecs`. */
export interface CompressionCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export type CompressionCodecFactory = () => CompressionCodec;

/** KafkaJS's gzip codec (`compression/gzip.js`), synchronous underneath. */
const gzipCodec: CompressionCodec = {
  compress: async (encoder) => gzipSync(encoder.buffer),
  decompress: async (buffer) => gunzipSync(buffer),
};

const notImplemented =
  (name: string): CompressionCodecFactory =>
  () => {
    throw new KafkaJSNotImplemented(`${name} compression not implemented`);
  };

export const CompressionCodecs: {
  // `any` as in KafkaJS's declaration, so that code calling a registered codec type-checks unchanged.
  [CompressionTypes.GZIP]: () => any;
  [CompressionTypes.Snappy]: () => any;
  [CompressionTypes.LZ4]: () => any;
  [CompressionTypes.ZSTD]: () => any;
  [type: number]: (() => any) | undefined;
} = {
  [CompressionTypes.GZIP]: () => gzipCodec,
  [CompressionTypes.Snappy]: notImplemented('Snappy'),
  [CompressionTypes.LZ4]: notImplemented('LZ4'),
  [CompressionTypes.ZSTD]: notImplemented('ZSTD'),
};

/**
 * KafkaJS's `lookupCodec`: the registered factory's codec, `null` when nothing is registered under `type`
 * (None included); throws what an unregistered default factory throws (KafkaJSNotImplemented).
 */
export function lookupCodec(type: number): unknown {
  const factory = CompressionCodecs[type];
  return factory ? factory() : null;
}

/** KafkaJS's `lookupCodecByAttributes`, for decoding a batch: the codec named by its attribute bits. */
export function lookupCodecByAttributes(attributes: number): unknown {
  return lookupCodec(attributes & COMPRESSION_CODEC_MASK);
}

/**
 * For the consumer: throws KafkaJSNotImplemented when a batch compressed with `attributes`' codec cannot be
 * decoded because no codec is registered, exactly where KafkaJS's decoder would throw; returns whether the
 * batch is compressed with a registered codec.
 */
export function assertCodecRegisteredForAttributes(attributes: number): boolean {
  return lookupCodecByAttributes(attributes) !== null;
}
