// Section 8: `sweep --jobs`. The subject is a deterministic sweep of teardown-race with 2 jobs
// (seeds on two sweep worker threads), the baseline the same sweep with 1 job (serial, on the
// main thread); the ratio is seeds/s over seeds/s, the speed-up. Both sides must give the same
// runs, or the section fails: a faster sweep that ran something else would be no figure at all.
import { isDeepStrictEqual } from 'node:util';
import { runSweep } from '../explore/sweep.js';
import type { SweepRun } from '../report/report.js';
import { DEFAULT_PARAMS } from '../scenarios/scenario.js';
import { teardownRace } from '../scenarios/teardown-race.js';
import { type Section, pairedRow } from './result.js';
import { interleave, median } from './stats.js';

export interface SweepBenchOptions {
  readonly rounds: number;
  readonly seeds: number;
  /** Virtual seconds per seed. */
  readonly seedSec: number;
}

const untimed = (runs: readonly SweepRun[]) => runs.map(({ durationMs: _, ...rest }) => rest);

export async function benchSweep(o: SweepBenchOptions): Promise<Section> {
  const { seed: _, ...params } = { ...DEFAULT_PARAMS, durationSec: o.seedSec };
  const runsOf: Partial<Record<number, ReturnType<typeof untimed>>> = {};
  const seedsPerSec = (jobs: number) => async () => {
    const t0 = performance.now();
    const r = await runSweep(teardownRace, params, {
      range: { from: 1, to: o.seeds },
      shard: null,
      mode: { mode: 'deterministic', strategy: 'random', pctDepth: 3 },
      jobs,
    });
    const dt = performance.now() - t0;
    const runs = untimed(r.runs);
    runsOf[jobs] ??= runs;
    if (!isDeepStrictEqual(runs, runsOf[1] ?? runs)) throw new Error(`sweep --jobs ${jobs} gave other runs than --jobs 1`);
    return (o.seeds * 1000) / dt;
  };
  const r = await interleave(o.rounds, { serial: seedsPerSec(1), parallel: seedsPerSec(2) });
  return {
    id: 'sweep',
    title: 'sweep seeds/s, --jobs 2 vs --jobs 1',
    baseline: 'the same deterministic sweep with --jobs 1 (serial, main thread)',
    rows: [pairedRow(`sweep teardown-race, ${o.seeds} deterministic seeds of ${o.seedSec} virtual s, --jobs 2`, r.parallel, r.serial, 'seeds/s')],
    figures: {
      rounds: o.rounds,
      seeds: o.seeds,
      seedSec: o.seedSec,
      medianSecJobs1: o.seeds / median(r.serial),
      medianSecJobs2: o.seeds / median(r.parallel),
    },
    notes: [
      'the ratio is the speed-up: about 2 on 2 idle cores; each --jobs 2 round starts its pool, whose threads load and warm the model themselves',
      'every round checks that --jobs 2 gave the runs of --jobs 1, timing aside',
    ],
  };
}
