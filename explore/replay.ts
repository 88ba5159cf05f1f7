// replay: re-run what a report describes. A deterministic report replays exactly: the same
// violation must show at the same scheduler step. A real-thread report cannot replay (thread
// timing is not recorded), so the same scenario and mutant are searched over seeds and both
// strategies in deterministic mode until the same invariant shows.
import { MUTANTS } from '../actors/env.js';
import { SCENARIOS, SCENARIO_BY_NAME } from '../scenarios/builtins.js';
import type { ModeOptions } from '../sim/mode.js';
import { STRATEGIES } from '../sim/strategies/index.js';
import { runReportInput } from '../input/report-schema.js';
import type { RunReport } from '../report/report.js';
import { DEFAULT_PARAMS, type ScenarioHooks, type ScenarioParams, runScenario } from '../scenarios/scenario.js';
import { loadSequenceFile } from '../sequence/file.js';
import { runSequence } from '../sequence/runner.js';

export interface ReplayOutcome {
  readonly kind: 'exact' | 'search';
  /** Did the replay show what the report showed? */
  readonly reproduced: boolean;
  readonly original: { invariant: string; at: number | null } | null;
  readonly replayed: { invariant: string; at: number | null; seed: number; strategy: string } | null;
  readonly executions: number;
  readonly report: RunReport | null;
  readonly message: string;
}

/** What a replayed run may carry along: trace and diagram recorders. */
export type ReplayHooks = Pick<ScenarioHooks, 'attach' | 'publishMessages'>;

const first = (r: RunReport) => (r.violations[0] ? { invariant: r.violations[0].invariant, at: r.violations[0].at ?? null } : null);

/** What replay checks a report against: the names this build knows. */
const NAMES = {
  scenarios: SCENARIOS.map((x) => x.name) as unknown as readonly [string, ...string[]],
  mutants: Object.keys(MUTANTS) as [string, ...string[]],
  strategies: STRATEGIES as unknown as readonly [string, ...string[]],
};

/** The run or seq report `r` (read from `file`), checked for what replay needs; else bad input. */
export function replayableReport(r: unknown, file: string): RunReport {
  const x = runReportInput(r, file, NAMES);
  // The schema checked every field replay reads; the rest of the report rides along.
  return x as unknown as RunReport;
}

function params(r: RunReport, seed: number, mode: ModeOptions): ScenarioParams {
  const p = (r.params ?? {}) as Partial<ScenarioParams>;
  return { ...DEFAULT_PARAMS, ...p, workers: r.workers, seed, mutant: r.mutant as ScenarioParams['mutant'], mode };
}

async function rerun(r: RunReport, seed: number, mode: ModeOptions, hooks: ReplayHooks): Promise<RunReport> {
  if (r.kind === 'seq')
    return runSequence(loadSequenceFile(r.file!), { seed, mutant: r.mutant as ScenarioParams['mutant'], workers: r.workers, mode, ...hooks });
  return runScenario(SCENARIO_BY_NAME.get(r.scenario)!, params(r, seed, mode), hooks);
}

export async function replay(raw: unknown, file: string, searchBudget = 20, hooks: ReplayHooks = {}): Promise<ReplayOutcome> {
  const r = replayableReport(raw, file);
  const original = first(r);
  if (r.mode === 'deterministic' && r.schedule) {
    const mode: ModeOptions = { mode: 'deterministic', strategy: r.schedule.strategy, pctDepth: r.schedule.pctDepth };
    const again = await rerun(r, r.seed, mode, hooks);
    const now = first(again);
    const reproduced = JSON.stringify(now) === JSON.stringify(original) && again.schedule?.pathHash === r.schedule.pathHash;
    return {
      kind: 'exact',
      reproduced,
      original,
      executions: 1,
      report: again,
      replayed: now ? { ...now, seed: r.seed, strategy: r.schedule.strategy } : null,
      message: reproduced
        ? original
          ? `reproduced: ${original.invariant} at scheduler step ${original.at}`
          : 'reproduced: the run is clean again'
        : `NOT reproduced: the report had ${original ? `${original.invariant} at step ${original.at}` : 'no violation'}, the replay ${now ? `${now.invariant} at step ${now.at}` : 'none'} (did the code or the sequence file change?)`,
    };
  }
  if (!original)
    return {
      kind: 'search',
      reproduced: true,
      original,
      replayed: null,
      executions: 0,
      report: null,
      message: 'the report has no violation: nothing to search for',
    };
  // Real threads: search seeds and strategies in deterministic mode for the same invariant.
  let executions = 0;
  for (let seed = r.seed; seed < r.seed + searchBudget; seed++) {
    for (const strategy of STRATEGIES) {
      executions++;
      const mode: ModeOptions = { mode: 'deterministic', strategy, pctDepth: 3 };
      const det = await rerun({ ...r, params: { ...r.params, durationSec: Math.min(0.05, Number(r.params?.durationSec ?? 0.05)) } }, seed, mode, hooks);
      const hit = det.violations.find((v) => v.invariant === original.invariant);
      if (hit) {
        return {
          kind: 'search',
          reproduced: true,
          original,
          executions,
          report: det,
          replayed: { invariant: hit.invariant, at: hit.at ?? null, seed, strategy },
          message: `reproduced: found ${hit.invariant} in deterministic mode: seed ${seed}, strategy ${strategy}, scheduler step ${hit.at} (after ${executions} execution(s))`,
        };
      }
    }
  }
  return {
    kind: 'search',
    reproduced: false,
    original,
    replayed: null,
    executions,
    report: null,
    message: `NOT reproduced: no deterministic run showed ${original.invariant} within ${executions} executions (seeds ${r.seed}..${r.seed + searchBudget - 1}, ${STRATEGIES.join(' and ')})`,
  };
}
