/**
 * The sim/real switch: `createKafka(config)` gives kafkasim's simulated `Kafka` by default, and the genuine
 * KafkaJS connected to a real cluster when the environment asks for one (`KAFKASIM_MODE=real`, or
 * `KAFKA_BROKERS=host:port,...`, whose brokers replace `config.brokers`). The same code, the same types and the
 * same error classes run on both (see `errors.ts` for how `instanceof` is kept, `real.ts` for what the real
 * side translates). This is one of the few places that read the environment (STYLE.md).
 */
import type { KafkaConfig } from '../client/config.ts';
import { Kafka } from '../client/kafka.ts';
import { kafkaMode, type KafkaModeEnvironment } from './mode.ts';
import { createRealKafka, loadKafkaJS } from './real.ts';

export { isKafkaError, type KafkaErrorClassName } from './errors.ts';
export { kafkaMode, type KafkaMode, type KafkaModeEnvironment } from './mode.ts';

/**
 * A `Kafka` for the backend the environment selects. `environment` defaults to `process.env`; pass another
 * object to choose explicitly (`{ KAFKASIM_MODE: 'real' }`, `{}` for the simulator whatever the shell says).
 * In sim mode this is `new Kafka(config)` from kafkasim: it reaches the `createCluster()` cluster listening at
 * `config.brokers`, or the embedded default cluster.
 */
export function createKafka(config: KafkaConfig, environment: KafkaModeEnvironment = process.env): Kafka {
  const selected = kafkaMode(environment);
  if (selected.mode === 'sim') return new Kafka(config);
  return createRealKafka({ ...config, brokers: selected.brokers ?? config.brokers }, loadKafkaJS());
}
