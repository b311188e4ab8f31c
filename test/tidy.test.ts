/**
 * Guards two habits cheaply (STYLE.md): deterministic code takes time and randomness from the Runtime, and
 * imports only go down the layer table of ARCHITECTURE.md. Each rule names the replacement.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** Folders whose code must be deterministic, and the files allowed to touch the host. */
const DETERMINISTIC = ['src/runtime', 'src/protocol', 'src/broker', 'src/network', 'src/client', 'src/embedded', 'sim'];
const HOST_DOORS = new Set(['src/runtime/host.ts', 'src/runtime/real-runtime.ts', 'src/protocol/codegen/generate.ts']);

const BANNED: Array<[RegExp, string]> = [
  [/\bDate\.now\b/, 'runtime.now()'],
  [/\bnew Date\(/, 'runtime.now() (format it where you print it)'],
  [/\bsetTimeout\b/, 'runtime.timer()'],
  [/\bsetInterval\b/, 'a runtime.timer() that re-arms itself'],
  [/\bsetImmediate\b/, 'runtime.timer(0, ...)'],
  // The virtual runtime's hostSettle (host.ts) waits for the microtask queue, not for ticks queued after its own.
  [/\bprocess\.nextTick\b/, 'runtime.timer(0, ...) or a promise'],
  [/\bperformance\.now\b/, 'runtime.now()'],
  [/\bprocess\.hrtime\b/, 'runtime.now()'],
  [/\bMath\.random\b/, 'runtime.random'],
  [/\bcrypto\.random\w*/, 'runtime.random / runtime.uuid()'],
  [/\brandomUUID\b/, 'runtime.uuid()'],
  [/\bprocess\.env\b/, 'an explicit option (only the server, CLIs and the real-cluster adapter read the environment)'],
];

/** May-import table from ARCHITECTURE.md ("nothing of ours" for the runtime). */
const LAYERS: Record<string, string[]> = {
  'src/runtime': [],
  'src/protocol': ['src/runtime'],
  'src/broker': ['src/runtime', 'src/protocol'],
  'src/network': ['src/runtime', 'src/protocol', 'src/broker'],
  'src/client': ['src/runtime', 'src/protocol', 'src/network/transport.ts'],
  'src/embedded': ['src/runtime', 'src/protocol', 'src/broker', 'src/network', 'src/client'],
  'src/server': ['src/runtime', 'src/protocol', 'src/broker', 'src/network', 'src/client', 'src/embedded'],
  'src/cli': ['src/runtime', 'src/protocol', 'src/broker', 'src/network', 'src/client', 'src/embedded', 'src/server', 'sim'],
  'src/adapters': ['src/runtime', 'src/protocol', 'src/client'],
  sim: ['src'],
};

function filesUnder(folder: string): string[] {
  const absolute = join(ROOT, folder);
  let entries: string[];
  try {
    entries = readdirSync(absolute);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(absolute, entry);
    const rel = relative(ROOT, path).split(sep).join('/');
    if (statSync(path).isDirectory()) return filesUnder(rel);
    return /\.(ts|js|mjs)$/.test(entry) ? [rel] : [];
  });
}

export function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

export function bannedCalls(source: string): string[] {
  const code = stripComments(source);
  return BANNED.filter(([pattern]) => pattern.test(code)).map(([pattern, use]) => `${pattern.source} (use ${use})`);
}

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) specifiers.push(match[1]);
  return specifiers;
}

function layerOf(path: string): string | undefined {
  return Object.keys(LAYERS)
    .filter((layer) => path === layer || path.startsWith(`${layer}/`))
    .sort((a, b) => b.length - a.length)[0];
}

export function layerViolations(file: string, source: string): string[] {
  const layer = layerOf(file);
  if (layer === undefined) return [];
  const allowed = [layer, ...LAYERS[layer]];
  const violations: string[] = [];
  for (const specifier of importsOf(stripComments(source))) {
    if (!specifier.startsWith('.')) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(file), specifier)).split(sep).join('/');
    if (!target.startsWith('src/') && !target.startsWith('sim/')) continue;
    const ok = allowed.some((prefix) => target === prefix || target.startsWith(`${prefix}/`));
    if (!ok) violations.push(`${file} imports ${target}: ${layer} may import only ${LAYERS[layer].join(', ') || 'nothing of ours'}`);
  }
  return violations;
}

describe('tidy', () => {
  it('the checks themselves catch what they are meant to catch', () => {
    expect(bannedCalls('const t = Date.now();')).toHaveLength(1);
    expect(bannedCalls('setTimeout(() => 1, 5)')).toHaveLength(1);
    expect(bannedCalls('const x = Math.random()')).toHaveLength(1);
    expect(bannedCalls('process.nextTick(done)')).toHaveLength(1);
    expect(bannedCalls('// we never call setTimeout here\nconst a = 1;')).toHaveLength(0);
    expect(layerViolations('src/broker/x.ts', "import { Kafka } from '../client/kafka.ts';")).toHaveLength(1);
    expect(layerViolations('src/client/x.ts', "import type { Transport } from '../network/transport.ts';")).toHaveLength(0);
    expect(layerViolations('src/client/x.ts', "import { InProcessNetwork } from '../network/in-process-network.ts';")).toHaveLength(1);
    expect(layerViolations('src/runtime/x.ts', "import { Writer } from '../protocol/codec/primitives.ts';")).toHaveLength(1);
  });

  it('model, network, client, protocol, runtime and sim code take time and randomness from the Runtime', () => {
    const offenders: string[] = [];
    for (const folder of DETERMINISTIC) {
      for (const file of filesUnder(folder)) {
        if (HOST_DOORS.has(file)) continue;
        for (const hit of bannedCalls(readFileSync(join(ROOT, file), 'utf8'))) offenders.push(`${file}: ${hit}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('imports only go down the layer table', () => {
    const violations = Object.keys(LAYERS)
      .flatMap((layer) => filesUnder(layer))
      .flatMap((file) => layerViolations(file, readFileSync(join(ROOT, file), 'utf8')));
    expect(violations).toEqual([]);
  });

  it('every src folder says what lives there (README.md or a header comment in index.ts)', () => {
    const folders = ['src/runtime', 'src/protocol'].concat(
      ['src/broker', 'src/network', 'src/client', 'src/embedded', 'src/server', 'src/cli', 'src/adapters', 'sim'].filter((f) => filesUnder(f).length > 0),
    );
    const missing = folders.filter((folder) => {
      const entries = readdirSync(join(ROOT, folder));
      if (entries.includes('README.md')) return false;
      return !(entries.includes('index.ts') && readFileSync(join(ROOT, folder, 'index.ts'), 'utf8').startsWith('/**'));
    });
    expect(missing).toEqual([]);
  });
});
