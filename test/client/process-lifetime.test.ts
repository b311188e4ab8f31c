import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('process lifetime on the embedded default cluster', () => {
  it('a plain program stays alive while its consumer runs (open connections hold it, as sockets do) and exits after disconnect', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'plain-script.ts')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_ENV: 'production', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    });
    expect(result.stdout.trim()).toBe('received hi');
    expect(result.status).toBe(0);
  });
});
