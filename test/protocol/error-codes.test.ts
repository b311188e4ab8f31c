import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  ERROR_TABLE,
  ErrorCode,
  errorInfo,
  KAFKAJS_UNKNOWN_ERROR_CODE,
  type ErrorCodeName,
  type KafkaErrorInfo,
} from '../../src/protocol/error-codes.ts';

interface KafkaJSErrorCode {
  type: string;
  code: number;
  retriable: boolean;
  message: string;
  helpUrl?: string;
}

interface KafkaJSProtocolError extends Error {
  type: string;
  code: number;
  retriable: boolean;
  helpUrl?: string;
}

const kafkajsError = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  errorCodes: KafkaJSErrorCode[];
  createErrorFromCode: (code: number) => KafkaJSProtocolError;
};

// Checked by tsc: the codes are literal types, so a wrong constant fails to compile.
const unknownTopicOrPartition: 3 = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
const notCoordinator: ErrorCodeName = 'NOT_COORDINATOR';

const HIGHEST_KAFKA_4_0_CODE = 132;

describe('error table: KafkaJS parity', () => {
  it('has every KafkaJS entry with the same code, type, retriable, message and helpUrl', () => {
    expect(kafkajsError.errorCodes.length).toBe(89);
    for (const expected of kafkajsError.errorCodes) {
      const actual = errorInfo(expected.code);
      expect({ code: actual.code, type: actual.type, retriable: actual.retriable, message: actual.message })
        .toEqual({ code: expected.code, type: expected.type, retriable: expected.retriable, message: expected.message });
      expect(actual.helpUrl).toBe(expected.helpUrl);
    }
  });

  it('builds the same fields as createErrorFromCode, known and unknown codes alike', () => {
    const codes = [...kafkajsError.errorCodes.map((e) => e.code), -2, 133, 999, 32767, 1.5, Number.NaN];
    for (const code of codes) {
      const kafkajs = kafkajsError.createErrorFromCode(code);
      const ours = errorInfo(code);
      expect({ type: ours.type, code: ours.code, retriable: ours.retriable, message: ours.message, helpUrl: ours.helpUrl })
        .toEqual({ type: kafkajs.type, code: kafkajs.code, retriable: kafkajs.retriable, message: kafkajs.message, helpUrl: kafkajs.helpUrl });
    }
  });

  it('answers an unknown code with KafkaJS synthetic entry', () => {
    expect(errorInfo(4242)).toEqual({
      code: KAFKAJS_UNKNOWN_ERROR_CODE,
      name: 'KAFKAJS_UNKNOWN_ERROR_CODE',
      type: 'KAFKAJS_UNKNOWN_ERROR_CODE',
      retriable: false,
      kafkaRetriable: false,
      message: 'Unknown error code 4242',
    });
    expect(KAFKAJS_UNKNOWN_ERROR_CODE).toBe(-99);
  });

  it('keeps Kafka names and KafkaJS types apart where KafkaJS spells them its own way', () => {
    const renamed = ERROR_TABLE.filter((e) => e.type !== e.name).map((e) => [e.code, e.name, e.type]);
    expect(renamed).toEqual([
      [-1, 'UNKNOWN_SERVER_ERROR', 'UNKNOWN'],
      [6, 'NOT_LEADER_OR_FOLLOWER', 'NOT_LEADER_FOR_PARTITION'],
      [14, 'COORDINATOR_LOAD_IN_PROGRESS', 'GROUP_LOAD_IN_PROGRESS'],
      [15, 'COORDINATOR_NOT_AVAILABLE', 'GROUP_COORDINATOR_NOT_AVAILABLE'],
      [16, 'NOT_COORDINATOR', 'NOT_COORDINATOR_FOR_GROUP'],
    ]);
  });

  it('agrees with Kafka on retriability for every code KafkaJS knows', () => {
    const disagreements = ERROR_TABLE.filter((e) => e.retriable !== e.kafkaRetriable).map((e) => e.name);
    expect(disagreements).toEqual([]);
  });
});

describe('error table: shape', () => {
  it('covers every code from -1 to the highest of Kafka 4.0, in order, without gaps', () => {
    expect(ERROR_TABLE.map((e) => e.code)).toEqual(
      Array.from({ length: HIGHEST_KAFKA_4_0_CODE + 2 }, (_, i) => i - 1),
    );
  });

  it('has unique codes, names and types', () => {
    for (const field of ['code', 'name', 'type'] as const) {
      const values = ERROR_TABLE.map((e) => e[field]);
      expect(new Set(values).size, field).toBe(values.length);
    }
  });

  it('maps every Kafka name to its code in ErrorCode and back through errorInfo', () => {
    expect(Object.keys(ErrorCode)).toHaveLength(ERROR_TABLE.length);
    for (const entry of ERROR_TABLE) {
      expect(ErrorCode[entry.name as ErrorCodeName]).toBe(entry.code);
      expect(errorInfo(entry.code)).toBe(entry);
    }
    expect(unknownTopicOrPartition).toBe(3);
    expect(ErrorCode[notCoordinator]).toBe(16);
  });

  it('uses Kafka values where KafkaJS has no entry', () => {
    const kafkajsCodes = new Set(kafkajsError.errorCodes.map((e) => e.code));
    const kafkaOnly = ERROR_TABLE.filter((e) => !kafkajsCodes.has(e.code));
    expect(kafkaOnly.map((e) => e.code)).toEqual([0, ...Array.from({ length: HIGHEST_KAFKA_4_0_CODE - 88 }, (_, i) => i + 89)]);
    for (const entry of kafkaOnly) {
      expect(entry.type).toBe(entry.name);
      expect(entry.retriable).toBe(entry.kafkaRetriable);
      expect(entry.helpUrl).toBeUndefined();
      if (entry.code !== ErrorCode.NONE) expect(entry.message).toMatch(/\.$/);
    }
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(ERROR_TABLE)).toBe(true);
    expect(Object.isFrozen(ErrorCode)).toBe(true);
    expect(ERROR_TABLE.every((e) => Object.isFrozen(e))).toBe(true);
    expect(() => {
      (errorInfo(3) as KafkaErrorInfo).retriable = false;
    }).toThrow(TypeError);
  });
});

describe('error table: Kafka values', () => {
  const entry = (name: ErrorCodeName) => errorInfo(ErrorCode[name]);

  it('classifies retriability as Kafka exception classes do', () => {
    expect(entry('NOT_ENOUGH_REPLICAS').kafkaRetriable).toBe(true);
    expect(entry('UNKNOWN_TOPIC_OR_PARTITION').kafkaRetriable).toBe(true); // via InvalidMetadataException
    expect(entry('KAFKA_STORAGE_ERROR').kafkaRetriable).toBe(true); // via InvalidMetadataException
    expect(entry('CONCURRENT_TRANSACTIONS').kafkaRetriable).toBe(true);
    expect(entry('OFFSET_OUT_OF_RANGE').kafkaRetriable).toBe(false);
    expect(entry('UNKNOWN_SERVER_ERROR').kafkaRetriable).toBe(false);
    expect(entry('REBALANCE_IN_PROGRESS').kafkaRetriable).toBe(false);
    expect(entry('UNKNOWN_PRODUCER_ID').kafkaRetriable).toBe(false);
  });

  it('has the codes KafkaJS lacks, with Kafka name, retriability and default message', () => {
    expect(errorInfo(0)).toMatchObject({ name: 'NONE', type: 'NONE', retriable: false, message: '' });
    expect(entry('THROTTLING_QUOTA_EXCEEDED')).toMatchObject({
      code: 89,
      retriable: true,
      message: 'The throttling quota has been exceeded.',
    });
    expect(entry('PRODUCER_FENCED')).toMatchObject({ code: 90, retriable: false, kafkaRetriable: false });
    expect(entry('UNKNOWN_TOPIC_ID')).toMatchObject({ code: 100, retriable: true, kafkaRetriable: true });
    expect(entry('INCONSISTENT_TOPIC_ID')).toMatchObject({ code: 103, retriable: true });
    expect(entry('FENCED_MEMBER_EPOCH')).toMatchObject({ code: 110, retriable: false });
    expect(entry('TRANSACTION_ABORTABLE')).toMatchObject({ code: 120, retriable: false });
    expect(entry('SHARE_SESSION_NOT_FOUND')).toMatchObject({ code: 122, retriable: true });
    expect(entry('INVALID_REGULAR_EXPRESSION')).toMatchObject({ code: 128, retriable: false });
    expect(entry('REBOOTSTRAP_REQUIRED')).toMatchObject({ code: 129, retriable: false });
    expect(entry('STREAMS_TOPOLOGY_FENCED')).toMatchObject({
      code: HIGHEST_KAFKA_4_0_CODE,
      retriable: false,
      message: 'The supplied topology epoch is outdated.',
    });
  });
});
