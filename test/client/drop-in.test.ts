import { describe, expect, it, vi } from 'vitest';

// The one line a user adds: every `import ... from 'kafkajs'` in the application now gets kafkasim.
vi.mock('kafkajs', () => import('../../src/index.ts'));

describe('drop-in replacement for kafkajs', () => {
  it('runs unmodified KafkaJS application code against the embedded default cluster', async () => {
    const { roundTrip } = await import('./fixtures/greeter-app.ts');
    const received = await roundTrip(['ada', 'grace', 'linus']);
    expect([...received].sort()).toEqual(['hello ada', 'hello grace', 'hello linus']);
  });
});
