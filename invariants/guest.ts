// Guest witnesses: what the guest's vIOMMU bound, from its viommu_bind / viommu_unbind replies
// only. Once an unbind of a vPASID's last device answered, the guest may count on an ENQCMD with
// it taking #GP, so KVM must no longer map it; and two vPASIDs bound at once are two address
// spaces, so they never share a pPASID.
import { kvmTranslate } from '../hardware/kvm.js';
import type { Hardware } from '../hardware/layout.js';
import type { MachineNames } from './names.js';

interface Bound {
  readonly pasid: number;
  readonly devices: Set<number>;
}

export class GuestAuditor {
  private readonly bound = new Map<string, Bound>();
  constructor(
    private readonly hw: Hardware,
    private readonly names: MachineNames,
  ) {}

  /** viommu_bind answered `pasid`: the problem if another vPASID of the VM is bound to it, else null. */
  bind(vm: number, device: number, vpasid: number, pasid: number): string | null {
    const k = `${vm}:${vpasid}`;
    const b = this.bound.get(k) ?? { pasid, devices: new Set<number>() };
    this.bound.set(k, b);
    b.devices.add(device);
    for (const [other, o] of this.bound)
      if (other !== k && other.startsWith(`${vm}:`) && o.pasid === pasid)
        return `the vIOMMU of ${this.names.vm[vm]} bound vPASID ${vpasid} to pPASID ${pasid}, which vPASID ${other.split(':')[1]} is bound to`;
    return null;
  }

  /**
   * viommu_unbind answered success: the problem if it unbound the vPASID's last device and KVM
   * still maps the vPASID, else null. `remapping`: a call that may map it again is in flight.
   */
  unbind(vm: number, device: number, vpasid: number, remapping: boolean): string | null {
    const k = `${vm}:${vpasid}`;
    const b = this.bound.get(k);
    if (!b) return null;
    b.devices.delete(device);
    if (b.devices.size > 0) return null;
    this.bound.delete(k);
    const still = kvmTranslate(this.hw, vm, vpasid);
    if (remapping || still === 0) return null;
    return `the vIOMMU of ${this.names.vm[vm]} unbound vPASID ${vpasid}, but KVM still maps it to pPASID ${still}: an ENQCMD with it is accepted, not #GP`;
  }
}
