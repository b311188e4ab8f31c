/** Assigned and paused partitions (KafkaJS's `consumer/subscriptionState.js`), pause-all with per-partition exceptions. */
export interface TopicPartitions {
  topic: string;
  partitions?: number[];
}

interface State {
  topic: string;
  paused: Set<number>;
  pauseAll: boolean;
  resumed: Set<number>;
}

const createState = (topic: string): State => ({ topic, paused: new Set(), pauseAll: false, resumed: new Set() });
const numeric = (a: number, b: number): number => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);

export class SubscriptionState {
  private assignedByTopic = new Map<string, { topic: string; partitions: number[] }>();
  private readonly states = new Map<string, State>();

  assign(topicPartitions: Array<{ topic: string; partitions?: number[] }> = []): void {
    this.assignedByTopic = new Map(topicPartitions.map(({ topic, partitions = [] }) => [topic, { topic, partitions }]));
  }

  pause(topicPartitions: TopicPartitions[] = []): void {
    for (const { topic, partitions } of topicPartitions) {
      const state = this.states.get(topic) ?? createState(topic);
      if (partitions === undefined) {
        state.paused.clear();
        state.resumed.clear();
        state.pauseAll = true;
      } else if (Array.isArray(partitions)) {
        for (const p of partitions) {
          state.paused.add(p);
          state.resumed.delete(p);
        }
        state.pauseAll = false;
      }
      this.states.set(topic, state);
    }
  }

  resume(topicPartitions: TopicPartitions[] = []): void {
    for (const { topic, partitions } of topicPartitions) {
      const state = this.states.get(topic) ?? createState(topic);
      if (partitions === undefined) {
        state.paused.clear();
        state.resumed.clear();
        state.pauseAll = false;
      } else if (Array.isArray(partitions)) {
        for (const p of partitions) {
          state.paused.delete(p);
          if (state.pauseAll) state.resumed.add(p);
        }
      }
      this.states.set(topic, state);
    }
  }

  /** Partitions sorted as JavaScript's default sort orders them (as strings), like KafkaJS. */
  assigned(): Array<{ topic: string; partitions: number[] }> {
    return [...this.assignedByTopic.values()].map(({ topic, partitions }) => ({ topic, partitions: partitions.sort(numeric) }));
  }

  active(): Array<{ topic: string; partitions: number[] }> {
    return [...this.assignedByTopic.values()].map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.filter((p) => !this.isPaused(topic, p)).sort(numeric),
    }));
  }

  paused(): Array<{ topic: string; partitions: number[] }> {
    return [...this.assignedByTopic.values()]
      .map(({ topic, partitions }) => ({ topic, partitions: partitions.filter((p) => this.isPaused(topic, p)).sort(numeric) }))
      .filter(({ partitions }) => partitions.length !== 0);
  }

  isPaused(topic: string, partition: number): boolean {
    const state = this.states.get(topic);
    if (state === undefined) return false;
    return (state.pauseAll && !state.resumed.has(partition)) || state.paused.has(partition);
  }
}
