// Section 6: executions to first detection of every mutant, in deterministic mode, under the
// random and PCT strategies, through the regression API (`expectCaught`) a user's suite calls.
// Each seed 1..N is one execution: the executions to first detection are the seeds tried up to
// the first that caught it (what `expectCaught` over seeds 1..N answers), and running every seed
// also gives the share of executions that catch it and the scheduler step of the first violation.
// The "baseline" of a row is the random strategy: the ratio is PCT executions / random executions.
import { MUTANTS, type MutantName } from '../actors/env.js';
import type { InvariantId } from '../invariants/catalog.js';
import { RegressionFailure, expectCaught } from '../explore/regression.js';
import { STRATEGIES, type StrategyName } from '../sim/strategies/index.js';
import { type Row, type Section, row } from './result.js';
import { median } from './stats.js';

export interface MutantOptions {
  readonly seeds: number;
}

const PCT_DEPTH = 3;
const DURATION_SEC = 0.03; // virtual time in deterministic mode
/**
 * The scenario that shows each mutant, and its virtual duration: teardown-race cannot show a KVM
 * bug (it never maps a vPASID), an unmap-order one (it never unmaps), a page-request one (no
 * PRI devices), a race of two teardown calls (one lane per IOASID) or a vIOMMU one. A mapped type: a new mutant without a row does
 * not compile. The must-catch table (test/mutants/must-catch.ts) makes the same choices.
 */
const SHOWN_BY: { readonly [M in MutantName]: { readonly scenario: string; readonly durationSec: number } } = {
  'skip-iotlb-flush': { scenario: 'teardown-race', durationSec: DURATION_SEC },
  'skip-drain': { scenario: 'teardown-race', durationSec: DURATION_SEC },
  'early-recycle': { scenario: 'teardown-race', durationSec: DURATION_SEC },
  'no-fd-check': { scenario: 'teardown-race', durationSec: DURATION_SEC },
  'kvm-no-kref': { scenario: 'enqcmd', durationSec: DURATION_SEC },
  'skip-pasid-clear': { scenario: 'teardown-race', durationSec: DURATION_SEC },
  // The vCPU race takes longer runs to meet.
  'kvm-no-quiesce': { scenario: 'enqcmd', durationSec: 0.3 },
  'backwards-order': { scenario: 'teardown-race', durationSec: DURATION_SEC },
  'unmap-free-before-flush': { scenario: 'unmap-race', durationSec: DURATION_SEC },
  'unmap-flush-before-clear': { scenario: 'unmap-race', durationSec: DURATION_SEC },
  'unmap-range-short': { scenario: 'unmap-race', durationSec: DURATION_SEC },
  'skip-devtlb': { scenario: 'unmap-race', durationSec: DURATION_SEC },
  'skip-pasid-cache-flush': { scenario: 'unmap-race', durationSec: DURATION_SEC },
  'mm-exit-no-teardown': { scenario: 'unmap-race', durationSec: DURATION_SEC },
  'no-auto-response': { scenario: 'iopf', durationSec: 0.05 },
  'skip-prq-drain': { scenario: 'iopf', durationSec: 0.05 },
  'respond-after-recycle': { scenario: 'iopf', durationSec: 0.05 },
  'put-before-teardown': { scenario: 'teardown-storm', durationSec: DURATION_SEC },
  'quota-leak': { scenario: 'teardown-storm', durationSec: DURATION_SEC },
  'unbind-keeps-kvm': { scenario: 'viommu', durationSec: DURATION_SEC },
};
const scenarioFor = (m: MutantName) => SHOWN_BY[m].scenario;
const durationFor = (m: MutantName) => SHOWN_BY[m].durationSec;

interface Detection {
  readonly executions: number;
  readonly caught: number;
  readonly medianStep: number;
  readonly invariants: readonly InvariantId[];
}

async function detect(mutant: MutantName, strategy: StrategyName, seeds: number): Promise<Detection | null> {
  let first: { executions: number; invariants: readonly InvariantId[] } | null = null;
  const steps: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    try {
      const c = await expectCaught(mutant, {
        scenario: scenarioFor(mutant),
        seeds: [seed],
        mode: { mode: 'deterministic', strategy, pctDepth: PCT_DEPTH },
        params: { durationSec: durationFor(mutant) },
      });
      first ??= { executions: seed, invariants: c.invariants };
      steps.push(c.report.violations[0]?.at ?? Number.NaN);
    } catch (e) {
      if (!(e instanceof RegressionFailure)) throw e;
    }
  }
  return first && { ...first, caught: steps.length, medianStep: median(steps) };
}

export async function benchMutants(o: MutantOptions): Promise<Section> {
  const rows: Row[] = [];
  const figures: Record<string, number> = { seeds: o.seeds, pctDepth: PCT_DEPTH, durationSec: DURATION_SEC };
  const notes: string[] = [];
  const missed: string[] = [];
  for (const mutant of Object.keys(MUTANTS) as MutantName[]) {
    const d: Partial<Record<StrategyName, Detection>> = {};
    for (const strategy of STRATEGIES) {
      const got = await detect(mutant, strategy, o.seeds);
      if (!got) {
        missed.push(`${mutant} (${strategy})`);
        continue;
      }
      d[strategy] = got;
      figures[`${mutant}.${strategy}.executions`] = got.executions;
      figures[`${mutant}.${strategy}.caughtShare`] = got.caught / o.seeds;
      figures[`${mutant}.${strategy}.medianFirstViolationStep`] = got.medianStep;
    }
    if (d.random && d.pct) rows.push(row(`${mutant} on ${scenarioFor(mutant)}: executions, pct vs random`, d.pct.executions, d.random.executions, 'execs'));
    notes.push(`${mutant}: first caught as ${STRATEGIES.map((s) => `${s} ${d[s] ? d[s].invariants.join('+') : '-'}`).join('; ')}`);
  }
  if (missed.length) notes.unshift(`NOT caught in ${o.seeds} execution(s): ${missed.join(', ')}`);
  return {
    id: 'mutants',
    title: 'Executions to first detection per mutant',
    baseline: `the same mutant under the random strategy (deterministic mode, PCT depth ${PCT_DEPTH}, ${DURATION_SEC} s virtual (kvm-no-quiesce 0.3 s, the iopf mutants 0.05 s), seeds 1..${o.seeds})`,
    rows,
    figures,
    notes,
  };
}
