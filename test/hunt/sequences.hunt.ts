// The hunt over sequences/: every file runs clean in deterministic mode (each expect met, no
// violation), and fail-nth over every file leaves no violation and nothing leaked.
import { expect } from 'chai';
import { failNth, failNthSummary } from '../../explore/failnth.js';
import { loadSequenceFile } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import { RANDOM, SEQUENCE_FILES, SEQUENCES_DIR } from './hunt.js';

/** What made a sequence run not clean, in one line. */
function why(r: Awaited<ReturnType<typeof runSequence>>): string {
  const unmet = (r.steps ?? []).filter((s) => !s.met).map((s) => `step ${s.index} (${s.op}) gave ${s.result}`);
  const v = r.violations.map((x) => `${x.invariant}: ${x.detail}`);
  return [...unmet, ...v, r.error ?? '', ...(r.inconclusive ?? [])].filter(Boolean).join('; ');
}

describe('hunt: every sequence file runs clean (deterministic)', function () {
  this.timeout(60_000);
  it('finds the sequence files', () => {
    expect(SEQUENCE_FILES.length).to.be.greaterThan(0);
  });
  for (const f of SEQUENCE_FILES) {
    it(f, async () => {
      const r = await runSequence(loadSequenceFile(SEQUENCES_DIR + f), { mode: RANDOM });
      expect(r.verdict, why(r)).to.equal('clean');
    });
  }
});

describe('hunt: fail-nth over every sequence file (deterministic)', function () {
  this.timeout(120_000);
  for (const f of SEQUENCE_FILES) {
    it(f, async () => {
      const r = await failNth(loadSequenceFile(SEQUENCES_DIR + f), { mode: RANDOM });
      expect(r.ok, failNthSummary(r)).to.equal(true);
    });
  }
});
