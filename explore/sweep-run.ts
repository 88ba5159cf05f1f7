// One seed of a sweep: the scenario's run, cut down to what a sweep report keeps. Both the serial
// sweep and the sweep worker threads run seeds through here, so their runs are the same.
import { NO_COVERAGE } from '../hardware/coverage.js';
import type { SweepRun } from '../report/report.js';
import type { ModeOptions } from '../sim/mode.js';
import { type Scenario, type ScenarioParams, runScenario } from '../scenarios/scenario.js';

/** Violations kept per seed in a sweep report (all are counted in violationCounts). */
const VIOLATIONS_PER_SEED = 5;

export async function runSeed(scenario: Scenario, params: Omit<ScenarioParams, 'seed'>, seed: number, mode: ModeOptions): Promise<SweepRun> {
  const r = await runScenario(scenario, { ...params, seed, mode });
  return {
    seed,
    ok: r.ok,
    verdict: r.verdict,
    ...(r.inconclusive ? { inconclusive: r.inconclusive } : {}),
    durationMs: r.durationMs,
    counts: r.counts,
    coverage: r.coverage,
    violationCounts: r.violationCounts,
    violations: r.violations.slice(0, VIOLATIONS_PER_SEED),
    ...(r.error ? { error: r.error } : {}),
  };
}

/** A seed whose run could not report (its worker thread failed): a failed run saying why, never a lost seed. */
export function lostRun(seed: number, error: string): SweepRun {
  return {
    seed,
    ok: false,
    verdict: 'failed',
    durationMs: 0,
    counts: { dma: 0, dmaFaults: 0, enqcmd: 0, gp: 0, calls: 0, messages: 0, retries: 0 },
    coverage: NO_COVERAGE,
    violationCounts: {},
    violations: [],
    error,
  };
}
