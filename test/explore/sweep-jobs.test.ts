// sweep --jobs: deterministic seeds on sweep worker threads give the serial sweep's runs, in
// seed order, and a worker that fails is that seed's failed run, never a lost seed.
import { expect } from 'chai';
import { runSweep } from '../../explore/sweep.js';
import type { SweepRun } from '../../report/report.js';
import { DEFAULT_PARAMS } from '../../scenarios/scenario.js';
import { teardownRace } from '../../scenarios/teardown-race.js';
import type { ModeOptions } from '../../sim/mode.js';

const DET: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };
const { seed: _, ...params } = { ...DEFAULT_PARAMS, durationSec: 0.01 };
const untimed = (runs: readonly SweepRun[]) => runs.map(({ durationMs: _d, ...rest }) => rest);

describe('sweep --jobs', function () {
  this.timeout(120_000);

  it('2 jobs give the runs of 1 job over 12 seeds, in seed order, and advance the progress per seed', async () => {
    const o = { range: { from: 5, to: 16 }, shard: null, mode: DET };
    const serial = await runSweep(teardownRace, params, { ...o, jobs: 1 });
    const done: number[] = [];
    const parallel = await runSweep(teardownRace, params, { ...o, jobs: 2, progress: (n) => done.push(n) });
    expect(parallel.runs.map((r) => r.seed)).to.deep.equal([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(untimed(parallel.runs)).to.deep.equal(untimed(serial.runs));
    expect(serial.runs.every((r) => r.counts.calls > 0)).to.equal(true);
    expect(done).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect({ ...parallel, durationMs: 0, runs: [], params: {} }).to.deep.equal({ ...serial, durationMs: 0, runs: [], params: {} });
    expect(parallel.params).to.deep.equal({ ...serial.params, jobs: 2 });
  });

  it('a failed worker task is that seed failed with its error; the other seeds still run', async () => {
    const r = await runSweep(teardownRace, params, { range: { from: 1, to: 3 }, shard: { index: 1, count: 1 }, mode: DET, jobs: 2, failSeedForTest: 2 });
    expect(r.runs.map((x) => [x.seed, x.verdict])).to.deep.equal([
      [1, 'clean'],
      [2, 'failed'],
      [3, 'clean'],
    ]);
    expect(r.runs[1]!.error).to.match(/^sweep worker failed: .*seed 2 failed on purpose/);
    expect(r).to.include({ ok: false, verdict: 'failed' });
  });

  it('refuses jobs > 1 in threads mode and for scenarios that are not built in', async () => {
    const o = { range: { from: 1, to: 2 }, shard: null, jobs: 2 };
    let err = '';
    await runSweep(teardownRace, params, { ...o, mode: { mode: 'threads' } }).catch((e: Error) => (err = e.message));
    expect(err).to.include('deterministic mode');
    await runSweep({ ...teardownRace, name: 'mine' }, params, { ...o, mode: DET }).catch((e: Error) => (err = e.message));
    expect(err).to.include("'mine' is not one");
  });
});
