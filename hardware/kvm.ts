// The VMCS PASID-translation table of each VM (vPASID -> pPASID) and the vCPUs' IA32_PASID MSRs:
// the operations the Kvm and Vcpu actors use, and the translation read the vCPUs do.
import { type Hardware, KE, KVM_STRIDE, KVM_VPASIDS, MSR_PASID_MASK, MSR_PASID_VALID, VC, VC_STRIDE } from './layout.js';
import type { Waiter } from './wait.js';

const entry = (vm: number, vpasid: number) => (vm * KVM_VPASIDS + vpasid) * KVM_STRIDE;

/** Install vPASID -> pPASID: the pPASID first, the valid bit last, so no vCPU sees half an entry. */
export function kvmPublish(hw: Hardware, vm: number, vpasid: number, ppasid: number): void {
  const e = entry(vm, vpasid);
  Atomics.store(hw.kvm, e + KE.PPASID, ppasid);
  Atomics.store(hw.kvm, e + KE.VALID, 1);
}

/** Step 1 of a teardown: clear only the valid bit; later ENQCMDs with this vPASID exit (72). */
export function kvmInvalidate(hw: Hardware, vm: number, vpasid: number): void {
  Atomics.store(hw.kvm, entry(vm, vpasid) + KE.VALID, 0);
}

/** Last step, once no vCPU can still be using the entry: forget the pPASID. */
export function kvmZero(hw: Hardware, vm: number, vpasid: number): void {
  Atomics.store(hw.kvm, entry(vm, vpasid) + KE.PPASID, 0);
}

/** The CPU's PASID translation: the pPASID `vpasid` maps to in `vm`, or 0 when it has none. */
export function kvmTranslate(hw: Hardware, vm: number, vpasid: number): number {
  if (vpasid <= 0 || vpasid >= KVM_VPASIDS) return 0;
  const e = entry(vm, vpasid);
  return Atomics.load(hw.kvm, e + KE.VALID) === 0 ? 0 : Atomics.load(hw.kvm, e + KE.PPASID);
}

/**
 * Wait until every vCPU of `vm` that is mid-submission now has finished that submission. Called
 * after kvmInvalidate: a vCPU bumps BUSY before it reads the table, so one that read the old
 * entry is seen busy here, and one not seen busy will read the cleared entry
 * (docs/kernel-facts.md#tearing-down-a-vpasid-translation, step 1).
 */
export async function kvmQuiesce(hw: Hardware, waiter: Waiter, vm: number): Promise<void> {
  const v = hw.vcpus;
  for (let c = 0; c < hw.shape.vcpuVm.length; c++) {
    const b = c * VC_STRIDE;
    if (hw.shape.vcpuVm[c] !== vm) continue;
    const seen = Atomics.load(v, b + VC.BUSY);
    if ((seen & 1) === 0) continue;
    Atomics.add(v, b + VC.WAIT, 1);
    try {
      await waiter.until(() => Atomics.load(v, b + VC.BUSY) !== seen, v, b + VC.BUSY, `vCPU ${c} to finish its ENQCMD`);
    } finally {
      Atomics.sub(v, b + VC.WAIT, 1);
    }
  }
}

/** Write IA32_PASID: `vpasid` with the valid bit, or (vpasid 0) clear the valid bit. */
export function writeMsr(hw: Hardware, vcpu: number, vpasid: number): void {
  Atomics.store(hw.vcpus, vcpu * VC_STRIDE + VC.MSR, vpasid === 0 ? 0 : (vpasid & MSR_PASID_MASK) | MSR_PASID_VALID);
}

export interface VcpuCounters {
  readonly gp: number;
  readonly exits: number;
  readonly exitVpasid: number;
  readonly msrVpasid: number;
}

/** What a vCPU's submissions ran into so far (counters wrap at 2^32; use differences). */
export function vcpuCounters(hw: Hardware, vcpu: number): VcpuCounters {
  const b = vcpu * VC_STRIDE;
  const v = hw.vcpus;
  return {
    gp: Atomics.load(v, b + VC.GP),
    exits: Atomics.load(v, b + VC.EXITS),
    exitVpasid: Atomics.load(v, b + VC.EXIT_VPASID),
    msrVpasid: Atomics.load(v, b + VC.MSR) & MSR_PASID_MASK,
  };
}
