/**
 * Assertions for invariants that must hold whatever the input: a failure is a bug in kafkasim,
 * never a protocol error (those are response codes). Never disabled.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new AssertionError(`kafkasim invariant violated: ${why}`);
}
