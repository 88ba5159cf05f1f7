// What every mutant must be caught by, and within what budget: the one table both must-catch
// suites read (caught.test.ts on real threads, caught-deterministic.test.ts under each
// strategy). It is a mapped type over MutantName, so a new mutant without an entry does not
// compile.
import type { MutantName } from '../../actors/env.js';
import type { InvariantId } from '../../invariants/catalog.js';
import { enqcmd } from '../../scenarios/enqcmd.js';
import type { Scenario } from '../../scenarios/scenario.js';
import { teardownRace } from '../../scenarios/teardown-race.js';

export interface MustCatch {
  /** The scenario that shows the bug. */
  readonly scenario: Scenario;
  /** The invariants a catch may name: the first one broken depends on timing. */
  readonly invariants: readonly InvariantId[];
  /** Real threads: every one of these seeds must fail within this (wall-clock) duration. */
  readonly threads: { readonly seeds: readonly number[]; readonly durationSec: number };
  /** Deterministic mode, under each strategy: caught within this many executions (seeds 1..N) of this virtual duration. */
  readonly deterministic: { readonly executions: number; readonly durationSec: number };
}

/** teardown-race: two fixed seeds of 1.5 s on threads; 5 executions of 0.03 virtual s per strategy. */
const onTeardownRace = (invariants: readonly InvariantId[]): MustCatch => ({
  scenario: teardownRace,
  invariants,
  threads: { seeds: [1, 2], durationSec: 1.5 },
  deterministic: { executions: 5, durationSec: 0.03 },
});

const MUST_CATCH: { readonly [M in MutantName]: MustCatch } = {
  'skip-iotlb-flush': onTeardownRace(['dma-after-teardown', 'use-after-free', 'pasid-reuse']),
  'skip-drain': onTeardownRace(['dma-after-teardown', 'use-after-free']),
  'early-recycle': onTeardownRace(['pasid-reuse']),
  'no-fd-check': onTeardownRace(['isolation']),
  // teardown-race never maps a vPASID, so only a KVM / ENQCMD workload can show a missing kref.
  'kvm-no-kref': {
    scenario: enqcmd,
    invariants: ['pasid-reuse'],
    threads: { seeds: [1, 2, 3], durationSec: 1.5 },
    deterministic: { executions: 5, durationSec: 0.03 },
  },
  'skip-pasid-clear': onTeardownRace(['dma-after-teardown', 'use-after-free', 'pasid-reuse']),
  'backwards-order': onTeardownRace(['use-after-free', 'dma-after-teardown', 'pasid-reuse']),
};

/** Every mutant with its entry. */
export const MUST_CATCH_ENTRIES = Object.entries(MUST_CATCH) as [MutantName, MustCatch][];
