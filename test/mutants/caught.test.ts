// Bugs that must be found within a budget: every mutant, on fixed seeds, in a short
// teardown-race run on real threads. The monitor never knows which mutant is on.
import { expect } from 'chai';
import type { MutantName } from '../../actors/env.js';
import type { InvariantId } from '../../invariants/catalog.js';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import { teardownRace } from '../../scenarios/teardown-race.js';

/** Each mutant and the invariants its catch may name (the first it breaks depends on timing). */
const EXPECTED: ReadonlyArray<[MutantName, InvariantId[]]> = [
  ['skip-iotlb-flush', ['dma-after-teardown', 'use-after-free', 'pasid-reuse']],
  ['skip-drain', ['dma-after-teardown', 'use-after-free']],
  ['early-recycle', ['pasid-reuse']],
  ['no-fd-check', ['isolation']],
  ['skip-pasid-clear', ['dma-after-teardown', 'use-after-free', 'pasid-reuse']],
  ['backwards-order', ['use-after-free', 'dma-after-teardown', 'pasid-reuse']],
];

describe('mutants are caught (teardown-race, 1.5 s, fixed seeds)', function () {
  this.timeout(30000);
  for (const [mutant, invariants] of EXPECTED) {
    for (const seed of [1, 2]) {
      it(`${mutant}, seed ${seed}`, async () => {
        const r = await runScenario(teardownRace, { ...DEFAULT_PARAMS, durationSec: 1.5, seed, mutant });
        expect(r.error).to.equal(undefined);
        expect(r.ok, 'the run must fail').to.equal(false);
        const named = Object.keys(r.violationCounts);
        expect(named.some((n) => invariants.includes(n as InvariantId)), `caught as ${named.join(', ')}`).to.equal(true);
      });
    }
  }
});
