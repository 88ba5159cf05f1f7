// Read-only views the auditor uses to see what the hardware still refers to.
import {
  IOTLB_ENTRIES,
  KE,
  KVM_STRIDE,
  KVM_VPASIDS,
  LEAF_ENTRIES,
  PASID_CACHE_ENTRIES,
  PASID_PDE_SHIFT,
  PC,
  PC_STRIDE,
  PE,
  PE_STRIDE,
  TLB,
  TLB_STRIDE,
  type Hardware,
} from './layout.js';
import { pasidSlot, walkPasid } from './pasid-table.js';
import { prqPendingFor } from './prq.js';
import { swqQueued, swqQueuedFor } from './swq.js';

/**
 * iommufd: the page requests still unanswered at the (device, PASID)s a freed HWPT was attached
 * at (PASIDs its VMM chose, which the scan by number above does not reach): a late answer to one
 * would reach the next HWPT attached there.
 */
export function pageRequestsAt(
  hw: Hardware,
  at: readonly { readonly device: number; readonly pasid: number }[],
  names: { readonly device: readonly string[] },
): string[] {
  return at
    .filter(({ device, pasid }) => prqPendingFor(hw, device, pasid))
    .map(({ device, pasid }) => `an unanswered page request of ${names.device[device]} at PASID ${pasid}`);
}

/** Everything in hardware that still refers to `pasid`, as readable phrases naming devices and VMs as the user did. */
export function hardwareReferences(
  hw: Hardware,
  pasid: number,
  scanKvm: boolean,
  names: { readonly device: readonly string[]; readonly vm: readonly string[] },
): string[] {
  const refs: string[] = [];
  for (let d = 0; d < hw.deviceVm.length; d++) {
    if (walkPasid(hw, d, pasid) !== -2) refs.push(`a present PASID-table entry on ${names.device[d]}`);
    else if (staleEntry(hw, d, pasid)) refs.push(`a PASID-table entry on ${names.device[d]} not zeroed after its teardown`);
  }
  const caches = [
    { what: 'an IOTLB entry', words: hw.iotlb, entries: IOTLB_ENTRIES, stride: TLB_STRIDE, dev: TLB.DEV, pasid: TLB.PASID },
    { what: 'a device-TLB entry', words: hw.devtlb, entries: IOTLB_ENTRIES, stride: TLB_STRIDE, dev: TLB.DEV, pasid: TLB.PASID },
    { what: 'a PASID-cache entry', words: hw.pasidCache, entries: PASID_CACHE_ENTRIES, stride: PC_STRIDE, dev: PC.DEV, pasid: PC.PASID },
  ];
  for (const c of caches) {
    for (let e = 0; e < hw.shape.engines; e++) {
      const base = e * c.entries * c.stride;
      for (let i = 0; i < c.entries; i++) {
        const x = base + i * c.stride;
        if (c.words[x + c.dev] !== 0 && c.words[x + c.pasid] === pasid) {
          refs.push(`${c.what} of engine ${e} (${names.device[c.words[x + c.dev]! - 1]})`);
          break;
        }
      }
    }
  }
  // Its answer would reach the PASID's next incarnation.
  for (let d = 0; d < hw.deviceVm.length; d++) if (prqPendingFor(hw, d, pasid)) refs.push(`an unanswered page request of ${names.device[d]}`);
  for (const d of swqQueuedFor(hw, pasid)) refs.push(`a descriptor queued on the work queue of ${names.device[d]}`);
  for (let vm = 0; scanKvm && vm < hw.shape.vmPages.length; vm++) {
    for (let v = 0; v < KVM_VPASIDS; v++) {
      const k = (vm * KVM_VPASIDS + v) * KVM_STRIDE;
      if (Atomics.load(hw.kvm, k + KE.VALID) !== 0 && hw.kvm[k + KE.PPASID] === pasid) refs.push(`KVM translation vPASID ${v} of ${names.vm[vm]}`);
    }
  }
  return refs;
}

/**
 * Is (device, pasid)'s entry not present yet not zeroed? The teardown's last step zeroes it: one
 * left behind still names the page table and install epoch of the PASID's last user, which a
 * later install over a half-written entry would expose. Its version (PE.GEN) is never reset: the
 * PASID cache's staleness is judged by it.
 */
function staleEntry(hw: Hardware, device: number, pasid: number): boolean {
  const slot = pasidSlot(hw, device, pasid);
  if (slot < 0) return false;
  const e = slot * PE_STRIDE;
  return (
    Atomics.load(hw.pasidLeaves, e + PE.VALID) === 0 && (Atomics.load(hw.pasidLeaves, e + PE.PGTABLE) !== 0 || Atomics.load(hw.pasidLeaves, e + PE.EPOCH) !== 0)
  );
}

/**
 * Everything the hardware still holds for any PASID, as phrases (the close-out's leak audit):
 * present PASID-table entries, IOTLB entries, valid KVM translations, queued descriptors.
 */
export function hardwareLeftovers(hw: Hardware, names: { readonly device: readonly string[]; readonly vm: readonly string[] }): string[] {
  const left: string[] = [];
  for (let d = 0; d < hw.deviceVm.length; d++) {
    const present: number[] = [];
    for (let dir = 0; dir < hw.dirEntries; dir++) {
      const leaf = Atomics.load(hw.pasidDir, d * hw.dirEntries + dir) - 1;
      if (leaf < 0) continue;
      for (let i = 0; i < LEAF_ENTRIES; i++)
        if (Atomics.load(hw.pasidLeaves, (leaf * LEAF_ENTRIES + i) * PE_STRIDE + PE.VALID) !== 0) present.push((dir << PASID_PDE_SHIFT) | i);
    }
    if (present.length) left.push(`${names.device[d]}: a present PASID-table entry for PASID ${present.join(', ')}`);
  }
  for (let e = 0; e < hw.shape.engines; e++) {
    const base = e * IOTLB_ENTRIES * TLB_STRIDE;
    let n = 0;
    for (let i = 0; i < IOTLB_ENTRIES; i++) if (hw.iotlb[base + i * TLB_STRIDE + TLB.DEV] !== 0) n++;
    if (n) left.push(`engine ${e}: ${n} IOTLB entr${n === 1 ? 'y' : 'ies'}`);
  }
  for (let vm = 0; vm < hw.shape.vmPages.length; vm++) {
    const mapped: number[] = [];
    for (let v = 0; v < KVM_VPASIDS; v++) if (Atomics.load(hw.kvm, (vm * KVM_VPASIDS + v) * KVM_STRIDE + KE.VALID) !== 0) mapped.push(v);
    if (mapped.length) left.push(`KVM of ${names.vm[vm]} still maps vPASID ${mapped.join(', ')}`);
  }
  for (const d of swqQueued(hw)) left.push(`a descriptor still queued on the work queue of ${names.device[d]}`);
  return left;
}
