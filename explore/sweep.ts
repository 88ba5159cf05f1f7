// `sweep`: one scenario over a range of seeds, one run per seed. `--jobs N` runs deterministic
// seeds N at a time on sweep worker threads; the runs are collected in seed order, so the
// report is the serial one but for timing. `--shard I/N` keeps every N-th seed starting at the
// I-th, so N machines (a CI matrix, a cluster's job array) cover the range exactly once between
// them; `merge` joins their reports again.
import { Piscina } from 'piscina';
import type { ModeOptions } from '../sim/mode.js';
import { type ShardSource, type SweepReport, type SweepRun, VERSION, sweepVerdict } from '../report/report.js';
import type { Scenario, ScenarioParams } from '../scenarios/scenario.js';
import { SCENARIO_BY_NAME } from '../scenarios/builtins.js';
import { lostRun, runSeed } from './sweep-run.js';
import type { SweepTask } from './sweep-worker.js';

/** Seeds `from..to`, both included. */
export interface SeedRange {
  readonly from: number;
  readonly to: number;
}
/** Shard `index` of `count`, 1-based; `source` when it came from a scheduler's environment. */
export interface Shard {
  readonly index: number;
  readonly count: number;
  readonly source?: ShardSource;
}

/** More shards than this is a typo, not a cluster. */
export const MAX_SHARDS = 1 << 20;

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
  /** Seeds run at once, each on a sweep worker thread when more than 1 (deterministic mode only). Default 1. */
  readonly jobs?: number;
  /** Called after each seed with the number of seeds done. */
  readonly progress?: (done: number) => void;
  /** Tests: this seed's worker task fails. */
  readonly failSeedForTest?: number;
}

type SweepParams = Omit<ScenarioParams, 'seed'>;

async function serialRuns(scenario: Scenario, params: SweepParams, seeds: readonly number[], o: SweepOptions): Promise<SweepRun[]> {
  const runs: SweepRun[] = [];
  for (const seed of seeds) {
    runs.push(await runSeed(scenario, params, seed, o.mode));
    o.progress?.(runs.length);
  }
  return runs;
}

async function parallelRuns(scenario: Scenario, params: SweepParams, seeds: readonly number[], o: SweepOptions, jobs: number): Promise<SweepRun[]> {
  const threads = Math.min(jobs, seeds.length);
  const pool = new Piscina<SweepTask, SweepRun>({
    filename: new URL('./sweep-worker.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    idleTimeout: 1000,
  });
  // piscina emits 'error' on some failures; without a listener that kills the process. Each
  // task's own rejection already becomes that seed's failed run.
  pool.on('error', () => undefined);
  let done = 0;
  try {
    // Promise.all keeps seed order whatever order the threads finish in.
    return await Promise.all(
      seeds.map((seed) => {
        const task: SweepTask = { scenario: scenario.name, params, seed, mode: o.mode, ...(seed === o.failSeedForTest ? { failForTest: true } : {}) };
        return pool
          .run(task)
          .catch((e: unknown) => lostRun(seed, `sweep worker failed: ${(e as Error)?.message ?? e}`))
          .then((run) => {
            o.progress?.(++done);
            return run;
          });
      }),
    );
  } finally {
    await pool.destroy();
  }
}

export async function runSweep(scenario: Scenario, params: SweepParams, o: SweepOptions): Promise<SweepReport> {
  const jobs = o.jobs ?? 1;
  // Threads mode runs each seed on engine threads already; seeds side by side would only share the cores.
  if (jobs > 1 && o.mode.mode !== 'deterministic') throw new Error('sweep: jobs > 1 needs deterministic mode');
  if (jobs > 1 && SCENARIO_BY_NAME.get(scenario.name) !== scenario)
    throw new Error(`sweep: jobs > 1 runs built-in scenarios only ('${scenario.name}' is not one)`);
  const started = performance.now();
  const seeds = shardSeeds(o.range, o.shard);
  const runs = jobs > 1 && seeds.length > 1 ? await parallelRuns(scenario, params, seeds, o, jobs) : await serialRuns(scenario, params, seeds, o);
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
      // Shards of one sweep must serve one design: merge compares params.
      ...(params.uapi && params.uapi !== 'ioasid' ? { uapi: params.uapi } : {}),
      jobs,
    },
    runs,
  };
}
