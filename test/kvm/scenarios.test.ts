// The ENQCMD scenarios and the KVM sequence on the correct model: clean over many seeds, with
// accepted submissions, #GPs and retries all happening; and kvm-no-kref caught by the sequence
// (the enqcmd scenario's catch is in the must-catch suites, test/mutants/).
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { SCENARIO_BY_NAME } from '../../scenarios/builtins.js';
import type { ReportCounts, RunReport } from '../../report/report.js';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import { loadSequenceFile } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';

const SEQUENCE = fileURLToPath(new URL('../../../sequences/kvm-enqcmd.yaml', import.meta.url));
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

const run = (name: string, seed: number) => runScenario(SCENARIO_BY_NAME.get(name)!, { ...DEFAULT_PARAMS, seed, durationSec: 0.5 });

/** Explain a failed run in one line. */
const why = (r: RunReport) => `seed ${r.seed}: ${r.error ?? ''} ${JSON.stringify(r.violations.slice(0, 2))}`;

function sum(reports: RunReport[]): ReportCounts {
  const total: ReportCounts = { dma: 0, dmaFaults: 0, enqcmd: 0, gp: 0, calls: 0, messages: 0, retries: 0 };
  for (const r of reports) for (const k of Object.keys(total) as (keyof ReportCounts)[]) total[k] += r.counts[k];
  return total;
}

describe('kvm: scenarios and sequence', () => {
  for (const name of ['enqcmd', 'viommu']) {
    it(`${name} stays clean over ${SEEDS.length} seeds, with submissions accepted, #GPs and retries`, async () => {
      const reports: RunReport[] = [];
      for (const seed of SEEDS) {
        const r = await run(name, seed);
        // No violation and no error; a short run on a loaded machine may race too little to be
        // clean (INCONCLUSIVE), so what it raced is judged over all seeds below.
        expect(r.verdict, why(r)).to.not.equal('failed');
        reports.push(r);
      }
      for (const key of reports[0]!.races ?? []) {
        expect(
          reports.reduce((n, r) => n + r.coverage[key], 0),
          `coverage.${key} over all seeds`,
        ).to.be.above(0);
      }
      expect(
        reports.some((r) => r.verdict === 'clean'),
        'a seed raced everything the scenario exists to race',
      ).to.equal(true);
      const total = sum(reports);
      expect(total.enqcmd, 'accepted submissions').to.be.above(0);
      expect(total.gp, '#GPs').to.be.above(0);
      expect(total.retries, 'ZF=1 retries').to.be.above(0);
      expect(reports.filter((r) => r.counts.enqcmd > 0 && r.counts.gp > 0).length, 'runs with both').to.be.at.least(SEEDS.length / 2);
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
