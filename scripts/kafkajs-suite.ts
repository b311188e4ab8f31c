/**
 * Runs the public-API subset of KafkaJS's own broker tests against `kafkasim broker`
 * (../shared/reference/kafkajs-notes.md §4.5; results in docs/compat.md, "KafkaJS's own tests against
 * `kafkasim broker`").
 *
 *   npx tsx scripts/kafkajs-suite.ts --kafkajs /path/to/kafkajs-checkout [--files a.spec.js,b.spec.js]
 *       [--test-name-pattern <regex>] [--timeout-minutes 15] [--verbose] [--summary-json out.json]
 *
 * It needs a checkout of KafkaJS v2.2.4 (tulios/kafkajs; master's src/ and testHelpers/ are the same) with
 * `npm install` run in it; nothing of KafkaJS's is copied into this repository. It is not part of `npm test`.
 *
 * What it does:
 * 1. Starts `node bin/kafkasim.js broker` with the broker settings of KafkaJS's docker-compose.2_4.yml:
 *    3 brokers on 127.0.0.1:9092, 9093, 9094 advertised as `localhost` (KafkaJS's tests dial localhost),
 *    auto.create.topics.enable=true, default.replication.factor=2, num.partitions=2,
 *    delete.topic.enable=true, group.initial.rebalance.delay.ms=0, and no introspection endpoint (its
 *    default port, 9095, is one of KafkaJS's seed brokers). KafkaJS's seed list is localhost:9092, :9095,
 *    :9098; it tries index 0 first and then uses the advertised addresses, so the refused ports are harmless.
 *    Ports 9092-9094 must be free: the script refuses to test some other broker that is already there.
 * 2. Waits (at most 30 s) until every broker answers an ApiVersions request.
 * 3. Runs jest in the checkout, in band, on the files below with KAFKA_VERSION=2.4 and
 *    KAFKAJS_DEBUG_PROTOCOL_BUFFERS=1 (as KafkaJS's `yarn jest` does), plus
 *    NODE_OPTIONS=--dns-result-order=ipv4first when `localhost` resolves to ::1 first. Jest's run is bounded
 *    (--timeout-minutes, default 15); on expiry its process group is killed.
 * 4. Reads jest's JSON report and prints passed/failed/skipped per file and in total, with the first line
 *    of each failure, then stops the broker it started (SIGTERM, then SIGKILL after 10 s, by PID).
 * Jest's and the broker's full output go to log files in a temporary folder whose path is printed.
 *
 * Exit code: 0 when every test passed, 1 when some failed or jest timed out, 2 on a usage or setup error
 * (no checkout, ports taken, broker not answering).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** §4.5.6 of kafkajs-notes.md: the broker-needing files that use only the public API, plaintext only. */
export const PUBLIC_API_FILES = [
  'src/consumer/__tests__/subscribe.spec.js',
  'src/consumer/__tests__/pause.spec.js',
  'src/consumer/__tests__/seek.spec.js',
  'src/consumer/__tests__/instrumentationEvents.spec.js',
  'src/consumer/__tests__/index.spec.js',
  'src/consumer/__tests__/describeGroup.spec.js',
  'src/consumer/__tests__/misconfiguration.spec.js',
  'src/producer/__tests__/concurrentTransaction.spec.js',
  'src/producer/__tests__/producingToInvalidTopic.spec.js',
  'src/admin/__tests__/listTopics.spec.js',
  'src/admin/__tests__/fetchTopicMetadata.spec.js',
  'src/admin/__tests__/fetchTopicOffsets.spec.js',
  'src/admin/__tests__/fetchTopicOffsetsByTimestamp.spec.js',
  'src/admin/__tests__/fetchOffsets.spec.js',
  'src/admin/__tests__/resetOffsets.spec.js',
  'src/admin/__tests__/setOffsets.spec.js',
  'src/admin/__tests__/listGroups.spec.js',
  'src/admin/__tests__/describeGroups.spec.js',
  'src/admin/__tests__/deleteGroups.spec.js',
];

/** KafkaJS's docker-compose.2_4.yml broker settings that kafkasim models. */
export const BROKER_CONFIG = [
  'auto.create.topics.enable=true',
  'default.replication.factor=2',
  'num.partitions=2',
  'delete.topic.enable=true',
  'group.initial.rebalance.delay.ms=0',
];

const HOST = '127.0.0.1';
const FIRST_PORT = 9092; // hard-coded in KafkaJS's testHelpers
const BROKERS = 3;
const PORTS = Array.from({ length: BROKERS }, (_, i) => FIRST_PORT + i);

const USAGE = `Usage: npx tsx scripts/kafkajs-suite.ts --kafkajs <kafkajs checkout> [options]

Runs KafkaJS's own public-API broker tests against \`kafkasim broker\` on 127.0.0.1:9092-9094.

Options:
  --kafkajs <dir>              a checkout of tulios/kafkajs v2.2.4 with \`npm install\` run in it (required)
  --files <a,b,...>            spec files relative to the checkout (repeatable; default: the 19 public-API files)
  --test-name-pattern <regex>  only tests whose full name matches (jest -t)
  --timeout-minutes <n>        bound on jest's run (default 15)
  --summary-json <file>        also write the per-file and per-test results as JSON
  --verbose                    stream jest's output instead of only its PASS/FAIL lines
  -h, --help                   show this help
`;

class SetupError extends Error {}

interface Options {
  kafkajs: string;
  files: string[];
  testNamePattern?: string;
  timeoutMs: number;
  summaryJson?: string;
  verbose: boolean;
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      kafkajs: { type: 'string' },
      files: { type: 'string', multiple: true },
      'test-name-pattern': { type: 'string' },
      'timeout-minutes': { type: 'string' },
      'summary-json': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (values.kafkajs === undefined) throw new SetupError('--kafkajs <dir> is required: a checkout of tulios/kafkajs v2.2.4 with `npm install` run in it');
  const files = [...(values.files ?? []).flatMap((f) => f.split(',')), ...positionals].map((f) => f.trim()).filter((f) => f !== '');
  const minutes = values['timeout-minutes'] === undefined ? 15 : Number(values['timeout-minutes']);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new SetupError(`--timeout-minutes takes a positive number, got '${values['timeout-minutes']}'`);
  return {
    kafkajs: resolve(values.kafkajs),
    files: files.length > 0 ? files : PUBLIC_API_FILES,
    testNamePattern: values['test-name-pattern'],
    timeoutMs: minutes * 60_000,
    summaryJson: values['summary-json'],
    verbose: values.verbose === true,
  };
}

/** The checkout's jest entry, after checking that the folder is a usable KafkaJS checkout. */
function checkCheckout(dir: string, files: string[]): string {
  const hint = 'get one with: git clone https://github.com/tulios/kafkajs <dir> && git -C <dir> checkout v2.2.4 && (cd <dir> && npm install)';
  if (!existsSync(dir)) throw new SetupError(`KafkaJS checkout not found at ${dir}; ${hint}`);
  const pkgPath = join(dir, 'package.json');
  if (!existsSync(pkgPath)) throw new SetupError(`${dir} has no package.json, so it is not a KafkaJS checkout; ${hint}`);
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name?: string; version?: string };
  if (pkg.name !== 'kafkajs') throw new SetupError(`${dir}/package.json names '${pkg.name}', not 'kafkajs'; ${hint}`);
  if (!existsSync(join(dir, 'testHelpers/index.js'))) {
    throw new SetupError(`${dir} has no testHelpers/index.js: it looks like the npm package, not the repository; ${hint}`);
  }
  const jest = join(dir, 'node_modules/jest/bin/jest.js');
  if (!existsSync(jest)) throw new SetupError(`${dir} has no node_modules/jest: run \`npm install\` in it first`);
  const missing = files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) throw new SetupError(`not in the checkout: ${missing.join(', ')}`);
  if (pkg.version !== '2.2.4') process.stderr.write(`kafkajs-suite: warning: the checkout is kafkajs ${pkg.version}; the results in docs/compat.md are for 2.2.4\n`);
  return jest;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Whether something accepts TCP connections on host:port (within 1 s). */
function isListening(port: number, host = HOST): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (result: boolean) => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Sends ApiVersions v0 and resolves true when a well-formed answer with error code 0 comes back (within 2 s). */
function answersApiVersions(port: number): Promise<boolean> {
  return new Promise((done) => {
    const clientId = Buffer.from('kafkajs-suite');
    const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
    let at = request.writeInt32BE(request.length - 4, 0);
    at = request.writeInt16BE(18, at); // ApiVersions
    at = request.writeInt16BE(0, at); // v0
    at = request.writeInt32BE(7, at); // correlation id
    at = request.writeInt16BE(clientId.length, at);
    clientId.copy(request, at);
    const socket = connect({ host: HOST, port });
    let received = Buffer.alloc(0);
    const finish = (result: boolean) => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(2_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      finish(received.length >= 10 && received.readInt32BE(4) === 7 && received.readInt16BE(8) === 0);
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

/** Ends a child by PID (its process group when it leads one): SIGTERM, then SIGKILL after `graceMs`. */
async function stop(child: ChildProcess, graceMs: number, group: boolean): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const target = group ? -child.pid : child.pid;
  const send = (signal: NodeJS.Signals) => {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  };
  send('SIGTERM');
  const timer = setTimeout(() => send('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

interface JestAssertion {
  fullName: string;
  status: 'passed' | 'failed' | 'pending' | 'todo' | 'skipped' | 'disabled';
  duration?: number | null;
  failureMessages: string[];
}
interface JestFileResult {
  name: string;
  status: string;
  message?: string;
  startTime: number;
  endTime: number;
  assertionResults: JestAssertion[];
}
interface JestReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: JestFileResult[];
}

interface FileSummary {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  /** the suite failed outside any test (it did not load, a hook threw, it was not reached) */
  suiteError?: string;
  failures: Array<{ test: string; message: string }>;
}

const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

/** The first informative line of a jest failure message. */
function firstLine(message: string): string {
  const lines = stripAnsi(message)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at '));
  return (lines.slice(0, 3).join(' | ') || '(no message)').slice(0, 300);
}

function summarize(checkout: string, files: string[], report: JestReport | null, seen: Map<string, string>): FileSummary[] {
  return files.map((file) => {
    const result = report?.testResults.find((r) => relative(checkout, r.name) === file);
    if (result === undefined) {
      const status = seen.get(file);
      return { file, passed: 0, failed: 0, skipped: 0, seconds: 0, suiteError: status === undefined ? 'no result (jest was stopped during or before it)' : `jest printed ${status}, but the report is missing`, failures: [] };
    }
    const count = (statuses: string[]) => result.assertionResults.filter((a) => statuses.includes(a.status)).length;
    const failures = result.assertionResults
      .filter((a) => a.status === 'failed')
      .map((a) => ({ test: a.fullName, message: firstLine(a.failureMessages.join('\n')) }));
    const summary: FileSummary = {
      file,
      passed: count(['passed']),
      failed: count(['failed']),
      skipped: count(['pending', 'todo', 'skipped', 'disabled']),
      seconds: Math.round((result.endTime - result.startTime) / 100) / 10,
      failures,
    };
    if (result.status === 'failed' && failures.length === 0) summary.suiteError = firstLine(result.message ?? 'the suite failed');
    return summary;
  });
}

function printSummary(summaries: FileSummary[], seconds: number, timedOut: boolean): { passed: number; total: number; failed: number } {
  const width = Math.max(...summaries.map((s) => s.file.length), 4);
  const row = (file: string, p: string, f: string, s: string, t: string) => `${file.padEnd(width)}  ${p.padStart(6)}  ${f.padStart(6)}  ${s.padStart(7)}  ${t.padStart(7)}`;
  const out: string[] = ['', row('file', 'passed', 'failed', 'skipped', 'seconds')];
  for (const s of summaries) out.push(row(s.file, String(s.passed), String(s.failed), String(s.skipped), String(s.seconds)) + (s.suiteError === undefined ? '' : `  (suite: ${s.suiteError})`));
  const passed = summaries.reduce((n, s) => n + s.passed, 0);
  const failed = summaries.reduce((n, s) => n + s.failed, 0);
  const skipped = summaries.reduce((n, s) => n + s.skipped, 0);
  const total = passed + failed + skipped;
  out.push(row('total', String(passed), String(failed), String(skipped), String(Math.round(seconds))));
  const failing = summaries.flatMap((s) => s.failures.map((f) => `  ${s.file} > ${f.test}\n      ${f.message}`));
  if (failing.length > 0) out.push('', 'failing tests:', ...failing);
  const broken = summaries.filter((s) => s.suiteError !== undefined);
  if (broken.length > 0) out.push('', 'suites that failed outside a test:', ...broken.map((s) => `  ${s.file}: ${s.suiteError}`));
  out.push('', `KafkaJS suite against kafkasim broker: ${passed} of ${total} tests passed (${failed} failed, ${skipped} skipped) in ${summaries.length} files, ${Math.round(seconds)} s${timedOut ? ' -- jest TIMED OUT' : ''}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return { passed, total, failed: failed + broken.length };
}

async function main(argv: string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`kafkajs-suite: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const jestBin = checkCheckout(options.kafkajs, options.files);

  for (const port of PORTS) {
    if (await isListening(port)) throw new SetupError(`something already listens on ${HOST}:${port}; stop it first (the tests must reach the broker this script starts)`);
  }
  for (const port of [9095, 9098]) {
    if (await isListening(port)) process.stderr.write(`kafkajs-suite: warning: something listens on ${HOST}:${port}, one of KafkaJS's seed brokers\n`);
  }

  const logDir = mkdtempSync(join(tmpdir(), 'kafkasim-kafkajs-suite-'));
  const brokerLog = join(logDir, 'broker.log');
  const jestLog = join(logDir, 'jest.log');
  const jestJson = join(logDir, 'jest-report.json');
  process.stdout.write(`kafkajs-suite: logs in ${logDir}\n`);

  const brokerArgs = [join(ROOT, 'bin/kafkasim.js'), 'broker', '--brokers', String(BROKERS), '--port', String(FIRST_PORT), '--host', HOST,
    '--advertised-host', 'localhost', '--introspection-port', 'off', ...BROKER_CONFIG.flatMap((c) => ['--config', c])];
  process.stdout.write(`kafkajs-suite: starting node ${brokerArgs.map((a) => relative(ROOT, a).startsWith('..') ? a : relative(ROOT, a) || a).join(' ')}\n`);
  const brokerOut = createWriteStream(brokerLog);
  const broker = spawn(process.execPath, brokerArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  broker.stdout!.pipe(brokerOut, { end: false });
  broker.stderr!.pipe(brokerOut, { end: false });
  let brokerErrors = 0;
  broker.stderr!.on('data', (chunk: Buffer) => {
    brokerErrors += (chunk.toString().match(/\n/g) ?? []).length;
  });

  let jest: ChildProcess | null = null;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    process.stderr.write(`\nkafkajs-suite: ${signal}: stopping jest and the broker\n`);
    if (jest !== null) void stop(jest, 5_000, true);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const readyBy = Date.now() + 30_000;
    for (;;) {
      if (broker.exitCode !== null || broker.signalCode !== null) {
        await sleep(100);
        throw new SetupError(`kafkasim broker exited (${broker.exitCode ?? broker.signalCode}) before answering:\n${readFileSync(brokerLog, 'utf8')}`);
      }
      const answers = await Promise.all(PORTS.map((p) => answersApiVersions(p)));
      if (answers.every(Boolean)) break;
      if (Date.now() > readyBy) throw new SetupError(`kafkasim broker did not answer ApiVersions on ports ${PORTS.join(', ')} within 30 s; see ${brokerLog}`);
      await sleep(200);
    }
    process.stdout.write(`kafkajs-suite: broker (pid ${broker.pid}) answers on ${PORTS.map((p) => `${HOST}:${p}`).join(', ')}\n`);
    if (interrupted) return 130;

    const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_VERSION: '2.4', KAFKAJS_DEBUG_PROTOCOL_BUFFERS: '1', NODE_ENV: 'test', FORCE_COLOR: '0' };
    const first = await lookup('localhost', { all: true, verbatim: true }).catch(() => []);
    if (first[0]?.family === 6) {
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --dns-result-order=ipv4first`.trim();
      process.stdout.write(`kafkajs-suite: localhost resolves to ${first[0].address} first; running jest with NODE_OPTIONS=--dns-result-order=ipv4first\n`);
    }
    const jestArgs = [jestBin, '--runInBand', '--forceExit', '--ci', '--reporters=default', '--json', '--outputFile', jestJson,
      ...(options.testNamePattern === undefined ? [] : ['--testNamePattern', options.testNamePattern]), '--runTestsByPath', ...options.files];
    process.stdout.write(`kafkajs-suite: in ${options.kafkajs}: KAFKA_VERSION=2.4 KAFKAJS_DEBUG_PROTOCOL_BUFFERS=1 jest ${jestArgs.slice(1, -options.files.length).join(' ')} <${options.files.length} files>\n`);

    const started = Date.now();
    const jestOut = createWriteStream(jestLog);
    jest = spawn(process.execPath, jestArgs, { cwd: options.kafkajs, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const seen = new Map<string, string>();
    let pending = '';
    const onOutput = (chunk: Buffer) => {
      jestOut.write(chunk);
      if (options.verbose) process.stdout.write(chunk);
      pending += stripAnsi(chunk.toString());
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const match = /^(PASS|FAIL)\s+(\S+)/.exec(line);
        if (match === null) continue;
        seen.set(match[2], match[1]);
        if (!options.verbose) process.stdout.write(`  ${match[1]} ${match[2]}  (${Math.round((Date.now() - started) / 1000)} s)\n`);
      }
    };
    jest.stdout!.on('data', onOutput);
    jest.stderr!.on('data', onOutput);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.stderr.write(`kafkajs-suite: jest still running after ${options.timeoutMs / 60_000} min; stopping it\n`);
      void stop(jest!, 5_000, true);
    }, options.timeoutMs);
    await exited(jest);
    clearTimeout(timer);
    jestOut.end();
    const seconds = (Date.now() - started) / 1000;

    let report: JestReport | null = null;
    if (existsSync(jestJson)) report = JSON.parse(readFileSync(jestJson, 'utf8')) as JestReport;
    else process.stderr.write(`kafkajs-suite: jest wrote no report (exit ${jest.exitCode ?? jest.signalCode}); see ${jestLog}\n`);
    const summaries = summarize(options.kafkajs, options.files, report, seen);
    const totals = printSummary(summaries, seconds, timedOut);
    if (brokerErrors > 0) process.stdout.write(`kafkajs-suite: the broker wrote ${brokerErrors} line(s) to stderr (model failures close the connection and are reported there); see ${brokerLog}\n`);
    if (options.summaryJson !== undefined) {
      writeFileSync(options.summaryJson, `${JSON.stringify({ date: new Date().toISOString(), kafkajs: options.kafkajs, seconds: Math.round(seconds), timedOut, ...totals, files: summaries }, null, 2)}\n`);
    }
    if (interrupted) return 130;
    return totals.failed === 0 && !timedOut && report !== null ? 0 : 1;
  } finally {
    await stop(broker, 10_000, false);
    brokerOut.end();
    process.stdout.write(`kafkajs-suite: broker (pid ${broker.pid}) stopped\n`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`kafkajs-suite: ${error instanceof SetupError ? error.message : (error as Error).stack}\n`);
    process.exit(2);
  },
);
