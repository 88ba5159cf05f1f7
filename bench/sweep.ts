// Section 8: `sweep --jobs`. The subject is a deterministic sweep of teardown-race with 2 jobs
// (seeds on two sweep worker threads), the baseline the same sweep with 1 job (serial, on the
// main thread); the ratio is seeds/s over seeds/s, the speed-up. Both sides must give the same
// runs, or the section fails: a faster sweep that ran something else would be no figure at all.
// Each side's process CPU time per seed (every thread's) is kept too: on a shared machine it
// shows what --jobs 2 costs over --jobs 1 (thread start-up, module loading, warm-up) when the
// wall-clock speed-up cannot. A sweep of 2 tiny seeds with each --jobs counts what starting the pool alone costs.
// In this process the serial side runs on a main thread that earlier rounds and sections warmed,
// while each --jobs 2 round starts cold threads; a user's `ioasid-sim sweep` starts cold either
// way, so the first row times the command itself, each side in a fresh process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, promisify } from 'node:util';
import { runSweep } from '../explore/sweep.js';
import type { SweepRun } from '../report/report.js';
import { DEFAULT_PARAMS } from '../scenarios/scenario.js';
import { teardownRace } from '../scenarios/teardown-race.js';
import { type Section, pairedRow } from './result.js';
import { interleave, median } from './stats.js';

export interface SweepBenchOptions {
  readonly rounds: number;
  readonly seeds: number;
  /** Seeds of each `ioasid-sim sweep` command of the first row. */
  readonly cliSeeds: number;
  /** Virtual seconds per seed. */
  readonly seedSec: number;
}

const untimed = (runs: readonly SweepRun[]) => runs.map(({ durationMs: _, ...rest }) => rest);

/** CPU ms of the whole process (main thread and workers) since `from`. */
function cpuMsSince(from: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
}

const CLI = fileURLToPath(new URL('../bin/ioasid-sim.js', import.meta.url));
const run = promisify(execFile);

/** `ioasid-sim sweep` as a user runs it, in a process of its own: seeds/s, and its runs. */
async function cliSweep(jobs: number, seeds: number, seedSec: number): Promise<{ seedsPerSec: number; runs: unknown }> {
  const args = [
    CLI,
    'sweep',
    'teardown-race',
    '--mode',
    'deterministic',
    '--seeds',
    `1..${seeds}`,
    '--duration',
    String(seedSec),
    '--jobs',
    String(jobs),
    '--json',
  ];
  const t0 = performance.now();
  // A sweep with a violation exits 1 and still prints its report; the runs are compared either way.
  const out = await run(process.execPath, args, { maxBuffer: 1 << 28 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const dt = performance.now() - t0;
  const report = JSON.parse(out.stdout) as { runs: SweepRun[] };
  return { seedsPerSec: (seeds * 1000) / dt, runs: untimed(report.runs) };
}

export async function benchSweep(o: SweepBenchOptions): Promise<Section> {
  const cliRuns: unknown[] = [];
  const cliSide = (jobs: number) => async () => {
    const r = await cliSweep(jobs, o.cliSeeds, o.seedSec);
    cliRuns.push(r.runs);
    if (!isDeepStrictEqual(r.runs, cliRuns[0])) throw new Error(`ioasid-sim sweep --jobs ${jobs} gave other runs than the first command`);
    return r.seedsPerSec;
  };
  const cli = await interleave(o.rounds, { serial: cliSide(1), parallel: cliSide(2) });
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
    rows: [
      pairedRow(
        `ioasid-sim sweep teardown-race, ${o.cliSeeds} deterministic seeds of ${o.seedSec} virtual s, --jobs 2 (fresh process per command)`,
        cli.parallel,
        cli.serial,
        'seeds/s',
      ),
      pairedRow(`the same in this process, ${o.seeds} seeds, --jobs 2 (cold threads vs a warm main thread)`, r.parallel, r.serial, 'seeds/s'),
    ],
    figures: {
      rounds: o.rounds,
      cliSeeds: o.cliSeeds,
      cliMedianSecJobs1: o.cliSeeds / median(cli.serial),
      cliMedianSecJobs2: o.cliSeeds / median(cli.parallel),
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
      'first row: each side is the command a user runs, a fresh node process, cold for both; second row: in this process, where the serial side runs on a main thread warmed by earlier rounds',
      `seeds of ${o.seedSec} virtual s (about ${Math.round(o.seedSec * 1e6)} scheduler steps each), as a real sweep's are: with much shorter seeds the pool's start-up is a large part of a round`,
      'cpuMsPerSeed: CPU time of the whole process (every thread) per seed; on a loaded machine compare these, not seeds/s; tinySweepCpuMs: a sweep of 2 seeds of 0.0001 virtual s; jobs 2 minus jobs 1 is what starting the pool costs (each thread loads the model: module loading and its first, cold runs)',
      'every round checks that --jobs 2 gave the runs of --jobs 1, timing aside',
    ],
  };
}
