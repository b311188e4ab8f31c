/**
 * The conformance suite: every case of `cases.ts` against every backend of `backends.ts` (kafkasim in
 * process on a virtual clock, the genuine KafkaJS over TCP to the kafkasim server, and a real cluster when
 * `KAFKA_BROKERS` names one). A case that passes on one backend and fails on another is a divergence: fixed,
 * or listed in docs/compat.md. Each case gets a fresh backend (a new cluster or server; on a real cluster,
 * fresh topic names).
 */
import { afterEach, beforeEach, describe, it } from 'vitest';
import { BACKENDS, type StartedBackend } from './backends.ts';
import { CASES } from './cases.ts';

for (const factory of BACKENDS) {
  if (factory.skipReason !== undefined) console.warn(`conformance: ${factory.skipReason}`);
  const suite = factory.skipReason === undefined ? describe : describe.skip;

  suite(`conformance on ${factory.name}`, () => {
    let backend: StartedBackend | undefined;
    beforeEach(async () => {
      backend = await factory.start();
    });
    afterEach(async () => {
      await backend?.stop();
      backend = undefined;
    });

    for (const conformanceCase of CASES) {
      it(conformanceCase.name, () => conformanceCase.run(backend!));
    }
  });
}
