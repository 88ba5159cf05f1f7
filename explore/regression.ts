// A mocha-friendly API for race-regression suites: assert that a scenario stays clean over a
// set of seeds, or that a mutant is caught within a budget of executions. Deterministic mode by
// default, so a failure names a seed that replays to the same violation at the same step.
import type { MutantName } from '../actors/env.js';
import type { InvariantId } from '../invariants/catalog.js';
import { SCENARIO_BY_NAME } from '../scenarios/builtins.js';
import type { ModeOptions } from '../sim/mode.js';
import type { RunReport } from '../report/report.js';
import { DEFAULT_PARAMS, type ScenarioParams, runScenario } from '../scenarios/scenario.js';

export interface RegressionOptions {
  /** Seeds to run (default 1..10). */
  readonly seeds?: readonly number[];
  readonly mode?: ModeOptions;
  /** Scenario parameters (duration is virtual in deterministic mode; default 0.05 s there). */
  readonly params?: Partial<Omit<ScenarioParams, 'seed' | 'mutant' | 'mode'>>;
}

export class RegressionFailure extends Error {
  override readonly name = 'RegressionFailure';
  constructor(
    message: string,
    readonly report: RunReport | null,
  ) {
    super(message);
  }
}

const DETERMINISTIC: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function paramsFor(o: RegressionOptions, seed: number, mutant: MutantName | null): ScenarioParams {
  const mode = o.mode ?? DETERMINISTIC;
  return { ...DEFAULT_PARAMS, durationSec: mode.mode === 'deterministic' ? 0.05 : 1, ...o.params, seed, mutant, mode };
}

function scenarioNamed(name: string) {
  const s = SCENARIO_BY_NAME.get(name);
  if (!s) throw new RegressionFailure(`unknown scenario '${name}' (known: ${[...SCENARIO_BY_NAME.keys()].join(', ')})`, null);
  return s;
}

/** How to reproduce a run from the command line. */
function reproduceHint(r: RunReport): string {
  const m = r.schedule ? ` --mode deterministic --strategy ${r.schedule.strategy} --pct-depth ${r.schedule.pctDepth}` : '';
  const p = r.params ?? {};
  return `ioasid-sim run ${r.scenario} --seed ${r.seed}${r.mutant ? ` --mutant ${r.mutant}` : ''}${m} --duration ${p.durationSec} --vms ${p.vms} --devices ${p.devices} --pasids ${p.pasids} --workers ${r.workers}`;
}

/** Every seed must run clean: no violation, no error, and it raced what the scenario exists to race. Returns the reports. */
export async function expectClean(scenario: string, o: RegressionOptions = {}): Promise<RunReport[]> {
  const s = scenarioNamed(scenario);
  const reports: RunReport[] = [];
  for (const seed of o.seeds ?? range(1, 10)) {
    const r = await runScenario(s, paramsFor(o, seed, null));
    reports.push(r);
    if (!r.ok) {
      const first = r.violations[0];
      throw new RegressionFailure(
        `${scenario} seed ${seed}: ${first ? `${first.invariant}: ${first.detail}${first.at !== undefined ? ` (scheduler step ${first.at})` : ''}` : (r.error ?? `INCONCLUSIVE: ${(r.inconclusive ?? []).join('; ')}`)}\n  reproduce: ${reproduceHint(r)}`,
        r,
      );
    }
  }
  return reports;
}

export interface Caught {
  readonly seed: number;
  readonly executions: number;
  readonly invariants: InvariantId[];
  readonly report: RunReport;
}

/** The mutant must be caught (any violation, or one of `invariants`) within the seeds given. */
export async function expectCaught(
  mutant: MutantName,
  o: RegressionOptions & { scenario?: string; invariants?: readonly InvariantId[] } = {},
): Promise<Caught> {
  const name = o.scenario ?? 'teardown-race';
  const s = scenarioNamed(name);
  const seeds = o.seeds ?? range(1, 10);
  let executions = 0;
  for (const seed of seeds) {
    executions++;
    const r = await runScenario(s, paramsFor(o, seed, mutant));
    const named = Object.keys(r.violationCounts) as InvariantId[];
    if (named.length && (!o.invariants || named.some((n) => o.invariants!.includes(n)))) return { seed, executions, invariants: named, report: r };
  }
  throw new RegressionFailure(
    `mutant ${mutant} was not caught by ${name} in ${executions} execution(s) (seeds ${seeds[0]}..${seeds[seeds.length - 1]})${o.invariants ? ` as ${o.invariants.join(' or ')}` : ''}`,
    null,
  );
}
