// The correct model stays clean: teardown-race over 20 seeds on real threads, each seed having
// really done its work (DMA landed, uAPI calls made): its 1 s runs repeat until it has, so a
// loaded machine gets more runs of the seed rather than a run that proves little.
import { expect } from 'chai';
import type { RunReport } from '../../report/report.js';
import { DEFAULT_PARAMS } from '../../scenarios/scenario.js';
import { teardownRace } from '../../scenarios/teardown-race.js';
import { WORK_TIMEOUT_MS, runUntil } from '../threads-runs.js';

const LANDED = 100_000;
const CALLS = 200;
const landed = (rs: readonly RunReport[]) => rs.reduce((n, r) => n + r.counts.dma - r.counts.dmaFaults, 0);
const calls = (rs: readonly RunReport[]) => rs.reduce((n, r) => n + r.counts.calls, 0);

describe(`correct model is clean over 20 seeds (teardown-race, 1 s runs until ${LANDED} accesses landed and ${CALLS} calls)`, function () {
  this.timeout(WORK_TIMEOUT_MS);
  for (let seed = 1; seed <= 20; seed++) {
    it(`seed ${seed}`, async () => {
      const params = { ...DEFAULT_PARAMS, durationSec: 1, seed, vms: 2 + (seed % 2), devices: 2, pasids: 2 + (seed % 3) };
      const out = await runUntil(
        teardownRace,
        () => params,
        (runs) => {
          const rs = runs.map((r) => r.report);
          return !rs.at(-1)!.ok || (landed(rs) > LANDED && calls(rs) > CALLS);
        },
      );
      const rs = out.runs.map((r) => r.report);
      for (const r of rs) {
        expect(r.error).to.equal(undefined);
        expect(r.violations, JSON.stringify(r.violations.slice(0, 3))).to.deep.equal([]);
      }
      const story = `${rs.length} run(s) in ${out.elapsedMs} ms`;
      expect(landed(rs), `DMA really landed (${story})`).to.be.greaterThan(LANDED);
      expect(calls(rs), `calls made (${story})`).to.be.greaterThan(CALLS);
    });
  }
});
