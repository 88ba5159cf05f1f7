// Shared set-up for the KVM / ENQCMD tests: a small machine, a simulation that is always
// finished, and an IOASID made ready for a device.
import { type DeviceSpec, DEFAULT_DEVICE, type MachineSpec, defaultMachineSpec } from '../../machine/spec.js';
import type { Simulation } from '../../sim/simulation.js';

const dev = (name: string, over: Partial<DeviceSpec> = {}): DeviceSpec => ({ name, ...DEFAULT_DEVICE, enqcmd: true, ...over });

/** vm1 (2 vCPUs; dsa1 with ENQCMD, nic1 without; plain1 without PASID) and vm2 (1 vCPU; dsa2). */
export function kvmSpec(over: Partial<MachineSpec> = {}): MachineSpec {
  return defaultMachineSpec({
    vms: [
      {
        name: 'vm1',
        vcpus: 2,
        pages: 256,
        quota: null,
        devices: [dev('dsa1'), dev('nic1', { enqcmd: false }), dev('plain1', { pasid: false, enqcmd: false })],
      },
      { name: 'vm2', vcpus: 1, pages: 256, quota: null, devices: [dev('dsa2')] },
    ],
    ...over,
  });
}
export const VM1 = 0,
  VM2 = 1;
export const DSA1 = 0,
  NIC1 = 1,
  PLAIN1 = 2,
  DSA2 = 3;
export const VCPU10 = 0,
  VCPU11 = 1,
  VCPU20 = 2;

import { value } from '../helpers.js';

export { errno, eventually, value, withSim } from '../helpers.js';

/** Open an FD of `vm`, allocate an IOASID with a page table and allow it on `devices`. */
export async function readyIoasid(sim: Simulation, vm: number, devices: readonly number[]): Promise<{ fd: number; pasid: number }> {
  const m = sim.machine;
  const fd = value(await m.invoke('open', { vm }));
  const pasid = value(await m.invoke('alloc', { fd }));
  value(await m.invoke('bind_pgtbl', { fd, ioasid: pasid, pages: 16 }));
  for (const d of devices) value(await m.invoke('allow', { device: d, fd, ioasid: pasid }));
  return { fd, pasid };
}

/** What the allocator holds: nothing may leak. */
export async function allocatorHolds(sim: Simulation): Promise<{ inUse: number; parked: number }> {
  const s = value(await sim.machine.allocatorStats());
  return { inUse: s.inUse, parked: s.parked };
}
