/**
 * `npm run bench`: runs every `bench/*.bench.ts` in name order, one after the other in this process. Each bench
 * module exports a default async function that measures and prints its own section. Timing lives only here
 * and in those modules (bench/ is not model code, so it may read the wall clock).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.ts') && (only === undefined || name.includes(only)))
  .sort();

console.log(`kafkasim benchmarks: node ${process.version}, ${process.platform}/${process.arch}`);
console.log('command: npm run bench [-- <name filter>]\n');
for (const name of files) {
  const module = (await import(pathToFileURL(join(here, name)).href)) as { default?: () => Promise<void> | void };
  if (typeof module.default !== 'function') throw new Error(`${name} must export a default function that runs the benchmark`);
  await module.default();
  console.log('');
}
