// shrink: for every built-in mutant, a failing deterministic report of the scenario that catches
// it becomes a sequence file of a few dozen steps at most, which shows the same invariant on the
// mutant and passes (exit 0: no violation, every expect met) on the correct model; the same
// report gives the same file; a real-thread report shrinks too. The CLI writes the file, refuses
// to overwrite the report, and exits 2 on a report without violation, 1 when nothing reproduces.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MutantName } from '../../actors/env.js';
import { shrink } from '../../explore/shrink.js';
import type { RunReport } from '../../report/report.js';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import { teardownRace } from '../../scenarios/teardown-race.js';
import { parseSequence } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import { type ModeOptions, THREADS } from '../../sim/mode.js';
import { cli } from '../cli/cli-process.js';
import { MUST_CATCH_ENTRIES } from '../mutants/must-catch.js';

const RANDOM: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };
const MAX_STEPS = 40;
/** Sequence runs per shrink: small, so the whole file stays well under two minutes. */
const BUDGET = 150;

async function failing(entry: (typeof MUST_CATCH_ENTRIES)[number]): Promise<RunReport> {
  const [mutant, { scenario, deterministic }] = entry;
  for (let seed = 1; seed <= deterministic.executions; seed++) {
    const r = await runScenario(scenario, { ...DEFAULT_PARAMS, seed, durationSec: deterministic.durationSec, mutant, mode: RANDOM });
    if (r.violations.length > 0) return r;
  }
  throw new Error(`${mutant} was not caught by ${scenario.name}`);
}

/** The written file fails on the mutant with `invariant` and passes on the correct model. */
async function reproduces(text: string, mutant: MutantName, invariant: string, strategy: ModeOptions): Promise<void> {
  const seq = parseSequence(text, `${mutant}.yaml`);
  expect(seq.steps.length).to.be.at.most(MAX_STEPS);
  const onMutant = await runSequence(seq, { mutant, mode: strategy });
  expect(
    onMutant.violations.map((v) => v.invariant),
    'the same invariant on the mutant',
  ).to.include(invariant);
  expect(onMutant.ok).to.equal(false);
  const correct = await runSequence(seq, { mode: strategy });
  expect(correct.violations, 'no violation on the correct model').to.deep.equal([]);
  expect(
    correct.steps!.filter((s) => !s.met),
    "the expects are the correct model's outcomes",
  ).to.deep.equal([]);
  expect(correct.ok, 'the correct model passes').to.equal(true);
}

describe('shrink: a failing run as a small sequence file', function () {
  this.timeout(120000);

  for (const entry of MUST_CATCH_ENTRIES) {
    const [mutant, { scenario }] = entry;
    it(`${mutant} on ${scenario.name}: at most ${MAX_STEPS} steps that fail on the mutant and pass on the correct model`, async () => {
      const report = await failing(entry);
      const invariant = report.violations[0]!.invariant;
      const o = await shrink(report, `${mutant}.json`, { budget: BUDGET });
      expect(o.reproduced, o.message).to.equal(true);
      expect(o.invariant).to.equal(invariant);
      expect(o.steps).to.be.at.most(MAX_STEPS).and.to.be.below(o.recorded);
      // The budget bounds the candidates; the written file's own checks come on top (at most 4).
      expect(o.runs).to.be.at.most(BUDGET + 4);
      expect(o.text).to.include(`the invariant ${invariant}`).and.to.include(`--mutant ${mutant}`);
      expect(parseSequence(o.text!, 'x.yaml').steps.length).to.equal(o.steps);
      await reproduces(o.text!, mutant, invariant, { mode: 'deterministic', strategy: o.strategy!, pctDepth: 3 });
    });
  }

  it('the same report gives the same file, byte for byte', async () => {
    const report = await failing(MUST_CATCH_ENTRIES.find(([m]) => m === 'skip-drain')!);
    const [a, b] = [await shrink(report, 'r.json', { budget: 60 }), await shrink(report, 'r.json', { budget: 60 })];
    expect(a.reproduced, a.message).to.equal(true);
    expect(b.text).to.equal(a.text);
  });

  it('a real-thread report: the invariant is searched for in deterministic mode, then shrunk', async () => {
    let report: RunReport | null = null;
    for (let seed = 1; seed <= 10 && !report; seed++) {
      const r = await runScenario(teardownRace, { ...DEFAULT_PARAMS, seed, durationSec: 0.5, mutant: 'no-fd-check', mode: THREADS });
      if (r.violations.length > 0) report = r;
    }
    expect(report, 'no-fd-check caught on real threads').to.not.equal(null);
    expect(report!.mode).to.equal('threads');
    const invariant = report!.violations[0]!.invariant;
    const o = await shrink(report, 'threads.json', { budget: BUDGET });
    expect(o.reproduced, o.message).to.equal(true);
    await reproduces(o.text!, 'no-fd-check', invariant, { mode: 'deterministic', strategy: o.strategy!, pctDepth: 3 });
  });
});

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
