// What every mutant must be caught by, and within what budget: the one table the must-catch
// suites (test/mutants/: caught.test.ts on real threads, caught-deterministic.test.ts under each
// strategy), shrink's tests and the bench's detection section (bench/mutants.ts) all read. It is
// a mapped type over MutantName, so a new mutant without an entry does not compile.
import type { MutantName, UapiDesign } from '../actors/env.js';
import type { InvariantId } from '../invariants/catalog.js';
import { enqcmd } from './enqcmd.js';
import { iopf } from './iopf.js';
import type { Scenario } from './scenario.js';
import { teardownRace } from './teardown-race.js';
import { teardownStorm } from './teardown-storm.js';
import { unmapRace } from './unmap-race.js';
import { viommu } from './viommu.js';

/**
 * What a run on real threads has to have done before "not caught" means anything: the moments
 * each bug needs, counted by the meter of that name (test/mutants/work-meters.ts).
 */
export type MeterName =
  | 'teardownsWithDmaLanding'
  | 'destroysWhileKvmMaps'
  | 'unmapsWithDmaLanding'
  | 'teardownsWithPageRequests'
  | 'racingTeardowns'
  | 'viommuUnbinds'
  | 'replacesWithDmaLanding'
  | 'lateResponses';

export interface MustCatch {
  /** The scenario that shows the bug. */
  readonly scenario: Scenario;
  /** The invariants a catch may name: the first one broken depends on timing. */
  readonly invariants: readonly InvariantId[];
  /**
   * Real threads: every one of these seeds must fail in runs of `durationSec`, run again (the same
   * seed, a fresh interleaving) until one fails or they have done `enough` of the meter's work,
   * which on an idle machine the first run does (a loaded one does less per second). Null for a
   * bug whose window real threads almost never open (nanoseconds between two loads). Checked
   * under every design of the entry: every seed under the first, the first seed under the others.
   */
  readonly threads: null | {
    readonly seeds: readonly number[];
    readonly durationSec: number;
    readonly meter: MeterName;
    readonly enough: number;
  };
  /**
   * The uAPI designs the bug applies to, each caught in deterministic mode (docs/iommufd.md): a
   * bug of DESTROY while in use cannot happen under iommufd, where that DESTROY is EBUSY.
   */
  readonly designs: readonly UapiDesign[];
  /** Deterministic mode, under each strategy: caught within this many executions (seeds 1..N) of this virtual duration. */
  readonly deterministic: { readonly executions: number; readonly durationSec: number };
}

/**
 * teardown-race: two fixed seeds of 1.5 s on threads, until 50 teardowns with DMA landing (idle,
 * a mutant's first catch comes within 5, and one 1.5 s run does 55 or more); 5 executions of 0.03
 * virtual s per strategy.
 */
const onTeardownRace = (invariants: readonly InvariantId[], designs: readonly UapiDesign[] = ['ioasid', 'iommufd']): MustCatch => ({
  scenario: teardownRace,
  invariants,
  designs,
  threads: { seeds: [1, 2], durationSec: 1.5, meter: 'teardownsWithDmaLanding', enough: 50 },
  deterministic: { executions: 5, durationSec: 0.03 },
});

/**
 * iopf, in both designs (under iommufd its lanes attach each HWPT at a PASID they chose): two
 * fixed seeds of 1.5 s on threads until 20 of the meter's moments; 5 executions of 0.05 virtual s
 * per strategy.
 */
const onIopf = (invariants: readonly InvariantId[], meter: MeterName): MustCatch => ({
  scenario: iopf,
  invariants,
  designs: ['ioasid', 'iommufd'],
  threads: { seeds: [1, 2], durationSec: 1.5, meter, enough: 20 },
  deterministic: { executions: 5, durationSec: 0.05 },
});

/**
 * unmap-race: two fixed seeds of 1.5 s on threads, until 200 UNMAPs with DMA landing; 5 executions
 * of 0.03 virtual s per strategy. Under iommufd its lanes attach at PASIDs they chose and skip
 * the process exit (an IOAS pins its pages: mm_exit has no iommufd counterpart).
 */
const onUnmapRace = (invariants: readonly InvariantId[], designs: readonly UapiDesign[] = ['ioasid', 'iommufd']): MustCatch => ({
  scenario: unmapRace,
  invariants,
  designs,
  threads: { seeds: [1, 2], durationSec: 1.5, meter: 'unmapsWithDmaLanding', enough: 200 },
  deterministic: { executions: 5, durationSec: 0.03 },
});

export const MUST_CATCH: { readonly [M in MutantName]: MustCatch } = {
  'skip-iotlb-flush': onTeardownRace(['dma-after-teardown', 'use-after-free', 'pasid-reuse']),
  'skip-drain': onTeardownRace(['dma-after-teardown', 'use-after-free']),
  'early-recycle': onTeardownRace(['pasid-reuse'], ['ioasid']),
  'no-fd-check': onTeardownRace(['isolation']),
  // teardown-race never maps a vPASID, so only a KVM / ENQCMD workload can show a missing kref.
  'kvm-no-kref': {
    scenario: enqcmd,
    // The scan when DESTROY frees the PASID sees KVM's translation first; the next ALLOC would too.
    invariants: ['free-while-referenced', 'pasid-reuse'],
    // iommufd too: without KVM's kref, DESTROY of a mapped HWPT is not EBUSY there either.
    designs: ['ioasid', 'iommufd'],
    // Idle, the first catch comes within 5 such DESTROYs, and one 0.5 s run does 50 or more.
    threads: { seeds: [1, 2, 3], durationSec: 0.5, meter: 'destroysWhileKvmMaps', enough: 50 },
    deterministic: { executions: 5, durationSec: 0.03 },
  },
  // The window is a vCPU between its KVM translation read and its work-queue accept: a few
  // nanoseconds on threads (runs of seconds miss it), two steps in deterministic mode.
  'kvm-no-quiesce': {
    scenario: enqcmd,
    // The descriptor accepted after the clear holds the pPASID when DESTROY frees it (the scan at
    // free time sees it), or reaches the queue with no translation behind it.
    invariants: ['enqcmd-unmapped', 'free-while-referenced', 'isolation', 'pasid-reuse'],
    // iommufd too: KVM_CLEAR_PASID is the same call there (enqcmd maps vPASIDs to HWPT ids).
    designs: ['ioasid', 'iommufd'],
    threads: null,
    // Seeds 1..5 of 0.3 virtual s: caught at the first under both strategies (0.1 s took 7 under random).
    deterministic: { executions: 5, durationSec: 0.3 },
  },
  'skip-pasid-clear': onTeardownRace(['dma-after-teardown', 'use-after-free', 'pasid-reuse']),
  'backwards-order': onTeardownRace(['use-after-free', 'dma-after-teardown', 'pasid-reuse'], ['ioasid']),
  'unmap-free-before-flush': onUnmapRace(['use-after-free']),
  'unmap-flush-before-clear': onUnmapRace(['use-after-free']),
  'unmap-range-short': onUnmapRace(['use-after-free']),
  'skip-devtlb': onUnmapRace(['use-after-free', 'dma-after-teardown', 'pasid-reuse']),
  'skip-pasid-cache-flush': onUnmapRace(['stale-pasid-cache', 'dma-after-teardown', 'use-after-free', 'isolation', 'pasid-reuse']),
  // A process exit frees the address space only in the 2021 design (under iommufd the lanes skip it).
  'mm-exit-no-teardown': onUnmapRace(['use-after-free', 'dma-after-teardown', 'pasid-reuse'], ['ioasid']),
  // iopf: a request left pending past the teardown is still there when the PASID is handed out again.
  // free-while-referenced: on threads the last put often frees the PASID before an ALLOC (the audit
  // names the unanswered request). iommufd too: when the HWPT's last kref goes, the audit finds the
  // request left pending past the detach at the (device, PASID) the HWPT was attached at.
  'no-auto-response': onIopf(['pasid-reuse', 'page-request', 'free-while-referenced'], 'teardownsWithPageRequests'),
  // iommufd too: a detach is a teardown of the entry like DISALLOW, and skips the drain the same way.
  'skip-prq-drain': onIopf(['pasid-reuse', 'free-while-referenced'], 'teardownsWithPageRequests'),
  // iopf: a FAULT_RESPOND in flight across its lane's teardown, or naming a cookie read before it,
  // reaches the next incarnation. iommufd too: the late answer goes by the PASID its group was
  // raised with, where the lane attaches its next HWPT, and the device sees an answer meant for
  // an earlier entry's group.
  'respond-after-recycle': onIopf(['page-response'], 'lateResponses'),
  // Only a DISALLOW racing a DESTROY of the same IOASID makes the device's put the last one while its entry is present.
  // Not under iommufd: DESTROY in use is EBUSY there, so the FD's kref outlives every device's.
  'put-before-teardown': {
    scenario: teardownStorm,
    invariants: ['free-while-referenced', 'use-after-free', 'dma-after-teardown', 'pasid-reuse'],
    threads: { seeds: [1, 2], durationSec: 1.5, meter: 'racingTeardowns', enough: 60 },
    designs: ['ioasid'],
    deterministic: { executions: 5, durationSec: 0.03 },
  },
  // A PASID parks whenever DESTROY comes before the last DISALLOW; the close-out audit finds the charge left.
  // Not under iommufd: nothing parks there.
  'quota-leak': {
    scenario: teardownStorm,
    invariants: ['leak'],
    threads: { seeds: [1, 2], durationSec: 0.5, meter: 'racingTeardowns', enough: 5 },
    designs: ['ioasid'],
    deterministic: { executions: 5, durationSec: 0.03 },
  },
  // Only iommufd has REPLACE: the witness marks each attached (device, PASID) from ATTACH's
  // return to DETACH's call, and any DMA batch that finds its entry absent meanwhile is caught.
  'replace-gap': {
    scenario: teardownRace,
    invariants: ['entry-gap'],
    designs: ['iommufd'],
    threads: { seeds: [1, 2], durationSec: 1.5, meter: 'replacesWithDmaLanding', enough: 30 },
    deterministic: { executions: 5, durationSec: 0.03 },
  },
  // Not under iommufd: the unbind's DESTROY is EBUSY while KVM maps the vPASID, so the unbind fails instead.
  'unbind-keeps-kvm': {
    scenario: viommu,
    invariants: ['guest-binding'],
    threads: { seeds: [1, 2], durationSec: 0.5, meter: 'viommuUnbinds', enough: 20 },
    designs: ['ioasid'],
    deterministic: { executions: 5, durationSec: 0.03 },
  },
};

/** Every mutant with its entry. */
export const MUST_CATCH_ENTRIES = Object.entries(MUST_CATCH) as [MutantName, MustCatch][];
