/**
 * The conformance suite: every case of `cases*.ts` against every backend of `backends.ts` (kafkasim in
 * process on a virtual clock, the genuine KafkaJS over TCP to the kafkasim server, and a real cluster when
 * `KAFKA_BROKERS` names one). A case that passes on one backend and fails on another is a divergence: fixed,
 * or listed in docs/compat.md. Each case of `cases.ts` gets a fresh backend (a new cluster or server; on a
 * real cluster, fresh topic names). The API-surface cases (`cases-admin.ts`, `cases-producer.ts`,
 * `cases-consumer.ts`, `cases-transactions.ts`) share one backend per file and backend, with unique names
 * per case and its cleanups run after it: starting a server per case would cost more than most of them take.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { BACKENDS, type StartedBackend } from './backends.ts';
import { ADMIN_CASES } from './cases-admin.ts';
import { CONSUMER_CASES } from './cases-consumer.ts';
import { PRODUCER_CASES } from './cases-producer.ts';
import { TRANSACTION_CASES } from './cases-transactions.ts';
import { CASES, type ConformanceCase } from './cases.ts';

const SHARED: ReadonlyArray<readonly [string, readonly ConformanceCase[]]> = [
  ['admin', ADMIN_CASES],
  ['producer', PRODUCER_CASES],
  ['consumer', CONSUMER_CASES],
  ['transactions', TRANSACTION_CASES],
];

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

  for (const [subject, cases] of SHARED) {
    suite(`conformance of the ${subject} API on ${factory.name} (one backend for the file)`, () => {
      let backend: StartedBackend | undefined;
      beforeAll(async () => {
        backend = await factory.start();
      });
      afterEach(async () => {
        await backend?.cleanUp();
      });
      afterAll(async () => {
        await backend?.stop();
        backend = undefined;
      });

      for (const conformanceCase of cases) {
        it(conformanceCase.name, () => conformanceCase.run(backend!));
      }
    });
  }
}
