/**
 * `src/adapters` on its own: which backend the environment selects, the error when the optional `kafkajs`
 * is missing, the translation of KafkaJS's errors into kafkasim's classes (and back), what the real side
 * rewrites in configs, and, against the wire server, errors reaching event listeners, `restartOnFailure`
 * and handlers. The conformance cases cover the rest through `createKafka` on every backend.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import * as kafkasim from '../../src/index.ts';
import { createKafka, isKafkaError, kafkaMode } from '../../src/adapters/index.ts';
import { ErrorTranslation } from '../../src/adapters/errors.ts';
import { createRealKafka, loadKafkaJS, type KafkaJSModule } from '../../src/adapters/real.ts';
import { wireBackend, type StartedBackend } from './backends.ts';

const require = createRequire(import.meta.url);
const kafkajs = require('kafkajs') as typeof import('kafkajs');
/** Classes kafkajs exports but does not declare in its types. */
const undeclared = require('kafkajs') as Record<'KafkaJSCreateTopicError' | 'KafkaJSInvalidVarIntError', new (...args: never[]) => Error>;
const kafkajsModule = kafkajs as unknown as KafkaJSModule;

describe('kafkaMode: which backend the environment selects', () => {
  const cases: Array<[string, Record<string, string>, ReturnType<typeof kafkaMode>]> = [
    ['nothing set: the simulator', {}, { mode: 'sim' }],
    ['KAFKASIM_MODE=real: KafkaJS with the config brokers', { KAFKASIM_MODE: 'real' }, { mode: 'real', brokers: undefined }],
    ['KAFKA_BROKERS: KafkaJS with those brokers (trimmed, blanks dropped)', { KAFKA_BROKERS: ' a:9092, b:9093 ,' }, { mode: 'real', brokers: ['a:9092', 'b:9093'] }],
    ['both: KafkaJS with KAFKA_BROKERS', { KAFKASIM_MODE: 'REAL', KAFKA_BROKERS: 'a:1' }, { mode: 'real', brokers: ['a:1'] }],
    ['an explicit KAFKASIM_MODE=sim wins over KAFKA_BROKERS', { KAFKASIM_MODE: 'sim', KAFKA_BROKERS: 'a:1' }, { mode: 'sim' }],
    ['an empty KAFKA_BROKERS is unset', { KAFKA_BROKERS: ' , ' }, { mode: 'sim' }],
  ];
  for (const [name, environment, expected] of cases) {
    it(name, () => expect(kafkaMode(environment)).toEqual(expected));
  }

  it('any other KAFKASIM_MODE is refused', () => {
    expect(() => kafkaMode({ KAFKASIM_MODE: 'docker' })).toThrow("KAFKASIM_MODE must be 'sim' or 'real', not 'docker'");
  });

  it("sim mode hands out kafkasim's own Kafka, real mode a KafkaJS Kafka behind the same interface", () => {
    expect(createKafka({ brokers: ['localhost:9092'], logLevel: kafkasim.logLevel.NOTHING }, {})).toBeInstanceOf(kafkasim.Kafka);
    const real = createKafka({ brokers: ['127.0.0.1:9'], logLevel: kafkasim.logLevel.NOTHING }, { KAFKASIM_MODE: 'real' });
    expect(real).not.toBeInstanceOf(kafkasim.Kafka);
    expect(real).toBeInstanceOf(kafkajs.Kafka);
    expect(Object.keys(real.producer()).sort()).toEqual(Object.keys(new kafkajs.Kafka({ brokers: ['127.0.0.1:9'] }).producer()).sort());
  });
});

describe('loading kafkajs', () => {
  it('a missing kafkajs is an error that says what to install and how to go back to the simulator', () => {
    let thrown: unknown;
    try {
      loadKafkaJS('/nonexistent-kafkasim-app/index.js');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/optional peer dependency that is not installed/);
    expect((thrown as Error).message).toMatch(/npm install kafkajs@\^2\.2\.4/);
    expect((thrown as Error).message).toMatch(/unset KAFKASIM_MODE and KAFKA_BROKERS/);
    expect(((thrown as Error).cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
  });

  it('an installed kafkajs is the one the application resolves', () => {
    expect(loadKafkaJS()).toBe(kafkajsModule);
  });
});

describe("error translation: KafkaJS's errors become kafkasim's classes with the same fields", () => {
  const translation = new ErrorTranslation(kafkajsModule);

  it('a protocol error keeps its class chain, own fields, enumerability and stack', () => {
    const theirs = new kafkajs.KafkaJSProtocolError({ message: 'no such topic', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true } as never);
    const ours = translation.toKafkasim(theirs);
    expect(ours).toBeInstanceOf(kafkasim.KafkaJSProtocolError);
    expect(ours).toBeInstanceOf(kafkasim.KafkaJSError);
    expect(ours).toBeInstanceOf(Error);
    expect(ours).not.toBeInstanceOf(kafkajs.KafkaJSError);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect({ ...ours }).toEqual({ ...theirs });
    expect([ours.message, ours.stack]).toEqual([theirs.message, theirs.stack]);
    expect(String(ours)).toBe(String(theirs));
  });

  it('nested errors are translated: cause, an aggregate’s errors, per-group results', () => {
    const cause = new kafkajs.KafkaJSProtocolError({ message: 'too large', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false } as never);
    const exceeded = translation.toKafkasim(new kafkajs.KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 2, retryTime: 100 }));
    expect(exceeded).toBeInstanceOf(kafkasim.KafkaJSNumberOfRetriesExceeded);
    expect(exceeded).toMatchObject({ retryCount: 2, retryTime: 100, name: 'KafkaJSNumberOfRetriesExceeded' });
    expect(exceeded.cause).toBeInstanceOf(kafkasim.KafkaJSProtocolError);
    expect(exceeded.cause).toBe(translation.toKafkasim(cause));

    const created = new undeclared.KafkaJSCreateTopicError({ message: 'bad', type: 'INVALID_TOPIC_EXCEPTION', code: 17 } as never, 'bad name!' as never);
    const aggregate = translation.toKafkasim(new kafkajs.KafkaJSAggregateError('Topic creation errors', [created]));
    expect(aggregate).toBeInstanceOf(kafkasim.KafkaJSAggregateError);
    expect(aggregate.errors[0]).toBeInstanceOf(kafkasim.KafkaJSCreateTopicError);
    expect(aggregate.errors[0]).toMatchObject({ topic: 'bad name!', type: 'INVALID_TOPIC_EXCEPTION' });

    const groups = translation.toKafkasim(
      new kafkajs.KafkaJSDeleteGroupsError('Error in DeleteGroups', [{ groupId: 'g', errorCode: 69, error: cause } as never]),
    );
    expect(groups.groups[0].error).toBeInstanceOf(kafkasim.KafkaJSProtocolError);
    expect(groups.groups[0]).toMatchObject({ groupId: 'g', errorCode: 69 });
  });

  it('the same KafkaJS error is always the same translated object, and translates back to itself', () => {
    const theirs = new kafkajs.KafkaJSConnectionError('Connection error', { broker: 'a:1', code: 'ECONNREFUSED' } as never);
    const ours = translation.toKafkasim(theirs);
    expect(translation.toKafkasim(theirs)).toBe(ours);
    expect(translation.original(ours)).toBe(theirs);
    expect(ours).toBeInstanceOf(kafkasim.KafkaJSConnectionError);
  });

  it('anything that is not a KafkaJS error passes through untouched', () => {
    const plain = new TypeError('not ours');
    const own = new kafkasim.KafkaJSProtocolError('already ours');
    expect(translation.toKafkasim(plain)).toBe(plain);
    expect(translation.toKafkasim(own)).toBe(own);
    expect(translation.toKafkasim('a string')).toBe('a string');
    expect(translation.original(plain)).toBe(plain);
  });

  it('isKafkaError matches by class along the prototype chain, for either library, not by the name field', () => {
    const theirs = new kafkajs.KafkaJSOffsetOutOfRange({ message: 'out of range' } as never, { topic: 't', partition: 0 });
    for (const e of [theirs, translation.toKafkasim(theirs), new kafkasim.KafkaJSOffsetOutOfRange({ message: 'x' }, { topic: 't', partition: 0 })]) {
      expect(isKafkaError(e, 'KafkaJSOffsetOutOfRange')).toBe(true);
      expect(isKafkaError(e, 'KafkaJSProtocolError')).toBe(true);
      expect(isKafkaError(e, 'KafkaJSError')).toBe(true);
      expect(isKafkaError(e, 'KafkaJSNonRetriableError')).toBe(false);
    }
    // KafkaJS names this class 'KafkaJSNonRetriableError'; it is still a KafkaJSInvalidVarIntError.
    const varInt = new undeclared.KafkaJSInvalidVarIntError('bad varint' as never);
    expect(varInt.name).toBe('KafkaJSNonRetriableError');
    expect(isKafkaError(varInt, 'KafkaJSInvalidVarIntError')).toBe(true);
    expect(isKafkaError(new Error('x'), 'KafkaJSError')).toBe(false);
    expect(isKafkaError(null, 'KafkaJSError')).toBe(false);
  });
});

describe('what the real side rewrites in configs', () => {
  /** A kafkajs module whose Kafka records what it was given. */
  function recordingKafkaJS() {
    const configs: Record<string, unknown> = {};
    class Kafka {
      constructor(config: unknown) {
        configs.kafka = config;
      }
      producer(config: unknown) {
        configs.producer = config;
        return {};
      }
      consumer(config: unknown) {
        configs.consumer = config;
        return {};
      }
    }
    const module = { ...kafkajsModule, Kafka, CompressionCodecs: { ...kafkajs.CompressionCodecs } } as unknown as KafkaJSModule;
    return { module, configs };
  }

  it("kafkasim's built-in partitioners and round-robin assigner become KafkaJS's own; other functions pass as they are", () => {
    const { module, configs } = recordingKafkaJS();
    const kafka = createRealKafka({ brokers: ['a:1'] }, module);
    kafka.producer({ createPartitioner: kafkasim.Partitioners.DefaultPartitioner });
    expect((configs.producer as { createPartitioner: unknown }).createPartitioner).toBe(kafkajs.Partitioners.DefaultPartitioner);
    kafka.producer({ createPartitioner: kafkasim.Partitioners.LegacyPartitioner });
    expect((configs.producer as { createPartitioner: unknown }).createPartitioner).toBe(kafkajs.Partitioners.LegacyPartitioner);
    const custom = () => () => 0;
    kafka.producer({ createPartitioner: custom });
    expect((configs.producer as { createPartitioner: unknown }).createPartitioner).toBe(custom);
    kafka.consumer({ groupId: 'g', partitionAssigners: [kafkasim.PartitionAssigners.roundRobin] });
    expect((configs.consumer as { partitionAssigners: unknown[] }).partitionAssigners).toEqual([kafkajs.PartitionAssigners.roundRobin]);
  });

  describe('codecs', () => {
    const saved = kafkasim.CompressionCodecs[kafkasim.CompressionTypes.Snappy];
    afterEach(() => {
      kafkasim.CompressionCodecs[kafkasim.CompressionTypes.Snappy] = saved;
    });

    it("a codec registered in kafkasim's CompressionCodecs is registered in KafkaJS's where it has none", () => {
      const { module } = recordingKafkaJS();
      const snappy = () => ({ compress: async () => Buffer.alloc(0), decompress: async () => Buffer.alloc(0) });
      kafkasim.CompressionCodecs[kafkasim.CompressionTypes.Snappy] = snappy;
      createRealKafka({ brokers: ['a:1'] }, module);
      expect(module.CompressionCodecs[kafkasim.CompressionTypes.Snappy]).toBe(snappy);
      expect(module.CompressionCodecs[kafkasim.CompressionTypes.LZ4]).toBe(kafkajs.CompressionCodecs[kafkajs.CompressionTypes.LZ4]);
    });
  });
});

describe('errors reaching user code from the genuine KafkaJS (over TCP to the kafkasim server)', () => {
  let backend: StartedBackend | undefined;
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
  });

  it('a translated error a handler rethrows goes back to KafkaJS as its own (no "Error when calling eachMessage" log); restartOnFailure and the CRASH event get the same translated error', async () => {
    backend = await wireBackend.start();
    const b = backend;
    const topic = b.unique('crashing');
    const admin = b.kafka().admin();
    b.onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = b.kafka().producer({ createPartitioner: kafkasim.Partitioners.DefaultPartitioner });
    b.onCleanup(() => producer.disconnect());
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'boom' }] });

    // A translated, retriable KafkaJS error, obtained the way user code gets one.
    const failure = await admin.fetchTopicMetadata({ topics: [b.unique('missing')] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(kafkasim.KafkaJSProtocolError);
    expect(failure).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });

    const errorLogs: string[] = [];
    const logCreator = () => (entry: { log: { message: string } }) => void errorLogs.push(entry.log.message);
    const seenByRestart: unknown[] = [];
    const crashes: unknown[] = [];
    const consumer = b.kafka({ logLevel: kafkasim.logLevel.ERROR, logCreator }).consumer({
      groupId: b.unique('crashers'),
      maxWaitTimeInMs: 100,
      retry: {
        retries: 0,
        restartOnFailure: async (error) => {
          seenByRestart.push(error);
          return false;
        },
      },
    });
    b.onCleanup(() => consumer.disconnect());
    consumer.on(consumer.events.CRASH, (event) => void crashes.push((event.payload as { error: unknown }).error));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ heartbeat }) => {
        await heartbeat();
        throw failure;
      },
    });
    await b.waitFor(() => crashes.length >= 1 && seenByRestart.length >= 1, 'the CRASH event and restartOnFailure');
    const [crash] = crashes;
    expect(crash).toBeInstanceOf(kafkasim.KafkaJSNumberOfRetriesExceeded);
    expect((crash as Error).cause).toBe(failure);
    expect(seenByRestart[0]).toBe(crash);
    expect(errorLogs.filter((message) => message.startsWith('Error when calling eachMessage'))).toEqual([]);
  });
});
