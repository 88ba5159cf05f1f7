// The ENQCMD scenarios and the KVM sequence on the correct model: clean over many seeds, with
// accepted submissions, #GPs and retries all happening; and kvm-no-kref caught by the sequence
// (the enqcmd scenario's catch is in the must-catch suites, test/mutants/). How often each
// outcome comes is judged in deterministic mode, where it is a function of the seed; real
// threads must stay clean and, given time, show every outcome.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { SCENARIO_BY_NAME } from '../../scenarios/builtins.js';
import type { ReportCounts, RunReport } from '../../report/report.js';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import type { ModeOptions } from '../../sim/mode.js';
import { loadSequenceFile } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import { WORK_TIMEOUT_MS, runUntil } from '../threads-runs.js';

const SEQUENCE = fileURLToPath(new URL('../../../sequences/kvm-enqcmd.yaml', import.meta.url));
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const DETERMINISTIC: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };

/** Explain a failed run in one line. */
const why = (r: RunReport) => `seed ${r.seed}: ${r.error ?? ''} ${JSON.stringify(r.violations.slice(0, 2))}`;

function sum(reports: readonly RunReport[]): ReportCounts {
  const total: ReportCounts = { dma: 0, dmaFaults: 0, enqcmd: 0, gp: 0, calls: 0, messages: 0, retries: 0 };
  for (const r of reports) for (const k of Object.keys(total) as (keyof ReportCounts)[]) total[k] += r.counts[k];
  return total;
}

/** What a run must show: submissions accepted, #GPs, ZF=1 retries. */
const showsAll = (c: ReportCounts) => c.enqcmd > 0 && c.gp > 0 && c.retries > 0;

describe('kvm: scenarios and sequence', () => {
  for (const name of ['enqcmd', 'viommu']) {
    const scenario = SCENARIO_BY_NAME.get(name)!;

    it(`${name} in deterministic mode: every one of ${SEEDS.length} seeds is clean, with submissions accepted, #GPs and retries`, async function () {
      this.timeout(WORK_TIMEOUT_MS); // a loaded machine steps the schedule slower; what it yields is the same
      for (const seed of SEEDS) {
        const r = await runScenario(scenario, { ...DEFAULT_PARAMS, seed, durationSec: 0.03, mode: DETERMINISTIC });
        expect(r.ok, why(r)).to.equal(true);
        expect(showsAll(r.counts), `seed ${seed}: ${JSON.stringify(r.counts)}`).to.equal(true);
      }
    });

    it(`${name} on real threads stays clean over ${SEEDS.length} seeds of 0.5 s, and more seeds until submissions were accepted, #GPs and retries`, async function () {
      this.timeout(WORK_TIMEOUT_MS);
      const out = await runUntil(
        scenario,
        (i) => ({ ...DEFAULT_PARAMS, seed: i + 1, durationSec: 0.5 }),
        (runs) => {
          const rs = runs.map((r) => r.report);
          return rs.at(-1)!.verdict === 'failed' || (rs.length >= SEEDS.length && showsAll(sum(rs)));
        },
      );
      const reports = out.runs.map((r) => r.report);
      // A 0.5 s run on a loaded machine may race too little to be clean (INCONCLUSIVE): none may fail.
      for (const r of reports) expect(r.verdict, why(r)).to.not.equal('failed');
      expect(reports.length, 'seeds run').to.be.at.least(SEEDS.length);
      const total = sum(reports);
      const story = `over ${reports.length} seeds in ${out.elapsedMs} ms`;
      expect(total.enqcmd, `accepted submissions ${story}`).to.be.above(0);
      expect(total.gp, `#GPs ${story}`).to.be.above(0);
      expect(total.retries, `ZF=1 retries ${story}`).to.be.above(0);
    });
  }

  it('the KVM/ENQCMD sequence runs clean, every expectation met', async () => {
    const r = await runSequence(loadSequenceFile(SEQUENCE));
    expect(
      r.steps!.filter((s) => !s.met),
      'unmet steps',
    ).to.deep.equal([]);
    expect(r.violations).to.deep.equal([]);
    expect(r.ok).to.equal(true);
  });

  it('kvm-no-kref is caught by the sequence: the PASID is not parked and is handed out again', async () => {
    const r = await runSequence(loadSequenceFile(SEQUENCE), { mutant: 'kvm-no-kref' });
    expect(r.ok).to.equal(false);
    expect(r.violations.map((v) => v.invariant)).to.include('pasid-reuse');
    expect(r.steps!.find((s) => !s.met && s.op === 'pasid_state')?.value).to.equal('free');
  });
});
