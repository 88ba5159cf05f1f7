// fast-check commands for model-based fuzzing of the uAPI: small machines (2 VMs, 3 devices,
// 7 or 15 PASIDs, little memory, an optional quota, either destroy policy) and random calls,
// bad ones included: closed or foreign FDs (another FD of the VM, another VM's FD), unknown,
// foreign, destroyed and out-of-range PASIDs (0 and 2^pasidBits included), page counts out of
// range or beyond the VM's memory, closed devices, a device without PASID support, KVM
// mappings of vPASIDs in and out of range (0 and 4096 included), mapped twice or never.
// Each command turns its random draws into one sequence-file step, asks the model for the
// outcome, and has the session run the step on the machine and compare.
import fc from 'fast-check';
import type { OpName } from '../../actors/protocol.js';
import type { MachineSpec } from '../../machine/spec.js';
import { KVM_VPASIDS, MAX_BIND_PAGES, type Outcome, type RefModel, fdName } from './model.js';
import type { Session } from './session.js';
import type { MachineDoc, RecordedStep } from '../../sequence/write.js';

type Draws = Readonly<Record<string, number>>;

/** What a call is about, resolved from its draws against the model's current state. */
interface Target {
  readonly vm: number;
  readonly fd: number;
  readonly pasid: number;
  readonly device: number;
  readonly pages: number;
  readonly vpasid: number;
}

interface OpDef {
  /** How likely the op is, relative to the others. */
  readonly weight: number;
  /**
   * Whether its draws may aim at an existing IOASID (its VM, FD and PASID, and for device calls
   * a device of its VM, or one holding it) or at an existing KVM mapping, instead of taking
   * them raw: raw draws alone rarely name an FD, a PASID and a device that belong together, so
   * most calls would fail early.
   */
  readonly aim?: 'ioasid' | 'holder' | 'mapping';
  /** Draws it needs, given the machine. */
  draws(spec: MachineSpec): Record<string, fc.Arbitrary<number>>;
  /** Its arguments in sequence-file form. */
  args(m: RefModel, t: Target): Record<string, string | number>;
  apply(m: RefModel, t: Target): Outcome;
}

const device = (spec: MachineSpec) => fc.nat({ max: spec.vms.reduce((n, v) => n + v.devices.length, 0) - 1 });
/** An FD draw picks among the FDs opened so far (open or closed) by index. */
const fd = () => fc.nat({ max: 7 });
/** PASIDs: mostly the low ones lowest-free allocation hands out, sometimes anything from 0 to 2^bits. */
const pasid = (spec: MachineSpec) =>
  fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 << spec.pasidBits }) });
const pages = () =>
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(20, MAX_BIND_PAGES, MAX_BIND_PAGES + 1) });
/** vPASIDs: mostly low, sometimes the edges of KVM's range and beyond. */
const vpasid = () =>
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(0, KVM_VPASIDS - 1, KVM_VPASIDS) });
const vm = (spec: MachineSpec) => fc.nat({ max: spec.vms.length - 1 });
/** Aiming: 0 takes the draws raw, 1..3 aim at the `pick`-th IOASID (or mapping) the model knows. */
const aimed = () => ({ aim: fc.nat({ max: 3 }), pick: fc.nat({ max: 15 }) });

/** A generator for every op, or why the fuzzer leaves it out: a new op must be placed here. */
const FUZZED: { readonly [K in OpName]: OpDef | { readonly skip: string } } = {
  open: { weight: 2, draws: (s) => ({ vm: vm(s) }), args: (m, t) => ({ vm: m.spec.vms[t.vm]!.name }), apply: (m, t) => m.open(t.vm) },
  alloc: { weight: 5, draws: () => ({ fd: fd() }), args: (_m, t) => ({ fd: fdName(t.fd) }), apply: (m, t) => m.alloc(t.fd) },
  bind_pgtbl: {
    weight: 3,
    aim: 'ioasid',
    draws: (s) => ({ ...aimed(), fd: fd(), pasid: pasid(s), pages: pages() }),
    args: (_m, t) => ({ fd: fdName(t.fd), ioasid: t.pasid, pages: t.pages }),
    apply: (m, t) => m.bindPgtbl(t.fd, t.pasid, t.pages),
  },
  allow: {
    weight: 6,
    aim: 'ioasid',
    draws: (s) => ({ ...aimed(), device: device(s), fd: fd(), pasid: pasid(s) }),
    args: (m, t) => ({ device: m.devices[t.device]!.name, fd: fdName(t.fd), ioasid: t.pasid }),
    apply: (m, t) => m.allow(t.device, t.fd, t.pasid),
  },
  disallow: {
    weight: 4,
    aim: 'holder',
    draws: (s) => ({ ...aimed(), device: device(s), fd: fd(), pasid: pasid(s) }),
    args: (m, t) => ({ device: m.devices[t.device]!.name, fd: fdName(t.fd), ioasid: t.pasid }),
    apply: (m, t) => m.disallow(t.device, t.fd, t.pasid),
  },
  destroy: {
    weight: 4,
    aim: 'ioasid',
    draws: (s) => ({ ...aimed(), fd: fd(), pasid: pasid(s) }),
    args: (_m, t) => ({ fd: fdName(t.fd), ioasid: t.pasid }),
    apply: (m, t) => m.destroy(t.fd, t.pasid),
  },
  close: { weight: 1, draws: () => ({ fd: fd() }), args: (_m, t) => ({ fd: fdName(t.fd) }), apply: (m, t) => m.close(t.fd) },
  close_device: {
    weight: 1,
    draws: (s) => ({ device: device(s) }),
    args: (m, t) => ({ device: m.devices[t.device]!.name }),
    apply: (m, t) => m.closeDevice(t.device),
  },
  kvm_set_pasid: {
    weight: 3,
    aim: 'ioasid',
    draws: (s) => ({ ...aimed(), vm: vm(s), vpasid: vpasid(), fd: fd(), pasid: pasid(s) }),
    args: (m, t) => ({ vm: m.spec.vms[t.vm]!.name, vpasid: t.vpasid, fd: fdName(t.fd), ioasid: t.pasid }),
    apply: (m, t) => m.kvmSetPasid(t.vm, t.vpasid, t.fd, t.pasid),
  },
  kvm_clear_pasid: {
    weight: 2,
    aim: 'mapping',
    draws: (s) => ({ ...aimed(), vm: vm(s), vpasid: vpasid() }),
    args: (m, t) => ({ vm: m.spec.vms[t.vm]!.name, vpasid: t.vpasid }),
    apply: (m, t) => m.kvmClearPasid(t.vm, t.vpasid),
  },
  pasid_state: { weight: 2, draws: (s) => ({ pasid: pasid(s) }), args: (_m, t) => ({ ioasid: t.pasid }), apply: (m, t) => m.queryPasid(t.pasid) },

  attach: { skip: 'iommufd only; the fuzzer drives the ioasid design (test/machinery/iommufd.test.ts covers it)' },
  replace: { skip: 'iommufd only; the fuzzer drives the ioasid design (test/machinery/iommufd.test.ts covers it)' },
  detach: { skip: 'iommufd only; the fuzzer drives the ioasid design (test/machinery/iommufd.test.ts covers it)' },
  set_msr: { skip: 'a vCPU register: it changes no kref or PASID state the model tracks (test/kvm covers it)' },
  viommu_bind: { skip: 'a composition of modelled calls, each checked by the auditor (test/kvm/viommu.test.ts)' },
  viommu_unbind: { skip: 'a composition of modelled calls, each checked by the auditor (test/kvm/viommu.test.ts)' },
  dma: { skip: 'hardware activity, judged by the auditor, not by a reference model of the uAPI' },
  dma_start: { skip: 'hardware activity, judged by the auditor, not by a reference model of the uAPI' },
  enqcmd: { skip: 'hardware activity, judged by the auditor, not by a reference model of the uAPI' },
  enqcmd_start: { skip: 'hardware activity, judged by the auditor, not by a reference model of the uAPI' },
  stop: { skip: 'ends a hardware job; no job runs in a fuzzed sequence' },
  fault_queue: { skip: 'page requests come from hardware activity; sequences/iopf.yaml covers fault queues' },
  fault_read: { skip: 'page requests come from hardware activity; sequences/iopf.yaml covers fault queues' },
  fault_respond: { skip: 'page requests come from hardware activity; sequences/iopf.yaml covers fault queues' },
  map: { skip: 'IOVA areas are not in the reference model; test/machinery/address-space.test.ts covers every errno' },
  unmap: { skip: 'IOVA areas are not in the reference model; test/machinery/address-space.test.ts covers every errno' },
  mm_exit: { skip: "a DESTROY on the FD's behalf, judged by the auditor; test/machinery/address-space.test.ts covers it" },
};
const OPS = Object.entries(FUZZED).flatMap(([op, d]) => ('skip' in d ? [] : [{ op, ...d }]));

function resolve(def: OpDef, m: RefModel, d: Draws): Target {
  const raw: Target = {
    vm: d.vm ?? 0,
    fd: (d.fd ?? 0) % Math.max(1, m.fds.length),
    pasid: d.pasid ?? 0,
    device: d.device ?? 0,
    pages: d.pages ?? 0,
    vpasid: d.vpasid ?? 0,
  };
  if (!def.aim || !d.aim) return raw;
  if (def.aim === 'mapping') {
    const mapped = m.kvm.flatMap((table, vm) => [...table.keys()].map((vpasid) => ({ vm, vpasid })));
    return mapped.length ? { ...raw, ...mapped[d.pick! % mapped.length]! } : raw;
  }
  const known = [...m.ioasids.values()];
  if (known.length === 0) return raw;
  const io = known[d.pick! % known.length]!;
  const ofVm = m.devices.flatMap((x, i) => (x.vm === io.vm ? [i] : []));
  const devices = def.aim === 'holder' && io.devices.size > 0 ? [...io.devices] : ofVm;
  return { ...raw, vm: io.vm, fd: io.fd, pasid: io.pasid, device: devices[raw.device % devices.length]! };
}

class Call implements fc.AsyncCommand<RefModel, Session> {
  constructor(
    private readonly def: OpDef & { readonly op: string },
    private readonly d: Draws,
  ) {}

  check(m: Readonly<RefModel>): boolean {
    return !('fd' in this.d) || m.fds.length > 0;
  }

  async run(m: RefModel, s: Session): Promise<void> {
    const t = resolve(this.def, m, this.d);
    const args = this.def.args(m, t);
    const as = this.def.op === 'open' ? fdName(m.fds.length) : null;
    const out = this.def.apply(m, t);
    const step: RecordedStep = { op: this.def.op, args, as, expect: out.result, ...(out.value !== undefined ? { expectValue: out.value } : {}) };
    await s.step(step, m);
  }

  toString(): string {
    return `${this.def.op}(${Object.entries(this.d)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')})`;
  }
}

export type UapiCommand = fc.AsyncCommand<RefModel, Session>;

/**
 * Random call sequences on a machine: one to three opens first (calls on FDs are skipped until
 * an FD exists, so without them most short sequences would do nothing), then up to
 * `maxCommands` calls of every kind. Both parts shrink.
 */
export function uapiCalls(spec: MachineSpec, maxCommands: number): fc.Arbitrary<[UapiCommand[], Iterable<UapiCommand>]> {
  const call = (def: OpDef & { readonly op: string }) => fc.record(def.draws(spec)).map((d): UapiCommand => new Call(def, d));
  const arbs = OPS.flatMap((def) => Array.from({ length: def.weight }, () => call(def)));
  const open = call(OPS.find((d) => d.op === 'open')!);
  return fc.tuple(fc.array(open, { minLength: 1, maxLength: 3 }), fc.commands(arbs, { maxCommands, size: 'medium' }));
}

/** A small machine as a sequence file's `machine:` mapping. */
export const machineDocs: fc.Arbitrary<MachineDoc> = fc
  .record({
    pasidBits: fc.constantFrom(3, 4),
    destroyPolicy: fc.constantFrom('park', 'ebusy'),
    iommus: fc.constantFrom(1, 2),
    quota: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null, freq: 2 }),
    pages: fc.constantFrom(16, 40),
    dev2Pasid: fc.constantFrom(true, true, true, false),
  })
  .map(({ pasidBits, destroyPolicy, iommus, quota, pages, dev2Pasid }) => ({
    iommus,
    pasidBits,
    destroyPolicy,
    vms: [
      { name: 'vm1', pages, ...(quota !== null ? { quota } : {}), devices: [{ name: 'dev1' }, { name: 'dev2', iommu: iommus - 1, pasid: dev2Pasid }] },
      { name: 'vm2', pages, devices: [{ name: 'dev3' }] },
    ],
  }));
