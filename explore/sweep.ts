// `sweep`: one scenario over a range of seeds, one run per seed, one after the other. `--shard
// I/N` keeps every N-th seed starting at the I-th, so N machines (a CI matrix, a cluster's job
// array) cover the range exactly once between them; `merge` joins their reports again.
import type { ModeOptions } from '../sim/mode.js';
import { type SweepReport, type SweepRun, VERSION, sweepVerdict } from '../report/report.js';
import { type Scenario, type ScenarioParams, runScenario } from '../scenarios/scenario.js';

/** Seeds `from..to`, both included. */
export interface SeedRange {
  readonly from: number;
  readonly to: number;
}
/** Shard `index` of `count` (0-based). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Violations kept per seed in a sweep report (all are counted in violationCounts). */
const VIOLATIONS_PER_SEED = 5;

/** The seeds of `range` that belong to `shard`: those with (seed - from) % count === index - 1. */
export function shardSeeds(range: SeedRange, shard: Shard | null): number[] {
  const seeds: number[] = [];
  const step = shard?.count ?? 1;
  for (let seed = range.from + (shard ? shard.index - 1 : 0); seed <= range.to; seed += step) seeds.push(seed);
  return seeds;
}

export interface SweepOptions {
  readonly range: SeedRange;
  readonly shard: Shard | null;
  readonly mode: ModeOptions;
  /** Called after each seed with the number of seeds done. */
  readonly progress?: (done: number) => void;
}

export async function runSweep(scenario: Scenario, params: Omit<ScenarioParams, 'seed'>, o: SweepOptions): Promise<SweepReport> {
  const started = performance.now();
  const runs: SweepRun[] = [];
  for (const seed of shardSeeds(o.range, o.shard)) {
    const r = await runScenario(scenario, { ...params, seed, mode: o.mode });
    runs.push({
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
    });
    o.progress?.(runs.length);
  }
  return {
    tool: 'ioasid-sim',
    version: VERSION,
    kind: 'sweep',
    scenario: scenario.name,
    mutant: params.mutant,
    mode: o.mode.mode,
    seeds: { from: o.range.from, to: o.range.to },
    shard: o.shard,
    ...sweepVerdict(runs),
    durationMs: Math.round(performance.now() - started),
    params: {
      durationSec: params.durationSec,
      vms: params.vms,
      devices: params.devices,
      pasids: params.pasids,
      workers: params.workers,
      ...(params.keepGoing ? { keepGoing: true } : {}),
    },
    runs,
  };
}
