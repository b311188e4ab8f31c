/** Configuration `each-batch-kills` (sim/plan.ts): its SEMANTICS.md row holds over CI_RUNS shrinkable plans. */
import { describeConfiguration } from './property-support.ts';

describeConfiguration('each-batch-kills');
