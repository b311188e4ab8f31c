/**
 * Which backend `createKafka` hands out, read from the environment: the simulator unless
 * `KAFKASIM_MODE=real` or `KAFKA_BROKERS` says otherwise. An explicit `KAFKASIM_MODE=sim` wins over
 * `KAFKA_BROKERS`, so a shell that exports the brokers for other tools can still run a suite on the simulator.
 */

/** The environment variables read here, nothing else. */
export interface KafkaModeEnvironment {
  readonly KAFKASIM_MODE?: string;
  readonly KAFKA_BROKERS?: string;
}

export type KafkaMode =
  | { readonly mode: 'sim' }
  /** `brokers` undefined: keep the config's own. */
  | { readonly mode: 'real'; readonly brokers: string[] | undefined };

const MODES = ['sim', 'real'];

/** `KAFKA_BROKERS` as a broker list: comma-separated `host:port`, blanks ignored; undefined when empty. */
export function brokersFrom(value: string | undefined): string[] | undefined {
  const brokers = (value ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  return brokers.length > 0 ? brokers : undefined;
}

export function kafkaMode(environment: KafkaModeEnvironment): KafkaMode {
  const requested = (environment.KAFKASIM_MODE ?? '').trim().toLowerCase();
  if (requested !== '' && !MODES.includes(requested)) {
    throw new Error(`kafkasim: KAFKASIM_MODE must be 'sim' or 'real', not '${environment.KAFKASIM_MODE}'`);
  }
  const brokers = brokersFrom(environment.KAFKA_BROKERS);
  if (requested === 'sim') return { mode: 'sim' };
  if (requested === 'real' || brokers !== undefined) return { mode: 'real', brokers };
  return { mode: 'sim' };
}
