// The machine spec as a sequence file's `machine` and createSimulation's `machine` give it:
// every field optional (machine/spec.ts fills the defaults), each checked against MACHINE_LIMITS.
// What one field cannot say alone (names unique, a device on an IOMMU the machine has) is
// checked after the shape, with a path as precise.
import * as v from 'valibot';
import { InputError } from './input-error.js';
import { MACHINE_LIMITS as L, UAPI_DESIGN_NAMES } from './limits.js';
import { type Key, bool, inputLine, intIn, list, mapping, name, oneOf } from './schema.js';

const device = mapping({
  name: name(),
  iommu: v.optional(intIn(0, L.iommus - 1)),
  pasid: v.optional(bool()),
  ats: v.optional(bool()),
  enqcmd: v.optional(bool()),
  pri: v.optional(bool()),
  pasidBits: v.optional(intIn(1, L.pasidBits)),
});

const vm = mapping({
  name: name(),
  vcpus: v.optional(intIn(0, L.vcpus)),
  pages: v.optional(intIn(1, L.pages)),
  quota: v.optional(v.nullable(intIn(0, L.quota))),
  guestFaults: v.optional(bool()),
  devices: v.optional(list(device, 0, L.devices)),
});

/** The fields a sequence file's `machine` may hold. */
export const MACHINE_FILE_FIELDS = {
  uapi: v.optional(oneOf(UAPI_DESIGN_NAMES)),
  iommus: v.optional(intIn(1, L.iommus)),
  pasidBits: v.optional(intIn(1, L.pasidBits)),
  destroyPolicy: v.optional(oneOf(['park', 'ebusy'])),
  vms: v.optional(list(vm, 1, L.vms)),
};

export type MachineInput = v.InferOutput<v.ObjectSchema<typeof MACHINE_FILE_FIELDS, undefined>>;

/** Names unique across VMs and devices; each device on an IOMMU the machine has. `at`: the machine's path. */
export function checkMachine(m: MachineInput, file: string, at: readonly Key[]): void {
  const seen = new Set<string>();
  const fail = (keys: Key[], message: string) => new InputError(inputLine(file, [...at, ...keys], message));
  (m.vms ?? []).forEach((x, i) => {
    if (seen.has(x.name)) throw fail(['vms', i, 'name'], `'${x.name}' is used twice`);
    seen.add(x.name);
    (x.devices ?? []).forEach((d, j) => {
      if (seen.has(d.name)) throw fail(['vms', i, 'devices', j, 'name'], `'${d.name}' is used twice`);
      seen.add(d.name);
      const iommus = m.iommus ?? 1;
      if ((d.iommu ?? 0) >= iommus) throw fail(['vms', i, 'devices', j, 'iommu'], `must be an integer in 0..${iommus - 1} (got ${d.iommu})`);
      // A device's PASID width is at most the machine's (its IOMMU's), which it defaults to.
      const bits = m.pasidBits ?? L.pasidBits;
      if ((d.pasidBits ?? 0) > bits) throw fail(['vms', i, 'devices', j, 'pasidBits'], `must be an integer in 1..${bits} (got ${d.pasidBits})`);
    });
  });
}
