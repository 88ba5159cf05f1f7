// Section 8: `sweep --jobs`. The subject is a deterministic sweep of teardown-race with 2 jobs
// (seeds on two sweep worker threads), the baseline the same sweep with 1 job (serial, on the
// main thread); the ratio is seeds/s over seeds/s, the speed-up. Both sides must give the same
// runs, or the section fails: a faster sweep that ran something else would be no figure at all.
// Each side's process CPU time per seed (every thread's) is kept too: on a shared machine it
// shows what --jobs 2 costs over --jobs 1 (thread start-up, module loading, warm-up) when the
// wall-clock speed-up cannot. A sweep of 2 tiny seeds with each --jobs counts what starting the pool alone costs.
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

/** CPU ms of the whole process (main thread and workers) since `from`. */
function cpuMsSince(from: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
}

export async function benchSweep(o: SweepBenchOptions): Promise<Section> {
  const { seed: _, ...params } = { ...DEFAULT_PARAMS, durationSec: o.seedSec };
  const runsOf: Partial<Record<number, ReturnType<typeof untimed>>> = {};
  const cpuMsPerSeed: Record<number, number[]> = { 1: [], 2: [] };
  const sweep = (jobs: number, seeds: number, p = params) =>
    runSweep(teardownRace, p, { range: { from: 1, to: seeds }, shard: null, mode: { mode: 'deterministic', strategy: 'random', pctDepth: 3 }, jobs });
  const seedsPerSec = (jobs: number) => async () => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await sweep(jobs, o.seeds);
    const dt = performance.now() - t0;
    cpuMsPerSeed[jobs]!.push(cpuMsSince(c0) / o.seeds);
    const runs = untimed(r.runs);
    runsOf[jobs] ??= runs;
    if (!isDeepStrictEqual(runs, runsOf[1] ?? runs)) throw new Error(`sweep --jobs ${jobs} gave other runs than --jobs 1`);
    return (o.seeds * 1000) / dt;
  };
  const r = await interleave(o.rounds, { serial: seedsPerSec(1), parallel: seedsPerSec(2) });
  // The pool's own cost: two seeds of almost no virtual time, on 2 threads and then serially.
  const tiny = { ...params, durationSec: 0.0001 };
  const startCpu = async (jobs: number) => {
    const c0 = process.cpuUsage();
    await sweep(jobs, 2, tiny);
    return cpuMsSince(c0);
  };
  const start = await interleave(2, { serial: () => startCpu(1), parallel: () => startCpu(2) });
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
      cpuMsPerSeedJobs1: median(cpuMsPerSeed[1]!),
      cpuMsPerSeedJobs2: median(cpuMsPerSeed[2]!),
      tinySweepCpuMsJobs1: median(start.serial),
      tinySweepCpuMsJobs2: median(start.parallel),
    },
    notes: [
      'the ratio is the speed-up: about 2 on 2 idle cores; each --jobs 2 round starts its pool, whose threads load and warm the model themselves',
      `seeds of ${o.seedSec} virtual s (about ${Math.round(o.seedSec * 1e6)} scheduler steps each), as a real sweep's are: with much shorter seeds the pool's start-up is a large part of a round`,
      'cpuMsPerSeed: CPU time of the whole process (every thread) per seed; on a loaded machine compare these, not seeds/s; tinySweepCpuMs: a sweep of 2 seeds of 0.0001 virtual s; jobs 2 minus jobs 1 is what starting the pool costs (each thread loads the model: module loading and its first, cold runs)',
      'every round checks that --jobs 2 gave the runs of --jobs 1, timing aside',
    ],
  };
}
