/**
 * The consumer's side of KafkaJS's compression registry: decoding a batch compressed with a codec the user
 * has not registered in `CompressionCodecs` fails with KafkaJSNotImplemented, where KafkaJS's decoder fails.
 */
import type { CompressionCodec } from '../../protocol/index.ts';
import { assertCodecRegisteredForAttributes } from '../compression.ts';

export function requireCodec(codec: CompressionCodec): void {
  // The codec sits in the low three bits of the batch attributes.
  assertCodecRegisteredForAttributes(codec);
}
