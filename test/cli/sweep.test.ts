// sweep splits a seed range over shards exactly once, and merge joins the shards' reports
// again, refusing reports that overlap, miss a seed, or belong to another sweep.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, oneJson } from './cli-process.js';

interface SweepJson {
  tool: string;
  kind: string;
  scenario: string;
  mutant: string | null;
  ok: boolean;
  durationMs: number;
  seeds: { from: number; to: number };
  shard: { index: number; count: number } | null;
  runs: { seed: number; ok: boolean; durationMs: number; counts: Record<string, number>; violationCounts: Record<string, number>; violations: unknown[] }[];
}

describe('CLI sweep and merge', function () {
  this.timeout(90_000);
  let dir = '';
  const shardFile = (i: number) => join(dir, `shard-${i}.json`);
  const reports: SweepJson[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-sweep-'));
    for (const i of [1, 2]) {
      const r = await cli(['sweep', 'teardown-race', '--seeds', '3..5', '--shard', `${i}/2`, '--duration', '0.3', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      writeFileSync(shardFile(i), r.stdout);
      reports.push(oneJson<SweepJson>(r));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--shard I/N keeps the seeds with (seed - A) % N == I - 1', () => {
    expect(reports.map((r) => r.runs.map((x) => x.seed))).to.deep.equal([[3, 5], [4]]);
    expect(reports.map((r) => r.shard)).to.deep.equal([
      { index: 1, count: 2 },
      { index: 2, count: 2 },
    ]);
  });

  it('a sweep report lists each seed with its outcome, counts and violations', () => {
    const r = reports[0]!;
    expect(r).to.include({ tool: 'ioasid-sim', kind: 'sweep', scenario: 'teardown-race', mutant: null, ok: true });
    expect(r.seeds).to.deep.equal({ from: 3, to: 5 });
    for (const run of r.runs) {
      expect(run).to.include.all.keys('seed', 'ok', 'durationMs', 'counts', 'violationCounts', 'violations');
      expect(run.counts.calls).to.be.greaterThan(0);
    }
  });

  it('merge joins the shards into one report of the whole range', async () => {
    const r = await cli(['merge', shardFile(2), shardFile(1), '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const merged = oneJson<SweepJson>(r);
    expect(merged.runs.map((x) => x.seed)).to.deep.equal([3, 4, 5]);
    expect(merged).to.include({ kind: 'sweep', scenario: 'teardown-race', ok: true, shard: null });
    expect(merged.seeds).to.deep.equal({ from: 3, to: 5 });
    expect(merged.durationMs).to.equal(reports[0]!.durationMs + reports[1]!.durationMs);
  });

  it('merge refuses overlapping reports', async () => {
    const r = await cli(['merge', shardFile(1), shardFile(2), shardFile(1)]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('seed 3 is also in');
  });

  it('merge refuses when a shard is missing', async () => {
    const r = await cli(['merge', shardFile(1)]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('seed(s) 4 of 3..5 are in no report');
  });

  it('merge refuses reports of another scenario or mutant', async () => {
    const other = { ...reports[1]!, mutant: 'skip-drain' };
    writeFileSync(join(dir, 'other.json'), JSON.stringify(other));
    const r = await cli(['merge', shardFile(1), join(dir, 'other.json')]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("field 'mutant'").and.include('not parts of one sweep');
  });

  it('merge refuses what is not a sweep report, naming the file', async () => {
    const r = await cli(['merge', 'sequences/agreed-order.yaml']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('sequences/agreed-order.yaml: JSON syntax error');
  });

  /** This process's environment without any scheduler's shard variables, plus `extra`. */
  const schedulerFree = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    for (const k of Object.keys(env))
      if (/^(IOASID_SIM_SHARD_|SLURM_ARRAY_|JOB_COMPLETION_INDEX|CI_NODE_|CIRCLE_NODE_|BUILDKITE_PARALLEL_)/.test(k)) delete env[k];
    return { ...env, ...extra };
  };
  const DET_SWEEP = ['sweep', 'teardown-race', '--seeds', '3..5', '--mode', 'deterministic', '--duration', '0.01'];

  it('--shard auto/N takes the index from a Kubernetes Indexed Job and records where it came from', async () => {
    const r = await cli([...DET_SWEEP, '--shard', 'auto/2', '--jobs', '1', '--json'], 60_000, schedulerFree({ JOB_COMPLETION_INDEX: '1' }));
    expect(r.code, r.stderr).to.equal(0);
    const report = oneJson<SweepJson>(r);
    expect(report.runs.map((x) => x.seed)).to.deep.equal([4]);
    expect(report.shard).to.deep.equal({ index: 2, count: 2, source: { scheduler: 'kubernetes', variables: { JOB_COMPLETION_INDEX: '1' }, count: 'flag' } });
  });

  it('--shard auto with no scheduler in the environment, or a bad variable, exits 2 with one line', async () => {
    const none = await cli([...DET_SWEEP, '--shard', 'auto'], 60_000, schedulerFree({}));
    expect(none.code).to.equal(2);
    expect(none.stderr.trim().split('\n')).to.have.length(1);
    expect(none.stderr).to.include('no shard index in the environment').and.include('SLURM_ARRAY_TASK_ID').and.include('JOB_COMPLETION_INDEX');
    const bad = await cli([...DET_SWEEP, '--shard', 'auto'], 60_000, schedulerFree({ CI_NODE_INDEX: 'one', CI_NODE_TOTAL: '2' }));
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("CI_NODE_INDEX is 'one'");
    const flag = await cli([...DET_SWEEP, '--shard', 'auto/0']);
    expect(flag.code).to.equal(2);
    expect(flag.stderr).to.include('--shard');
  });

  it('--jobs: more than 1 in threads mode, or out of 1..64, exits 2 with one line', async () => {
    const threads = await cli(['sweep', 'teardown-race', '--seeds', '1..2', '--jobs', '2']);
    expect(threads.code).to.equal(2);
    expect(threads.stderr.trim()).to.equal('ioasid-sim: --jobs: only applies with --mode deterministic (threads mode runs one seed at a time)');
    const range = await cli([...DET_SWEEP, '--jobs', '65']);
    expect(range.code).to.equal(2);
    expect(range.stderr).to.include('--jobs').and.include('1..64');
  });

  it('--jobs 2 gives the runs of --jobs 1, and merge joins shards run with different --jobs', async () => {
    const one = await cli([...DET_SWEEP, '--jobs', '1', '--shard', '1/2', '--json']);
    const two = await cli([...DET_SWEEP, '--jobs', '2', '--shard', '1/2', '--json']);
    const other = await cli([...DET_SWEEP, '--jobs', '2', '--shard', '2/2', '--json']);
    for (const r of [one, two, other]) expect(r.code, r.stderr).to.equal(0);
    const untimed = (r: SweepJson) => r.runs.map(({ durationMs: _, ...rest }) => rest);
    expect(untimed(oneJson<SweepJson>(two))).to.deep.equal(untimed(oneJson<SweepJson>(one)));
    writeFileSync(join(dir, 'jobs-1.json'), one.stdout);
    writeFileSync(join(dir, 'jobs-2.json'), other.stdout);
    const merged = await cli(['merge', join(dir, 'jobs-1.json'), join(dir, 'jobs-2.json'), '--json']);
    expect(merged.code, merged.stderr).to.equal(0);
    expect(oneJson<SweepJson & { params: Record<string, unknown> }>(merged).params).to.not.have.property('jobs');
  });

  it('a sweep with a failing seed exits 1 and names the seed', async () => {
    const r = await cli(['sweep', 'isolation', '--seeds', '1..1', '--duration', '0.5', '--mutant', 'no-fd-check']);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.include('result: FAILED, seed(s) 1').and.include('isolation');
  });
});
