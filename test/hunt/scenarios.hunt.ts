// The hunt over the built-in scenarios: each on a small machine, one seed.
import { expectClean } from '../../explore/regression.js';
import { SCENARIOS } from '../../scenarios/builtins.js';
import { RANDOM, SMALL } from './hunt.js';

describe('hunt: every scenario runs clean (deterministic, small machine)', function () {
  this.timeout(60_000);
  for (const s of SCENARIOS) {
    it(`${s.name} (random, seed 1)`, async () => {
      await expectClean(s.name, { seeds: [1], mode: RANDOM, params: SMALL });
    });
  }
});
