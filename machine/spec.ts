// What a machine is made of: IOMMU units, VMs with their vCPUs, memory and devices, the PASID
// width and DESTROY policy, and the knobs of the simulation itself. Defaults in one place.
import type { MutantName, UapiDesign } from '../actors/env.js';

export interface DeviceSpec {
  readonly name: string;
  readonly iommu: number;
  readonly pasid: boolean;
  readonly ats: boolean;
  readonly enqcmd: boolean;
  /** PRI: an access to a non-present IOVA stalls on a page request instead of faulting. */
  readonly pri?: boolean;
  /** The device's PASID width (iommufd's out_max_pasid_log2); at most the machine's, which it defaults to. */
  readonly pasidBits?: number;
}
export interface VmSpec {
  readonly name: string;
  readonly vcpus: number;
  readonly pages: number;
  readonly quota: number | null;
  /** The guest's vIOMMU handles the page requests of the address spaces it binds (else the kernel does). */
  readonly guestFaults?: boolean;
  readonly devices: readonly DeviceSpec[];
}
export interface MachineSpec {
  readonly uapi: UapiDesign;
  readonly iommus: number;
  readonly pasidBits: number;
  readonly destroyPolicy: 'park' | 'ebusy';
  readonly vms: readonly VmSpec[];
  readonly workers: number;
  readonly mutant: MutantName | null;
  /** Bound on every actor round trip: the `reply` invariant's limit. */
  readonly replyTimeoutMs: number;
  /** How long a translated DMA batch is in flight before it lands. */
  readonly landingLatencyUs: number;
  readonly pasidLeaves: number;
  readonly pgtables: number;
  /** Test hook: engine N throws as it starts (to prove a crashed worker fails the run cleanly). */
  readonly crashEngine?: number;
}

export const DEFAULT_DEVICE: Omit<DeviceSpec, 'name'> = { iommu: 0, pasid: true, ats: true, enqcmd: false, pri: false };
const DEFAULT_VM: Omit<VmSpec, 'name' | 'devices'> = { vcpus: 1, pages: 256, quota: null };

/** A machine as a user writes it: everything but the names may be left out. */
export type MachineSpecInput = Partial<Omit<MachineSpec, 'vms'>> & {
  readonly vms?: readonly (Partial<Omit<VmSpec, 'devices'>> & {
    readonly name: string;
    readonly devices?: readonly (Partial<DeviceSpec> & { readonly name: string })[];
  })[];
};
/** Retries of a submission that got ZF=1 (idxd's default enqcmds_retries). */
export const ENQCMD_RETRIES = 32;
export function defaultMachineSpec(over: Partial<MachineSpec> = {}): MachineSpec {
  return {
    uapi: 'ioasid',
    iommus: 1,
    pasidBits: 20,
    destroyPolicy: 'park',
    vms: [{ name: 'vm1', vcpus: 1, pages: 256, quota: null, devices: [{ name: 'dev1', ...DEFAULT_DEVICE }] }],
    workers: 2,
    mutant: null,
    replyTimeoutMs: 10000,
    landingLatencyUs: 200,
    pasidLeaves: 1024,
    pgtables: 4096,
    ...over,
  };
}

/** A checked user spec (input/machine-schema.ts) with every field left out at its default. */
export function completeMachineSpec(m: MachineSpecInput): MachineSpec {
  const defined = definedOnly(m) as Partial<MachineSpec>;
  const vms = m.vms?.map((vm) => ({
    ...DEFAULT_VM,
    ...definedOnly(vm),
    devices: (vm.devices ?? []).map((d) => ({ ...DEFAULT_DEVICE, ...definedOnly(d) })),
  }));
  return defaultMachineSpec({ ...defined, ...(vms ? { vms } : {}) });
}

/** `o` without its undefined fields, so that spreading it keeps the defaults under them. */
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
}
