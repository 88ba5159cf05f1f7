// Bugs that must be found within a budget, in deterministic mode: every mutant is caught by the
// scenario that shows it, as one of its invariants, within its budget of executions under each
// strategy (scenarios/must-catch.ts; the counts are in `npm run bench`).
import { expect } from 'chai';
import { expectCaught } from '../../explore/regression.js';
import { STRATEGIES } from '../../sim/strategies/index.js';
import { MUST_CATCH_ENTRIES } from '../../scenarios/must-catch.js';

const seedsUpTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('mutants are caught in deterministic mode (within each budget, under each strategy)', function () {
  this.timeout(60000);
  for (const strategy of STRATEGIES) {
    for (const [mutant, { scenario, invariants, designs, deterministic: budget }] of MUST_CATCH_ENTRIES) {
      for (const uapi of designs) {
        it(`${mutant} on ${scenario.name} --uapi ${uapi} within ${budget.executions} executions (${strategy})`, async () => {
          const c = await expectCaught(mutant, {
            scenario: scenario.name,
            invariants,
            seeds: seedsUpTo(budget.executions),
            mode: { mode: 'deterministic', strategy, pctDepth: 3 },
            params: { durationSec: budget.durationSec, uapi },
          });
          expect(c.executions).to.be.at.most(budget.executions);
          expect(c.report.violations[0]!.at, 'deterministic violations carry their scheduler step').to.be.a('number');
        });
      }
    }
  }
});

describe('expectClean / expectCaught report failures usefully', function () {
  this.timeout(60000);
  it('expectClean throws with the seed, the violation and a command that reproduces it', async () => {
    const { expectClean } = await import('../../explore/regression.js');
    // A clean scenario passes...
    const ok = await expectClean('teardown-race', { seeds: [1, 2], params: { durationSec: 0.02 } });
    expect(ok).to.have.length(2);
    // ...and expectCaught on a mutant the scenario cannot show fails with a clear message.
    let message = '';
    try {
      await expectCaught('kvm-no-kref', { seeds: [1], params: { durationSec: 0.01 } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.match(/mutant kvm-no-kref was not caught by teardown-race in 1 execution/);
  });
});
