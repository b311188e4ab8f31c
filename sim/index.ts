/**
 * The deterministic simulation harness: configurations and plans (plan.ts), one run (simulation.ts), the
 * history and its checkers (history.ts, checkers/), what Kafka allows (semantics.ts), timelines
 * (timeline.ts) and the teaching scenarios (scenarios.ts). See README.md.
 */
export * from './plan.ts';
export * from './simulation.ts';
export * from './timeline.ts';
export * from './history.ts';
export * from './semantics.ts';
export * from './checkers/index.ts';
export * from './scenarios.ts';
