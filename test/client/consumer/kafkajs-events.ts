/**
 * The payload keys of every consumer instrumentation event, read from the installed kafkajs package's
 * source rather than copied into the test: each `emit(EVENT, payload)` call site in the files that emit
 * consumer events is found with the TypeScript parser, and its payload object's keys are collected
 * (following `...spread` and `const payload = {...}` to the object literal they name). A KafkaJS upgrade
 * that changes a payload thus changes what the parity test expects.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/** KafkaJS's constant names → our `consumer.events` keys (the network events are renamed by `wrap`). */
const CONSTANTS: Record<string, string> = {
  HEARTBEAT: 'HEARTBEAT',
  COMMIT_OFFSETS: 'COMMIT_OFFSETS',
  GROUP_JOIN: 'GROUP_JOIN',
  FETCH_START: 'FETCH_START',
  FETCH: 'FETCH',
  START_BATCH_PROCESS: 'START_BATCH_PROCESS',
  END_BATCH_PROCESS: 'END_BATCH_PROCESS',
  CONNECT: 'CONNECT',
  DISCONNECT: 'DISCONNECT',
  STOP: 'STOP',
  CRASH: 'CRASH',
  REBALANCING: 'REBALANCING',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'RECEIVED_UNSUBSCRIBED_TOPICS',
  NETWORK_REQUEST: 'REQUEST',
  NETWORK_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  NETWORK_REQUEST_QUEUE_SIZE: 'REQUEST_QUEUE_SIZE',
};

/** The files of kafkajs/src where consumer events (and the network events consumers re-emit) are emitted. */
const FILES = [
  'consumer/index.js',
  'consumer/consumerGroup.js',
  'consumer/runner.js',
  'consumer/offsetManager/index.js',
  'network/requestQueue/socketRequest.js',
  'network/requestQueue/index.js',
];

export interface EmitSite {
  /** Key of `consumer.events`. */
  event: string;
  file: string;
  line: number;
  /** Sorted payload keys; empty when the event is emitted without a payload. */
  keys: string[];
}

function lastName(node: ts.Expression): string | undefined {
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  return undefined;
}

function isEmitCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text === 'emit';
  // socketRequest.js emits through `this[PRIVATE.EMIT_EVENT](eventName, payload)`.
  if (ts.isElementAccessExpression(callee)) return callee.argumentExpression.getText().endsWith('EMIT_EVENT');
  return false;
}

const contains = (outer: ts.Node, inner: ts.Node): boolean => outer.getStart() <= inner.getStart() && inner.end <= outer.end;

/** The object literal a `const name = {...}` visible from `from` binds, innermost scope first. */
function findObjectBinding(from: ts.Node, name: string): ts.ObjectLiteralExpression {
  for (let scope: ts.Node | undefined = from.parent; scope !== undefined; scope = scope.parent) {
    if (!ts.isFunctionLike(scope) && !ts.isSourceFile(scope)) continue;
    let found: ts.ObjectLiteralExpression | undefined;
    const visit = (node: ts.Node): void => {
      if (found !== undefined) return;
      if (node !== scope && ts.isFunctionLike(node) && !contains(node, from)) return;
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name && node.initializer !== undefined) {
        if (ts.isObjectLiteralExpression(node.initializer) && node.pos < from.pos) found = node.initializer;
      }
      ts.forEachChild(node, visit);
    };
    visit(scope);
    if (found !== undefined) return found;
  }
  throw new Error(`kafkajs source: no object literal bound to "${name}" visible at ${from.getText()}`);
}

function keysOf(node: ts.Expression): string[] {
  if (ts.isIdentifier(node)) return keysOf(findObjectBinding(node, node.text));
  if (!ts.isObjectLiteralExpression(node)) throw new Error(`kafkajs source: unexpected payload ${node.getText()}`);
  const keys: string[] = [];
  for (const property of node.properties) {
    if (ts.isSpreadAssignment(property)) keys.push(...keysOf(property.expression));
    else if (property.name !== undefined && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) keys.push(property.name.text);
    else throw new Error(`kafkajs source: computed payload key ${property.getText()}`);
  }
  return [...new Set(keys)].sort();
}

/** Every consumer-event emit site in the installed kafkajs, with its payload keys. */
export function kafkajsEmitSites(): EmitSite[] {
  const require = createRequire(import.meta.url);
  const src = join(dirname(require.resolve('kafkajs/package.json')), 'src');
  const sites: EmitSite[] = [];
  for (const file of FILES) {
    const text = readFileSync(join(src, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && isEmitCall(node) && node.arguments.length > 0) {
        const event = CONSTANTS[lastName(node.arguments[0]) ?? ''];
        if (event !== undefined) {
          sites.push({
            event,
            file,
            line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
            keys: node.arguments.length > 1 ? keysOf(node.arguments[1]) : [],
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return sites;
}
