// The fuzzer's failure path end to end: a deliberately wrong reference model makes the machine
// "disagree"; the shrunk case must come out as a sequence file that parseSequence accepts and
// runSequence reports as not ok, at the step the model got wrong.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { PasidState } from '../../actors/events.js';
import { parseSequence } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import { fuzzUapi } from './fuzz.js';
import { RefModel } from './model.js';

/** Wrong on values: hands out the highest free PASID. */
class HighestFirst extends RefModel {
  override lowestFree(): number | null {
    for (let p = this.max - 1; p > 0; p--) if (!this.ioasids.has(p)) return p;
    return null;
  }
}

/** Wrong on state only: believes a destroyed PASID is free at once (no parking). */
class NeverParks extends RefModel {
  override pasidState(pasid: number): PasidState {
    const s = super.pasidState(pasid);
    return s === 'parked' ? 'free' : s;
  }
}

async function failingFile(makeModel: (spec: RefModel['spec']) => RefModel, outDir: string) {
  const r = await fuzzUapi({ numRuns: 200, seed: 7, maxCommands: 40, outDir, makeModel });
  expect(r.failure, 'the wrong model must be caught').to.not.equal(null);
  const text = readFileSync(r.failure!.file, 'utf8');
  const seq = parseSequence(text, r.failure!.file);
  const report = await runSequence(seq);
  return { failure: r.failure!, seq, report, unmet: report.steps!.filter((s) => !s.met) };
}

describe('fuzzer failures become sequence files that reproduce them', function () {
  this.timeout(60000);

  it('a wrong expected value: the shrunk file fails at the alloc the model got wrong', async () => {
    const { failure, seq, report, unmet } = await failingFile((spec) => new HighestFirst(spec), 'tmp/fuzz-selftest/highest-first');
    expect(failure.message).to.match(/alloc/);
    expect(report.ok).to.equal(false);
    expect(unmet.map((s) => s.op)).to.deep.equal(['alloc']);
    expect(
      seq.steps.map((s) => s.op),
      'shrunk to the two calls that show it',
    ).to.deep.equal(['open', 'alloc']);
    expect(report.violations).to.deep.equal([]);
  });

  it('a wrong state: the file ends with pasid_state steps that show the difference', async () => {
    const { failure, report, unmet } = await failingFile((spec) => new NeverParks(spec), 'tmp/fuzz-selftest/never-parks');
    expect(failure.message).to.match(/state differs: pasids/);
    expect(report.ok).to.equal(false);
    expect(unmet.length).to.be.greaterThan(0);
    expect(unmet.every((s) => s.op === 'pasid_state' && s.value === 'parked')).to.equal(true);
  });
});

describe('the fuzzer catches the mutants the uAPI can see', function () {
  this.timeout(60000);

  // The others need DMA or KVM to show (skip-drain, skip-iotlb-flush, kvm-no-kref, ...).
  for (const mutant of ['early-recycle', 'no-fd-check', 'backwards-order'] as const) {
    it(`${mutant}: the shrunk file fails with the mutant on and passes on the correct machine`, async () => {
      const r = await fuzzUapi({ numRuns: 300, seed: 11, maxCommands: 40, outDir: `tmp/fuzz-selftest/${mutant}`, mutant });
      expect(r.failure, `${mutant} was not caught`).to.not.equal(null);
      const seq = parseSequence(readFileSync(r.failure!.file, 'utf8'), r.failure!.file);
      expect((await runSequence(seq, { mutant })).ok, 'reproduces on the mutant').to.equal(false);
      const clean = await runSequence(seq);
      expect(
        clean.steps!.filter((s) => !s.met),
        'the correct machine meets every expect',
      ).to.deep.equal([]);
      expect(clean.ok).to.equal(true);
    });
  }
});
