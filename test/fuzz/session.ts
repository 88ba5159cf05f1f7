// The fuzzer's real side: one simulation driven step by step through the sequence runner's own
// step function, so a recorded step list replays as a sequence file exactly as it ran here.
// After every step it demands what the model demands: the expected outcome, the same state,
// and no invariant violation.
import { Prng } from '../../sim/prng.js';
import { type SequenceStep, machineNames } from '../../sequence/file.js';
import { runStep } from '../../sequence/runner.js';
import type { Simulation } from '../../sim/simulation.js';
import type { RefModel } from './model.js';
import { modelSnapshot, realSnapshot, snapshotDiff } from './snapshot.js';
import type { RecordedStep } from '../../sequence/write.js';

/** The machine and the reference model disagree (the message says where and how). */
export class Disagreement extends Error {
  override readonly name = 'Disagreement';
  /** outcome: a step's errno or value; state: what the machine holds after a step; violation: the monitor. */
  constructor(
    readonly kind: 'outcome' | 'state' | 'violation',
    message: string,
  ) {
    super(message);
  }
}

export class Session {
  /** Every step run so far, with the model's expectations: the body of a reproducing file. */
  readonly steps: RecordedStep[] = [];
  private readonly bindings = new Map<string, number>();
  private readonly names: ReturnType<typeof machineNames>;
  private readonly prng = new Prng(1);

  /** `tally` counts the steps run by op and expected outcome ("allow EEXIST"), across sessions. */
  constructor(
    readonly sim: Simulation,
    private readonly tally?: Map<string, number>,
  ) {
    this.names = machineNames(sim.machine.spec);
  }

  async step(s: RecordedStep, model: RefModel): Promise<void> {
    const index = this.steps.length;
    this.steps.push(s);
    const key = `${s.op} ${s.expect}`;
    this.tally?.set(key, (this.tally.get(key) ?? 0) + 1);
    const step: SequenceStep = {
      index,
      op: s.op,
      args: s.args,
      as: s.as,
      expect: s.expect,
      expectValue: s.expectValue,
      hasExpectValue: s.expectValue !== undefined,
    };
    this.sim.monitor.step = index;
    const r = await runStep(this.sim, this.prng, step, this.names, this.bindings);
    const what = `step ${index} ${s.op} ${JSON.stringify(s.args)}`;
    if (!r.met) {
      const wanted = `${s.expect}${s.expectValue !== undefined ? ` (value ${JSON.stringify(s.expectValue)})` : ''}`;
      const got = `${r.result}${r.value !== null ? ` (value ${JSON.stringify(r.value)})` : ''}${r.message ? `: ${r.message}` : ''}`;
      throw new Disagreement('outcome', `${what}: the model expects ${wanted}, the machine answered ${got}`);
    }
    const fdNames = new Map([...this.bindings].map(([name, fd]) => [fd, name]));
    const diff = snapshotDiff(modelSnapshot(model), await realSnapshot(this.sim, fdNames));
    if (diff) throw new Disagreement('state', `after ${what}: state differs: ${diff}`);
    const v = this.sim.violations[0];
    if (v) throw new Disagreement('violation', `after ${what}: invariant ${v.invariant} violated: ${v.detail}`);
  }
}
