import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_DIRECTORY, SPEC_DIRECTORY, generateProtocol, kebabCase } from '../../src/protocol/codegen/generate.ts';
import { parseRange, stripComments } from '../../src/protocol/codegen/spec.ts';

describe('protocol generator', () => {
  it('finds Kafka\'s message specs beside the repository (../shared/kafka-protocol)', () => {
    expect(existsSync(SPEC_DIRECTORY), `missing ${SPEC_DIRECTORY}`).toBe(true);
  });

  it('committed src/protocol/generated is exactly what the generator writes today', () => {
    const files = generateProtocol(SPEC_DIRECTORY);
    expect(readdirSync(GENERATED_DIRECTORY).sort()).toEqual([...files.keys()].sort());
    for (const [name, content] of files) {
      expect(readFileSync(join(GENERATED_DIRECTORY, name), 'utf8'), `${name} is stale: run npm run gen:protocol`).toBe(content);
    }
  });

  it('parses version ranges as the spec format defines them', () => {
    expect(parseRange('0+')).toEqual([0, 0x7fff]);
    expect(parseRange('3-5')).toEqual([3, 5]);
    expect(parseRange('7')).toEqual([7, 7]);
    expect(parseRange('none')).toBeNull();
  });

  it('strips comments but not // inside strings', () => {
    const source = '// licence\n{ "about": "see https://kafka.apache.org", // trailing\n "x": 1 }';
    expect(JSON.parse(stripComments(source))).toEqual({ about: 'see https://kafka.apache.org', x: 1 });
  });

  it('names files in kebab case', () => {
    expect(kebabCase('AddOffsetsToTxn')).toBe('add-offsets-to-txn');
    expect(kebabCase('DescribeTopicPartitions')).toBe('describe-topic-partitions');
  });
});
