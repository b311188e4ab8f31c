/**
 * The protocol generator (`npm run gen:protocol`). From Kafka's message specs it writes, per API, one file in
 * `src/protocol/generated/` holding the TypeScript types of the request and response (all versions in one
 * shape, as Kafka's MessageData classes do) and their schemas as data, which the generic codec in
 * `../codec/message-codec.ts` compiles per version. `index.ts` there is the registry by api key.
 *
 * Each struct gets two types: `X`, what decoding returns (every field filled, defaults for fields the
 * version lacks), and `XInput`, what encoding accepts (a field is optional when the codec can fill it:
 * it has a spec default, is tagged, is nullable, or is missing from some valid version).
 *
 * `generateProtocol(specDir)` is pure (files in, file texts out) so a test can regenerate in memory and
 * compare with the committed files.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_VERSION, parseRange, readSpecs, type Range, type SpecField, type SpecMessage } from './spec.ts';

const PRIMITIVES = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
]);

const TS_TYPE: Record<string, string> = {
  bool: 'boolean',
  int8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  float64: 'number',
  string: 'string',
  bytes: 'Buffer',
  records: 'Buffer',
  uuid: 'string',
};

export const camelCase = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

/** `AddOffsetsToTxn` -> `add-offsets-to-txn`. */
export const kebabCase = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();

const rangeLiteral = (range: Range): string => `[${range[0]}, ${range[1]}]`;

const describeRange = (range: Range | null): string =>
  range === null ? 'none' : range[1] === MAX_VERSION ? `v${range[0]}+` : range[0] === range[1] ? `v${range[0]}` : `v${range[0]}-${range[1]}`;

interface StructDef {
  typeName: string;
  specName: string;
  fields: SpecField[];
}

/** Collects the structs of one message, children before parents, and names them uniquely. */
class MessageModel {
  readonly structs: StructDef[] = [];
  private readonly byName = new Map<string, StructDef>();
  private readonly common = new Map<string, SpecField[]>();

  constructor(readonly message: SpecMessage) {
    for (const struct of message.commonStructs ?? []) this.common.set(struct.name, struct.fields);
    for (const struct of message.commonStructs ?? []) this.visit(struct.name, struct.fields);
    this.visitFields(message.fields);
    const root: StructDef = { typeName: message.name, specName: message.name, fields: message.fields };
    this.structs.push(root);
    this.byName.set(message.name, root);
  }

  private visitFields(fields: SpecField[]): void {
    for (const field of fields) {
      const structName = structNameOf(field.type);
      if (structName === null) continue;
      this.visit(structName, field.fields ?? this.common.get(structName) ?? fail(`${this.message.name}: unknown struct ${structName}`));
    }
  }

  private visit(specName: string, fields: SpecField[]): void {
    const existing = this.byName.get(specName);
    if (existing !== undefined) {
      if (existing.fields !== fields && JSON.stringify(existing.fields) !== JSON.stringify(fields)) {
        throw new Error(`${this.message.name}: struct ${specName} is declared twice with different fields`);
      }
      return;
    }
    // Kafka often names nested structs after their message already (JoinGroupRequestProtocol); don't stutter.
    const typeName = specName.startsWith(this.message.name) ? specName : `${this.message.name}${specName}`;
    const def: StructDef = { typeName, specName, fields };
    this.byName.set(specName, def);
    this.visitFields(fields);
    this.structs.push(def);
  }

  struct(specName: string): StructDef {
    return this.byName.get(specName) ?? fail(`${this.message.name}: unknown struct ${specName}`);
  }
}

function fail(message: string): never {
  throw new Error(message);
}

function structNameOf(type: string): string | null {
  const base = type.startsWith('[]') ? type.slice(2) : type;
  return PRIMITIVES.has(base) ? null : base;
}

function isOptionalInput(field: SpecField, valid: Range): boolean {
  const versions = parseRange(field.versions)!;
  return (
    field.default !== undefined ||
    field.taggedVersions !== undefined ||
    field.nullableVersions !== undefined ||
    versions[0] > valid[0] ||
    versions[1] < valid[1]
  );
}

function tsFieldType(model: MessageModel, field: SpecField, input: boolean): string {
  const suffix = input ? 'Input' : '';
  const isArray = field.type.startsWith('[]');
  const base = isArray ? field.type.slice(2) : field.type;
  const element = PRIMITIVES.has(base) ? TS_TYPE[base] : `${model.struct(base).typeName}${suffix}`;
  const type = isArray ? `${element}[]` : element;
  return field.nullableVersions !== undefined ? `${type} | null` : type;
}

function defaultLiteral(field: SpecField): string | undefined {
  const raw = field.default;
  if (raw === undefined) return undefined;
  if (raw === 'null') return 'null';
  const base = field.type;
  if (base === 'bool') return String(raw === true || raw === 'true');
  if (base === 'int64') return `${BigInt(raw as string | number)}n`;
  if (base === 'string') return JSON.stringify(String(raw));
  if (PRIMITIVES.has(base)) {
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`bad default ${String(raw)} for ${field.name}`);
    return String(value);
  }
  throw new Error(`custom default on non-primitive field ${field.name}`);
}

function fieldSchemaLiteral(model: MessageModel, field: SpecField): string {
  const parts = [`name: '${camelCase(field.name)}'`];
  const isArray = field.type.startsWith('[]');
  const base = isArray ? field.type.slice(2) : field.type;
  const primitive = PRIMITIVES.has(base);
  if (isArray) {
    parts.push(`type: 'array'`);
    parts.push(primitive ? `elementType: '${base}'` : `struct: ${model.struct(base).typeName}Schema`);
  } else if (primitive) {
    parts.push(`type: '${base}'`);
  } else {
    parts.push(`type: 'struct'`, `struct: ${model.struct(base).typeName}Schema`);
  }
  parts.push(`versions: ${rangeLiteral(parseRange(field.versions)!)}`);
  if (field.nullableVersions !== undefined) {
    const range = parseRange(field.nullableVersions);
    if (range !== null) parts.push(`nullableVersions: ${rangeLiteral(range)}`);
  }
  if (field.taggedVersions !== undefined) {
    parts.push(`taggedVersions: ${rangeLiteral(parseRange(field.taggedVersions)!)}`, `tag: ${field.tag}`);
  }
  if (field.flexibleVersions !== undefined) {
    const range = parseRange(field.flexibleVersions);
    parts.push(`flexibleVersions: ${range === null ? `'none'` : rangeLiteral(range)}`);
  }
  if (field.ignorable === true) parts.push('ignorable: true');
  if (field.entityType !== undefined) parts.push(`entityType: '${field.entityType}'`);
  const fallback = defaultLiteral(field);
  if (fallback !== undefined) parts.push(`default: ${fallback}`);
  return `{ ${parts.join(', ')} }`;
}

function docComment(field: SpecField, indent: string): string {
  const notes = [describeRange(parseRange(field.versions))];
  if (field.nullableVersions !== undefined) notes.push(`nullable ${describeRange(parseRange(field.nullableVersions))}`);
  if (field.taggedVersions !== undefined) notes.push(`tag ${field.tag}`);
  const about = (field.about ?? '').replace(/\*\//g, '* /').replace(/\s+/g, ' ').trim();
  return `${indent}/** ${about}${about ? ' ' : ''}(${notes.join(', ')}) */\n`;
}

function emitMessage(model: MessageModel): { types: string; schemas: string } {
  const { message } = model;
  const valid = parseRange(message.validVersions)!;
  let types = '';
  let schemas = '';
  for (const struct of model.structs) {
    const isRoot = struct.typeName === message.name;
    for (const input of [false, true]) {
      types += `export interface ${struct.typeName}${input ? 'Input' : ''} {\n`;
      for (const field of struct.fields) {
        types += docComment(field, '  ');
        const optional = input && isOptionalInput(field, valid) ? '?' : '';
        types += `  ${camelCase(field.name)}${optional}: ${tsFieldType(model, field, input)};\n`;
      }
      types += '}\n\n';
    }
    const fields = struct.fields.map((field) => `    ${fieldSchemaLiteral(model, field)},\n`).join('');
    if (isRoot) {
      const flexible = parseRange(message.flexibleVersions);
      schemas +=
        `export const ${struct.typeName}Schema: MessageSchema = {\n` +
        `  kind: '${message.type}',\n` +
        (message.apiKey !== undefined ? `  apiKey: ${message.apiKey},\n` : '') +
        `  name: '${message.name}',\n` +
        `  validVersions: ${rangeLiteral(valid)},\n` +
        `  flexibleVersions: ${flexible === null ? 'null' : rangeLiteral(flexible)},\n` +
        `  fields: [\n${fields}  ],\n};\n\n`;
    } else {
      schemas += `export const ${struct.typeName}Schema: StructSchema = {\n  name: '${struct.specName}',\n  fields: [\n${fields}  ],\n};\n\n`;
    }
  }
  return { types, schemas };
}

const HEADER = (sources: string[]): string =>
  `// Generated by \`npm run gen:protocol\` from Kafka's ${sources.join(' and ')}. Do not edit.\n` +
  `// Types describe every version at once; the schemas below drive ../codec/message-codec.ts.\n`;

interface Api {
  name: string;
  apiKey: number;
  request: SpecMessage;
  response: SpecMessage;
}

/** Generates every file of `src/protocol/generated/`, keyed by file name. */
export function generateProtocol(specDirectory: string): Map<string, string> {
  const specs = readSpecs(specDirectory);
  const files = new Map<string, string>();
  const apis = new Map<number, Partial<Api>>();
  const standalone: SpecMessage[] = [];
  for (const spec of specs) {
    if (spec.type === 'request' || spec.type === 'response') {
      const entry = apis.get(spec.apiKey!) ?? {};
      entry.apiKey = spec.apiKey!;
      entry[spec.type] = spec;
      entry.name = spec.name.replace(/(Request|Response)$/, '');
      apis.set(spec.apiKey!, entry);
    } else standalone.push(spec);
  }

  const sortedApis = [...apis.values()]
    .map((api) => {
      if (api.request === undefined || api.response === undefined) throw new Error(`api ${api.name} lacks a request or response`);
      return api as Api;
    })
    .sort((a, b) => a.apiKey - b.apiKey);

  const emitFile = (messages: SpecMessage[]): string => {
    let types = '';
    let schemas = '';
    for (const message of messages) {
      const emitted = emitMessage(new MessageModel(message));
      types += emitted.types;
      schemas += emitted.schemas;
    }
    const usesStruct = schemas.includes(': StructSchema');
    const imports = usesStruct ? 'MessageSchema, StructSchema' : 'MessageSchema';
    return (
      HEADER(messages.map((message) => `${message.name}.json`)) +
      `import type { ${imports} } from '../codec/message-codec.ts';\n\n` +
      types +
      schemas.trimEnd() +
      '\n'
    );
  };

  for (const api of sortedApis) files.set(`${kebabCase(api.name)}.ts`, emitFile([api.request, api.response]));
  for (const message of standalone.sort((a, b) => a.name.localeCompare(b.name))) {
    files.set(`${kebabCase(message.name)}.ts`, emitFile([message]));
  }

  let index =
    `// Generated by \`npm run gen:protocol\`: the registry of every API in Kafka's message specs. Do not edit.\n` +
    `import type { MessageSchema } from '../codec/message-codec.ts';\n`;
  for (const api of sortedApis) {
    const file = kebabCase(api.name);
    index += `import { ${api.name}RequestSchema, ${api.name}ResponseSchema } from './${file}.ts';\n`;
    index += `import type { ${api.name}Request, ${api.name}RequestInput, ${api.name}Response, ${api.name}ResponseInput } from './${file}.ts';\n`;
  }
  index += '\n';
  for (const file of files.keys()) index += `export * from './${file}';\n`;
  index += `\n/** Kafka's api keys by API name. */\nexport const ApiKey = {\n`;
  for (const api of sortedApis) index += `  ${api.name}: ${api.apiKey},\n`;
  index += `} as const;\n\nexport type ApiKeyNumber = (typeof ApiKey)[keyof typeof ApiKey];\n\n`;
  index += `export interface ApiSchemas {\n  readonly apiKey: number;\n  readonly name: string;\n  readonly request: MessageSchema;\n  readonly response: MessageSchema;\n}\n\n`;
  index += `/** Every API's request and response schema, by api key. */\nexport const API_SCHEMAS: ReadonlyMap<number, ApiSchemas> = new Map([\n`;
  for (const api of sortedApis) {
    index += `  [${api.apiKey}, { apiKey: ${api.apiKey}, name: '${api.name}', request: ${api.name}RequestSchema, response: ${api.name}ResponseSchema }],\n`;
  }
  index += `]);\n\n`;
  for (const [label, suffix] of [
    ['RequestByKey', 'Request'],
    ['RequestInputByKey', 'RequestInput'],
    ['ResponseByKey', 'Response'],
    ['ResponseInputByKey', 'ResponseInput'],
  ] as const) {
    index += `export interface ${label} {\n`;
    for (const api of sortedApis) index += `  ${api.apiKey}: ${api.name}${suffix};\n`;
    index += `}\n\n`;
  }
  files.set('index.ts', index.trimEnd() + '\n');
  return files;
}

export const GENERATED_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '../generated');
export const SPEC_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/kafka-protocol/message');

function main(): void {
  const files = generateProtocol(SPEC_DIRECTORY);
  mkdirSync(GENERATED_DIRECTORY, { recursive: true });
  for (const stale of readdirSync(GENERATED_DIRECTORY)) {
    if (!files.has(stale)) rmSync(join(GENERATED_DIRECTORY, stale));
  }
  for (const [name, content] of files) writeFileSync(join(GENERATED_DIRECTORY, name), content);
  console.log(`generated ${files.size} files in ${GENERATED_DIRECTORY} from ${SPEC_DIRECTORY}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
