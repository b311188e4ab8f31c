/**
 * One set of error classes on both backends. The simulator throws kafkasim's classes (`src/client/errors.ts`,
 * KafkaJS's classes statement for statement); the genuine KafkaJS throws its own, which `instanceof` against
 * kafkasim's classes would not recognise. So the real-cluster adapter translates every KafkaJS error that
 * reaches user code into the kafkasim class of the same name, with the same own fields (message, name, type,
 * code, retriable, helpUrl, stack, cause...), nested errors translated too (`cause`, `errors`, `groups[].error`,
 * `partitions[].error`). `e instanceof KafkaJSProtocolError` with the class imported from 'kafkasim' then
 * holds on both backends.
 *
 * `isKafkaError(e, 'KafkaJSProtocolError')` answers the same question for any error, translated or not (one
 * thrown by a kafkajs client made without the adapter, say): it compares class names along the prototype
 * chain, which both libraries spell identically. It is not `e.name`: KafkaJS names some classes after their
 * parent (KafkaJSInvalidVarIntError is named 'KafkaJSNonRetriableError').
 */
import * as kafkasimErrors from '../client/errors-public.ts';

export type KafkaErrorClasses = typeof kafkasimErrors;
export type KafkaErrorClassName = keyof KafkaErrorClasses;

type ErrorClass = abstract new (...args: never[]) => Error;

/** True when `e` is an instance of a class named `className` (or of a subclass), whichever library made it. */
export function isKafkaError<N extends KafkaErrorClassName>(e: unknown, className: N): e is InstanceType<KafkaErrorClasses[N]> {
  if (typeof e !== 'object' || e === null) return false;
  for (let prototype = Object.getPrototypeOf(e); prototype !== null; prototype = Object.getPrototypeOf(prototype)) {
    if (Object.prototype.hasOwnProperty.call(prototype, 'constructor') && (prototype.constructor as { name?: unknown }).name === className) {
      return true;
    }
  }
  return false;
}

/**
 * Translates errors of one loaded `kafkajs` module into kafkasim's classes, and back. The same KafkaJS error
 * always becomes the same object, so code that compares errors (a crash event's error with a rejection's)
 * still can; `original` gives KafkaJS its own object back when user code rethrows a translated error into
 * it (KafkaJS checks `instanceof KafkaJSError` to decide whether to log a handler's failure).
 */
export class ErrorTranslation {
  private readonly classes = new Map<unknown, ErrorClass>();
  private readonly translated = new WeakMap<object, Error>();
  private readonly originals = new WeakMap<object, Error>();

  constructor(kafkajsExports: Readonly<Record<string, unknown>>) {
    for (const [name, ours] of Object.entries(kafkasimErrors) as Array<[string, ErrorClass]>) {
      const theirs = kafkajsExports[name];
      if (typeof theirs === 'function') this.classes.set(theirs, ours);
    }
  }

  /** kafkasim's counterpart of a KafkaJS error; anything else (user errors, TypeErrors) as it is. */
  toKafkasim<T>(value: T): T {
    if (typeof value !== 'object' || value === null) return value;
    const done = this.translated.get(value);
    if (done !== undefined) return done as T;
    const ours = this.kafkasimClassOf(value);
    if (ours === undefined) return value;

    const copy = Object.create(ours.prototype) as Error;
    this.translated.set(value, copy);
    this.originals.set(copy, value as unknown as Error);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
      // `stack` may be an accessor bound to the original object's internals: copy what it reads.
      const field = 'value' in descriptor ? descriptor.value : (value as Record<PropertyKey, unknown>)[key];
      Object.defineProperty(copy, key, {
        value: this.nested(key, field),
        writable: descriptor.writable ?? true,
        enumerable: descriptor.enumerable,
        configurable: descriptor.configurable,
      });
    }
    return copy as T;
  }

  /** The KafkaJS error a translated one came from (or the value itself). */
  original<T>(value: T): T {
    if (typeof value !== 'object' || value === null) return value;
    return (this.originals.get(value) as T | undefined) ?? value;
  }

  private kafkasimClassOf(value: object): ErrorClass | undefined {
    for (let prototype = Object.getPrototypeOf(value); prototype !== null; prototype = Object.getPrototypeOf(prototype)) {
      const ours = this.classes.get((prototype as { constructor?: unknown }).constructor);
      if (ours !== undefined) return ours;
    }
    return undefined;
  }

  /** Errors inside errors: KafkaJSNumberOfRetriesExceeded's cause, an aggregate's errors, per-group and per-partition results. */
  private nested(key: PropertyKey, field: unknown): unknown {
    if (key === 'cause') return this.toKafkasim(field);
    if (!Array.isArray(field)) return field;
    if (key === 'errors') return field.map((entry) => this.toKafkasim(entry));
    if (key === 'groups' || key === 'partitions') {
      return field.map((entry: unknown) =>
        typeof entry === 'object' && entry !== null && 'error' in entry ? { ...entry, error: this.toKafkasim((entry as { error: unknown }).error) } : entry,
      );
    }
    return field;
  }
}
