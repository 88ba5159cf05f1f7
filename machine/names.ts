// What the user calls the machine's objects: the spec's names of VMs and devices, and vCPUs as
// `vm1.0`, each list indexed as the machine numbers them. Sequence steps name objects by these,
// and every output (summary, violations, trace, diagram) names them so, never by index.
import type { MachineSpec } from './machine.js';

export interface MachineNames {
  readonly vm: readonly string[];
  readonly device: readonly string[];
  readonly vcpu: readonly string[];
}

export function machineNames(m: MachineSpec): MachineNames {
  return {
    vm: m.vms.map((v) => v.name),
    device: m.vms.flatMap((v) => v.devices.map((d) => d.name)),
    vcpu: m.vms.flatMap((v) => Array.from({ length: v.vcpus }, (_, i) => `${v.name}.${i}`)),
  };
}

const NAMED_ARGS = ['vm', 'device', 'vcpu'] as const;

/** Call arguments with each VM, device and vCPU index by its name; an index the machine lacks stays a number. */
export function namedArgs(names: MachineNames, args: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (!NAMED_ARGS.some((k) => k in args)) return args;
  const out: Record<string, unknown> = { ...args };
  for (const k of NAMED_ARGS) {
    const i = args[k];
    if (typeof i === 'number') out[k] = names[k][i] ?? i;
  }
  return out;
}

/** A kref holder (`fd:3`, `dev:0`, `kvm:0:6`, see actors/protocol.ts) as the user names it: `FD 3`, `dev1`, `KVM of vm1 (vPASID 6)`. */
export function holderName(names: MachineNames, holder: string): string {
  const [kind, a, b] = holder.split(':');
  const n = Number(a);
  switch (kind) {
    case 'fd': return `FD ${n}`;
    case 'dev': return names.device[n] ?? holder;
    case 'kvm': return `KVM of ${names.vm[n] ?? `VM ${n}`} (vPASID ${b})`;
    default: return holder;
  }
}
