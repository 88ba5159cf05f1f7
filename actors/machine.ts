// The simulated machine: hardware in shared memory, the actor tree, the engine threads, and the
// uAPI as promise-returning calls. Every call is published as a `call` event before it starts
// and a `reply` event when it answers; a call on a closed FD or device answers EBADF at once.
import { type Hardware, JobKind, createHardware, validateShape } from '../hardware/layout.js';
import { PagePool } from '../hardware/memory.js';
import { PgtablePool } from '../hardware/pgtable.js';
import { PasidTables } from '../hardware/pasid-table.js';
import { type JobCounts, JobTable } from '../hardware/jobs.js';
import { type Waiter, threadWaiter } from '../hardware/wait.js';
import { EnginePool, type EngineHost, type EngineHostFactory } from '../workers/pool.js';
import type { ActorEnv, FallibleSite, MutantName } from './env.js';
import type { SimEvent, PasidState } from './events.js';
import type { AllocatorMsg, AllocatorStats, DeviceMsg, FdMsg, IommuMsg, IoasidInfo, IoasidMsg } from './protocol.js';
import { type Result, err, ok } from './result.js';
import { type ActorRef, type ParentRef, type SystemRef, ask, setMessageTracer, spawnNamed, startSystem, stopActor, stopSystem } from './runtime.js';
import { spawnPasidAllocator } from './pasid-allocator.js';
import { spawnIommuUnit } from './iommu-unit.js';
import { spawnDevice } from './device.js';
import { spawnIoasidFd } from './ioasid-fd.js';

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
}

export interface DeviceInfo { readonly index: number; readonly name: string; readonly vm: number; readonly spec: DeviceSpec; readonly ref: ActorRef<DeviceMsg> }

let machineSerial = 0;

export class Machine {
  readonly hw: Hardware;
  readonly env: ActorEnv;
  /** The nact system the actors live in (the machine's own, or the embedder's). */
  readonly system: ParentRef;
  private readonly ownSystem: SystemRef | null;
  /** The one actor all of this machine's actors live under. */
  readonly root: ParentRef;
  readonly allocator: ActorRef<AllocatorMsg>;
  readonly units: ActorRef<IommuMsg>[];
  readonly devices: DeviceInfo[] = [];
  readonly engines: EngineHost;
  private readonly closedDevices = new Set<number>();
  private readonly fdParent: ParentRef;
  private readonly ioasidParent: ParentRef;
  private nextFd = 3;
  private callId = 0;
  private nextEngine = 0;
  private serial = 0;
  private readonly jobsStarted = new Set<number>();
  private stopped = false;

  constructor(readonly spec: MachineSpec, hooks: MachineHooks) {
    const { emit, injectFault = () => false, waiter, engineHost } = hooks;
    const deviceVm: number[] = [];
    spec.vms.forEach((vm, v) => vm.devices.forEach(() => deviceVm.push(v)));
    const shape = { pasidBits: spec.pasidBits, deviceVm, vmPages: spec.vms.map((v) => v.pages), engines: spec.workers, pasidLeaves: spec.pasidLeaves, pgtables: spec.pgtables, vcpus: spec.vms.reduce((a, v) => a + v.vcpus, 0) };
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
    // Everything lives under one spawn-only actor, so an embedder's shutdown stops exactly us.
    this.root = spawnNamed<null, never>(this.system, `ioasid-sim-${serial}`, null, () => null, () => undefined);
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
    this.engines = (engineHost ?? ((hw, o, crash) => new EnginePool(hw, o, crash)))(this.hw, { landingLatencyUs: spec.landingLatencyUs }, spec.crashEngine ?? -1);
  }

  /** Observe every actor message (for diagrams and traces). */
  traceMessages(tracer: ((from: string, to: string, kind: string, isReply: boolean) => void) | null): void {
    setMessageTracer(this.system, tracer);
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

  bindPgtbl(fd: number, ioasid: number, pages = 16): Promise<Result<null>> {
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

  // ---- DMA: the device doing accesses with a PASID, on an engine thread ----

  private async startJob(device: number, pasid: number, budget: number, seed: number): Promise<Result<number>> {
    if (!this.devices[device]) return err('EINVAL', `no device ${device}`);
    if (!Number.isInteger(budget) || budget === 0 || budget < -1) return err('EINVAL', `ops must be a positive integer (got ${budget})`);
    if (!this.engines.running) {
      if (this.env.injectFault('worker-start')) return err('ENOMEM', 'worker start failed (injected)');
      this.engines.start();
    }
    if (this.engines.failure) return err('EIO', this.engines.failure);
    const info = await this.ioasidInfo(pasid);
    const span = info.ok && info.value.pages > 0 ? info.value.pages : 16;
    const engine = this.nextEngine++ % this.spec.workers;
    const id = this.env.host.jobs.start({ kind: JobKind.DMA, engine, device, pasid, budget, seed, span });
    if (id === null) return err('ENOSPC', 'every DMA job slot is in use');
    this.jobsStarted.add(id);
    return ok(id);
  }

  dma(device: number, pasid: number, ops: number, seed = 1): Promise<Result<JobCounts>> {
    return this.call('dma', { device, ioasid: pasid, ops }, async () => {
      const j = await this.startJob(device, pasid, ops, seed);
      if (!j.ok) return j;
      return this.finishJob(j.value, false);
    });
  }

  dmaStart(device: number, pasid: number, seed = 1): Promise<Result<number>> {
    return this.call('dma_start', { device, ioasid: pasid }, () => this.startJob(device, pasid, -1, seed));
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
      this.jobsStarted.delete(id);
    }
  }

  get runningJobs(): number[] { return [...this.jobsStarted]; }

  /** Stop every job and the engine threads; the actors keep answering. */
  async stopEngines(): Promise<void> {
    for (const id of [...this.jobsStarted]) this.env.host.jobs.requestStop(id);
    await this.engines.stop();
  }

  /** Stop every job and engine thread and the actor system, so the process can exit. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.stopEngines();
    this.stopped = true;
    setMessageTracer(this.system, null);
    if (this.ownSystem) stopSystem(this.ownSystem);
    else stopActor(this.root as ActorRef<unknown>);
  }
}
