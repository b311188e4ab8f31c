/** Configuration `acks-all-isr2` (sim/plan.ts): its SEMANTICS.md row holds over CI_RUNS shrinkable plans. */
import { describeConfiguration } from './property-support.ts';

describeConfiguration('acks-all-isr2');
