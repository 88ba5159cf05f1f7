// The hunt over the built-in scenarios: each on a small machine, a few seeds, both strategies.
import { expectClean } from '../../explore/regression.js';
import { SCENARIOS } from '../../scenarios/builtins.js';
import { PCT, RANDOM, SMALL } from './hunt.js';

describe('hunt: every scenario runs clean (deterministic, small machine)', function () {
  this.timeout(60_000);
  for (const s of SCENARIOS) {
    it(`${s.name} (random, seeds 1..2)`, async () => {
      await expectClean(s.name, { seeds: [1, 2], mode: RANDOM, params: SMALL });
    });
    it(`${s.name} (pct, seed 3)`, async () => {
      await expectClean(s.name, { seeds: [3], mode: PCT, params: SMALL });
    });
  }
});
