/**
 * docs/ is part of the product, so every example in it runs. In any docs/**.md file, a ```ts block whose
 * first line is `// example: <name>` is written to a file inside the package (so `import ... from
 * 'kafkasim'` resolves to this checkout through the package's own exports), run with tsx, and its stdout
 * must equal the ```text block that follows it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const RUN_DIR = join(ROOT, '.docs-run');

export interface DocExample {
  file: string;
  name: string;
  code: string;
  expected: string | null;
}

export function extractExamples(file: string, markdown: string): DocExample[] {
  const examples: DocExample[] = [];
  const blocks = [...markdown.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  blocks.forEach((block, index) => {
    const [, language, body] = block;
    const first = body.split('\n', 1)[0];
    const match = /^\/\/ example: ([\w-]+)/.exec(first);
    if (language !== 'ts' || match === null) return;
    const next = blocks[index + 1];
    const between = next === undefined ? '' : markdown.slice(block.index! + block[0].length, next.index);
    const expected = next !== undefined && next[1] === 'text' && between.trim() === '' ? next[2] : null;
    examples.push({ file, name: match[1], code: body, expected });
  });
  return examples;
}

function markdownFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return entry.endsWith('.md') ? [path] : [];
  });
}

const examples = markdownFiles(join(ROOT, 'docs')).flatMap((path) =>
  extractExamples(relative(ROOT, path), readFileSync(path, 'utf8')),
);

describe('docs examples', () => {
  it('the extractor pairs an example with the text block right after it', () => {
    const md = '# t\n```ts\n// example: a\nconsole.log(1)\n```\n\n```text\n1\n```\n```ts\nnot an example\n```\n';
    expect(extractExamples('x.md', md)).toEqual([{ file: 'x.md', name: 'a', code: '// example: a\nconsole.log(1)\n', expected: '1\n' }]);
  });

  it('docs contain runnable examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  mkdirSync(RUN_DIR, { recursive: true });
  afterAll(() => rmSync(RUN_DIR, { recursive: true, force: true }));

  for (const example of examples) {
    it(`${example.file}: ${example.name}`, () => {
      expect(example.expected, 'an example must be followed by a ```text block with its output').not.toBeNull();
      const path = join(RUN_DIR, `${example.name}.ts`);
      writeFileSync(path, example.code);
      const output = execFileSync(process.execPath, ['--import', 'tsx', path], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(output).toBe(example.expected);
    });
  }
});
