// The CLI's deterministic mode, replay and failnth, as a user runs them.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, oneJson } from './cli-process.js';

interface Report {
  ok: boolean;
  mode: string;
  schedule?: { strategy: string; steps: number; pathHash: number };
  violations: Array<{ invariant: string; at?: number }>;
}

describe('CLI: deterministic mode, replay, failnth', function () {
  this.timeout(120_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-det-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('run --mode deterministic gives the same report twice (minus timings)', async () => {
    const args = ['run', 'teardown-race', '--mode', 'deterministic', '--strategy', 'pct', '--pct-depth', '2', '--duration', '0.02', '--seed', '5', '--json'];
    const [a, b] = [oneJson<Report & { durationMs: number }>(await cli(args)), oneJson<Report & { durationMs: number }>(await cli(args))];
    expect(a.mode).to.equal('deterministic');
    expect(a.schedule!.strategy).to.equal('pct');
    expect({ ...a, durationMs: 0 }).to.deep.equal({ ...b, durationMs: 0 });
  });

  it('a deterministic mutant run with default flags stops at its first violation; --keep-going runs the duration', async () => {
    const base = ['run', 'teardown-race', '--mode', 'deterministic', '--mutant', 'skip-drain', '--json'];
    const first = oneJson<Report & { params: { durationSec: number } }>(await cli(base));
    expect(first.params.durationSec, 'the deterministic default duration').to.equal(0.1);
    const at = first.violations[0]!.at!;
    // It stops within a few thousand steps of the first violation (the lanes let go of what
    // they hold), not after the whole duration's tens of thousands of steps.
    expect(first.schedule!.steps - at).to.be.below(5_000);
    const all = oneJson<Report & { params: { keepGoing?: boolean } }>(await cli([...base, '--keep-going']));
    expect(all.params.keepGoing).to.equal(true);
    expect(all.violations[0]!.at, 'the same first violation').to.equal(at);
    expect(all.schedule!.steps).to.be.above(first.schedule!.steps + 20_000);
    const threads = await cli(['run', 'teardown-race', '--keep-going']);
    expect(threads.code).to.equal(2);
    expect(threads.stderr).to.match(/--keep-going: only applies with --mode deterministic/);
  });

  it('replay reproduces a deterministic mutant report at the same scheduler step (exit 0)', async () => {
    const r = await cli(['run', 'teardown-race', '--mode', 'deterministic', '--duration', '0.03', '--mutant', 'skip-drain', '--json']);
    expect(r.code).to.equal(1);
    const report = oneJson<Report>(r);
    const file = join(dir, 'report.json');
    writeFileSync(file, r.stdout);
    const again = await cli(['replay', file, '--json']);
    expect(again.code, again.stderr).to.equal(0);
    const out = oneJson<{ kind: string; reproduced: boolean; replayed: { invariant: string; at: number } }>(again);
    expect(out).to.deep.include({ kind: 'exact', reproduced: true });
    expect(out.replayed).to.deep.include({ invariant: report.violations[0]!.invariant, at: report.violations[0]!.at });
    // A tampered report (another step) is not reproduced: exit 1.
    const tampered = { ...report, violations: [{ ...report.violations[0]!, at: 1 }] };
    writeFileSync(file, JSON.stringify(tampered));
    expect((await cli(['replay', file])).code).to.equal(1);
  });

  it('replay of a real-thread seq report searches deterministic seeds', async () => {
    const r = await cli(['seq', 'sequences/agreed-order.yaml', '--mutant', 'skip-iotlb-flush', '--json']);
    expect(r.code).to.equal(1);
    const file = join(dir, 'threads.json');
    writeFileSync(file, r.stdout);
    const found = await cli(['replay', file]);
    expect(found.code, found.stdout + found.stderr).to.equal(0);
    expect(found.stdout).to.match(/found \S+ in deterministic mode: seed \d+, strategy (random|pct)/);
  });

  it('failnth over a sequence file: every failure answered with an errno, nothing leaked (exit 0)', async () => {
    const r = await cli(['failnth', 'sequences/agreed-order.yaml', '--json']);
    expect(r.code, r.stdout.slice(0, 2000)).to.equal(0);
    const rep = oneJson<{ kind: string; ok: boolean; fallibleSteps: number; runs: Array<{ site: string | null; result: string | null }> }>(r);
    expect(rep.kind).to.equal('failnth');
    expect(rep.fallibleSteps).to.be.greaterThan(2);
    expect(rep.runs.filter((x) => x.site !== null).every((x) => x.result !== 'ok')).to.equal(true);
  });
});
