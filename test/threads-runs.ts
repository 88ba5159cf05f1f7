// Real-thread runs sized by the work they do, not by the clock: a run of a fixed duration does
// less on a loaded machine, so a test that needs some work done runs the scenario again (each run
// as long as its params say) until it has, within a generous bound of time. The caller asserts
// on what the runs did, so a bound that ran out fails with the work counted, never silently.
import type { RunReport } from '../report/report.js';
import { type Scenario, type ScenarioParams, runScenario } from '../scenarios/scenario.js';
import type { Simulation } from '../sim/simulation.js';

/** How long runs may go on for their work: generous, as what it bounds is the machine's load. */
const WORK_BOUND_MS = 60_000;
/** A mocha timeout for a test that waits out WORK_BOUND_MS (and finishes its last run). */
export const WORK_TIMEOUT_MS = 2 * WORK_BOUND_MS;

/** Counts work as a run goes: attached to each run's simulation before its workload starts. */
export interface WorkMeter {
  /** What it counts, for messages. */
  readonly what: string;
  /** Start counting on `sim`; the reader gives the count so far. */
  readonly attach: (sim: Simulation) => () => number;
}

export interface MeteredRun {
  readonly report: RunReport;
  /** What the meter counted in this run (0 without a meter). */
  readonly work: number;
}

export interface Runs {
  readonly runs: readonly MeteredRun[];
  /** The meter's count over every run. */
  readonly work: number;
  /** `done` did not hold when the bound ran out. */
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

/** The meter's count over `runs`. */
export const workOf = (runs: readonly MeteredRun[]): number => runs.reduce((n, r) => n + r.work, 0);

/** Run `paramsOf(0)`, `paramsOf(1)`, ... until `done(runs)` holds or `boundMs` has passed (checked between runs). */
export async function runUntil(
  scenario: Scenario,
  paramsOf: (i: number) => ScenarioParams,
  done: (runs: readonly MeteredRun[]) => boolean,
  o: { readonly meter?: WorkMeter; readonly boundMs?: number } = {},
): Promise<Runs> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const runs: MeteredRun[] = [];
  let finished = false;
  while (!finished && elapsed() < (o.boundMs ?? WORK_BOUND_MS)) {
    let read = () => 0;
    const report = await runScenario(scenario, paramsOf(runs.length), {
      attach: (sim) => {
        if (o.meter) read = o.meter.attach(sim);
      },
    });
    runs.push({ report, work: read() });
    finished = done(runs);
  }
  return { runs, work: workOf(runs), timedOut: !finished, elapsedMs: Math.round(elapsed()) };
}
