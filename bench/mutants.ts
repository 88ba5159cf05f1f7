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
/** Only ENQCMD shows a KVM bug (teardown-race never maps a vPASID); the vCPU race takes longer runs to meet. */
const ENQCMD_MUTANTS: Partial<Record<MutantName, number>> = { 'kvm-no-kref': DURATION_SEC, 'kvm-no-quiesce': 0.1 };
const durationFor = (m: MutantName) => ENQCMD_MUTANTS[m] ?? DURATION_SEC;
/** teardown-race cannot show a KVM bug (it never maps a vPASID) nor an unmap-order one (it never unmaps): the must-catch scenarios. */
const ADDRESS_SPACE_MUTANTS: ReadonlySet<MutantName> = new Set([
  'unmap-free-before-flush',
  'unmap-flush-before-clear',
  'unmap-range-short',
  'skip-devtlb',
  'skip-pasid-cache-flush',
  'mm-exit-no-teardown',
]);
const scenarioFor = (m: MutantName) => (m in ENQCMD_MUTANTS ? 'enqcmd' : ADDRESS_SPACE_MUTANTS.has(m) ? 'unmap-race' : 'teardown-race');

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
    baseline: `the same mutant under the random strategy (deterministic mode, PCT depth ${PCT_DEPTH}, ${DURATION_SEC} s virtual (kvm-no-quiesce 0.1 s), seeds 1..${o.seeds})`,
    rows,
    figures,
    notes,
  };
}
