// What the user calls the machine's objects: the spec's names of VMs and devices, and vCPUs as
// `vm1.0`, each list indexed as the machine numbers them. Sequence steps name objects by these,
// and every output (summary, violations, trace, diagram) names them so, never by index.
import type { MachineNames } from '../invariants/names.js';
import type { MachineSpec } from './spec.js';

export type { MachineNames };

export function machineNames(m: MachineSpec): MachineNames {
  return {
    vm: m.vms.map((v) => v.name),
    device: m.vms.flatMap((v) => v.devices.map((d) => d.name)),
    vcpu: m.vms.flatMap((v) => Array.from({ length: v.vcpus }, (_, i) => `${v.name}.${i}`)),
  };
}
