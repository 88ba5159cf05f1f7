// The simulated machine: hardware in shared memory, the actor tree, the engine threads, and the
// uAPI as promise-returning calls. Every call is published as a `call` event before it starts
// and a `reply` event when it answers; a call on a closed FD or device answers EBADF at once.
import { type Hardware, JobKind, createHardware, validateShape } from '../hardware/layout.js';
import { PagePool } from '../hardware/memory.js';
import { PgtablePool } from '../hardware/pgtable.js';
import { PasidTables } from '../hardware/pasid-table.js';
import { type JobCounts, type JobSpec, JobTable } from '../hardware/jobs.js';
import { type Waiter, threadWaiter } from '../hardware/wait.js';
import { EnginePool, type EngineHost, type EngineHostFactory } from '../workers/pool.js';
import type { ActorEnv, FallibleSite, MutantName } from '../actors/env.js';
import type { SimEvent, PasidState } from '../actors/events.js';
import type { AllocatorMsg, AllocatorStats, DeviceMsg, FdMsg, IommuMsg, IoasidInfo, IoasidMsg, KvmMsg, VIommuMsg, VcpuMsg } from '../actors/protocol.js';
import { type Result, err, ok } from '../actors/result.js';
import { type ActorRef, type MessageTracer, type ParentRef, type Runtime, type SystemRef, ask, createRuntime, spawnNamed, startSystem, stopActor, stopSystem, tell } from '../actors/runtime.js';
import { spawnPasidAllocator } from '../actors/pasid-allocator.js';
import { spawnIommuUnit } from '../actors/iommu-unit.js';
import { spawnDevice } from '../actors/device.js';
import { spawnIoasidFd } from '../actors/ioasid-fd.js';
import { spawnKvm } from '../actors/kvm.js';
import { spawnVcpu } from '../actors/vcpu.js';
import { type GuestUapi, spawnVIommu } from '../actors/viommu.js';

export interface DeviceSpec { readonly name: string; readonly iommu: number; readonly pasid: boolean; readonly ats: boolean; readonly enqcmd: boolean }
export interface VmSpec { readonly name: string; readonly vcpus: number; readonly pages: number; readonly quota: number | null; readonly devices: readonly DeviceSpec[] }
export interface MachineSpec {
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

export const DEFAULT_DEVICE: Omit<DeviceSpec, 'name'> = { iommu: 0, pasid: true, ats: true, enqcmd: false };
/** Pages of an IO page table when the caller names none; ENQCMD descriptors address as many. */
export const DEFAULT_PGTBL_PAGES = 16;
/** Retries of a submission that got ZF=1 (idxd's default enqcmds_retries). */
export const ENQCMD_RETRIES = 32;
export function defaultMachineSpec(over: Partial<MachineSpec> = {}): MachineSpec {
  return {
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

/** How a machine is wired into its surroundings. */
export interface MachineHooks {
  /** Receives every event (calls, replies, krefs, PASID states). */
  readonly emit: (e: SimEvent) => void;
  /** Fault injection for fail-nth sweeps: true makes that internal step fail. */
  readonly injectFault?: (site: FallibleSite) => boolean;
  /** How the main thread waits for the hardware (default: Atomics.waitAsync on real threads). */
  readonly waiter?: Waiter;
  /** Who runs the engines (default: piscina worker threads). */
  readonly engineHost?: EngineHostFactory;
  /** Spawn the subsystem under this actor of an existing nact system instead of a system of its own. */
  readonly parent?: ParentRef;
  /** What the machine's actors share: tracer, executor, reply deadlines (default: real time, batched). */
  readonly runtime?: Runtime;
}

export interface DeviceInfo { readonly index: number; readonly name: string; readonly vm: number; readonly spec: DeviceSpec; readonly ref: ActorRef<DeviceMsg> }
export interface VcpuInfo { readonly index: number; readonly name: string; readonly vm: number; readonly ref: ActorRef<VcpuMsg> }

/** What an `enqcmd` call did with its `submitted` ENQCMDs. */
export interface EnqcmdCounts { readonly submitted: number; readonly accepted: number; readonly retried: number; readonly gp: number; readonly exits: number }

let machineSerial = 0;

export class Machine implements GuestUapi {
  readonly hw: Hardware;
  readonly env: ActorEnv;
  /** The nact system the actors live in (the machine's own, or the embedder's). */
  readonly system: ParentRef;
  private readonly ownSystem: SystemRef | null;
  private readonly runtime: Runtime;
  /** The one actor all of this machine's actors live under. */
  readonly root: ParentRef;
  readonly allocator: ActorRef<AllocatorMsg>;
  readonly units: ActorRef<IommuMsg>[];
  readonly devices: DeviceInfo[] = [];
  readonly vcpus: VcpuInfo[] = [];
  /** Per VM: KVM, and the guest's vIOMMU. */
  readonly kvms: ActorRef<KvmMsg>[];
  readonly viommus: ActorRef<VIommuMsg>[];
  readonly engines: EngineHost;
  private readonly closedDevices = new Set<number>();
  private readonly fdParent: ParentRef;
  private readonly ioasidParent: ParentRef;
  private nextFd = 3;
  private callId = 0;
  private nextEngine = 0;
  private serial = 0;
  /** Running jobs, with the vCPU of an ENQCMD job. */
  private readonly jobsStarted = new Map<number, { readonly vcpu: number | null }>();
  /** The ENQCMD job of each vCPU that runs one: a vCPU executes one instruction stream. */
  private readonly vcpuJob = new Map<number, number>();
  private stopped = false;

  constructor(readonly spec: MachineSpec, hooks: MachineHooks) {
    const { emit, injectFault = () => false, waiter, engineHost } = hooks;
    const deviceVm: number[] = [];
    const vcpuVm: number[] = [];
    spec.vms.forEach((vm, v) => {
      vm.devices.forEach(() => deviceVm.push(v));
      for (let i = 0; i < vm.vcpus; i++) vcpuVm.push(v);
    });
    const shape = { pasidBits: spec.pasidBits, deviceVm, vmPages: spec.vms.map((v) => v.pages), engines: spec.workers, pasidLeaves: spec.pasidLeaves, pgtables: spec.pgtables, vcpuVm };
    const bad = validateShape(shape);
    if (bad) throw new RangeError(bad);
    this.hw = createHardware(shape);
    const pages = new PagePool(this.hw);
    this.env = {
      mutant: spec.mutant,
      destroyPolicy: spec.destroyPolicy,
      host: { hw: this.hw, pages, pgtables: new PgtablePool(this.hw, pages), pasidTables: new PasidTables(this.hw), jobs: new JobTable(this.hw), waiter: waiter ?? threadWaiter(this.hw.ctrl) },
      replyTimeoutMs: spec.replyTimeoutMs,
      injectFault,
      emit,
      globalIoasids: new Map(),
      nextSerial: () => ++this.serial,
      fds: new Map(),
    };
    const serial = ++machineSerial;
    this.ownSystem = hooks.parent ? null : startSystem(`ioasid-sim-${process.pid}-${serial}`);
    this.system = hooks.parent ?? this.ownSystem!;
    this.runtime = hooks.runtime ?? createRuntime();
    // Everything lives under one spawn-only actor, so an embedder's shutdown stops exactly us;
    // its runtime is every actor's under it, so a second machine in the system never mixes in.
    this.root = this.runtime.spawnRoot(this.system, `ioasid-sim-${serial}`);
    const root = this.root;
    // Spawn-only parents: an actor that receives messages must not have many children (perf-notes).
    const noop = () => undefined;
    const spawner = (name: string) => spawnNamed<null, never>(root, name, null, () => null, noop);
    this.fdParent = spawner('fds');
    this.ioasidParent = spawner('ioasids');
    this.allocator = spawnPasidAllocator(root, this.env, spec.pasidBits);
    this.units = Array.from({ length: spec.iommus }, (_, i) => spawnIommuUnit(root, this.env, i));
    let index = 0;
    spec.vms.forEach((vm, v) => vm.devices.forEach((d) => {
      const i = index++;
      const ref = spawnDevice(root, this.env, { index: i, name: d.name, vm: v, unit: this.units[d.iommu]!, unitIndex: d.iommu, pasid: d.pasid, pasidMax: this.hw.pasidMax });
      this.devices.push({ index: i, name: d.name, vm: v, spec: d, ref });
    }));
    spec.vms.forEach((vm, v) => {
      for (let i = 0; i < vm.vcpus; i++) {
        const c = { index: this.vcpus.length, name: `${vm.name}.${i}` };
        this.vcpus.push({ ...c, vm: v, ref: spawnVcpu(root, this.env, c) });
      }
    });
    const vmDevices = (v: number) => this.devices.filter((d) => d.vm === v).map((d) => d.index);
    this.kvms = spec.vms.map((vm, v) => spawnKvm(root, this.env, { vm: v, name: vm.name, vcpus: this.vcpus.filter((c) => c.vm === v), devices: vmDevices(v), pasidMax: this.hw.pasidMax }));
    this.viommus = spec.vms.map((_, v) => spawnVIommu(root, { vm: v, devices: vmDevices(v), uapi: this, pages: DEFAULT_PGTBL_PAGES }));
    this.engines = (engineHost ?? ((hw, o, crash) => new EnginePool(hw, o, crash)))(this.hw, { landingLatencyUs: spec.landingLatencyUs }, spec.crashEngine ?? -1);
  }

  /** Observe every actor message (for diagrams and traces). */
  traceMessages(tracer: MessageTracer | null): void {
    this.runtime.traceMessages(tracer);
  }

  private async call<T>(op: string, args: Record<string, unknown>, fn: () => Promise<Result<T>>): Promise<Result<T>> {
    const id = ++this.callId;
    this.env.emit({ type: 'call', id, op, args, t: performance.now() });
    let r: Result<T>;
    try {
      r = this.stopped ? err('EBADF', 'the machine is shut down') : await fn();
    } catch (e) {
      r = err('EIO', (e as Error).message);
    }
    this.env.emit({ type: 'reply', id, op, args, result: r, t: performance.now() });
    return r;
  }

  private fdRef(fd: number): Result<ActorRef<FdMsg>> {
    const f = this.env.fds.get(fd);
    return f ? ok(f.ref) : err('EBADF', `FD ${fd} is not an open /dev/ioasid FD`);
  }

  private device(device: number): Result<DeviceInfo> {
    const d = this.devices[device];
    if (!d) return err('EINVAL', `no device ${device}`);
    if (this.closedDevices.has(device)) return err('EBADF', `device ${d.name} is closed`);
    return ok(d);
  }

  get T(): number { return this.spec.replyTimeoutMs; }

  open(vm: number): Promise<Result<number>> {
    return this.call('open', { vm }, async () => {
      const spec = this.spec.vms[vm];
      if (!spec) return err('EINVAL', `no VM ${vm}`);
      const fd = this.nextFd++;
      const ref = spawnIoasidFd(this.fdParent, this.env, { fd, vm, quota: spec.quota, ioasidParent: this.ioasidParent, allocator: this.allocator });
      this.env.fds.set(fd, { ref, vm });
      return ok(fd);
    });
  }

  alloc(fd: number): Promise<Result<number>> {
    return this.call('alloc', { fd }, async () => {
      const f = this.fdRef(fd);
      return f.ok ? ask('uapi', f.value, { t: 'alloc' }, this.T) : f;
    });
  }

  bindPgtbl(fd: number, ioasid: number, pages = DEFAULT_PGTBL_PAGES): Promise<Result<null>> {
    return this.call('bind_pgtbl', { fd, ioasid, pages }, async () => {
      const f = this.fdRef(fd);
      return f.ok ? ask('uapi', f.value, { t: 'bind', ioasid, pages }, this.T) : f;
    });
  }

  allow(device: number, fd: number, ioasid: number): Promise<Result<null>> {
    return this.call('allow', { device, fd, ioasid }, async () => {
      const d = this.device(device);
      return d.ok ? ask('uapi', d.value.ref, { t: 'allow', fd, ioasid }, this.T) : d;
    });
  }

  disallow(device: number, fd: number, ioasid: number): Promise<Result<null>> {
    return this.call('disallow', { device, fd, ioasid }, async () => {
      const d = this.device(device);
      return d.ok ? ask('uapi', d.value.ref, { t: 'disallow', fd, ioasid }, this.T) : d;
    });
  }

  destroy(fd: number, ioasid: number): Promise<Result<null>> {
    return this.call('destroy', { fd, ioasid }, async () => {
      const f = this.fdRef(fd);
      return f.ok ? ask('uapi', f.value, { t: 'destroy', ioasid }, this.T) : f;
    });
  }

  close(fd: number): Promise<Result<null>> {
    return this.call('close', { fd }, async () => {
      const f = this.fdRef(fd);
      if (!f.ok) return f;
      this.env.fds.delete(fd); // the number is no longer an open FD for anyone, at once
      return ask('uapi', f.value, { t: 'close' }, this.T);
    });
  }

  closeDevice(device: number): Promise<Result<null>> {
    return this.call('close_device', { device }, async () => {
      const d = this.device(device);
      if (!d.ok) return d;
      this.closedDevices.add(device);
      return ask('uapi', d.value.ref, { t: 'close' }, this.T);
    });
  }

  pasidState(pasid: number): Promise<Result<PasidState>> {
    return ask('uapi', this.allocator, { t: 'state', pasid }, this.T);
  }

  allocatorStats(): Promise<Result<AllocatorStats>> {
    return ask('uapi', this.allocator, { t: 'stats' }, this.T);
  }

  async ioasidInfo(pasid: number): Promise<Result<IoasidInfo>> {
    const ref: ActorRef<IoasidMsg> | undefined = this.env.globalIoasids.get(pasid);
    return ref ? ask('uapi', ref, { t: 'info' }, this.T) : err('ENOENT', `no live IOASID ${pasid}`);
  }

  // ---- KVM, vCPUs and the guest's vIOMMU ----

  private vmActor<M>(actors: readonly ActorRef<M>[], vm: number): Result<ActorRef<M>> {
    const a = actors[vm];
    return a ? ok(a) : err('EINVAL', `no VM ${vm}`);
  }

  kvmSetPasid(vm: number, vpasid: number, fd: number, ioasid: number): Promise<Result<null>> {
    return this.call('kvm_set_pasid', { vm, vpasid, fd, ioasid }, async () => {
      const k = this.vmActor(this.kvms, vm);
      return k.ok ? ask('uapi', k.value, { t: 'set', vpasid, fd, ioasid }, this.T) : k;
    });
  }

  kvmClearPasid(vm: number, vpasid: number): Promise<Result<null>> {
    return this.call('kvm_clear_pasid', { vm, vpasid }, async () => {
      const k = this.vmActor(this.kvms, vm);
      return k.ok ? ask('uapi', k.value, { t: 'clear', vpasid }, this.T) : k;
    });
  }

  /** Write a vCPU's IA32_PASID: `vpasid` with the valid bit, or vPASID 0 to clear the valid bit. */
  setMsr(vcpu: number, vpasid: number): Promise<Result<null>> {
    return this.call('set_msr', { vcpu, vpasid }, async () => {
      const c = this.vcpus[vcpu];
      return c ? ask('uapi', c.ref, { t: 'set-msr', vpasid }, this.T) : err('EINVAL', `no vCPU ${vcpu}`);
    });
  }

  /** Guest vIOMMU request: bind `device` to `vpasid`; the value is the pPASID. */
  viommuBind(vm: number, device: number, vpasid: number): Promise<Result<number>> {
    return this.call('viommu_bind', { vm, device, vpasid }, async () => {
      const v = this.vmActor(this.viommus, vm);
      return v.ok ? ask('uapi', v.value, { t: 'bind', device, vpasid }, this.T) : v;
    });
  }

  viommuUnbind(vm: number, device: number, vpasid: number): Promise<Result<null>> {
    return this.call('viommu_unbind', { vm, device, vpasid }, async () => {
      const v = this.vmActor(this.viommus, vm);
      return v.ok ? ask('uapi', v.value, { t: 'unbind', device, vpasid }, this.T) : v;
    });
  }

  // ---- Jobs on the engine threads: DMA by a device with a PASID, ENQCMD by a vCPU ----

  /** Start the engine threads if they are not running, and give the job to the next one. */
  private launch(job: Omit<JobSpec, 'engine'>, vcpu: number | null): Result<number> {
    if (!Number.isInteger(job.budget) || job.budget === 0 || job.budget < -1) return err('EINVAL', `ops must be a positive integer (got ${job.budget})`);
    if (!this.engines.running) {
      if (this.env.injectFault('worker-start')) return err('ENOMEM', 'worker start failed (injected)');
      this.engines.start();
    }
    if (this.engines.failure) return err('EIO', this.engines.failure);
    const engine = this.nextEngine++ % this.spec.workers;
    const id = this.env.host.jobs.start({ ...job, engine });
    if (id === null) return err('ENOSPC', 'every job slot is in use');
    this.jobsStarted.set(id, { vcpu });
    if (vcpu !== null) this.vcpuJob.set(vcpu, id);
    return ok(id);
  }

  private async startDma(device: number, pasid: number, budget: number, seed: number): Promise<Result<number>> {
    if (!this.devices[device]) return err('EINVAL', `no device ${device}`);
    const info = await this.ioasidInfo(pasid);
    const span = info.ok && info.value.pages > 0 ? info.value.pages : DEFAULT_PGTBL_PAGES;
    return this.launch({ kind: JobKind.DMA, device, pasid, budget, seed, span }, null);
  }

  /** ENQCMDs by `vcpu` to `device`'s portal, which only exists in the guest the device is assigned to. */
  private startEnqcmd(vcpu: number, device: number, budget: number, seed: number): Result<number> {
    const c = this.vcpus[vcpu];
    if (!c) return err('EINVAL', `no vCPU ${vcpu}`);
    const d = this.device(device);
    if (!d.ok) return d;
    if (d.value.vm !== c.vm) return err('EINVAL', `device ${d.value.name} is not assigned to the VM of vCPU ${c.name}`);
    if (!d.value.spec.enqcmd) return err('EOPNOTSUPP', `device ${d.value.name} has no shared work queue (no ENQCMD)`);
    if (this.vcpuJob.has(vcpu)) return err('EBUSY', `vCPU ${c.name} is already running an ENQCMD stream (job ${this.vcpuJob.get(vcpu)})`);
    return this.launch({ kind: JobKind.ENQCMD, device, pasid: 0, budget, seed, span: DEFAULT_PGTBL_PAGES, vcpu, retries: ENQCMD_RETRIES }, vcpu);
  }

  dma(device: number, pasid: number, ops: number, seed = 1): Promise<Result<JobCounts>> {
    return this.call('dma', { device, ioasid: pasid, ops }, async () => {
      const j = await this.startDma(device, pasid, ops, seed);
      if (!j.ok) return j;
      return this.finishJob(j.value, false);
    });
  }

  dmaStart(device: number, pasid: number, seed = 1): Promise<Result<number>> {
    return this.call('dma_start', { device, ioasid: pasid }, () => this.startDma(device, pasid, -1, seed));
  }

  /** `count` ENQCMDs by `vcpu` to `device`, each retried up to the bound on ZF=1. */
  enqcmd(vcpu: number, device: number, count: number, seed = 1): Promise<Result<EnqcmdCounts>> {
    return this.call('enqcmd', { vcpu, device, count }, async () => {
      const j = this.startEnqcmd(vcpu, device, count, seed);
      if (!j.ok) return j;
      const c = await this.finishJob(j.value, false);
      return c.ok ? ok({ submitted: count, accepted: c.value.accepted, retried: c.value.retried, gp: c.value.gp, exits: c.value.exits }) : c;
    });
  }

  enqcmdStart(vcpu: number, device: number, seed = 1): Promise<Result<number>> {
    return this.call('enqcmd_start', { vcpu, device }, async () => this.startEnqcmd(vcpu, device, -1, seed));
  }

  stopJob(job: number): Promise<Result<JobCounts>> {
    return this.call('stop', { job }, async () => {
      if (!this.jobsStarted.has(job)) return err('ENOENT', `no running job ${job}`);
      return this.finishJob(job, true);
    });
  }

  private async finishJob(id: number, stop: boolean): Promise<Result<JobCounts>> {
    const jobs = this.env.host.jobs;
    if (stop) jobs.requestStop(id);
    try {
      const counts = await jobs.waitDone(id, this.env.host.waiter);
      return ok(counts);
    } catch (e) {
      return err('EIO', this.engines.failure ?? (e as Error).message);
    } finally {
      jobs.release(id);
      const vcpu = this.jobsStarted.get(id)?.vcpu ?? null;
      this.jobsStarted.delete(id);
      if (vcpu !== null) this.vcpuEnded(vcpu);
    }
  }

  /** A vCPU's ENQCMD stream ended: KVM and the guest account for the #GPs it raised. */
  private vcpuEnded(vcpu: number): void {
    const c = this.vcpus[vcpu]!;
    this.vcpuJob.delete(vcpu);
    tell('uapi', this.kvms[c.vm]!, { t: 'exits' });
    tell('uapi', c.ref, { t: 'gps' });
  }

  get runningJobs(): number[] { return [...this.jobsStarted.keys()]; }

  /** Stop every job and the engine threads; the actors keep answering. */
  async stopEngines(): Promise<void> {
    for (const id of [...this.jobsStarted.keys()]) this.env.host.jobs.requestStop(id);
    await this.engines.stop();
  }

  /** Stop every job and engine thread and the actor system, so the process can exit. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.stopEngines();
    this.stopped = true;
    this.runtime.traceMessages(null);
    if (this.ownSystem) stopSystem(this.ownSystem);
    else stopActor(this.root as ActorRef<unknown>);
  }
}
