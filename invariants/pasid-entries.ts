// The stale-pasid-cache witness's writer: once a call that changes PASID entries returns, the
// entries it changed are sealed at their current version (hardware/witness.ts), and an engine
// that still translates through an older cached copy reports it. A call only seals when no other
// call that may change the same entries is in progress: their invalidations may still be on the way.
import type { CallEvent, ReplyEvent } from '../actors/events.js';
import type { OpArgs, OpName } from '../actors/protocol.js';
import type { Hardware } from '../hardware/layout.js';
import { sealPasidEntries } from '../hardware/witness.js';

/**
 * Which PASID's entries (on every device) a call may change, per op: `any` for a call whose
 * reach the auditor cannot name from its arguments (it blocks every seal while in progress and
 * seals nothing itself), false for one that changes no PASID entry. A new op needs its rule.
 */
type EntryRule<K extends OpName> = ((a: OpArgs<K>) => number) | 'any' | false;
const CHANGES: { readonly [K in OpName]: EntryRule<K> } = {
  allow: (a) => a.ioasid,
  disallow: (a) => a.ioasid,
  destroy: (a) => a.ioasid,
  mm_exit: (a) => a.ioasid,
  // The first MAP (or BIND) of an IOASID gives its present entries a page table.
  bind_pgtbl: (a) => a.ioasid,
  map: (a) => a.ioasid,
  attach: (a) => a.pasid,
  replace: (a) => a.pasid,
  detach: (a) => a.pasid,
  close: 'any',
  close_device: 'any',
  viommu_bind: 'any',
  viommu_unbind: 'any',
  open: false,
  alloc: false,
  unmap: false,
  kvm_set_pasid: false,
  kvm_clear_pasid: false,
  set_msr: false,
  dma: false,
  dma_start: false,
  enqcmd: false,
  enqcmd_start: false,
  stop: false,
  pasid_state: false,
  fault_queue: false,
  fault_read: false,
  fault_respond: false,
};

type Reach = number | 'any' | null;

function reachOf(e: CallEvent): Reach {
  const rule = CHANGES[e.op] as EntryRule<OpName>;
  if (rule === false) return null;
  return rule === 'any' ? 'any' : (rule as (a: CallEvent['args']) => number)(e.args);
}

export class PasidEntryAuditor {
  /** Calls in progress that may change PASID entries, and which. */
  private readonly changing = new Map<number, Exclude<Reach, null>>();

  constructor(private readonly hw: Hardware) {}

  called(e: CallEvent): void {
    const reach = reachOf(e);
    if (reach !== null) this.changing.set(e.id, reach);
  }

  answered(e: ReplyEvent): void {
    const reach = this.changing.get(e.id);
    this.changing.delete(e.id);
    // A failed call may have left an invalidation unwaited (a fail-nth site): nothing to seal.
    if (reach === undefined || reach === 'any' || !e.result.ok) return;
    for (const other of this.changing.values()) if (other === 'any' || other === reach) return;
    sealPasidEntries(this.hw, reach);
  }
}
