// Bugs that must be found within a budget: every mutant, on fixed seeds, in a short run of the
// scenario that shows it (must-catch.ts), on real threads. The monitor never knows which
// mutant is on.
import { expect } from 'chai';
import type { InvariantId } from '../../invariants/catalog.js';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import { MUST_CATCH_ENTRIES } from './must-catch.js';

describe('mutants are caught on real threads (fixed seeds, the scenario that shows each)', function () {
  this.timeout(30000);
  for (const [mutant, { scenario, invariants, threads }] of MUST_CATCH_ENTRIES) {
    for (const seed of threads.seeds) {
      it(`${mutant}, ${scenario.name} ${threads.durationSec} s, seed ${seed}`, async () => {
        const r = await runScenario(scenario, { ...DEFAULT_PARAMS, durationSec: threads.durationSec, seed, mutant });
        expect(r.error).to.equal(undefined);
        expect(r.ok, 'the run must fail').to.equal(false);
        const named = Object.keys(r.violationCounts);
        expect(
          named.some((n) => invariants.includes(n as InvariantId)),
          `caught as ${named.join(', ')}`,
        ).to.equal(true);
      });
    }
  }
});
