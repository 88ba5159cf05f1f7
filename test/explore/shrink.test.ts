// shrink: for every built-in mutant, a failing deterministic report of the scenario that catches
// it becomes a sequence file of a few dozen steps at most (calls in flight at once sent nowait
// where the bug needs them), which shows one of the report's invariants on the
// mutant and passes (no violation, every expect met) on the correct model; the same report gives
// the same file; a real-thread report shrinks too. The command line: test/cli/shrink.test.ts.
import { expect } from 'chai';
import type { MutantName } from '../../actors/env.js';
import { shrink } from '../../explore/shrink.js';
import type { RunReport } from '../../report/report.js';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import { teardownRace } from '../../scenarios/teardown-race.js';
import { parseSequence } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import { type ModeOptions, THREADS } from '../../sim/mode.js';
import { MUST_CATCH_ENTRIES } from '../../scenarios/must-catch.js';

const RANDOM: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };
/** A few dozen steps, for every built-in mutant. */
const MAX_STEPS = 40;
/** Sequence runs per shrink: small, so the whole file stays well under two minutes. */
const BUDGET = 150;

async function failing(entry: (typeof MUST_CATCH_ENTRIES)[number]): Promise<RunReport> {
  const [mutant, { scenario, deterministic, designs }] = entry;
  for (let seed = 1; seed <= deterministic.executions; seed++) {
    const params = { ...DEFAULT_PARAMS, seed, durationSec: deterministic.durationSec, mutant, mode: RANDOM, uapi: designs[0] };
    const r = await runScenario(scenario, params);
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

  it('says so, and gives no file, when the budget allows no run', async () => {
    const o = await shrink(await failing(MUST_CATCH_ENTRIES.find(([m]) => m === 'skip-drain')!), 'skip-drain.json', { budget: 0 });
    expect(o.reproduced).to.equal(false);
    expect(o.text).to.equal(null);
    expect(o.message).to.match(/did not show .* \(within the budget of 0 sequence runs\)/);
  });

  for (const entry of MUST_CATCH_ENTRIES) {
    const [mutant, { scenario }] = entry;
    it(`${mutant} on ${scenario.name}: at most ${MAX_STEPS} steps that fail on the mutant and pass on the correct model`, async () => {
      const report = await failing(entry);
      const o = await shrink(report, `${mutant}.json`, { budget: BUDGET });
      expect(o.reproduced, o.message).to.equal(true);
      // The first of the report's invariants the record shows (kvm-no-quiesce: free-while-referenced
      // and enqcmd-unmapped, one descriptor apart; the file shows the second).
      expect(report.violations.map((v) => v.invariant)).to.include(o.invariant);
      const invariant = o.invariant;
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
    const o = await shrink(report, 'threads.json', { budget: BUDGET });
    expect(o.reproduced, o.message).to.equal(true);
    expect(report!.violations.map((v) => v.invariant)).to.include(o.invariant);
    await reproduces(o.text!, 'no-fd-check', o.invariant, { mode: 'deterministic', strategy: o.strategy!, pctDepth: 3 });
  });
});
