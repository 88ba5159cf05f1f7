// shrink: for every built-in mutant, a failing deterministic report of the scenario that catches
// it becomes a sequence file of a few dozen steps at most, which shows the same invariant on the
// mutant and no violation on the correct model. The CLI writes it, refuses to overwrite the
// report, and exits 1 when there is nothing to reproduce.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { shrink } from '../../explore/shrink.js';
import type { RunReport } from '../../report/report.js';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import { parseSequence } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import type { ModeOptions } from '../../sim/mode.js';
import { cli } from '../cli/cli-process.js';
import { MUST_CATCH_ENTRIES } from '../mutants/must-catch.js';

const RANDOM: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };
const MAX_STEPS = 36;

async function failing(entry: (typeof MUST_CATCH_ENTRIES)[number]): Promise<RunReport> {
  const [mutant, { scenario, deterministic }] = entry;
  for (let seed = 1; seed <= deterministic.executions; seed++) {
    const r = await runScenario(scenario, { ...DEFAULT_PARAMS, seed, durationSec: deterministic.durationSec, mutant, mode: RANDOM });
    if (r.violations.length > 0) return r;
  }
  throw new Error(`${mutant} was not caught by ${scenario.name}`);
}

describe('shrink: a failing run as a small sequence file', function () {
  this.timeout(60000);

  for (const entry of MUST_CATCH_ENTRIES) {
    const [mutant, { scenario }] = entry;
    it(`${mutant} on ${scenario.name}: a few dozen steps that fail on the mutant and pass on the correct model`, async () => {
      const report = await failing(entry);
      const invariant = report.violations[0]!.invariant;
      const o = await shrink(report, `${mutant}.json`);
      expect(o.reproduced, o.message).to.equal(true);
      expect(o.invariant).to.equal(invariant);
      const seq = parseSequence(o.text!, `${mutant}.yaml`);
      expect(seq.steps.length).to.be.at.most(MAX_STEPS).and.to.equal(o.steps);
      expect(o.steps).to.be.below(o.recorded);
      expect(o.text).to.include(`the invariant ${invariant}`).and.to.include(`--mutant ${mutant}`);
      const onMutant = await runSequence(seq, { mutant, mode: RANDOM });
      expect(
        onMutant.violations.map((v) => v.invariant),
        'the same invariant on the mutant',
      ).to.include(invariant);
      expect(
        onMutant.steps!.filter((s) => !s.met),
        "the expects are the mutant run's outcomes",
      ).to.deep.equal([]);
      const correct = await runSequence(seq, { mode: RANDOM });
      expect(correct.violations, 'no violation on the correct model').to.deep.equal([]);
    });
  }
});

describe('ioasid-sim shrink', function () {
  this.timeout(60000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-shrink-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the file (exit 0) that `seq` runs to the same invariant on the mutant (exit 1)', async () => {
    const report = join(dir, 'r.json');
    const run = await cli(['run', 'teardown-race', '--mode', 'deterministic', '--duration', '0.03', '--mutant', 'early-recycle', '--json']);
    expect(run.code).to.equal(1);
    writeFileSync(report, run.stdout);
    const out = join(dir, 's.yaml');
    const s = await cli(['shrink', report, '--out', out]);
    expect(s.code, s.stderr).to.equal(0);
    expect(s.stdout).to.match(/^shrunk: \d+ recorded steps to \d+ that show pasid-reuse/);
    expect(readFileSync(out, 'utf8')).to.match(/^# Made by `ioasid-sim shrink /);
    const seq = await cli(['seq', out, '--mode', 'deterministic', '--mutant', 'early-recycle', '--json']);
    expect(seq.code).to.equal(1);
    expect((JSON.parse(seq.stdout) as RunReport).violations.map((v) => v.invariant)).to.include('pasid-reuse');
  });

  it('refuses to overwrite the report, and bad input is one line with exit 2', async () => {
    const report = join(dir, 'r.json');
    const same = await cli(['shrink', report, '--out', report]);
    expect(same.code).to.equal(2);
    expect(same.stderr).to.match(/^ioasid-sim: --out .*is the same file as the report .*\n$/);
    const notJson = await cli(['shrink', join(dir, 's.yaml'), '--out', join(dir, 'x.yaml')]);
    expect(notJson.code).to.equal(2);
    expect(notJson.stderr.trim().split('\n')).to.have.length(1);
  });

  it('a clean report: nothing reproduces, exit 1 and no file', async () => {
    const run = await cli(['run', 'teardown-race', '--mode', 'deterministic', '--duration', '0.01', '--json']);
    expect(run.code).to.equal(0);
    const report = join(dir, 'clean.json');
    writeFileSync(report, run.stdout);
    const out = join(dir, 'none.yaml');
    const s = await cli(['shrink', report, '--out', out]);
    expect(s.code).to.equal(1);
    expect(s.stdout).to.match(/nothing to shrink/);
    expect(() => readFileSync(out)).to.throw();
  });
});
