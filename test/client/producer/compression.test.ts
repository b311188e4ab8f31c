/**
 * Compression as KafkaJS offers it: GZIP built in, Snappy/LZ4/ZSTD refused with KafkaJSNotImplemented until
 * a codec is registered in `CompressionCodecs` (here the real kafkajs-snappy and kafkajs-lz4 packages), and
 * the batches on the broker carry the codec id and decode back to the messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertCodecRegisteredForAttributes,
  CompressionCodecs,
  CompressionTypes,
  lookupCodec,
} from '../../../src/client/compression.ts';
import { Partitioners } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { cluster, kafka, readPartition, require } from './support.ts';

const kafkajs = require('kafkajs') as typeof import('kafkajs');
const SnappyCodec = require('kafkajs-snappy') as () => unknown;
const LZ4Codec = require('kafkajs-lz4') as new () => { codec: () => unknown };

const defaults = { ...CompressionCodecs };
afterEach(() => {
  for (const type of [1, 2, 3, 4] as const) CompressionCodecs[type] = defaults[type];
});

async function setup() {
  const sim = cluster({ topics: ['zipped'] });
  const producer = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let produces = 0;
  sim.network.intercept(ApiKey.Produce, () => ((produces += 1), { action: 'pass' }), { keep: true });
  return { sim, producer, produces: () => produces };
}

const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `value ${i} `.repeat(20) }));

describe('producer compression', () => {
  it('exports the same CompressionTypes and registry keys as kafkajs', () => {
    expect(CompressionTypes).toEqual(kafkajs.CompressionTypes);
    expect(Object.keys(CompressionCodecs)).toEqual(Object.keys(kafkajs.CompressionCodecs));
    for (const type of [2, 3, 4] as const) {
      let theirs: unknown;
      try {
        kafkajs.CompressionCodecs[type]();
      } catch (e) {
        theirs = e;
      }
      expect(() => CompressionCodecs[type]()).toThrow((theirs as Error).message);
      expect(() => CompressionCodecs[type]()).toThrowError(expect.objectContaining({ name: 'KafkaJSNotImplemented', retriable: false }));
    }
  });

  it('GZIP is built in: the batch is stored gzip-compressed and decodes to the messages', async () => {
    const { sim, producer } = await setup();
    await producer.send({ topic: 'zipped', compression: CompressionTypes.GZIP, messages });
    const stored = await readPartition(sim, 'zipped', 0);
    expect(stored.map((r) => [r.key, r.value])).toEqual(messages.map((m) => [m.key, m.value]));
    expect(stored.every((r) => r.compression === CompressionTypes.GZIP)).toBe(true);
  });

  for (const [name, type] of [
    ['Snappy', CompressionTypes.Snappy],
    ['LZ4', CompressionTypes.LZ4],
    ['ZSTD', CompressionTypes.ZSTD],
  ] as const) {
    it(`${name} without a registered codec rejects with KafkaJSNotImplemented, sends nothing and does not retry`, async () => {
      const { producer, produces } = await setup();
      await expect(producer.send({ topic: 'zipped', compression: type, messages })).rejects.toMatchObject({
        name: 'KafkaJSNotImplemented',
        message: `${name} compression not implemented`,
        retriable: false,
      });
      expect(produces()).toBe(0);
      expect(() => assertCodecRegisteredForAttributes(type)).toThrow(`${name} compression not implemented`);
    });
  }

  it('Snappy and LZ4 work once kafkajs-snappy and kafkajs-lz4 are registered', async () => {
    CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
    CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
    const { sim, producer } = await setup();
    await producer.send({ topic: 'zipped', compression: CompressionTypes.Snappy, messages: messages.slice(0, 10) });
    await producer.send({ topic: 'zipped', compression: CompressionTypes.LZ4, messages: messages.slice(10) });
    const stored = await readPartition(sim, 'zipped', 0);
    expect(stored.map((r) => r.value)).toEqual(messages.map((m) => m.value));
    expect(stored.map((r) => r.compression)).toEqual([...Array(10).fill(CompressionTypes.Snappy), ...Array(10).fill(CompressionTypes.LZ4)]);
    expect(assertCodecRegisteredForAttributes(CompressionTypes.Snappy)).toBe(true);
    expect(assertCodecRegisteredForAttributes(CompressionTypes.None)).toBe(false);
  });

  it('the registry is the gate: a registered factory that throws fails the send with its error', async () => {
    CompressionCodecs[CompressionTypes.ZSTD] = () => {
      throw new RangeError('no zstd today');
    };
    const { producer } = await setup();
    await expect(producer.send({ topic: 'zipped', compression: CompressionTypes.ZSTD, messages })).rejects.toThrow('no zstd today');
    expect(lookupCodec(CompressionTypes.None)).toBeNull();
  });

  it('a compression type with no registry entry fails with the TypeError KafkaJS raises', async () => {
    const { producer } = await setup();
    await expect(producer.send({ topic: 'zipped', compression: 7 as never, messages })).rejects.toThrow(
      new TypeError("Cannot read properties of null (reading 'compress')"),
    );
  });
});
