// How a scenario's lane gives a device an address space and takes it back, per uAPI design, so
// one workload runs under either (`--uapi`): the 2021 design ALLOWs the IOASID (its PASID is
// the IOASID's); iommufd attaches the HWPT at a PASID the VMM chose, can replace it under
// running DMA, and answers DESTROY with EBUSY while a device uses it.
import type { Machine } from '../machine/machine.js';
import type { UapiDesign } from '../actors/env.js';

export interface LaneUapi {
  /** Give `device` address space `hwpt` of `fd`; the PASID its DMA then uses (`chosen`: the VMM's pick, iommufd). */
  attach(m: Machine, device: number, fd: number, hwpt: number, chosen: number): Promise<number>;
  /** Take it back (DISALLOW / DETACH). */
  detach(m: Machine, device: number, fd: number, hwpt: number, pasid: number): Promise<void>;
  /** Swap the device's table for `next` with DMA running, if the design can. */
  readonly replace: ((m: Machine, device: number, fd: number, next: number, pasid: number) => Promise<boolean>) | null;
  /** DESTROY of an address space in use fails (EBUSY): the lane destroys it again once it let go. */
  readonly destroyWaitsForUsers: boolean;
}

const ioasid: LaneUapi = {
  async attach(m, device, fd, hwpt) {
    await m.invoke('allow', { device, fd, ioasid: hwpt });
    return hwpt;
  },
  async detach(m, device, fd, hwpt) {
    await m.invoke('disallow', { device, fd, ioasid: hwpt });
  },
  replace: null,
  destroyWaitsForUsers: false,
};

const iommufd: LaneUapi = {
  async attach(m, device, fd, hwpt, chosen) {
    await m.invoke('attach', { device, fd, hwpt, pasid: chosen });
    return chosen;
  },
  async detach(m, device, _fd, _hwpt, pasid) {
    await m.invoke('detach', { device, pasid });
  },
  async replace(m, device, fd, next, pasid) {
    return (await m.invoke('replace', { device, fd, hwpt: next, pasid })).ok;
  },
  destroyWaitsForUsers: true,
};

export const LANE_UAPI: Readonly<Record<UapiDesign, LaneUapi>> = { ioasid, iommufd };

/**
 * iommufd: the PASID lane `slot`'s VMM picks for a device, in the upper half of the machine's
 * range: above what the allocator hands out first and what the scenarios' probes name.
 */
export const chosenPasid = (m: Machine, slot: number): number => (m.hw.pasidMax >> 1) + slot + 1;
