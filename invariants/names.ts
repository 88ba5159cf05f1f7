// How reports name the machine's objects: VMs, devices and vCPUs by the user's names, each list
// indexed as the machine numbers them (machine/names.ts builds it from the spec).
export interface MachineNames {
  readonly vm: readonly string[];
  readonly device: readonly string[];
  readonly vcpu: readonly string[];
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
    case 'fd':
      return `FD ${n}`;
    case 'dev':
      return names.device[n] ?? holder;
    case 'kvm':
      return `KVM of ${names.vm[n] ?? `VM ${n}`} (vPASID ${b})`;
    default:
      return holder;
  }
}
