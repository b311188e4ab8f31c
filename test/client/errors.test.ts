/**
 * Parity of `src/client/errors.ts` with KafkaJS 2.2.4's `src/errors.js` and `createErrorFromCode`: every
 * case below is built twice, once from each library with the same arguments, and the two results compared.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as ours from '../../src/client/errors.ts';

type Lib = typeof ours;

interface KafkaJSErrorCode {
  type: string;
  code: number;
  retriable: boolean;
  message: string;
  helpUrl?: string;
}

const require = createRequire(import.meta.url);
const kafkajsIndex = require('kafkajs') as Record<string, unknown>;
const kafkajsErrorsModule = require('kafkajs/src/errors.js') as Record<string, unknown>;
const kafkajsProtocol = require('kafkajs/src/protocol/error.js') as {
  errorCodes: KafkaJSErrorCode[];
  createErrorFromCode: (code: number) => ours.KafkaJSProtocolError;
};
/** KafkaJS's errors.js plus the createErrorFromCode of its protocol/error.js, shaped like our module. */
const theirs = { ...kafkajsErrorsModule, createErrorFromCode: kafkajsProtocol.createErrorFromCode } as unknown as Lib;

const LIBS: ReadonlyArray<[string, Lib]> = [
  ['kafkasim', ours],
  ['kafkajs', theirs],
];

type Ctor = abstract new (...args: never[]) => object;

function isClass(value: unknown): value is Ctor {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

/** Names of the exported classes of a module object. */
function classNames(module: Record<string, unknown>): string[] {
  return Object.keys(module)
    .filter((key) => isClass(module[key]))
    .sort();
}

/** The class names from `ctor` up to (and including) Error. */
function chain(ctor: unknown): string[] {
  const names: string[] = [];
  for (let c = ctor; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    names.push((c as { name: string }).name);
  }
  return names;
}

/** A library-independent description of a value: errors by class chain and fields, objects by entries. */
function shape(value: unknown, depth = 0): unknown {
  if (depth > 4) return '<deep>';
  if (value instanceof Error) {
    return {
      errorClass: chain(value.constructor),
      name: value.name,
      message: shape(value.message, depth + 1),
      fields: Object.keys(value).map((key) => [key, shape((value as unknown as Record<string, unknown>)[key], depth + 1)]),
    };
  }
  if (Array.isArray(value)) return value.map((item) => shape(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).map(([key, item]) => [key, shape(item, depth + 1)]);
  }
  return value;
}

/** Everything observable about a constructed error except stack frames (which name the calling line). */
function snapshot(error: object) {
  const own = Object.getOwnPropertyNames(error).map((key) => {
    const descriptor = Object.getOwnPropertyDescriptor(error, key)!;
    return [key, descriptor.enumerable, key === 'stack' ? '<stack>' : shape(descriptor.value)];
  });
  const stack = String((error as Error).stack);
  return {
    chain: chain(error.constructor),
    name: (error as Error).name,
    ownEnumerable: Object.keys(error),
    own,
    // The stack's text before its first frame: KafkaJS's header, including its "Caused by:" line.
    stackHeader: stack.split('\n    at ')[0],
    string: String(error),
  };
}

/** A KafkaJS-table-shaped entry, as `errorInfo` returns it. */
const offsetOutOfRange: KafkaJSErrorCode = {
  type: 'OFFSET_OUT_OF_RANGE',
  code: 1,
  retriable: false,
  message: 'The requested offset is not within the range of offsets maintained by the server',
};
const rebalanceInProgress: KafkaJSErrorCode = {
  type: 'REBALANCE_IN_PROGRESS',
  code: 27,
  retriable: false,
  message: 'The group is rebalancing, so a rejoin is needed',
  helpUrl: 'https://kafka.js.org/docs/faq#what-does-it-mean-to-get-rebalance-in-progress-errors',
};

function withHelpUrl(message: string, helpUrl: string): Error {
  return Object.assign(new Error(message), { helpUrl });
}

/** Constructor cases, per class: a label and how to build it from a library. */
const CASES: Record<string, Array<[string, (L: Lib) => object]>> = {
  KafkaJSError: [
    ['string', (L) => new L.KafkaJSError('boom')],
    ['string, not retriable, with cause', (L) => new L.KafkaJSError('boom', { retriable: false, cause: new Error('root') })],
    ['Error with helpUrl', (L) => new L.KafkaJSError(withHelpUrl('inner', 'https://help'))],
    [
      'KafkaJSError not retriable, with cause (neither is copied)',
      (L) => new L.KafkaJSError(new L.KafkaJSError('inner', { retriable: false, cause: new Error('root') })),
    ],
    ['Error with an empty message (message becomes the Error)', (L) => new L.KafkaJSError(new Error(''))],
    ['table entry', (L) => new L.KafkaJSError(rebalanceInProgress)],
  ],
  KafkaJSNonRetriableError: [
    ['string', (L) => new L.KafkaJSNonRetriableError('boom')],
    ['with cause', (L) => new L.KafkaJSNonRetriableError('boom', { cause: new TypeError('root') })],
    ['Error with helpUrl', (L) => new L.KafkaJSNonRetriableError(withHelpUrl('inner', 'https://help'))],
  ],
  KafkaJSProtocolError: [
    ['table entry', (L) => new L.KafkaJSProtocolError(rebalanceInProgress)],
    ['table entry, retriable overridden', (L) => new L.KafkaJSProtocolError(offsetOutOfRange, { retriable: true })],
    ['string (no type, code; retriable defaults)', (L) => new L.KafkaJSProtocolError('boom')],
    ['another protocol error', (L) => new L.KafkaJSProtocolError(new L.KafkaJSProtocolError(rebalanceInProgress))],
  ],
  KafkaJSOffsetOutOfRange: [
    ['entry, topic, partition', (L) => new L.KafkaJSOffsetOutOfRange(offsetOutOfRange, { topic: 't', partition: 3 })],
  ],
  KafkaJSMemberIdRequired: [
    ['entry, memberId', (L) => new L.KafkaJSMemberIdRequired({ ...offsetOutOfRange, type: 'MEMBER_ID_REQUIRED', code: 79 }, { memberId: 'm-1' })],
  ],
  KafkaJSNumberOfRetriesExceeded: [
    ['Error', (L) => new L.KafkaJSNumberOfRetriesExceeded(new Error('boom'), { retryCount: 5, retryTime: 1234 })],
    [
      'KafkaJS error with helpUrl',
      (L) => new L.KafkaJSNumberOfRetriesExceeded(new L.KafkaJSProtocolError(rebalanceInProgress), { retryCount: 0, retryTime: 7 }),
    ],
  ],
  KafkaJSConnectionError: [
    ['string', (L) => new L.KafkaJSConnectionError('Connection timeout')],
    ['broker and code', (L) => new L.KafkaJSConnectionError('Connection error', { broker: 'b:9092', code: 'ECONNREFUSED' })],
  ],
  KafkaJSConnectionClosedError: [
    ['host and port', (L) => new L.KafkaJSConnectionClosedError('Closed connection', { host: 'h', port: 9092 })],
    ['nothing', (L) => new L.KafkaJSConnectionClosedError('Closed connection')],
  ],
  KafkaJSRequestTimeoutError: [
    [
      'metadata',
      (L) =>
        new L.KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out', {
          broker: 'b:9092',
          clientId: 'c',
          correlationId: 12,
          createdAt: 100,
          sentAt: 101,
          pendingDuration: 1,
        }),
    ],
    ['nothing', (L) => new L.KafkaJSRequestTimeoutError('timed out')],
  ],
  KafkaJSMetadataNotLoaded: [
    ['string', (L) => new L.KafkaJSMetadataNotLoaded('Metadata not loaded')],
    ['not retriable', (L) => new L.KafkaJSMetadataNotLoaded('Metadata not loaded', { retriable: false })],
  ],
  KafkaJSTopicMetadataNotLoaded: [
    ['topic', (L) => new L.KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded', { topic: 't' })],
    ['nothing', (L) => new L.KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded')],
  ],
  KafkaJSStaleTopicMetadataAssignment: [
    ['topic and partitions', (L) => new L.KafkaJSStaleTopicMetadataAssignment('Topic has been updated', { topic: 't', unknownPartitions: [3, 4] })],
  ],
  KafkaJSDeleteGroupsError: [
    ['default groups', (L) => new L.KafkaJSDeleteGroupsError('Error in DeleteGroups')],
    [
      'groups',
      (L) =>
        new L.KafkaJSDeleteGroupsError('Error in DeleteGroups', [
          { groupId: 'g', errorCode: 69, error: new L.KafkaJSProtocolError({ ...offsetOutOfRange, type: 'GROUP_ID_NOT_FOUND', code: 69 }) },
        ]),
    ],
  ],
  KafkaJSServerDoesNotSupportApiKey: [
    ['apiKey and apiName', (L) => new L.KafkaJSServerDoesNotSupportApiKey('not supported', { apiKey: 57, apiName: 'UpdateFeatures' })],
    ['nothing', (L) => new L.KafkaJSServerDoesNotSupportApiKey('not supported')],
  ],
  KafkaJSDeleteTopicRecordsError: [
    ['no errors (retriable)', (L) => new L.KafkaJSDeleteTopicRecordsError({ topic: 't', partitions: [] })],
    [
      'all retriable',
      (L) =>
        new L.KafkaJSDeleteTopicRecordsError({
          topic: 't',
          partitions: [{ partition: 0, offset: '5', error: new L.KafkaJSError('retry me') }],
        }),
    ],
    [
      'one not retriable, one without error',
      (L) =>
        new L.KafkaJSDeleteTopicRecordsError({
          topic: 't',
          partitions: [
            { partition: 0, offset: '5', error: new L.KafkaJSError('retry me') },
            { partition: 1, offset: '6', error: new L.KafkaJSProtocolError(offsetOutOfRange) },
            { partition: 2, offset: '7', error: null as unknown as ours.KafkaJSError },
          ],
        }),
    ],
  ],
  KafkaJSInvariantViolation: [
    ['string', (L) => new L.KafkaJSInvariantViolation('offsets went backwards')],
    ['Error with characters to encode', (L) => new L.KafkaJSInvariantViolation(new Error('a & b? c/d #1'))],
  ],
  KafkaJSCreateTopicError: [['entry and topic', (L) => new L.KafkaJSCreateTopicError({ ...offsetOutOfRange, type: 'TOPIC_ALREADY_EXISTS', code: 36 }, 't')]],
  KafkaJSAlterPartitionReassignmentsError: [
    ['entry, topic and partition', (L) => new L.KafkaJSAlterPartitionReassignmentsError(offsetOutOfRange, 't', 2)],
    ['entry only', (L) => new L.KafkaJSAlterPartitionReassignmentsError(offsetOutOfRange)],
  ],
  KafkaJSAggregateError: [
    ['string and errors', (L) => new L.KafkaJSAggregateError('Many errors', [new Error('a'), 'b'])],
    ['Error as message', (L) => new L.KafkaJSAggregateError(new Error('wrapped'), [])],
  ],
  KafkaJSFetcherRebalanceError: [
    ['nothing', (L) => new L.KafkaJSFetcherRebalanceError()],
    ['message', (L) => new L.KafkaJSFetcherRebalanceError('rebalancing')],
  ],
  KafkaJSNoBrokerAvailableError: [['nothing', (L) => new L.KafkaJSNoBrokerAvailableError()]],
};

/** The classes that forward their arguments (`super(...arguments)`): the same three cases each. */
const FORWARDING = [
  'KafkaJSBrokerNotFound',
  'KafkaJSPartialMessageError',
  'KafkaJSSASLAuthenticationError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNotImplemented',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
  'KafkaJSUnsupportedMagicByteInMessageSet',
  'KafkaJSInvalidVarIntError',
  'KafkaJSInvalidLongError',
] as const;
for (const name of FORWARDING) {
  CASES[name] = [
    ['string', (L) => new L[name]('boom')],
    ['Error with helpUrl', (L) => new L[name](withHelpUrl('inner', 'https://help'))],
    ['with cause', (L) => new L[name]('boom', { cause: new Error('root') })],
  ];
}

type Loose = new (...args: unknown[]) => object;

/** Arguments KafkaJS's constructors choke on (reading properties of undefined); ours must throw the same. */
const BAD_ARGUMENTS: Array<[string, unknown[]]> = [
  ['KafkaJSError', []],
  ['KafkaJSBrokerNotFound', []],
  ['KafkaJSMetadataNotLoaded', []],
  ['KafkaJSTimeout', []],
  ['KafkaJSOffsetOutOfRange', [offsetOutOfRange]],
  ['KafkaJSMemberIdRequired', [offsetOutOfRange]],
  ['KafkaJSNumberOfRetriesExceeded', [new Error('boom')]],
  ['KafkaJSDeleteTopicRecordsError', [{}]],
  ['KafkaJSInvariantViolation', [null]],
  ['KafkaJSProtocolError', [undefined]],
];

function build(L: Lib, name: string, label: string): object {
  const found = CASES[name]?.find(([caseLabel]) => caseLabel === label);
  if (found === undefined) throw new Error(`no case ${name} / ${label}`);
  return found[1](L);
}

const CASE_LIST = Object.entries(CASES).flatMap(([name, cases]) => cases.map(([label]) => [name, label] as const));

describe('errors: exports', () => {
  it('exports the error classes require("kafkajs") exports, and no other classes', () => {
    expect(classNames(ours)).toEqual(classNames(kafkajsIndex).filter((name) => name.startsWith('KafkaJS')));
  });

  it('exports every name of kafkajs/src/errors.js, helpers included', () => {
    for (const name of Object.keys(kafkajsErrorsModule)) {
      expect(typeof (ours as Record<string, unknown>)[name], name).toBe(typeof kafkajsErrorsModule[name]);
    }
    expect(Object.keys(kafkajsErrorsModule).length).toBe(33);
    expect(classNames(ours)).toEqual(classNames(kafkajsErrorsModule));
  });

  it('has a constructor case for every class', () => {
    expect(Object.keys(CASES).sort()).toEqual(classNames(kafkajsErrorsModule));
  });
});

describe('errors: classes', () => {
  it.each(classNames(kafkajsErrorsModule))('%s has KafkaJS prototype chain', (name) => {
    expect(chain((ours as Record<string, unknown>)[name])).toEqual(chain(kafkajsErrorsModule[name]));
  });

  it.each(CASE_LIST)('%s (%s) matches KafkaJS field for field', (name, label) => {
    const [mine, kafkajs] = LIBS.map(([, L]) => build(L, name, label));
    expect(mine).toBeInstanceOf((ours as Record<string, unknown>)[name] as Ctor);
    expect(kafkajs).toBeInstanceOf(kafkajsErrorsModule[name] as Ctor);
    expect(snapshot(mine)).toEqual(snapshot(kafkajs));
  });

  it.each(CASE_LIST)('%s (%s) has KafkaJS instanceof relations', (name, label) => {
    // Each instance against every class of its own library, then compared across the libraries.
    const relations = LIBS.map(([, L]) => {
      const instance = build(L, name, label);
      const module = L as unknown as Record<string, unknown>;
      return [
        instance instanceof Error,
        L.isKafkaJSError(instance),
        ...classNames(module).map((other) => [other, instance instanceof (module[other] as Ctor)]),
      ];
    });
    expect(relations[0]).toEqual(relations[1]);
  });

  it.each(BAD_ARGUMENTS)('%s throws like KafkaJS on bad arguments', (name, args) => {
    const outcomes = LIBS.map(([, L]) => {
      try {
        new ((L as unknown as Record<string, Loose>)[name] as Loose)(...args);
        return 'no throw';
      } catch (error) {
        return (error as Error).constructor.name;
      }
    });
    expect(outcomes[0]).toBe('TypeError');
    expect(outcomes[0]).toBe(outcomes[1]);
  });

  it('keeps KafkaJS quirks (spelled out, so a matching regression in both cannot hide)', () => {
    expect(new ours.KafkaJSInvalidVarIntError('x').name).toBe('KafkaJSNonRetriableError');
    expect(new ours.KafkaJSFetcherRebalanceError().name).toBe('Error');
    const exceeded = new ours.KafkaJSNumberOfRetriesExceeded(new Error('boom'), { retryCount: 1, retryTime: 2 });
    expect(exceeded.stack.startsWith('KafkaJSNonRetriableError\n  Caused by: Error: boom')).toBe(true);
    expect(exceeded.cause?.message).toBe('boom');
    expect(Object.keys(new ours.KafkaJSError('x', { cause: new Error('c') }))).toEqual(['name', 'retriable', 'helpUrl']);
    expect(new ours.KafkaJSError(new ours.KafkaJSError('x', { retriable: false })).retriable).toBe(true);
    expect(new ours.KafkaJSProtocolError('x').retriable).toBe(true);
    expect(new ours.KafkaJSDeleteTopicRecordsError({ topic: 't', partitions: [] }).retriable).toBe(true);
    expect(new ours.KafkaJSConnectionClosedError('x').broker).toBe('undefined:undefined');
  });
});

describe('errors: isRebalancing and isKafkaJSError', () => {
  const TABLE: Array<[string, (L: Lib) => unknown]> = [
    ['REBALANCE_IN_PROGRESS object', () => ({ type: 'REBALANCE_IN_PROGRESS' })],
    ['NOT_COORDINATOR_FOR_GROUP object', () => ({ type: 'NOT_COORDINATOR_FOR_GROUP' })],
    ['ILLEGAL_GENERATION object', () => ({ type: 'ILLEGAL_GENERATION' })],
    ['NOT_COORDINATOR (Kafka spelling)', () => ({ type: 'NOT_COORDINATOR' })],
    ['UNKNOWN_MEMBER_ID object', () => ({ type: 'UNKNOWN_MEMBER_ID' })],
    ['empty object', () => ({})],
    ['plain Error', () => new Error('REBALANCE_IN_PROGRESS')],
    ['string', () => 'REBALANCE_IN_PROGRESS'],
    ['code 27', (L) => L.createErrorFromCode(27)],
    ['code 16', (L) => L.createErrorFromCode(16)],
    ['code 22', (L) => L.createErrorFromCode(22)],
    ['code 25', (L) => L.createErrorFromCode(25)],
    ['code 3', (L) => L.createErrorFromCode(3)],
    ['protocol error from a string', (L) => new L.KafkaJSProtocolError('REBALANCE_IN_PROGRESS')],
    ['KafkaJSError', (L) => new L.KafkaJSError('x')],
    ['KafkaJSNumberOfRetriesExceeded of a rebalance', (L) => new L.KafkaJSNumberOfRetriesExceeded(L.createErrorFromCode(27), { retryCount: 1, retryTime: 1 })],
    ['KafkaJSAggregateError', (L) => new L.KafkaJSAggregateError('x', [])],
    ['KafkaJSFetcherRebalanceError', (L) => new L.KafkaJSFetcherRebalanceError()],
    ['null', () => null],
    ['undefined', () => undefined],
  ];

  function outcome(run: () => boolean): boolean | string {
    try {
      return run();
    } catch (error) {
      return (error as Error).constructor.name;
    }
  }

  const EXPECTED: Record<string, [boolean | string, boolean]> = {
    'REBALANCE_IN_PROGRESS object': [true, false],
    'NOT_COORDINATOR_FOR_GROUP object': [true, false],
    'ILLEGAL_GENERATION object': [true, false],
    'code 27': [true, true],
    'code 16': [true, true],
    'code 22': [true, true],
    'code 3': [false, true],
    'code 25': [false, true],
    KafkaJSError: [false, true],
    'KafkaJSNumberOfRetriesExceeded of a rebalance': [false, true],
    KafkaJSFetcherRebalanceError: [false, false],
    null: ['TypeError', false],
  };

  it.each(TABLE)('%s', (label, make) => {
    const results = LIBS.map(([, L]) => {
      const value = make(L);
      return [outcome(() => L.isRebalancing(value as { type?: unknown })), L.isKafkaJSError(value)];
    });
    expect(results[0]).toEqual(results[1]);
    const expected = EXPECTED[label];
    if (expected !== undefined) expect(results[0]).toEqual(expected);
  });
});

describe('errors: createErrorFromCode', () => {
  const KNOWN = kafkajsProtocol.errorCodes.map((entry) => entry.code);
  const UNKNOWN = [0, 89, 100, 128, 132, 133, 9999, -2, -99, 1.5, Number.NaN];

  function view(error: ours.KafkaJSProtocolError) {
    return {
      type: error.type,
      code: error.code,
      retriable: error.retriable,
      message: error.message,
      name: error.name,
      helpUrl: error.helpUrl,
      chain: chain(error.constructor),
      keys: Object.keys(error),
    };
  }

  it('covers KafkaJS\'s whole table', () => {
    expect(KNOWN.length).toBe(89);
  });

  it.each(KNOWN)('code %i matches KafkaJS', (code) => {
    const mine = ours.createErrorFromCode(code);
    const kafkajs = kafkajsProtocol.createErrorFromCode(code);
    expect(mine).toBeInstanceOf(ours.KafkaJSProtocolError);
    expect(view(mine)).toEqual(view(kafkajs));
    expect(mine.code).toBe(code);
  });

  it.each(UNKNOWN)('unknown code %s matches KafkaJS', (code) => {
    const mine = ours.createErrorFromCode(code);
    expect(view(mine)).toEqual(view(kafkajsProtocol.createErrorFromCode(code)));
    expect(mine.type).toBe('KAFKAJS_UNKNOWN_ERROR_CODE');
    expect(mine.code).toBe(-99);
    expect(mine.message).toBe(`Unknown error code ${code}`);
  });
});
