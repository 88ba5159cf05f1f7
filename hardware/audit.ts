// Read-only views the auditor uses to see what the hardware still refers to.
import { IOTLB_ENTRIES, KE, KVM_STRIDE, KVM_VPASIDS, PASID_CACHE_ENTRIES, PC, PC_STRIDE, TLB, TLB_STRIDE, type Hardware } from './layout.js';
import { walkPasid } from './pasid-table.js';
import { prqPendingFor } from './prq.js';
import { swqQueuedFor } from './swq.js';

/** Everything in hardware that still refers to `pasid`, as readable phrases naming devices and VMs as the user did. */
export function hardwareReferences(
  hw: Hardware,
  pasid: number,
  scanKvm: boolean,
  names: { readonly device: readonly string[]; readonly vm: readonly string[] },
): string[] {
  const refs: string[] = [];
  for (let d = 0; d < hw.deviceVm.length; d++) if (walkPasid(hw, d, pasid) !== -2) refs.push(`a present PASID-table entry on ${names.device[d]}`);
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
