/**
 * The real-cluster side of the switch: the genuine KafkaJS (an optional peer dependency, loaded only when
 * asked for) behind the same interface as kafkasim's client. What the adapter changes on the way through,
 * and nothing else:
 * - errors reaching user code become kafkasim's classes of the same name and fields (`errors.ts`): promise
 *   rejections and synchronous throws of every method, `payload.error` of event listeners (consumer CRASH),
 *   the argument of `retry.restartOnFailure`, and the helpers of eachMessage/eachBatch payloads (`heartbeat`,
 *   `commitOffsetsIfNecessary`...). A translated error a handler rethrows goes back to KafkaJS as its original;
 * - kafkasim's built-in partitioners and round-robin assigner, passed in a config, become KafkaJS's own, so a
 *   real cluster sees KafkaJS's behaviour exactly (kafkasim's draw their round-robin start from a seeded PRNG);
 * - codecs the application registered in kafkasim's `CompressionCodecs` (Snappy, LZ4, ZSTD) are registered in
 *   KafkaJS's too, where KafkaJS has none, so `compression: CompressionTypes.Snappy` works on both backends.
 * Left out: SASL/SSL/socketFactory pass through untouched (the simulator ignores them, KafkaJS uses them);
 * objects handed out are proxies of KafkaJS's, not instances of kafkasim's `Kafka` class.
 */
import { createRequire } from 'node:module';
import { PartitionAssigners } from '../client/assigners.ts';
import { CompressionCodecs, CompressionTypes } from '../client/compression.ts';
import type { KafkaConfig } from '../client/config.ts';
import type { Kafka } from '../client/kafka.ts';
import { Partitioners } from '../client/partitioners.ts';
import { ErrorTranslation } from './errors.ts';

/** What the adapter uses of the `kafkajs` module (typed here: kafkajs is optional, its declarations may be absent). */
export interface KafkaJSModule {
  readonly Kafka: new (config: unknown) => object;
  readonly Partitioners: Record<'DefaultPartitioner' | 'LegacyPartitioner' | 'JavaCompatiblePartitioner', unknown>;
  readonly PartitionAssigners: { readonly roundRobin: unknown };
  readonly CompressionCodecs: Record<number, unknown>;
  readonly [name: string]: unknown;
}

export const KAFKAJS_RANGE = '^2.2.4';

/** Loads `kafkajs` as the application would resolve it; `from` is where resolution starts (a file URL or path). */
export function loadKafkaJS(from: string = import.meta.url): KafkaJSModule {
  try {
    return createRequire(from)('kafkajs') as KafkaJSModule;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND' && /'kafkajs'/.test((error as Error).message)) {
      throw new Error(
        'kafkasim: KAFKASIM_MODE=real or KAFKA_BROKERS asks for a real Kafka cluster, which needs the genuine KafkaJS client, ' +
          `an optional peer dependency that is not installed. Install it (npm install kafkajs@${KAFKAJS_RANGE}), ` +
          'or unset KAFKASIM_MODE and KAFKA_BROKERS to use the simulator.',
        { cause: error },
      );
    }
    throw error;
  }
}

/** The codec factories kafkasim starts with; anything else in its registry was put there by the application. */
const BUILT_IN_CODECS = new Map<number, unknown>(
  [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD].map((type) => [type, CompressionCodecs[type]]),
);

type AnyFunction = (...args: unknown[]) => unknown;
type ClientKind = 'kafka' | 'producer' | 'consumer' | 'admin' | 'transaction';

const translations = new WeakMap<KafkaJSModule, ErrorTranslation>();

/** A KafkaJS `Kafka` for `config`, typed and behaving as kafkasim's `Kafka` (see the header for what differs). */
export function createRealKafka(config: KafkaConfig, kafkajs: KafkaJSModule = loadKafkaJS()): Kafka {
  let translation = translations.get(kafkajs);
  if (translation === undefined) {
    translation = new ErrorTranslation(kafkajs);
    translations.set(kafkajs, translation);
  }
  const adapter = new RealClientAdapter(kafkajs, translation);
  adapter.shareCodecs();
  let kafka: object;
  try {
    kafka = new kafkajs.Kafka(config);
  } catch (error) {
    throw translation.toKafkasim(error);
  }
  return adapter.wrap(kafka, 'kafka') as Kafka;
}

class RealClientAdapter {
  constructor(
    private readonly kafkajs: KafkaJSModule,
    private readonly translation: ErrorTranslation,
  ) {}

  /** Copies application-registered codecs into KafkaJS's registry where KafkaJS still has its default. */
  shareCodecs(): void {
    for (const [type, builtIn] of BUILT_IN_CODECS) {
      const registered = CompressionCodecs[type];
      if (registered === builtIn || registered === undefined) continue;
      const theirs = this.kafkajs.CompressionCodecs[type];
      if (theirs === undefined || isKafkaJSDefaultCodec(theirs)) this.kafkajs.CompressionCodecs[type] = registered;
    }
  }

  /** A proxy of a KafkaJS client object whose methods translate errors (and a few arguments and results). */
  wrap(target: object, kind: ClientKind): object {
    const methods = new Map<unknown, AnyFunction>();
    return new Proxy(target, {
      get: (object, key) => {
        const value = Reflect.get(object, key);
        if (typeof value !== 'function') return value;
        let method = methods.get(value);
        if (method === undefined) {
          method = this.method(kind, String(key), value as AnyFunction, object);
          methods.set(value, method);
        }
        return method;
      },
    });
  }

  private method(kind: ClientKind, name: string, fn: AnyFunction, self: object): AnyFunction {
    if (kind === 'kafka' && name === 'producer') {
      return (config?: unknown) => this.wrap(this.call(fn, self, [this.producerConfig(config)]) as object, 'producer');
    }
    if (kind === 'kafka' && name === 'consumer') {
      return (config?: unknown) => this.wrap(this.call(fn, self, [this.consumerConfig(config)]) as object, 'consumer');
    }
    if (kind === 'kafka' && name === 'admin') {
      return (...args) => this.wrap(this.call(fn, self, args) as object, 'admin');
    }
    if (kind === 'producer' && name === 'transaction') {
      return async (...args) => this.wrap((await this.call(fn, self, args)) as object, 'transaction');
    }
    if (kind === 'consumer' && name === 'run') {
      return (config?: unknown) => this.call(fn, self, [this.runConfig(config)]);
    }
    if (name === 'on' && kind !== 'kafka') {
      return (eventName: unknown, listener: unknown) => this.call(fn, self, [eventName, this.listener(listener)]);
    }
    return (...args) => this.call(fn, self, args);
  }

  /** Calls into KafkaJS; what it throws or rejects with comes out as kafkasim's error. */
  private call(fn: AnyFunction, self: unknown, args: unknown[]): unknown {
    let result: unknown;
    try {
      result = fn.apply(self, args);
    } catch (error) {
      throw this.translation.toKafkasim(error);
    }
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        throw this.translation.toKafkasim(error);
      });
    }
    return result;
  }

  private producerConfig(config: unknown): unknown {
    if (!isObject(config) || typeof config.createPartitioner !== 'function') return config;
    const { createPartitioner } = config;
    const builtIn = (Object.keys(Partitioners) as Array<keyof typeof Partitioners>).find((name) => Partitioners[name] === createPartitioner);
    return builtIn === undefined ? config : { ...config, createPartitioner: this.kafkajs.Partitioners[builtIn] };
  }

  private consumerConfig(config: unknown): unknown {
    if (!isObject(config)) return config;
    let result: Record<string, unknown> = config;
    if (Array.isArray(config.partitionAssigners)) {
      const partitionAssigners = config.partitionAssigners.map((assigner: unknown) =>
        assigner === PartitionAssigners.roundRobin ? this.kafkajs.PartitionAssigners.roundRobin : assigner,
      );
      result = { ...result, partitionAssigners };
    }
    if (isObject(config.retry) && typeof config.retry.restartOnFailure === 'function') {
      const restartOnFailure = config.retry.restartOnFailure as AnyFunction;
      result = { ...result, retry: { ...config.retry, restartOnFailure: (error: unknown) => restartOnFailure(this.translation.toKafkasim(error)) } };
    }
    return result;
  }

  /** eachMessage/eachBatch see translated helpers; what they throw goes back to KafkaJS as it knows it. */
  private runConfig(config: unknown): unknown {
    if (!isObject(config)) return config;
    const result: Record<string, unknown> = { ...config };
    for (const name of ['eachMessage', 'eachBatch']) {
      const handler = config[name];
      if (typeof handler !== 'function') continue;
      result[name] = async (payload: unknown) => {
        try {
          return await (handler as AnyFunction)(this.payload(payload));
        } catch (error) {
          throw this.translation.original(error);
        }
      };
    }
    return result;
  }

  private payload(payload: unknown): unknown {
    if (!isObject(payload)) return payload;
    const result: Record<string, unknown> = { ...payload };
    for (const [key, value] of Object.entries(payload)) {
      if (typeof value === 'function') result[key] = (...args: unknown[]) => this.call(value as AnyFunction, payload, args);
    }
    return result;
  }

  private listener(listener: unknown): unknown {
    if (typeof listener !== 'function') return listener;
    return (event: unknown) => {
      if (isObject(event) && isObject(event.payload) && 'error' in event.payload) {
        const error = this.translation.toKafkasim(event.payload.error);
        if (error !== event.payload.error) return (listener as AnyFunction)({ ...event, payload: { ...event.payload, error } });
      }
      return (listener as AnyFunction)(event);
    };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** KafkaJS's placeholders for Snappy, LZ4 and ZSTD throw KafkaJSNotImplemented when called. */
function isKafkaJSDefaultCodec(factory: unknown): boolean {
  if (typeof factory !== 'function') return false;
  try {
    (factory as AnyFunction)();
    return false;
  } catch (error) {
    return (error as { name?: unknown }).name === 'KafkaJSNotImplemented';
  }
}
