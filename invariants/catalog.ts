// Every invariant the auditor checks, defined once: its id (used in reports) and its meaning.
export const INVARIANTS = {
  'dma-after-teardown': 'no DMA lands through a PASID on a device after DISALLOW or DESTROY of it returned',
  'use-after-free': 'no access lands in a page after that page was freed',
  'stale-pasid-cache':
    'no translation uses a cached PASID entry older than the entry a call (ALLOW, BIND, MAP, DISALLOW, DESTROY, replace...) had changed before it returned',
  'ioasid-isolation':
    "an access through a PASID reaches only IOVA pages its IOASID's address space maps: a MAP or BIND of them was called and no UNMAP, DESTROY or process exit of them returned",
  isolation: "no access of one VM lands in another VM's memory, and a device only uses IOASIDs of the FD it was allowed through",
  'pasid-reuse': 'a PASID is never handed out while a kref, PASID-table entry, KVM translation, in-flight access or IOTLB entry still refers to it',
  'enqcmd-unmapped': 'an ENQCMD whose vPASID has no KVM translation raises #GP and reaches no work queue',
  quota: 'a VM never holds more PASIDs than its quota',
  release: 'once every user has let go, the PASID is back in the free pool within a bound',
  'entry-gap':
    'no access through a (device, PASID) finds its PASID entry not present between its ATTACH returning and its DETACH: a REPLACE leaves no window in which DMA faults',
  reply: 'every call answers within a bound',
  'page-request': 'every page-request group a device queued is answered within a bound',
  'page-response': "a page response reaches only the page-request group it answers, never one of the PASID's next incarnation",
  'free-while-referenced':
    'a PASID is declared free only when no user holds it and no PASID-table entry, IOTLB entry, KVM translation or queued descriptor refers to it',
  'guest-binding': 'once the vIOMMU unbound a vPASID, KVM no longer maps it; no two vPASIDs the vIOMMU bound map to one pPASID',
  leak: 'once everything is closed, nothing is held: no PASID in use or parked, no quota charge, IOASID, page table, pinned page, PASID-table, IOTLB or KVM entry',
} as const;
export type InvariantId = keyof typeof INVARIANTS;

export interface Violation {
  readonly invariant: InvariantId;
  readonly detail: string;
  /** The sequence step being run when it was seen (null in scenarios). */
  readonly step: number | null;
  /** Deterministic mode: the scheduler step at which it was seen (what replay reproduces). */
  readonly at?: number;
}
