#!/usr/bin/env node
// The `kafkasim` command. kafkasim ships as TypeScript, so this registers tsx's ESM loader (a runtime
// dependency for this reason) with kafkasim's own tsconfig, whatever the working directory, and imports
// the CLI's entry, src/cli/main.ts.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// Everything the command started is closed by now; should anything linger, do not hang on it.
setTimeout(() => process.exit(), 2_000).unref();
