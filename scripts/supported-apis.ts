/**
 * Writes docs/reference/supported-apis.md from the handler registry (`npx tsx scripts/supported-apis.ts`);
 * test/broker/supported-apis.test.ts fails when the page and the registry disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HANDLERS } from '../src/broker/handlers/index.ts';
import { API_SCHEMAS } from '../src/protocol/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SUPPORTED_APIS_PAGE = join(ROOT, 'docs/reference/supported-apis.md');

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** The "Leaves out: ..." sentence of a handler file's header comment. */
function leavesOut(file: string): string {
  const source = readFileSync(join(ROOT, 'src/broker/handlers', `${file}.ts`), 'utf8');
  const header = /^\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  const text = header.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join(' ');
  const match = /Leaves out:\s*(.*?)(?:$)/i.exec(text);
  return (match?.[1] ?? '').replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
}

export function renderSupportedApis(): string {
  const rows = [...HANDLERS]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((handler) => {
      const api = API_SCHEMAS.get(handler.apiKey)!;
      const file = kebab(api.name);
      const kafka = `${api.request.validVersions[0]}-${api.request.validVersions[1]}`;
      return `| ${handler.apiKey} | ${api.name} | ${handler.minVersion}-${handler.maxVersion} | ${kafka} | [${file}.ts](../../src/broker/handlers/${file}.ts) | ${leavesOut(file)} |`;
    });
  return [
    '# Supported APIs',
    '',
    'Generated from the broker\'s handler registry (`src/broker/handlers/index.ts`) by `npx tsx scripts/supported-apis.ts`;',
    'the ApiVersions answer comes from the same registry, so this is exactly what the broker advertises. Each handler',
    'file opens with what it follows from Kafka and what it leaves out. "Spec versions" are those of the message',
    'specs in ../shared/kafka-protocol; Kafka 4.0 itself stopped serving some old ones (KIP-896), which kafkasim',
    'keeps for old clients.',
    '',
    '| key | API | versions served | spec versions | handler | leaves out |',
    '|---:|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(SUPPORTED_APIS_PAGE, renderSupportedApis());
  console.log(`wrote ${SUPPORTED_APIS_PAGE}`);
}
