/**
 * Jepsen-style checkers: pure functions of a recorded history (../history.ts), each returning
 * `{ valid, anomalies }` where every anomaly names the records (process, time, values, offsets) behind it.
 * `checkHistory` runs them all; ../semantics.ts decides which of the anomalies a configuration allows.
 */
import type { History } from '../history.ts';
import { type CheckResult, result } from './anomaly.ts';
import { checkAbortedReads } from './aborted-read.ts';
import { checkCommittedTooFar } from './committed-too-far.ts';
import { checkInconsistentOffsets, checkLogDuplicates } from './log-consistency.ts';
import { checkLostWrites, checkUnseen } from './lost-write.ts';
import { checkPollOrder } from './poll-order.ts';
import { checkGroupSkip, checkRedelivery } from './redelivery.ts';
import { checkSendOrder } from './send-order.ts';
import { checkSplitOwnership } from './split-ownership.ts';

export * from './anomaly.ts';
export { checkAbortedReads } from './aborted-read.ts';
export { checkCommittedTooFar } from './committed-too-far.ts';
export { checkInconsistentOffsets, checkLogDuplicates } from './log-consistency.ts';
export { checkLostWrites, checkUnseen } from './lost-write.ts';
export { checkPollOrder } from './poll-order.ts';
export { checkGroupSkip, checkRedelivery, consumeCounts, type ConsumeCounts } from './redelivery.ts';
export { checkSendOrder } from './send-order.ts';
export { checkSplitOwnership } from './split-ownership.ts';

export const CHECKERS: ReadonlyArray<(history: History) => CheckResult> = [
  checkInconsistentOffsets,
  checkLogDuplicates,
  checkLostWrites,
  checkUnseen,
  checkSendOrder,
  checkPollOrder,
  checkRedelivery,
  checkGroupSkip,
  checkCommittedTooFar,
  checkAbortedReads,
  checkSplitOwnership,
];

export function checkHistory(history: History): CheckResult {
  return result(CHECKERS.flatMap((check) => check(history).anomalies));
}
