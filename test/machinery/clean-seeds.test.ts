// The correct model stays clean: teardown-race over 20 seeds on real threads.
import { expect } from 'chai';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import { teardownRace } from '../../scenarios/teardown-race.js';

describe('correct model is clean over 20 seeds (teardown-race, 1 s each)', function () {
  this.timeout(30000);
  for (let seed = 1; seed <= 20; seed++) {
    it(`seed ${seed}`, async () => {
      const r = await runScenario(teardownRace, { ...DEFAULT_PARAMS, durationSec: 1, seed, vms: 2 + (seed % 2), devices: 2, pasids: 2 + (seed % 3) });
      expect(r.error).to.equal(undefined);
      expect(r.violations, JSON.stringify(r.violations.slice(0, 3))).to.deep.equal([]);
      expect(r.counts.dma - r.counts.dmaFaults, 'DMA really landed').to.be.greaterThan(100000);
      expect(r.counts.calls).to.be.greaterThan(200);
    });
  }
});
