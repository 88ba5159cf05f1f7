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

  it('a sweep with a failing seed exits 1 and names the seed', async () => {
    const r = await cli(['sweep', 'isolation', '--seeds', '1..1', '--duration', '0.5', '--mutant', 'no-fd-check']);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.include('result: FAILED, seed(s) 1').and.include('isolation');
  });
});
