// shrink: a failing run as a small sequence file that reproduces it. The report's execution is
// found again in deterministic mode (as replay does: exactly, or by searching seeds for a
// real-thread report) while every uAPI call the workload made is recorded; the calls up to the
// violation become sequence steps (background jobs as `dma_start` / `enqcmd_start` ... `stop`;
// the vIOMMU's own calls are not steps, the guest request is); the file is checked to show the
// same invariant on the same mutant, then cut down by delta debugging over its steps, each
// candidate re-checked, and finally given the `expect`s of its last run.
import type { MutantName } from '../actors/env.js';
import type { SimEvent } from '../actors/events.js';
import type { OpName } from '../actors/protocol.js';
import type { Result } from '../actors/result.js';
import { type MachineNames, machineNames } from '../machine/names.js';
import type { MachineSpec } from '../machine/spec.js';
import type { RunReport } from '../report/report.js';
import type { ModeOptions } from '../sim/mode.js';
import type { Simulation } from '../sim/simulation.js';
import type { StrategyName } from '../sim/strategies/index.js';
import { STEP_OP_BY_NAME } from '../sequence/ops.js';
import { parseSequence } from '../sequence/file.js';
import { runSequence } from '../sequence/runner.js';
import { type MachineDoc, type RecordedStep, machineDocOf, toSequenceYaml } from '../sequence/write.js';
import { UAPI } from '../uapi/ops.js';
import { replay, replayableReport } from './replay.js';

export interface ShrinkOptions {
  /** Real-thread reports: seeds replay searches (default 20). */
  readonly budget?: number;
  /** Seeds the full recorded file is tried with before shrinking gives up (default 5). */
  readonly seeds?: number;
  /** The command that asked for it, for the file's header. */
  readonly command?: string;
}

export interface ShrinkOutcome {
  /** Was a file found that shows the report's invariant? */
  readonly reproduced: boolean;
  readonly invariant: string | null;
  /** The sequence file (YAML), when reproduced. */
  readonly text: string | null;
  /** Steps recorded, and steps in the file. */
  readonly recorded: number;
  readonly steps: number;
  /** Sequence runs spent checking candidates. */
  readonly runs: number;
  readonly message: string;
}

/** A uAPI call of the workload, as the events showed it; `result` null if it never answered. */
interface Call {
  readonly op: OpName;
  readonly args: Readonly<Record<string, number>>;
  result: Result<unknown> | null;
}

/** The workload's calls and replies in the order they happened. */
type Happening = { readonly t: 'call' | 'reply'; readonly call: Call };

/** One run's workload calls, up to the first violation of `invariant`, and the machine they ran on. */
class CallRecorder {
  log: Happening[] = [];
  spec: MachineSpec | null = null;
  constructor(private readonly invariant: string) {}

  attach = (sim: Simulation): void => {
    const log: Happening[] = [];
    const byId = new Map<number, Call>();
    let cut = false;
    this.log = log;
    this.spec = sim.options.spec;
    sim.events$.subscribe((e: SimEvent) => {
      if (e.type === 'violation' && e.invariant === this.invariant) cut = true;
      if ((e.type !== 'call' && e.type !== 'reply') || e.via) return;
      if (e.type === 'call') {
        if (cut) return; // what the workload did after the violation cannot have caused it
        const call: Call = { op: e.op, args: e.args as Record<string, number>, result: null };
        log.push({ t: 'call', call });
        byId.set(e.id, call);
      } else {
        const call = byId.get(e.id);
        if (!call) return;
        call.result = e.result;
        log.push({ t: 'reply', call });
      }
    });
  };
}

/** A step, with the names it refers to (bound by earlier steps' `as:`). */
interface Step {
  readonly step: RecordedStep;
  readonly uses: readonly string[];
}

const PREFIX = { fd: 'fd', ioasid: 'a', job: 'j' } as const;

/** Does this argument of `op` name a value an earlier step bound (rather than a machine object)? */
function refersToStep(op: string, arg: string): boolean {
  const kind = STEP_OP_BY_NAME.get(op)!.args.find((a) => a.name === arg)!.kind;
  return kind === 'fd' || kind === 'job' || kind === 'ioasid' || kind === 'vpasid';
}
const PASID_SPACE = 1 << 20;

/** In which order the concurrent calls become one-after-the-other steps. */
type Order = 'reply' | 'call';

/**
 * The calls as steps: machine objects by name, FDs, IOASIDs and jobs by the `as:` name of the
 * reply that returned them (a PASID nobody handed out stays a literal), seeds left to the runner.
 * A call a file cannot express (an FD it never opened, an index out of range) is left out. In
 * `reply` order a step stands where its call answered (where its effect, such as which PASID an
 * ALLOC got, was settled), calls that never answered last; in `call` order where it started.
 */
function stepsOf(log: readonly Happening[], names: MachineNames, order: Order): Step[] {
  const bound = { fd: new Map<number, string>(), ioasid: new Map<number, string>(), job: new Map<number, string>() };
  const counts = { fd: 0, ioasid: 0, job: 0 };
  const made = new Map<Call, { step: RecordedStep; uses: string[] }>();
  const placed: Call[] = [];
  for (const { t, call: c } of log) {
    if (t === 'reply') {
      const s = made.get(c);
      const binds = UAPI[c.op].binds;
      if (s && binds && c.result?.ok) {
        const as = `${PREFIX[binds]}${++counts[binds]}`;
        s.step = { ...s.step, as };
        bound[binds].set(c.result.value as number, as);
      }
      if (order === 'reply') placed.push(c);
      continue;
    }
    const s = expressed(c, names, bound);
    if (!s) continue;
    made.set(c, s);
    if (order === 'call') placed.push(c);
  }
  if (order === 'reply') placed.push(...[...made.keys()].filter((c) => c.result === null));
  return placed.filter((c) => made.has(c)).map((c) => made.get(c)!);
}

/** The call as a step without `as:`, its names resolved as they stood when it was made; null if a file cannot say it. */
function expressed(c: Call, names: MachineNames, bound: Record<'fd' | 'ioasid' | 'job', Map<number, string>>): { step: RecordedStep; uses: string[] } | null {
  const args: Record<string, string | number> = {};
  const uses: string[] = [];
  for (const a of STEP_OP_BY_NAME.get(c.op)!.args) {
    const v = c.args[a.name]!;
    // A default a file cannot spell (dma_start's min_landed 0) is left out, as the workload did.
    if (a.default !== undefined && v === a.default) continue;
    let w: string | number | undefined;
    switch (a.kind) {
      case 'vm':
      case 'device':
      case 'vcpu':
        w = names[a.kind][v];
        break;
      case 'fd':
      case 'job':
        w = bound[a.kind].get(v);
        break;
      case 'ioasid':
        w = bound.ioasid.get(v) ?? (v >= 0 && v < PASID_SPACE ? v : undefined);
        break;
      case 'vpasid':
        w = v >= 0 && v < PASID_SPACE ? v : undefined;
        break;
      default:
        w = v >= 1 && v <= (a.max ?? 0x7fffffff) ? v : undefined;
    }
    if (w === undefined) return null;
    if (typeof w === 'string' && refersToStep(c.op, a.name)) uses.push(w);
    args[a.name] = w;
  }
  return { step: { op: c.op, args, as: null, expect: null }, uses };
}

/** The steps of `keep` that stay well formed: a step whose names lost their binding step goes too. */
function closed(steps: readonly Step[]): Step[] {
  const bound = new Set<string>();
  const out: Step[] = [];
  for (const s of steps) {
    if (!s.uses.every((n) => bound.has(n))) continue;
    if (s.step.as) bound.add(s.step.as);
    out.push(s);
  }
  return out;
}

/** Names renumbered in order of binding, and `as:` only where a later step uses it. */
function tidy(steps: readonly Step[]): Step[] {
  const used = new Set(steps.flatMap((s) => s.uses));
  const renamed = new Map<string, string>();
  const counts = { fd: 0, a: 0, j: 0 };
  for (const s of steps) {
    const as = s.step.as;
    if (as && used.has(as)) {
      const prefix = as.replace(/[0-9]+$/, '') as keyof typeof counts;
      renamed.set(as, `${prefix}${++counts[prefix]}`);
    }
  }
  const rename = (v: string | number) => (typeof v === 'string' ? (renamed.get(v) ?? v) : v);
  return steps.map((s) => ({
    uses: s.uses.map((n) => renamed.get(n)!),
    step: {
      ...s.step,
      args: Object.fromEntries(Object.entries(s.step.args).map(([k, v]) => [k, refersToStep(s.step.op, k) ? rename(v) : v])),
      as: s.step.as ? (renamed.get(s.step.as) ?? null) : null,
    },
  }));
}

/** What a candidate file runs on and must show. */
interface Target {
  readonly invariant: string;
  readonly mutant: MutantName | null;
  readonly workers: number;
  readonly machine: MachineDoc;
  readonly mode: Extract<ModeOptions, { mode: 'deterministic' }>;
  readonly name: string;
}

class Checker {
  runs = 0;
  constructor(private readonly t: Target) {}

  text(steps: readonly Step[], seed: number, comment: readonly string[] = []): string {
    return toSequenceYaml({ name: this.t.name, seed, machine: this.t.machine, steps: steps.map((s) => s.step), comment });
  }

  /** Run the steps as the file would be; the report, and whether it shows the invariant. */
  async run(steps: readonly Step[], seed: number): Promise<{ shows: boolean; report: RunReport }> {
    this.runs++;
    const seq = parseSequence(this.text(steps, seed), `${this.t.name}.yaml`);
    const report = await runSequence(seq, { mutant: this.t.mutant, workers: this.t.workers, mode: this.t.mode });
    return { shows: report.violations.some((v) => v.invariant === this.t.invariant), report };
  }
}

/**
 * Delta debugging (Zeller's ddmin) over the steps: try dropping each of n chunks, keep any cut
 * that still shows the invariant, refine n until single steps; a last pass tries each step alone.
 */
async function ddmin(steps: Step[], shows: (s: Step[]) => Promise<boolean>): Promise<Step[]> {
  let cur = steps;
  let n = 2;
  while (cur.length >= 2) {
    const size = Math.ceil(cur.length / n);
    let cutOne = false;
    for (let i = 0; i < cur.length; i += size) {
      const rest = closed([...cur.slice(0, i), ...cur.slice(i + size)]);
      if (rest.length > 0 && rest.length < cur.length && (await shows(rest))) {
        cur = rest;
        n = Math.max(n - 1, 2);
        cutOne = true;
        break;
      }
    }
    if (cutOne) continue;
    if (n >= cur.length) break;
    n = Math.min(n * 2, cur.length);
  }
  return cur;
}

function cleanVerdict(r: RunReport): string {
  const unmet = r.steps!.filter((s) => !s.met).length;
  const violations = [...new Set(r.violations.map((v) => v.invariant))];
  return [
    violations.length ? `violations ${violations.join(', ')}` : 'no violation',
    unmet ? `${unmet} expect(s) unmet (the correct model answers otherwise)` : 'every expect met',
  ].join(', ');
}

const first = (r: RunReport) => r.violations[0]?.invariant ?? null;

export async function shrink(raw: unknown, file: string, o: ShrinkOptions = {}): Promise<ShrinkOutcome> {
  const r = replayableReport(raw, file);
  const invariant = first(r);
  const none = (message: string, recorded = 0, runs = 0): ShrinkOutcome => ({ reproduced: false, invariant, text: null, recorded, steps: 0, runs, message });
  if (!invariant) return none(`${file}: the report has no violation: nothing to shrink`);
  const recorder = new CallRecorder(invariant);
  const found = await replay(r, file, o.budget ?? 20, { attach: recorder.attach });
  if (!found.reproduced || !found.replayed || !recorder.spec) return none(found.message);
  const strategy = found.replayed.strategy as StrategyName;
  const target: Target = {
    invariant,
    mutant: r.mutant as MutantName | null,
    workers: r.workers,
    machine: machineDocOf(recorder.spec),
    mode: { mode: 'deterministic', strategy, pctDepth: r.schedule?.pctDepth ?? 3 },
    name: `shrunk ${r.scenario}${r.mutant ? ` (${r.mutant})` : ''}: ${invariant}`,
  };
  const names = machineNames(recorder.spec);
  const check = new Checker(target);
  const seeds = [found.replayed.seed, ...Array.from({ length: o.seeds ?? 5 }, (_, i) => i + 1).filter((s) => s !== found.replayed!.seed)];
  // The steps run one after the other, not as the workload's lanes did: try both orders and a few seeds.
  let start: { steps: Step[]; seed: number } | null = null;
  let recorded: Step[] = [];
  search: for (const order of ['reply', 'call'] as const) {
    const steps = closed(stepsOf(recorder.log, names, order));
    if (order === 'reply') recorded = steps;
    if (steps.length === 0) continue;
    for (const s of seeds) {
      if ((await check.run(steps, s)).shows) {
        start = { steps, seed: s };
        break search;
      }
    }
  }
  if (start === null)
    return none(
      `the ${recorded.length} recorded steps, run one after the other, did not show ${invariant} (in reply or call order; seeds ${seeds.join(', ')})`,
      recorded.length,
      check.runs,
    );
  recorded = start.steps;
  const seed = start.seed;
  const fileSeed = seed;
  const small = tidy(await ddmin(recorded, async (s) => (await check.run(s, fileSeed)).shows));
  const last = await check.run(small, fileSeed);
  if (!last.shows) return none(`the shrunk file no longer shows ${invariant} once tidied`, recorded.length, check.runs);
  const withExpects = small.map((s, i) => ({ ...s, step: { ...s.step, expect: last.report.steps![i]!.result } }));
  // What the file does on the correct model, said in its header as found, not assumed.
  const clean = r.mutant ? (await new Checker({ ...target, mutant: null }).run(withExpects, fileSeed)).report : null;
  const modeFlags = `--mode deterministic --strategy ${strategy}${strategy === 'pct' ? ` --pct-depth ${target.mode.pctDepth}` : ''}`;
  const comment = [
    `Made by \`${o.command ?? `ioasid-sim shrink ${file}`}\` from the report ${file}`,
    `(${r.kind} ${r.scenario}, ${r.mode} mode, seed ${r.seed}${r.mutant ? `, mutant ${r.mutant}` : ''}): ${recorded.length} recorded steps shrunk to ${small.length}.`,
    `It shows the invariant ${invariant}${r.mutant ? ` on the mutant ${r.mutant}` : ''}:`,
    `  ioasid-sim seq FILE ${modeFlags}${r.mutant ? ` --mutant ${r.mutant}` : ''}   # exit 1, ${invariant}`,
    ...(clean ? [`On the correct model (no --mutant): ${cleanVerdict(clean)}.`] : []),
    'The expects are the outcomes of that run.',
  ];
  const text = check.text(withExpects, fileSeed, comment);
  return {
    reproduced: true,
    invariant,
    text,
    recorded: recorded.length,
    steps: small.length,
    runs: check.runs,
    message: `shrunk: ${recorded.length} recorded steps to ${small.length} that show ${invariant} (seed ${fileSeed}, strategy ${strategy}; ${check.runs} sequence runs)`,
  };
}
