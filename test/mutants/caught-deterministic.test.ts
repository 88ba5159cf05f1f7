// Bugs that must be found within a budget, in deterministic mode: every mutant is caught by
// teardown-race within 5 executions under each strategy (the counts are in `npm run bench`).
import { expect } from 'chai';
import type { MutantName } from '../../actors/env.js';
import { expectCaught } from '../../explore/regression.js';

const MUTANTS: MutantName[] = ['skip-iotlb-flush', 'skip-drain', 'early-recycle', 'no-fd-check', 'skip-pasid-clear', 'backwards-order'];

describe('mutants are caught in deterministic mode (budget: 5 executions)', function () {
  this.timeout(60000);
  for (const strategy of ['random', 'pct'] as const) {
    for (const mutant of MUTANTS) {
      it(`${mutant} (${strategy})`, async () => {
        const c = await expectCaught(mutant, { seeds: [1, 2, 3, 4, 5], mode: { mode: 'deterministic', strategy, pctDepth: 3 }, params: { durationSec: 0.03 } });
        expect(c.executions).to.be.at.most(5);
        expect(c.report.violations[0]!.at, 'deterministic violations carry their scheduler step').to.be.a('number');
      });
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
    try { await expectCaught('kvm-no-kref', { seeds: [1], params: { durationSec: 0.01 } }); } catch (e) { message = (e as Error).message; }
    expect(message).to.match(/mutant kvm-no-kref was not caught by teardown-race in 1 execution/);
  });
});
