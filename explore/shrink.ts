// shrink: a failing run as a small sequence file that reproduces it (docs/shrink.md). The
// report's execution is found again in deterministic mode (as replay does: exactly, or by
// searching seeds for a real-thread report) while its calls are recorded (call-record.ts); the
// calls up to the violations become steps, one after the other or, where calls overlapped, sent
// `nowait` and waited for where they answered. A recorded run does not
// always reproduce as a file (steps wait for each other where lanes raced; the engines start at
// the first job, not before the workload), so every candidate is judged only by running it as
// `seq --mode deterministic` would: first the whole record (two orders, a few seeds), then
// delta debugging over groups of steps (a lane's rounds), over single steps, then the machine's
// unused VMs and devices, and the op counts of DMA and ENQCMD bursts, while it still shows the same invariant on the same mutant;
// all within a budget of sequence runs. The file gets the correct model's outcomes as `expect`s
// and is written only once it has been run both ways: the invariant on the mutant, clean without.
import type { MutantName } from '../actors/env.js';
import { InputError } from '../input/input-error.js';
import { machineNames } from '../machine/names.js';
import type { RunReport, StepReport } from '../report/report.js';
import { WAIT, parseSequence } from '../sequence/file.js';
import { STEP_OP_BY_NAME } from '../sequence/ops.js';
import { runSequence } from '../sequence/runner.js';
import { type MachineDoc, machineDocOf, toSequenceYaml } from '../sequence/write.js';
import type { ModeOptions } from '../sim/mode.js';
import type { StrategyName } from '../sim/strategies/index.js';
import { CallRecorder, type Step, refersToStep, stepsOf, withoutNowait } from './call-record.js';
import { ddmin } from './ddmin.js';
import { replay, replayableReport } from './replay.js';

/** Sequence runs a shrink may spend on candidates by default. */
export const DEFAULT_SHRINK_BUDGET = 500;
/** Real-thread reports: seeds replay searches for the invariant. */
const SEARCH_SEEDS = 20;
/** Seeds (besides the run's own) the whole record is tried with before shrink gives up. */
const START_SEEDS = 5;
/**
 * The reply bound of a candidate's run (virtual ms; the file's is 10 s). A cut often leaves a
 * fault_read with no page request to come, which waits out the bound while the DMA job runs on:
 * seconds of scheduler steps per candidate. The file as written is run with its own bound.
 */
const CANDIDATE_TIMEOUT_MS = 250;
/** The burst arguments shrink halves. */
const BURST_COUNTS: ReadonlySet<string> = new Set(['dma.ops', 'enqcmd.count']);

export interface ShrinkOptions {
  /** Sequence runs to spend on candidates (default DEFAULT_SHRINK_BUDGET). */
  readonly budget?: number;
  /** Where the file is to go: its header and the run command name it (default FILE). */
  readonly out?: string;
  /** The command that asked for it, for the file's header. */
  readonly command?: string;
  /** Called after every sequence run with the runs spent so far. */
  readonly progress?: (runs: number) => void;
}

export interface ShrinkOutcome {
  /** Was a file found that shows one of the report's invariants on the mutant and none without it? */
  readonly reproduced: boolean;
  /** The invariant the file shows: the first of the report's the record showed (the report's first, when none did). */
  readonly invariant: string;
  readonly mutant: string | null;
  /** The sequence file (YAML), when reproduced. */
  readonly text: string | null;
  /** Steps recorded, and steps in the file. */
  readonly recorded: number;
  readonly steps: number;
  /** Sequence runs spent, and the budget they had. */
  readonly runs: number;
  readonly budget: number;
  /** The file's seed and the strategy it reproduces with. */
  readonly seed: number | null;
  readonly strategy: StrategyName | null;
  /** The command that shows the invariant with the file. */
  readonly run: string | null;
  readonly message: string;
}

/** What a candidate file runs on. */
interface Target {
  readonly mutant: MutantName | null;
  readonly machine: MachineDoc;
  readonly mode: Extract<ModeOptions, { mode: 'deterministic' }>;
  readonly scenario: string;
}

/** Runs candidates as `seq` would run their file, counting the runs against the budget. */
class Checker {
  runs = 0;
  /** The machine the files describe: the run's, until a smaller one also shows the invariant. */
  machine: MachineDoc;
  constructor(
    private readonly t: Target,
    /** The invariant a candidate must show: one of the report's, fixed once the record shows it. */
    public invariant: string,
    readonly budget: number,
    private readonly progress: (runs: number) => void,
  ) {
    this.machine = t.machine;
  }

  get name(): string {
    return `shrunk ${this.t.scenario}${this.t.mutant ? ` (${this.t.mutant})` : ''}: ${this.invariant}`;
  }

  get spent(): boolean {
    return this.runs >= this.budget;
  }

  text(steps: readonly Step[], seed: number, comment: readonly string[] = []): string {
    return toSequenceYaml({ name: this.name, seed, machine: this.machine, steps: steps.map((s) => s.step), comment });
  }

  /**
   * Run the file (the worker count is the file's default, as for `seq`); `mutant: false` runs the
   * correct model; a candidate waits at most CANDIDATE_TIMEOUT_MS for a reply or a page request.
   */
  async run(steps: readonly Step[], seed: number, o: { mutant: boolean; candidate?: boolean } = { mutant: true }): Promise<RunReport> {
    this.runs++;
    const seq = parseSequence(this.text(steps, seed), `${this.name}.yaml`);
    const report = await runSequence(seq, {
      mutant: o.mutant ? this.t.mutant : null,
      mode: this.t.mode,
      ...(o.candidate ? { replyTimeoutMs: CANDIDATE_TIMEOUT_MS } : {}),
    });
    this.progress(this.runs);
    return report;
  }

  shows = (r: RunReport) => r.violations.some((v) => v.invariant === this.invariant);

  /** A candidate while the budget lasts: does it show the invariant? */
  async candidate(steps: readonly Step[], seed: number): Promise<boolean> {
    return !this.spent && this.shows(await this.run(steps, seed, { mutant: true, candidate: true }));
  }
}

/**
 * The steps that stay well formed: a step whose names lost their binding step goes too (a
 * `wait` with the call it waits for); a call sent `nowait` whose `wait` went is waited for where it stands.
 */
function closed(steps: readonly Step[]): Step[] {
  const bound = new Set<string>();
  const out: Step[] = [];
  for (const s of steps) {
    if (!s.uses.every((n) => bound.has(n))) continue;
    if (s.step.as) bound.add(s.step.as);
    if (s.step.nowait) bound.add(s.step.nowait);
    out.push(s);
  }
  const waited = new Set(out.filter((s) => s.step.op === WAIT).map((s) => s.step.args.for));
  return out.map((s) => (s.step.nowait === undefined || waited.has(s.step.nowait) ? s : { ...s, step: withoutNowait(s.step) }));
}

/** Names (`as:`, `nowait:`) renumbered in order of binding, and `as:` only where a later step uses it. */
function tidy(steps: readonly Step[]): Step[] {
  const used = new Set(steps.flatMap((s) => s.uses));
  const renamed = new Map<string, string>();
  const counts = new Map<string, number>();
  for (const s of steps) {
    for (const name of [s.step.as, s.step.nowait]) {
      if (!name || !used.has(name)) continue;
      const prefix = name.replace(/[0-9]+$/, '');
      counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
      renamed.set(name, `${prefix}${counts.get(prefix)}`);
    }
  }
  const rename = (v: string | number) => (typeof v === 'string' ? (renamed.get(v) ?? v) : v);
  return steps.map((s) => ({
    group: s.group,
    uses: s.uses.map((n) => renamed.get(n)!),
    step: {
      ...s.step,
      args: Object.fromEntries(Object.entries(s.step.args).map(([k, v]) => [k, refersToStep(s.step.op, k) ? rename(v) : v])),
      as: s.step.as ? (renamed.get(s.step.as) ?? null) : null,
      ...(s.step.nowait !== undefined ? { nowait: renamed.get(s.step.nowait)! } : {}),
    },
  }));
}

/** Groups first (whole rounds of a lane go at once), then single steps. */
async function cut(steps: readonly Step[], check: Checker, seed: number): Promise<Step[]> {
  const of = (groups: readonly number[]) => {
    const keep = new Set(groups);
    return closed(steps.filter((s) => keep.has(s.group)));
  };
  const groups = await ddmin([...new Set(steps.map((s) => s.group))], {
    close: (gs) => [...new Set(of(gs).map((s) => s.group))],
    size: (gs) => of(gs).length,
    shows: (gs) => check.candidate(of(gs), seed),
    spent: () => check.spent,
  });
  return ddmin(of(groups), { close: closed, size: (s) => s.length, shows: (s) => check.candidate(s, seed), spent: () => check.spent });
}

/** The machine without the VMs and devices no step names (a VM stays while a step names one of its devices or vCPUs). */
function usedMachine(m: MachineDoc, steps: readonly Step[]): MachineDoc {
  const named = new Set(steps.flatMap((s) => Object.values(s.step.args).filter((v) => typeof v === 'string')));
  type Vm = { name: string; devices: { name: string }[] };
  const vms = (m.vms as Vm[])
    .map((vm) => ({ ...vm, devices: vm.devices.filter((d) => named.has(d.name)) }))
    .filter((vm) => named.has(vm.name) || vm.devices.length > 0 || [...named].some((n) => n.startsWith(`${vm.name}.`)));
  return { ...m, vms };
}

/** A smaller machine, if the file still shows the invariant on it (engines serve devices by number: it may not). */
async function smallerMachine(steps: readonly Step[], check: Checker, seed: number): Promise<void> {
  const before = check.machine;
  const used = usedMachine(before, steps);
  if (JSON.stringify(used) === JSON.stringify(before)) return;
  check.machine = used;
  if (!(await check.candidate(steps, seed))) check.machine = before;
}

/** Halve each burst's count (`dma` ops, `enqcmd` count) while the file still shows the invariant. */
async function smallerBursts(steps: Step[], check: Checker, seed: number): Promise<Step[]> {
  let cur = steps;
  for (let i = 0; i < cur.length; i++) {
    const arg = Object.keys(cur[i]!.step.args).find((k) => BURST_COUNTS.has(`${cur[i]!.step.op}.${k}`));
    if (arg === undefined) continue;
    for (;;) {
      const v = cur[i]!.step.args[arg] as number;
      if (v <= 1 || check.spent) break;
      const s = cur[i]!;
      const half = [...cur.slice(0, i), { ...s, step: { ...s.step, args: { ...s.step.args, [arg]: Math.ceil(v / 2) } } }, ...cur.slice(i + 1)];
      if (!(await check.candidate(half, seed))) break;
      cur = half;
    }
  }
  return cur;
}

/** The outcome a step must have, as the run gave it; null where `expect:` cannot say it (a `dma` that partly faulted). */
function expectOf(r: readonly StepReport[], i: number): string | null {
  const s = r[i]!;
  if (s.op === WAIT) return null; // the call waited for has the expect
  const fully = STEP_OP_BY_NAME.get(s.op)!.fullyOk;
  return s.result === 'ok' && fully && !fully(s.value) ? null : s.result;
}

const unmet = (r: RunReport) => r.steps!.filter((s) => !s.met).length;

/** The run or seq report `raw` (read from `file`) with a violation to shrink; else bad input. */
export function shrinkableReport(raw: unknown, file: string): RunReport {
  const r = replayableReport(raw, file);
  if (!Array.isArray(r.violations) || r.violations.length === 0) throw new InputError(`${file}: the report has no violation: nothing to shrink`);
  return r;
}

export async function shrink(raw: unknown, file: string, o: ShrinkOptions = {}): Promise<ShrinkOutcome> {
  const r = shrinkableReport(raw, file);
  // The report's invariants in the order they were first violated: the file is to show the first it can.
  const invariants = [...new Set(r.violations.map((v) => v.invariant))];
  const first = invariants[0]!;
  const budget = o.budget ?? DEFAULT_SHRINK_BUDGET;
  const mutant = (r.mutant as MutantName | null) ?? null;
  const base = { invariant: first, mutant, budget, text: null, seed: null, strategy: null, run: null };
  const none = (message: string, recorded = 0, runs = 0): ShrinkOutcome => ({ reproduced: false, ...base, recorded, steps: 0, runs, message });

  const recorder = new CallRecorder(invariants);
  const found = await replay(r, file, SEARCH_SEEDS, { attach: recorder.attach });
  if (!found.reproduced || !found.replayed || !recorder.spec) return none(found.message);
  const strategy = found.replayed.strategy as StrategyName;
  const target: Target = {
    mutant,
    machine: machineDocOf(recorder.spec),
    mode: { mode: 'deterministic', strategy, pctDepth: r.schedule?.pctDepth ?? 3 },
    scenario: r.scenario,
  };
  const names = machineNames(recorder.spec);
  const check = new Checker(target, first, budget, o.progress ?? (() => {}));
  const seeds = [found.replayed.seed, ...Array.from({ length: START_SEEDS }, (_, i) => i + 1).filter((s) => s !== found.replayed!.seed)];

  // The whole record first: one after the other in the order the calls answered, then as they
  // ran (overlapping calls sent nowait), then one after the other as they started; a few seeds.
  let start: { steps: Step[]; seed: number } | null = null;
  let recorded = 0;
  // The first of the report's invariants the record shows is the one the file is cut to show.
  search: for (const order of ['reply', 'overlap', 'call'] as const) {
    const steps = closed(stepsOf(recorder.log, names, order));
    recorded ||= steps.length;
    if (steps.length === 0) continue;
    for (const seed of seeds) {
      if (check.spent) break search;
      const shown = await check.run(steps, seed, { mutant: true, candidate: true });
      const inv = invariants.find((i) => shown.violations.some((v) => v.invariant === i));
      if (inv !== undefined) {
        check.invariant = inv;
        start = { steps, seed };
        break search;
      }
    }
  }
  const which = invariants.join(' or ');
  if (start === null) {
    const why = check.spent ? `within the budget of ${budget} sequence runs` : `in reply, overlap or call order, seeds ${seeds.join(', ')}`;
    return none(`NOT shrunk: the ${recorded} recorded steps did not show ${which} (${why})`, recorded, check.runs);
  }
  const invariant = check.invariant;
  recorded = start.steps.length;
  const { seed } = start;
  const cutDown = await cut(start.steps, check, seed);
  await smallerMachine(cutDown, check, seed);
  const small = tidy(await smallerBursts(cutDown, check, seed));

  // The file as written: expects from the correct model (from this run itself without a mutant), then both runs again.
  const onMutant = await check.run(small, seed);
  if (!check.shows(onMutant)) return none(`NOT shrunk: the shrunk file no longer shows ${invariant} once tidied`, recorded, check.runs);
  const reference = mutant ? await check.run(small, seed, { mutant: false }) : onMutant;
  if (mutant && (reference.violations.length > 0 || reference.error !== undefined)) {
    const what = reference.error ?? `violates ${[...new Set(reference.violations.map((v) => v.invariant))].join(', ')}`;
    return none(`NOT shrunk: the shrunk file fails on the correct model too (${what})`, recorded, check.runs);
  }
  const withExpects = small.map((s, i) => ({ ...s, step: { ...s.step, expect: expectOf(reference.steps!, i) } }));
  const finalMutant = await check.run(withExpects, seed);
  const finalCorrect = mutant ? await check.run(withExpects, seed, { mutant: false }) : null;
  if (!check.shows(finalMutant) || (finalCorrect !== null && !finalCorrect.ok))
    return none('NOT shrunk: the file with its expects did not run as the same file without them', recorded, check.runs);

  const out = o.out ?? 'FILE';
  const modeFlags = `--mode deterministic --strategy ${strategy}${strategy === 'pct' ? ` --pct-depth ${target.mode.pctDepth}` : ''}`;
  const run = `ioasid-sim seq ${out} ${modeFlags}${mutant ? ` --mutant ${mutant}` : ''}`;
  const differ = unmet(finalMutant);
  const comment = [
    `Made by \`${o.command ?? `ioasid-sim shrink ${file}`}\` from the report ${file}`,
    `(${r.kind} ${r.scenario}, ${r.mode} mode, seed ${r.seed}${mutant ? `, mutant ${mutant}` : ''}): ${recorded} recorded steps shrunk to ${small.length}.`,
    `It shows the invariant ${invariant}${mutant ? ` on the mutant ${mutant}` : ''}:`,
    `  ${run}   # exit 1, ${invariant}`,
    ...(mutant
      ? [
          `and passes on the correct model, whose outcomes the expects are:`,
          `  ioasid-sim seq ${out} ${modeFlags}   # exit 0`,
          ...(differ > 0 ? [`On the mutant ${differ} step(s) also answer otherwise than expected.`] : []),
        ]
      : ['The expects are the outcomes of that run.']),
  ];
  return {
    reproduced: true,
    ...base,
    invariant,
    text: check.text(withExpects, seed, comment),
    recorded,
    steps: small.length,
    runs: check.runs,
    seed,
    strategy,
    run,
    message: `shrunk: ${recorded} recorded steps to ${small.length} that show ${invariant}${mutant ? ` on ${mutant}` : ''} (seed ${seed}, strategy ${strategy}; ${check.runs} sequence runs, budget ${budget})`,
  };
}
