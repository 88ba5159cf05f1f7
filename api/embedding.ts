// The embedding API: one call builds a whole simulation (or spawns the subsystem under an actor
// of an embedder's nact system), and typed handles drive the uAPI with promises. Every call
// answers a Result (never throws for an errno); the event stream and the monitor are exposed.
import type { Observable } from 'rxjs';
import type { SimEvent } from '../actors/events.js';
import type { EnqcmdCounts, PageRequestInfo } from '../actors/protocol.js';
import { MUTANTS } from '../actors/env.js';
import { createOptionsInput } from '../input/spec-schema.js';
import { type MachineSpecInput, completeMachineSpec } from '../machine/spec.js';
import { STRATEGIES } from '../sim/strategies/index.js';
import type { Invoke, OpName } from '../actors/protocol.js';
import { type Result, err, ok } from '../actors/result.js';
import type { ParentRef } from '../actors/runtime.js';
import type { JobCounts } from '../hardware/jobs.js';
import type { InvariantId, Violation } from '../invariants/catalog.js';
import type { ModeOptions } from '../sim/mode.js';
import { type Counts, Simulation } from '../sim/simulation.js';
import { closeOut } from '../sim/close-out.js';

export interface CreateOptions {
  /** The machine: VMs with their devices, IOMMUs, PASID width, policy, workers (defaults: one VM "vm1" with "dev1"; a VM or device left at its name gets the defaults). */
  readonly machine?: MachineSpecInput;
  /** Seeds every random choice (DMA address streams; the schedule in deterministic mode). */
  readonly seed?: number;
  /** `{ mode: 'threads' }` (default) or `{ mode: 'deterministic', strategy, pctDepth }`. */
  readonly mode?: ModeOptions;
  /**
   * An actor (or the system) of the embedder's nact system to spawn the subsystem under. It must
   * come from the same `nact` package instance as this one (install them side by side).
   */
  readonly parent?: unknown;
  /** Publish every actor message as a `message` event. */
  readonly publishMessages?: boolean;
}

const NAMES = { mutants: Object.keys(MUTANTS) as [string, ...string[]], strategies: STRATEGIES as unknown as [string, ...string[]] };

/**
 * Build a simulation. Call `shutdown()` when done: it stops threads, timers and actors. Options
 * that are no machine (`pages: -5`, `seed: NaN`, an unknown mode or field) throw an InputError
 * (errno EINVAL) naming the field, before anything starts: there is no simulation to answer a Result.
 */
export function createSimulation(options: CreateOptions = {}): IoasidSim {
  const o = createOptionsInput(options, NAMES);
  const sim = new Simulation({
    spec: completeMachineSpec((o.machine ?? {}) as MachineSpecInput),
    seed: o.seed ?? 1,
    ...(o.mode ? { mode: o.mode as ModeOptions } : {}),
    ...(o.parent ? { parent: o.parent as ParentRef } : {}),
    ...(o.publishMessages ? { publishMessages: true } : {}),
  });
  return new IoasidSim(sim);
}

export interface InvariantState {
  /** True while no invariant has been violated. */
  readonly ok: boolean;
  /** The first violations of each invariant (the rest are counted). */
  readonly violations: readonly Violation[];
  readonly counts: Readonly<Partial<Record<InvariantId, number>>>;
}

/** The handle and method that serve each uAPI op: a new op without one does not compile. */
export const HANDLED_BY: { readonly [K in OpName]: readonly [string, string] } = {
  open: ['IoasidSim', 'open'],
  pasid_state: ['IoasidSim', 'pasidState'],
  alloc: ['FdHandle', 'alloc'],
  bind_pgtbl: ['FdHandle', 'bindPgtbl'],
  map: ['FdHandle', 'map'],
  unmap: ['FdHandle', 'unmap'],
  mm_exit: ['IoasidSim', 'mmExit'],
  destroy: ['FdHandle', 'destroy'],
  close: ['FdHandle', 'close'],
  allow: ['DeviceHandle', 'allow'],
  disallow: ['DeviceHandle', 'disallow'],
  close_device: ['DeviceHandle', 'close'],
  attach: ['DeviceHandle', 'attach'],
  replace: ['DeviceHandle', 'replace'],
  detach: ['DeviceHandle', 'detach'],
  dma: ['DeviceHandle', 'dma'],
  dma_start: ['DeviceHandle', 'dmaStart'],
  kvm_set_pasid: ['KvmHandle', 'setPasid'],
  kvm_clear_pasid: ['KvmHandle', 'clearPasid'],
  set_msr: ['VcpuHandle', 'setMsr'],
  enqcmd: ['VcpuHandle', 'enqcmd'],
  enqcmd_start: ['VcpuHandle', 'enqcmdStart'],
  viommu_bind: ['VIommuHandle', 'bind'],
  viommu_unbind: ['VIommuHandle', 'unbind'],
  stop: ['JobHandle', 'stop'],
  fault_queue: ['FdHandle', 'faultQueue'],
  fault_read: ['FdHandle', 'faultRead'],
  fault_respond: ['FdHandle', 'faultRespond'],
};

export class IoasidSim {
  /** Calls, replies, krefs, PASID states, #GP, stats, violations, in order. */
  readonly events$: Observable<SimEvent>;
  /** Any uAPI op by name, with its typed arguments (machine objects by index): what the handles call. */
  readonly invoke: Invoke;
  constructor(readonly simulation: Simulation) {
    this.events$ = simulation.events$;
    this.invoke = simulation.machine.invoke;
  }

  private vmIndex(name: string): number {
    return this.simulation.options.spec.vms.findIndex((v) => v.name === name);
  }

  /** open("/dev/ioasid") for a VM (by name). */
  async open(vm: string): Promise<Result<FdHandle>> {
    const v = this.vmIndex(vm);
    if (v < 0) return err('EINVAL', `no VM named ${vm}`);
    const r = await this.invoke('open', { vm: v });
    return r.ok ? ok(new FdHandle(this, r.value, vm)) : r;
  }

  /** The VFIO device FD of a device (by name). */
  device(name: string): DeviceHandle {
    const d = this.simulation.machine.devices.find((x) => x.name === name);
    if (!d) throw new RangeError(`no device named ${name} (devices: ${this.simulation.machine.devices.map((x) => x.name).join(', ')})`);
    return new DeviceHandle(this, d.index, d.name);
  }

  /** The VM's KVM fd (its vPASID -> pPASID table for ENQCMD), by VM name. */
  kvm(vm: string): KvmHandle {
    return new KvmHandle(this, this.vmNamed(vm), vm);
  }

  /** The guest's vIOMMU of a VM: guest bind/unbind requests (dynamic authorisation). */
  viommu(vm: string): VIommuHandle {
    return new VIommuHandle(this, this.vmNamed(vm), vm);
  }

  /** A guest vCPU by name (`vm1.0`, `vm1.1`, ...). */
  vcpu(name: string): VcpuHandle {
    const c = this.simulation.machine.vcpus.find((x) => x.name === name);
    if (!c) throw new RangeError(`no vCPU named ${name} (vCPUs: ${this.simulation.machine.vcpus.map((x) => x.name).join(', ')})`);
    return new VcpuHandle(this, c.index, c.name);
  }

  private vmNamed(name: string): number {
    const v = this.vmIndex(name);
    if (v < 0) throw new RangeError(`no VM named ${name} (VMs: ${this.simulation.options.spec.vms.map((x) => x.name).join(', ')})`);
    return v;
  }

  /** The process of VM `vm` behind IOASID `ioasid`'s address space exits (SVA): torn down as DESTROY by its FD. */
  mmExit(vm: string, ioasid: number): Promise<Result<null>> {
    return this.invoke('mm_exit', { vm: this.vmNamed(vm), ioasid });
  }

  /** The allocator's view of a PASID. */
  pasidState(pasid: number): Promise<Result<'free' | 'in-use' | 'parked'>> {
    return this.invoke('pasid_state', { ioasid: pasid });
  }

  /** DMA and call counters so far. */
  stats(): Counts {
    return this.simulation.counts();
  }

  /** The monitor's state now. */
  invariants(): InvariantState {
    const m = this.simulation.monitor;
    return { ok: m.violations.length === 0, violations: [...m.violations], counts: Object.fromEntries(m.counts) };
  }

  /** Run every invariant check now (call when no call is in flight). */
  async check(): Promise<InvariantState> {
    await this.simulation.monitor.check();
    return this.invariants();
  }

  /**
   * Close everything the simulation still holds and audit that nothing leaked (a `leak` violation
   * otherwise; sim/close-out.ts), then stop jobs, engines, timers and actors after the final
   * checks; the process can then exit. Call when no call is in flight.
   */
  async shutdown(): Promise<InvariantState> {
    if (!this.simulation.closingOut && !this.simulation.machine.stopped) await closeOut(this.simulation);
    await this.simulation.finish();
    return this.invariants();
  }
}

/**
 * A handle of another simulation is no FD of this one: the call answers EBADF, as a stale fd
 * would. So does anything that is no handle at all (a JavaScript caller's `undefined` or `{ fd: 3 }`).
 */
function foreign(owner: IoasidSim, h: { readonly owner: IoasidSim } | undefined, what: () => string): Result<never> | null {
  if (!(h instanceof FdHandle || h instanceof DeviceHandle))
    return err(
      'EBADF',
      `not a handle of this simulation (got ${h === null || typeof h !== 'object' ? String(h) : `an object of ${h.constructor?.name ?? 'no class'}`})`,
    );
  return h.owner === owner ? null : err('EBADF', `${what()} belongs to another simulation`);
}

/** An open /dev/ioasid FD of one VM. */
export class FdHandle {
  constructor(
    readonly owner: IoasidSim,
    readonly fd: number,
    readonly vm: string,
  ) {}
  /** IOASID_ALLOC: the new IOASID (its PASID number). */
  alloc(): Promise<Result<number>> {
    return this.owner.invoke('alloc', { fd: this.fd });
  }
  /** BIND_PGTBL: a page table over `pages` of the VM's memory (1..64; default 16). */
  bindPgtbl(ioasid: number, pages?: number): Promise<Result<null>> {
    return this.owner.invoke('bind_pgtbl', { fd: this.fd, ioasid, ...(pages === undefined ? {} : { pages }) });
  }
  /** IOAS_MAP: `pages` fresh pages of the VM at IOVA page `iova` (EINVAL out of range, EEXIST over a mapping). */
  map(ioasid: number, iova: number, pages?: number): Promise<Result<null>> {
    return this.owner.invoke('map', { fd: this.fd, ioasid, iova, ...(pages === undefined ? {} : { pages }) });
  }
  /** IOAS_UNMAP: whole mappings inside [iova, iova + pages) (ENOENT for none or a split one); the pages are freed after the flush. */
  unmap(ioasid: number, iova: number, pages?: number): Promise<Result<null>> {
    return this.owner.invoke('unmap', { fd: this.fd, ioasid, iova, ...(pages === undefined ? {} : { pages }) });
  }
  /** FAULT_QUEUE_ALLOC: the IOASID's page requests queue here for faultRespond (EEXIST: it has one). */
  faultQueue(ioasid: number): Promise<Result<null>> {
    return this.owner.invoke('fault_queue', { fd: this.fd, ioasid });
  }
  /** read() of the fault queue: the oldest unanswered page request (waits, bounded, for one), left pending. */
  faultRead(ioasid: number): Promise<Result<PageRequestInfo>> {
    return this.owner.invoke('fault_read', { fd: this.fd, ioasid });
  }
  /** FAULT_RESPOND: answer the page request `cookie` names (from faultRead; EINVAL if not this queue's), else the oldest; success maps the page first. */
  faultRespond(ioasid: number, code: 'success' | 'invalid', cookie?: number): Promise<Result<PageRequestInfo>> {
    return this.owner.invoke('fault_respond', { fd: this.fd, ioasid, code: code === 'success' ? 0 : 1, ...(cookie === undefined ? {} : { cookie }) });
  }
  /** DESTROY: wipe the page table, halt DMA, park the PASID until every user lets go. */
  destroy(ioasid: number): Promise<Result<null>> {
    return this.owner.invoke('destroy', { fd: this.fd, ioasid });
  }
  /** close(fd): destroys everything the FD still holds. */
  close(): Promise<Result<null>> {
    return this.owner.invoke('close', { fd: this.fd });
  }
}

/** A VFIO device FD. */
export class DeviceHandle {
  constructor(
    readonly owner: IoasidSim,
    readonly index: number,
    readonly name: string,
  ) {}
  /** DEVICE_ALLOW_IOASID through `fd` (which must have allocated `ioasid`). */
  async allow(fd: FdHandle, ioasid: number): Promise<Result<null>> {
    return foreign(this.owner, fd, () => `FD ${fd.fd}`) ?? this.owner.invoke('allow', { device: this.index, fd: fd.fd, ioasid });
  }
  /** DEVICE_DISALLOW_IOASID: tears the PASID down on the device, then puts the kref. */
  async disallow(fd: FdHandle, ioasid: number): Promise<Result<null>> {
    return foreign(this.owner, fd, () => `FD ${fd.fd}`) ?? this.owner.invoke('disallow', { device: this.index, fd: fd.fd, ioasid });
  }
  /** iommufd: attach HWPT `hwpt` (allocated from `fd`) at the PASID `pasid` the VMM chose. */
  async attach(fd: FdHandle, hwpt: number, pasid: number): Promise<Result<null>> {
    return foreign(this.owner, fd, () => `FD ${fd.fd}`) ?? this.owner.invoke('attach', { device: this.index, fd: fd.fd, hwpt, pasid });
  }
  /** iommufd: swap the HWPT at `pasid` for `hwpt`, with no window in which DMA faults or uses the old one. */
  async replace(fd: FdHandle, hwpt: number, pasid: number): Promise<Result<null>> {
    return foreign(this.owner, fd, () => `FD ${fd.fd}`) ?? this.owner.invoke('replace', { device: this.index, fd: fd.fd, hwpt, pasid });
  }
  /** iommufd: detach `pasid` (tears its entry down, then drops the HWPT's kref). */
  detach(pasid: number): Promise<Result<null>> {
    return this.owner.invoke('detach', { device: this.index, pasid });
  }
  /** Close the device FD: disallows everything it holds; later calls answer EBADF. */
  close(): Promise<Result<null>> {
    return this.owner.invoke('close_device', { device: this.index });
  }
  /** A burst of `ops` DMA accesses with `pasid`, on an engine. */
  dma(pasid: number, ops: number): Promise<Result<JobCounts>> {
    return this.owner.invoke('dma', { device: this.index, ioasid: pasid, ops });
  }
  /** Background DMA with `pasid` until the job is stopped. */
  async dmaStart(pasid: number): Promise<Result<JobHandle>> {
    const r = await this.owner.invoke('dma_start', { device: this.index, ioasid: pasid });
    return r.ok ? ok(new JobHandle(this.owner, r.value)) : r;
  }
}

/** A VM's KVM fd: programs the vPASID -> pPASID translation ENQCMD uses. */
export class KvmHandle {
  constructor(
    readonly owner: IoasidSim,
    readonly vmIndex: number,
    readonly vm: string,
  ) {}
  /** KVM_SET_PASID: map `vpasid` to the PASID of `ioasid` (allocated from `fd`); takes a kref. */
  async setPasid(vpasid: number, fd: FdHandle, ioasid: number): Promise<Result<null>> {
    return foreign(this.owner, fd, () => `FD ${fd.fd}`) ?? this.owner.invoke('kvm_set_pasid', { vm: this.vmIndex, vpasid, fd: fd.fd, ioasid });
  }
  /** KVM_CLEAR_PASID: unmap, wait out vCPUs mid-submission and accepted descriptors, put the kref. */
  clearPasid(vpasid: number): Promise<Result<null>> {
    return this.owner.invoke('kvm_clear_pasid', { vm: this.vmIndex, vpasid });
  }
}

/** A guest vCPU: its IA32_PASID MSR and its ENQCMD submissions. */
export class VcpuHandle {
  constructor(
    readonly owner: IoasidSim,
    readonly index: number,
    readonly name: string,
  ) {}
  /** Write IA32_PASID for the running guest process: the vPASID with the valid bit; 0 clears the valid bit. */
  setMsr(vpasid: number): Promise<Result<null>> {
    return this.owner.invoke('set_msr', { vcpu: this.index, vpasid });
  }
  /** `count` ENQCMD submissions to a device's shared work queue, on an engine. */
  async enqcmd(device: DeviceHandle, count: number): Promise<Result<EnqcmdCounts>> {
    return foreign(this.owner, device, () => `device ${device.name}`) ?? this.owner.invoke('enqcmd', { vcpu: this.index, device: device.index, count });
  }
  /** Background ENQCMD submissions until the job is stopped. */
  async enqcmdStart(device: DeviceHandle): Promise<Result<JobHandle>> {
    const r =
      foreign(this.owner, device, () => `device ${device.name}`) ?? (await this.owner.invoke('enqcmd_start', { vcpu: this.index, device: device.index }));
    return r.ok ? ok(new JobHandle(this.owner, r.value)) : r;
  }
}

/** The guest-visible IOMMU of a VM: each request runs the uAPI calls in the safe order. */
export class VIommuHandle {
  constructor(
    readonly owner: IoasidSim,
    readonly vmIndex: number,
    readonly vm: string,
  ) {}
  /** Guest bind(device, vpasid): ALLOC, BIND_PGTBL, ALLOW, KVM_SET_PASID; the pPASID. */
  async bind(device: DeviceHandle, vpasid: number): Promise<Result<number>> {
    return foreign(this.owner, device, () => `device ${device.name}`) ?? this.owner.invoke('viommu_bind', { vm: this.vmIndex, device: device.index, vpasid });
  }
  /** Guest unbind: KVM_CLEAR_PASID, DISALLOW, DESTROY (the reverse). */
  async unbind(device: DeviceHandle, vpasid: number): Promise<Result<null>> {
    return foreign(this.owner, device, () => `device ${device.name}`) ?? this.owner.invoke('viommu_unbind', { vm: this.vmIndex, device: device.index, vpasid });
  }
}

/** A background DMA or ENQCMD job. */
export class JobHandle {
  constructor(
    readonly owner: IoasidSim,
    readonly id: number,
  ) {}
  /** Stop it; its counts. */
  stop(): Promise<Result<JobCounts>> {
    return this.owner.invoke('stop', { job: this.id });
  }
}
