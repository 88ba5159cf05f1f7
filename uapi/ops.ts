// The op table: one entry per uAPI call or hardware action, with its arguments and handler.
// It drives the sequence runner, the sequence-file checks, `list`, and the fuzzers alike.
import type { EnqcmdCounts } from '../machine/machine.js';
import type { Result } from '../actors/result.js';
import { ok } from '../actors/result.js';
import type { Prng } from '../sim/prng.js';
import type { Simulation } from '../sim/simulation.js';

/** What an argument names: a machine object by name, a name bound earlier with `as:`, or a number. */
export type ArgKind = 'vm' | 'device' | 'vcpu' | 'fd' | 'ioasid' | 'vpasid' | 'job' | 'count';

export interface ArgSpec { readonly name: string; readonly kind: ArgKind; readonly default?: number }

export interface OpContext {
  readonly sim: Simulation;
  readonly prng: Prng;
}

/** A step's outcome: `ok`, an errno, or for DMA/ENQCMD steps `fault` / `gp`. */
export type StepResult = string;

export interface OpSpec {
  readonly name: string;
  readonly summary: string;
  readonly args: readonly ArgSpec[];
  /** The kind of name `as:` binds to the step's value. */
  readonly binds?: 'fd' | 'ioasid' | 'job';
  /** Extra outcomes `expect:` may name for this op. */
  readonly outcomes?: readonly string[];
  run(ctx: OpContext, a: Readonly<Record<string, number>>): Promise<Result<unknown>>;
  /** Map a successful value to a result word (default `ok`). */
  classify?(value: unknown): StepResult;
  /** Does a successful value meet `expect: ok` (default: yes)? */
  fullyOk?(value: unknown): boolean;
}

interface DmaValue { landed: number; faulted: number }
const dmaCounts = (v: unknown) => v as DmaValue;
const enqCounts = (v: unknown) => v as EnqcmdCounts;

export const OPS: readonly OpSpec[] = [
  { name: 'open', summary: 'open /dev/ioasid for a VM; value: the FD', binds: 'fd', args: [{ name: 'vm', kind: 'vm' }],
    run: (c, a) => c.sim.machine.open(a.vm!) },
  { name: 'alloc', summary: 'IOASID_ALLOC on an FD; value: the IOASID (its PASID)', binds: 'ioasid', args: [{ name: 'fd', kind: 'fd' }],
    run: (c, a) => c.sim.machine.alloc(a.fd!) },
  { name: 'bind_pgtbl', summary: "BIND_PGTBL: give the IOASID a page table over `pages` of the VM's memory", args: [{ name: 'fd', kind: 'fd' }, { name: 'ioasid', kind: 'ioasid' }, { name: 'pages', kind: 'count', default: 16 }],
    run: (c, a) => c.sim.machine.bindPgtbl(a.fd!, a.ioasid!, a.pages!) },
  { name: 'allow', summary: 'DEVICE_ALLOW_IOASID on a device FD', args: [{ name: 'device', kind: 'device' }, { name: 'fd', kind: 'fd' }, { name: 'ioasid', kind: 'ioasid' }],
    run: (c, a) => c.sim.machine.allow(a.device!, a.fd!, a.ioasid!) },
  { name: 'disallow', summary: 'DEVICE_DISALLOW_IOASID on a device FD', args: [{ name: 'device', kind: 'device' }, { name: 'fd', kind: 'fd' }, { name: 'ioasid', kind: 'ioasid' }],
    run: (c, a) => c.sim.machine.disallow(a.device!, a.fd!, a.ioasid!) },
  { name: 'destroy', summary: 'DESTROY an IOASID: wipe its page table, halt DMA, park the PASID', args: [{ name: 'fd', kind: 'fd' }, { name: 'ioasid', kind: 'ioasid' }],
    run: (c, a) => c.sim.machine.destroy(a.fd!, a.ioasid!) },
  { name: 'close', summary: 'close(fd): destroy everything the FD still holds', args: [{ name: 'fd', kind: 'fd' }],
    run: (c, a) => c.sim.machine.close(a.fd!) },
  { name: 'close_device', summary: 'close a VFIO device FD: disallow all it holds; later calls get EBADF', args: [{ name: 'device', kind: 'device' }],
    run: (c, a) => c.sim.machine.closeDevice(a.device!) },
  { name: 'dma', summary: 'a burst of `ops` DMA accesses by a device with a PASID, on a worker; value: { landed, faulted }', outcomes: ['fault'],
    args: [{ name: 'device', kind: 'device' }, { name: 'ioasid', kind: 'ioasid' }, { name: 'ops', kind: 'count', default: 1000 }],
    run: (c, a) => c.sim.machine.dma(a.device!, a.ioasid!, a.ops!, c.prng.fork()),
    classify: (v) => (dmaCounts(v).landed === 0 && dmaCounts(v).faulted > 0 ? 'fault' : 'ok'),
    fullyOk: (v) => dmaCounts(v).faulted === 0 },
  { name: 'dma_start', summary: 'start background DMA by a device with a PASID; value: a job handle', binds: 'job', args: [{ name: 'device', kind: 'device' }, { name: 'ioasid', kind: 'ioasid' }],
    run: (c, a) => c.sim.machine.dmaStart(a.device!, a.ioasid!, c.prng.fork()) },
  { name: 'stop', summary: "stop a background job; value: the job's counts", args: [{ name: 'job', kind: 'job' }],
    run: (c, a) => c.sim.machine.stopJob(a.job!) },
  { name: 'kvm_set_pasid', summary: "KVM_SET_PASID: map a vPASID of a VM to the IOASID's PASID, for ENQCMD (KVM holds a kref)",
    args: [{ name: 'vm', kind: 'vm' }, { name: 'vpasid', kind: 'vpasid' }, { name: 'fd', kind: 'fd' }, { name: 'ioasid', kind: 'ioasid' }],
    run: (c, a) => c.sim.machine.kvmSetPasid(a.vm!, a.vpasid!, a.fd!, a.ioasid!) },
  { name: 'kvm_clear_pasid', summary: 'KVM_CLEAR_PASID: unmap a vPASID, wait for submitting vCPUs, drain accepted descriptors, drop the kref',
    args: [{ name: 'vm', kind: 'vm' }, { name: 'vpasid', kind: 'vpasid' }],
    run: (c, a) => c.sim.machine.kvmClearPasid(a.vm!, a.vpasid!) },
  { name: 'set_msr', summary: "write a vCPU's IA32_PASID: the vPASID with the valid bit (vpasid 0 clears the valid bit)",
    args: [{ name: 'vcpu', kind: 'vcpu' }, { name: 'vpasid', kind: 'vpasid' }],
    run: (c, a) => c.sim.machine.setMsr(a.vcpu!, a.vpasid!) },
  { name: 'enqcmd', summary: 'a vCPU submits `count` ENQCMDs to a device\'s shared work queue, on a worker; value: { submitted, accepted, retried, gp, exits }', outcomes: ['gp'],
    args: [{ name: 'vcpu', kind: 'vcpu' }, { name: 'device', kind: 'device' }, { name: 'count', kind: 'count', default: 16 }],
    run: (c, a) => c.sim.machine.enqcmd(a.vcpu!, a.device!, a.count!, c.prng.fork()),
    classify: (v) => (enqCounts(v).gp === enqCounts(v).submitted ? 'gp' : 'ok'),
    fullyOk: (v) => enqCounts(v).accepted === enqCounts(v).submitted },
  { name: 'enqcmd_start', summary: 'start background ENQCMDs by a vCPU to a device; value: a job handle', binds: 'job',
    args: [{ name: 'vcpu', kind: 'vcpu' }, { name: 'device', kind: 'device' }],
    run: (c, a) => c.sim.machine.enqcmdStart(a.vcpu!, a.device!, c.prng.fork()) },
  { name: 'viommu_bind', summary: "guest vIOMMU request: ALLOC, BIND_PGTBL, ALLOW and KVM_SET_PASID for a device and vPASID; value: the pPASID", binds: 'ioasid',
    args: [{ name: 'vm', kind: 'vm' }, { name: 'device', kind: 'device' }, { name: 'vpasid', kind: 'vpasid' }],
    run: (c, a) => c.sim.machine.viommuBind(a.vm!, a.device!, a.vpasid!) },
  { name: 'viommu_unbind', summary: 'guest vIOMMU request: KVM_CLEAR_PASID, DISALLOW and DESTROY (the last device of the vPASID), or DISALLOW',
    args: [{ name: 'vm', kind: 'vm' }, { name: 'device', kind: 'device' }, { name: 'vpasid', kind: 'vpasid' }],
    run: (c, a) => c.sim.machine.viommuUnbind(a.vm!, a.device!, a.vpasid!) },
  { name: 'pasid_state', summary: 'the allocator\'s view of a PASID: free, in-use or parked', args: [{ name: 'ioasid', kind: 'ioasid' }],
    run: (c, a) => c.sim.machine.pasidState(a.ioasid!) },
  { name: 'check', summary: 'run every invariant check now', args: [],
    run: async (c) => { await c.sim.monitor.check(); return ok(null); } },
];

export const OP_BY_NAME: ReadonlyMap<string, OpSpec> = new Map(OPS.map((o) => [o.name, o]));
