// ioasid-sim shrink: writes the file that `seq` runs to the invariant on the mutant and clean
// without it, prints one JSON document with --json, refuses to overwrite the report, exits 2 on
// a report without violation and 1 (leaving no file) when nothing reproduces.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { RunReport } from '../../report/report.js';
import { cli } from './cli-process.js';

const MAX_STEPS = 40;

describe('ioasid-sim shrink', function () {
  this.timeout(120000);
  let dir = '';
  let report = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-shrink-'));
    report = join(dir, 'r.json');
    const run = await cli(['run', 'teardown-race', '--mode', 'deterministic', '--duration', '0.03', '--mutant', 'early-recycle', '--json']);
    expect(run.code).to.equal(1);
    writeFileSync(report, run.stdout);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the file (exit 0) that `seq` runs to the same invariant on the mutant (exit 1) and clean without it (exit 0)', async () => {
    const out = join(dir, 's.yaml');
    const s = await cli(['shrink', report, '--out', out, '--budget', '100']);
    expect(s.code, s.stderr).to.equal(0);
    expect(s.stdout).to.match(/^shrunk: \d+ recorded steps to \d+ that show pasid-reuse on early-recycle /);
    expect(s.stdout).to.include(`ioasid-sim seq ${out} --mode deterministic --strategy random --mutant early-recycle`);
    expect(readFileSync(out, 'utf8')).to.match(/^# Made by `ioasid-sim shrink /);
    const seq = await cli(['seq', out, '--mode', 'deterministic', '--mutant', 'early-recycle', '--json']);
    expect(seq.code).to.equal(1);
    expect((JSON.parse(seq.stdout) as RunReport).violations.map((v) => v.invariant)).to.include('pasid-reuse');
    expect((await cli(['seq', out, '--mode', 'deterministic'])).code).to.equal(0);
  });

  it('--json: one document saying what was written', async () => {
    const out = join(dir, 'j.yaml');
    const s = await cli(['shrink', report, '--out', out, '--budget', '100', '--json']);
    expect(s.code, s.stderr).to.equal(0);
    const j = JSON.parse(s.stdout) as Record<string, unknown>;
    expect(j).to.include({ reproduced: true, invariant: 'pasid-reuse', mutant: 'early-recycle', budget: 100, strategy: 'random', out });
    expect(j.steps).to.be.a('number').and.at.most(MAX_STEPS);
    expect(j).to.not.have.property('text');
  });

  it('refuses to overwrite the report, and bad input is one line with exit 2', async () => {
    const same = await cli(['shrink', report, '--out', report]);
    expect(same.code).to.equal(2);
    expect(same.stderr).to.match(/^ioasid-sim: --out .*is the same file as the report .*\n$/);
    const notJson = await cli(['shrink', join(dir, 's.yaml'), '--out', join(dir, 'x.yaml')]);
    expect(notJson.code).to.equal(2);
    expect(notJson.stderr.trim().split('\n')).to.have.length(1);
    for (const args of [[report], [report, '--out', join(dir, 'x.yaml'), '--budget', '0']]) {
      const bad = await cli(['shrink', ...args]);
      expect(bad.code, args.join(' ')).to.equal(2);
      expect(bad.stderr).to.match(args.length === 1 ? /^ioasid-sim: .*--out/ : /^ioasid-sim: .*--budget/);
    }
    expect(existsSync(join(dir, 'x.yaml')), 'nothing is opened for bad flags').to.equal(false);
  });

  it('a report without violation is bad input: exit 2, and no file', async () => {
    const run = await cli(['run', 'teardown-race', '--mode', 'deterministic', '--duration', '0.01', '--json']);
    expect(run.code).to.equal(0);
    const clean = join(dir, 'clean.json');
    writeFileSync(clean, run.stdout);
    const out = join(dir, 'none.yaml');
    const s = await cli(['shrink', clean, '--out', out]);
    expect(s.code).to.equal(2);
    expect(s.stderr).to.match(/no violation: nothing to shrink\n$/);
    expect(existsSync(out)).to.equal(false);
  });

  it('a report that no longer replays: exit 1, and the file opened for it is gone', async () => {
    const r = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify({ ...r, schedule: { ...r.schedule!, pathHash: r.schedule!.pathHash + 1 } }));
    const out = join(dir, 'gone.yaml');
    const s = await cli(['shrink', edited, '--out', out]);
    expect(s.code, s.stderr).to.equal(1);
    expect(s.stdout).to.match(/NOT reproduced/);
    expect(existsSync(out)).to.equal(false);
  });
});
