// Bugs that must be found within a budget: every mutant, on fixed seeds, in runs of the scenario
// that shows it (scenarios/must-catch.ts), on real threads. The budget is work, not seconds: a seed's runs
// go on until one is caught or they have done the entry's `enough` of what the bug needs, so a
// loaded machine gets more runs, and a miss says how much work it was a miss over. The monitor
// never knows which mutant is on.
import { expect } from 'chai';
import type { InvariantId } from '../../invariants/catalog.js';
import { DEFAULT_PARAMS } from '../../scenarios/scenario.js';
import { WORK_TIMEOUT_MS, runUntil, workOf } from '../threads-runs.js';
import { MUST_CATCH_ENTRIES } from '../../scenarios/must-catch.js';
import { WORK_METERS } from './work-meters.js';

describe('mutants are caught on real threads (fixed seeds, the scenario that shows each, a budget of work)', function () {
  this.timeout(WORK_TIMEOUT_MS);
  for (const [mutant, { scenario, invariants, threads, designs }] of MUST_CATCH_ENTRIES) {
    if (!threads) continue; // deterministic mode only (caught-deterministic.test.ts)
    const { seeds, durationSec, enough } = threads;
    const meter = WORK_METERS[threads.meter];
    // Every seed under the first design; the other designs on the first seed, to keep the file's time in bounds.
    const runs = designs.flatMap((uapi, i) => (i === 0 ? seeds : seeds.slice(0, 1)).map((seed) => ({ uapi, seed })));
    for (const { uapi, seed } of runs) {
      it(`${mutant}, ${scenario.name} --uapi ${uapi} ${durationSec} s runs, seed ${seed}, within ${enough} ${meter.what}`, async () => {
        const out = await runUntil(
          scenario,
          () => ({ ...DEFAULT_PARAMS, durationSec, seed, mutant, uapi }),
          (runs) => !runs.at(-1)!.report.ok || workOf(runs) >= enough,
          { meter },
        );
        const story = `${out.runs.length} run(s) of ${durationSec} s in ${out.elapsedMs} ms did ${out.work} ${meter.what} (enough: ${enough})`;
        for (const { report } of out.runs) expect(report.error, story).to.equal(undefined);
        const last = out.runs.at(-1)!.report;
        expect(last.ok, `not caught${out.timedOut ? ', and the time bound ran out first' : ''}: ${story}`).to.equal(false);
        const named = Object.keys(last.violationCounts);
        expect(
          named.some((n) => invariants.includes(n as InvariantId)),
          `caught as ${named.join(', ')}`,
        ).to.equal(true);
      });
    }
  }
});
