/**
 * Terse hand-written histories for the checker tests: one topic `t`, values unique per partition, a clock
 * that advances 10 ms per operation unless told otherwise.
 */
import { type CompletionType, type History, HistoryRecorder, type IsolationLevel, type TopicPartition } from '../../sim/history.ts';

export const TOPIC = 't';
export const tp = (partition: number): TopicPartition => ({ topic: TOPIC, partition });

export class Script {
  time = 0;
  readonly recorder = new HistoryRecorder(() => this.time);

  tick(ms = 10): this {
    this.time += ms;
    return this;
  }

  /** A send op to one partition; `[value, offset]` pairs, offsets only kept on ok. */
  send(process: string, partition: number, sent: Array<[string, number?]>, options: { type?: CompletionType; transaction?: string } = {}): this {
    const records = sent.map(([value]) => ({ ...tp(partition), key: null, value }));
    const pending = this.recorder.invoke(process, 'send', { records, ...(options.transaction === undefined ? {} : { transaction: options.transaction }) });
    this.tick();
    const type = options.type ?? 'ok';
    const completed = sent.map(([value, offset]) => ({ ...tp(partition), key: null, value, ...(type === 'ok' && offset !== undefined ? { offset } : {}) }));
    this.recorder.complete(pending, type, { ...pending.value, records: completed });
    return this.tick();
  }

  /** A poll op; `[partition, offset, value]` triples in delivery order. */
  poll(
    process: string,
    delivered: Array<[number, number, string]>,
    options: { groupId?: string; isolation?: IsolationLevel; rebalanced?: number[]; type?: CompletionType } = {},
  ): this {
    const pending = this.recorder.invoke(process, 'poll', { records: [], ...(options.groupId === undefined ? {} : { groupId: options.groupId }) });
    this.tick();
    this.recorder.complete(pending, options.type ?? 'ok', {
      ...pending.value,
      records: delivered.map(([partition, offset, value]) => ({ ...tp(partition), key: null, value, offset })),
      ...(options.isolation === undefined ? {} : { isolation: options.isolation }),
      ...(options.rebalanced === undefined ? {} : { rebalanced: options.rebalanced.map(tp) }),
    });
    return this.tick();
  }

  commit(process: string, groupId: string, offsets: Array<[number, number]>, type: CompletionType = 'ok'): this {
    const pending = this.recorder.invoke(process, 'commit', { groupId, offsets: offsets.map(([partition, offset]) => ({ ...tp(partition), offset })) });
    this.tick();
    this.recorder.complete(pending, type);
    return this.tick();
  }

  processStart(process: string, partition: number, offset: number, value: string): { done: () => Script } {
    const pending = this.recorder.invoke(process, 'process', { ...tp(partition), offset, value });
    this.tick();
    return {
      done: () => {
        this.recorder.ok(pending);
        return this.tick();
      },
    };
  }

  process(process: string, partition: number, offset: number, value: string): this {
    this.processStart(process, partition, offset, value).done();
    return this;
  }

  assign(process: string, partitions: number[], group?: { groupId: string; generationId: number; memberId?: string }): this {
    this.recorder.event(process, 'assign', { partitions: partitions.map(tp), ...(group ?? {}) });
    return this.tick();
  }

  revoke(process: string, groupId: string, partitions: number[], phase: 'revoke' | 'lost' = 'revoke'): this {
    this.recorder.event(process, 'rebalance', { groupId, phase, partitions: partitions.map(tp) });
    return this.tick();
  }

  endTxn(process: string, transaction: string, isCommit: boolean, type: CompletionType = 'ok'): this {
    const pending = this.recorder.invoke(process, 'end-txn', { transaction, isCommit });
    this.tick();
    this.recorder.complete(pending, type);
    return this.tick();
  }

  crash(process: string): this {
    this.recorder.event(process, 'crash', {});
    return this.tick();
  }

  history(): History {
    return this.recorder.history();
  }
}

export const script = (): Script => new Script();
