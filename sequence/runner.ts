// Runs a checked sequence file step by step on a fresh simulation: resolves names, calls the op,
// compares the outcome with `expect` / `expect_value`, and reports each step. A step sent
// `nowait` is not waited for: later steps run while it is in flight (in deterministic mode the
// scheduler interleaves them by the seed) and its outcome is judged when its `wait` comes.
import { isDeepStrictEqual } from 'node:util';
import type { FallibleSite, MutantName } from '../actors/env.js';
import type { Result } from '../actors/result.js';
import { PrqCode } from '../hardware/layout.js';
import { boundValue } from '../uapi/ops.js';
import { STEP_OP_BY_NAME } from './ops.js';
import { Prng } from '../sim/prng.js';
import { type RunReport, type StepReport, VERSION, countsOf, scheduleOf, verdictOf } from '../report/report.js';
import { type Sequence, type SequenceStep, WAIT, expectationsFor, machineNames } from './file.js';
import { closeOut } from '../sim/close-out.js';
import { Simulation } from '../sim/simulation.js';
import { type ModeOptions, THREADS } from '../sim/mode.js';

export interface SequenceRunOptions {
  readonly seed?: number;
  readonly mutant?: MutantName | null;
  readonly workers?: number;
  readonly publishMessages?: boolean;
  /** Called with the simulation before the first step (to attach trace/diagram recorders). */
  readonly attach?: (sim: Simulation) => void;
  readonly mode?: ModeOptions;
  /** The machine's bound on a reply (and on a fault queue's wait for a page request), over the default; shrink's candidates run shorter. */
  readonly replyTimeoutMs?: number;
  /** The machine's fault injector (fail-nth sweeps); by default nothing fails. */
  readonly injectFault?: (site: FallibleSite) => boolean;
  /** Called after the last step, before the close-out audit (sim/close-out.ts), while the machine still answers. */
  readonly beforeFinish?: (sim: Simulation) => Promise<void>;
  /**
   * A call that answered ETIMEDOUT or EIO fails the run (default true). Fail-nth injects such
   * failures on purpose and judges its runs itself.
   */
  readonly incompleteCallsFail?: boolean;
  /**
   * Kept up to date with the indices of the steps whose calls are in progress: the current one and
   * those sent `nowait` not answered yet (fail-nth: a failure may belong to any of them).
   */
  readonly inProgress?: Set<number>;
}

/** Does `value` match `expected`: equal, or for objects every expected key equal. */
function valueMatches(value: unknown, expected: unknown): boolean {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected) && value !== null && typeof value === 'object') {
    return Object.entries(expected).every(([k, v]) => valueMatches((value as Record<string, unknown>)[k], v));
  }
  return isDeepStrictEqual(value, expected);
}

export async function runSequence(seq: Sequence, o: SequenceRunOptions = {}): Promise<RunReport> {
  const seed = o.seed ?? seq.seed ?? 1;
  const spec = {
    ...seq.machine,
    mutant: o.mutant ?? null,
    workers: o.workers ?? seq.machine.workers,
    replyTimeoutMs: o.replyTimeoutMs ?? seq.machine.replyTimeoutMs,
  };
  const started = performance.now();
  const mode = o.mode ?? THREADS;
  const sim = new Simulation({ spec, seed, publishMessages: o.publishMessages, mode, ...(o.injectFault ? { injectFault: o.injectFault } : {}) });
  o.attach?.(sim);
  const prng = new Prng(seed);
  const names = machineNames(seq.machine);
  const bindings = new Map<string, number>();
  const steps: StepReport[] = [];
  const minLanded = new Map<number, number>(); // job -> its dma_start's min_landed
  const inFlight = new Map<string, Promise<StepReport>>(); // calls sent nowait, by name
  const answer = async (step: SequenceStep): Promise<StepReport> => {
    const job = step.op === 'stop' ? bindings.get(step.args.job as string) : undefined;
    o.inProgress?.add(step.index);
    const r = judgeLanded(await runStep(sim, prng, step, names, bindings), step, job === undefined ? 0 : (minLanded.get(job) ?? 0));
    o.inProgress?.delete(step.index);
    if (step.op === 'dma_start' && r.result === 'ok') minLanded.set(r.value as number, step.args.min_landed as number);
    steps.push(r);
    sim.publish({ type: 'step', index: r.index, op: r.op, result: r.result, value: r.value, t: sim.now() });
    return r;
  };
  try {
    for (const step of seq.steps) {
      sim.monitor.step = step.index;
      if (step.op === WAIT) {
        const name = step.args.for as string;
        const r = await inFlight.get(name)!; // the file checker saw to it that the call was sent
        inFlight.delete(name);
        steps.push({ index: step.index, op: WAIT, result: r.result, value: null, expect: null, met: true });
      } else if (step.nowait !== undefined) {
        const sent = answer(step);
        sent.catch(() => {}); // judged at its wait; a run that throws first must not leave it unhandled
        inFlight.set(step.nowait, sent);
      } else await answer(step);
    }
    await o.beforeFinish?.(sim);
    await closeOut(sim);
  } finally {
    await sim.finish();
  }
  steps.sort((a, b) => a.index - b.index); // a call sent nowait is reported at its own index
  const violations = [...sim.violations];
  const failure = sim.engineFailure ?? (o.incompleteCallsFail === false ? null : sim.callFailure);
  const short = steps.filter((s) => s.inconclusive !== undefined).map((s) => `step ${s.index} ${s.op}: ${s.inconclusive}`);
  return {
    tool: 'ioasid-sim',
    version: VERSION,
    kind: 'seq',
    scenario: seq.name,
    seed,
    mutant: o.mutant ?? null,
    ...verdictOf(violations.length > 0 || !steps.every((s) => s.met) || failure !== null, short),
    durationMs: Math.round(performance.now() - started),
    counts: countsOf(sim.counts()),
    coverage: sim.coverage(),
    workers: spec.workers,
    mode: mode.mode,
    steps,
    violations,
    ...scheduleOf(sim, mode),
    violationCounts: Object.fromEntries(sim.monitor.counts),
    outcomes: sim.outcomes(),
    file: seq.file,
    ...(failure ? { error: failure } : {}),
  };
}

/**
 * A `stop` of a job started with `min_landed`: fewer landed means the DMA the file meant to race
 * never ran (its teardown raced nothing), so the step proved nothing: INCONCLUSIVE, not unmet
 * (the call itself did what it should).
 */
function judgeLanded(r: StepReport, step: SequenceStep, min: number): StepReport {
  if (min === 0 || r.result !== 'ok') return r;
  const landed = (r.value as { landed: number }).landed;
  return landed >= min ? r : { ...r, inconclusive: `job ${step.args.job} landed ${landed} of the ${min} accesses its dma_start's min_landed asks for` };
}

/** Run one checked step: resolve its names, call the op, judge `expect` (the fuzzer runs its steps here too). */
export async function runStep(
  sim: Simulation,
  prng: Prng,
  step: SequenceStep,
  names: ReturnType<typeof machineNames>,
  bindings: Map<string, number>,
): Promise<StepReport> {
  const spec = STEP_OP_BY_NAME.get(step.op)!;
  const a: Record<string, number> = {};
  for (const arg of spec.args) {
    const v = step.args[arg.name]!;
    switch (arg.kind) {
      case 'vm':
      case 'device':
      case 'vcpu':
        a[arg.name] = names[arg.kind].indexOf(v as string);
        break;
      // A name whose binding step failed resolves to a value the callee rejects (-1 / 0).
      case 'fd':
      case 'job':
        a[arg.name] = bindings.get(v as string) ?? -1;
        break;
      case 'ioasid':
      case 'vpasid':
        a[arg.name] = typeof v === 'number' ? v : (bindings.get(v) ?? 0);
        break;
      case 'pasid':
      case 'count':
      case 'pages':
        a[arg.name] = v as number;
        break;
      // A page request named by a fault_read; one whose read failed resolves to -1 (EINVAL).
      case 'cookie':
        a[arg.name] = typeof v === 'number' ? v : (bindings.get(v) ?? -1);
        break;
      case 'response':
        a[arg.name] = v === 'success' ? PrqCode.SUCCESS : PrqCode.INVALID; // PCIe: Success, Invalid Request
        break;
    }
  }
  for (const name of spec.seeds) a[name] = prng.fork();
  const r: Result<unknown> = await spec.run(sim, a);
  if (r.ok && step.as) bindings.set(step.as, boundValue(spec.binds!, r.value));
  else if (step.as) bindings.delete(step.as);
  const result = r.ok ? (spec.classify?.(r.value) ?? 'ok') : r.errno;
  const value = r.ok ? r.value : null;
  const e = expectationsFor(step, sim.machine.spec.uapi);
  let met = true;
  if (e.expect !== null) met = e.expect === 'ok' ? r.ok && (spec.fullyOk?.(r.value) ?? true) : result === e.expect;
  if (e.hasExpectValue) met = met && r.ok && valueMatches(r.value, e.expectValue);
  const report: StepReport = {
    index: step.index,
    op: step.op,
    result,
    value,
    expect: e.expect,
    ...(e.hasExpectValue ? { expectValue: e.expectValue } : {}),
    met,
    ...(r.ok ? {} : { message: r.message }),
  };
  return report;
}
