import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as kafkasim from '../../src/index.ts';

const kafkajs = createRequire(import.meta.url)('kafkajs') as Record<string, unknown>;

describe('package exports', () => {
  it('exports every runtime symbol KafkaJS 2.2.4 exports, with the same kind of value', () => {
    const ours = kafkasim as unknown as Record<string, unknown>;
    const missing = Object.keys(kafkajs).filter((name) => !(name in ours));
    expect(missing).toEqual([]);
    for (const name of Object.keys(kafkajs)) expect(typeof ours[name], name).toBe(typeof kafkajs[name]);
  });

  it('error classes keep KafkaJS names and inheritance', () => {
    const ours = kafkasim as unknown as Record<string, new (...args: unknown[]) => Error>;
    for (const name of Object.keys(kafkajs).filter((n) => n.startsWith('KafkaJS'))) {
      const theirs = kafkajs[name] as new (...args: unknown[]) => Error;
      const theirParent = Object.getPrototypeOf(theirs).name;
      expect(Object.getPrototypeOf(ours[name]).name, name).toBe(theirParent);
    }
  });

  it('enum-like exports have the same keys and values', () => {
    const ours = kafkasim as unknown as Record<string, unknown>;
    for (const name of ['logLevel', 'CompressionTypes', 'ConfigResourceTypes', 'AclResourceTypes', 'AclOperationTypes', 'AclPermissionTypes', 'ResourcePatternTypes', 'ConfigSource']) {
      expect(ours[name], name).toEqual(kafkajs[name]);
    }
  });
});
