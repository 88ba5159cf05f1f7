// The simulated machine: hardware in shared memory, the actor tree and the engine threads, wired
// together, with the uAPI as one entry point, `invoke(op, args)` (the op table's dispatcher).
import { type Hardware, createHardware, validateShape } from '../hardware/layout.js';
import { PagePool } from '../hardware/memory.js';
import { PgtablePool } from '../hardware/pgtable.js';
import { PasidTables } from '../hardware/pasid-table.js';
import { JobTable } from '../hardware/jobs.js';
import { type Waiter, threadWaiter } from '../hardware/wait.js';
import { EnginePool, type EngineHost, type EngineHostFactory } from '../workers/pool.js';
import { type ActorEnv, Attachments, type FallibleSite, HWPT_ID_SPACE } from '../actors/env.js';
import type { PasidState, SimEvent } from '../actors/events.js';
import type { AllocatorMsg, AllocatorStats, IommuMsg, IoasidInfo, IoasidMsg, Invoke, KvmMsg, VIommuMsg } from '../actors/protocol.js';
import { type Result, err } from '../actors/result.js';
import {
  type ActorRef,
  type MessageTracer,
  type ParentRef,
  type Runtime,
  type SystemRef,
  ask,
  createRuntime,
  spawnNamed,
  startSystem,
  stopActor,
  stopSystem,
  tell,
} from '../actors/runtime.js';
import { spawnPasidAllocator } from '../actors/pasid-allocator.js';
import { spawnIommuUnit } from '../actors/iommu-unit.js';
import { spawnDevice } from '../actors/device.js';
import { spawnKvm } from '../actors/kvm.js';
import { spawnVcpu } from '../actors/vcpu.js';
import { spawnVIommu } from '../actors/viommu.js';
import { dispatcher } from '../uapi/dispatch.js';
import type { DeviceInfo, Kernel, VcpuInfo } from '../uapi/kernel.js';
import { DEFAULT_PGTBL_PAGES } from '../uapi/ops.js';
import { Jobs } from './jobs.js';
import { FaultQueues } from './fault-queues.js';
import type { MachineSpec } from './spec.js';

/** How a machine is wired into its surroundings. */
export interface MachineHooks {
  /** Receives every event (calls, replies, krefs, PASID states). */
  readonly emit: (e: SimEvent) => void;
  /** The run's clock in ms (virtual in deterministic mode); default performance.now. */
  readonly now?: () => number;
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

let machineSerial = 0;

export class Machine implements Kernel {
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
  readonly kvms: ActorRef<KvmMsg>[];
  readonly viommus: ActorRef<VIommuMsg>[];
  readonly vmQuotas: readonly (number | null)[];
  readonly engines: EngineHost;
  readonly jobs: Jobs;
  readonly faults: FaultQueues;
  readonly closedDevices = new Set<number>();
  readonly fdParent: ParentRef;
  readonly ioasidParent: ParentRef;
  /** The uAPI: every call goes through the op table's dispatcher, which publishes it. */
  readonly invoke: Invoke;
  private lastFd = 2;
  private serial = 0;
  stopped = false;

  constructor(
    readonly spec: MachineSpec,
    hooks: MachineHooks,
  ) {
    const { emit, injectFault = () => false, waiter, engineHost, now = () => performance.now() } = hooks;
    const deviceVm: number[] = [];
    const deviceAts: boolean[] = [];
    const deviceUnit: number[] = [];
    const devicePri: boolean[] = [];
    const vcpuVm: number[] = [];
    spec.vms.forEach((vm, v) => {
      for (const d of vm.devices) {
        deviceVm.push(v);
        deviceAts.push(d.ats);
        deviceUnit.push(d.iommu);
        devicePri.push(d.pri ?? false);
      }
      for (let i = 0; i < vm.vcpus; i++) vcpuVm.push(v);
    });
    const shape = {
      pasidBits: spec.pasidBits,
      deviceVm,
      vmPages: spec.vms.map((v) => v.pages),
      engines: spec.workers,
      pasidLeaves: spec.pasidLeaves,
      pgtables: spec.pgtables,
      vcpuVm,
      units: spec.iommus,
      deviceAts,
      deviceUnit,
      devicePri,
    };
    const bad = validateShape(shape);
    if (bad) throw new RangeError(bad);
    this.hw = createHardware(shape);
    const pages = new PagePool(this.hw);
    this.env = {
      mutant: spec.mutant,
      uapi: spec.uapi,
      // iommufd's DESTROY is EBUSY while anything else holds the object (docs/iommufd.md).
      destroyPolicy: spec.uapi === 'iommufd' ? 'ebusy' : spec.destroyPolicy,
      host: {
        hw: this.hw,
        pages,
        pgtables: new PgtablePool(this.hw, pages),
        pasidTables: new PasidTables(this.hw),
        jobs: new JobTable(this.hw),
        waiter: waiter ?? threadWaiter(this.hw.ctrl),
      },
      replyTimeoutMs: spec.replyTimeoutMs,
      injectFault,
      emit,
      now,
      globalIoasids: new Map(),
      nextSerial: () => ++this.serial,
      fds: new Map(),
      attachments: new Attachments(spec.uapi),
    };
    this.vmQuotas = spec.vms.map((v) => v.quota);
    const serial = ++machineSerial;
    this.ownSystem = hooks.parent ? null : startSystem(`ioasid-sim-${process.pid}-${serial}`);
    this.system = hooks.parent ?? this.ownSystem!;
    this.runtime = hooks.runtime ?? createRuntime({ now });
    // Everything lives under one spawn-only actor, so an embedder's shutdown stops exactly us;
    // its runtime is every actor's under it, so a second machine in the system never mixes in.
    this.root = this.runtime.spawnRoot(this.system, `ioasid-sim-${serial}`);
    const root = this.root;
    // Spawn-only parents: an actor that receives messages must not have many children (docs/model.md#costs-that-shaped-the-messaging).
    const noop = () => undefined;
    const spawner = (name: string) => spawnNamed<null, never>(root, name, null, () => null, noop);
    this.fdParent = spawner('fds');
    this.ioasidParent = spawner('ioasids');
    // Devices and vCPUs are named as the user named them, so each kind has a parent of its own.
    const devices = spawner('devices');
    const vcpus = spawner('vcpus');
    // iommufd allocates no PASID (the VMM picks them per device): the allocator numbers HWPTs.
    const space = spec.uapi === 'iommufd' ? HWPT_ID_SPACE : ({ name: 'pasid-allocator', bits: spec.pasidBits, what: 'PASID' } as const);
    this.allocator = spawnPasidAllocator(root, this.env, space);
    this.units = Array.from({ length: spec.iommus }, (_, i) => spawnIommuUnit(root, this.env, i));
    let index = 0;
    spec.vms.forEach((vm, v) => {
      for (const d of vm.devices) {
        const i = index++;
        const ref = spawnDevice(devices, this.env, {
          index: i,
          name: d.name,
          vm: v,
          unit: this.units[d.iommu]!,
          unitIndex: d.iommu,
          pasid: d.pasid,
          pasidMax: d.pasidBits === undefined ? this.hw.pasidMax : Math.min(this.hw.pasidMax, 2 ** d.pasidBits),
        });
        this.devices.push({ index: i, name: d.name, vm: v, enqcmd: d.enqcmd, ref });
      }
    });
    spec.vms.forEach((vm, v) => {
      for (let i = 0; i < vm.vcpus; i++) {
        const c = { index: this.vcpus.length, name: `${vm.name}.${i}` };
        this.vcpus.push({ ...c, vm: v, ref: spawnVcpu(vcpus, this.env, c) });
      }
    });
    const vmDevices = (v: number) => this.devices.filter((d) => d.vm === v).map((d) => d.index);
    this.kvms = spec.vms.map((vm, v) =>
      spawnKvm(root, this.env, { vm: v, name: vm.name, vcpus: this.vcpus.filter((c) => c.vm === v), devices: vmDevices(v), pasidMax: this.hw.pasidMax }),
    );
    const uapi = dispatcher(this, { emit, now });
    this.invoke = uapi.user;
    this.faults = new FaultQueues(this.env);
    // Guest faults: the groups on the fault queues of a vIOMMU's FD are injected into it.
    const takeFaults = (fd: number, ref: ActorRef<VIommuMsg>) =>
      this.faults.injectInto(fd, (pasid, request) => tell('fault-queues', ref, { t: 'page-request', pasid, request }));
    this.viommus = spec.vms.map((vm, v) =>
      spawnVIommu(root, {
        vm: v,
        name: vm.name,
        devices: vmDevices(v),
        uapi: uapi.viommu,
        design: spec.uapi,
        pages: DEFAULT_PGTBL_PAGES,
        mutant: spec.mutant,
        takeFaults: vm.guestFaults ? takeFaults : null,
      }),
    );
    this.engines = (engineHost ?? ((hw, o, crash) => new EnginePool(hw, o, crash)))(
      this.hw,
      { landingLatencyUs: spec.landingLatencyUs },
      spec.crashEngine ?? -1,
    );
    this.jobs = new Jobs({
      env: this.env,
      engines: this.engines,
      workers: spec.workers,
      devices: this.devices,
      vcpus: this.vcpus,
      kvms: this.kvms,
      faults: this.faults,
    });
  }

  nextFd(): number {
    return ++this.lastFd;
  }

  /** Observe every actor message (for diagrams and traces). */
  traceMessages(tracer: MessageTracer | null): void {
    this.runtime.traceMessages(tracer);
  }

  /** The allocator's view of a PASID, without publishing a call (the auditor's own look). */
  pasidState(pasid: number): Promise<Result<PasidState>> {
    return ask('uapi', this.allocator, { t: 'state', pasid }, this.env.replyTimeoutMs);
  }

  allocatorStats(): Promise<Result<AllocatorStats>> {
    return ask('uapi', this.allocator, { t: 'stats' }, this.env.replyTimeoutMs);
  }

  async ioasidInfo(pasid: number): Promise<Result<IoasidInfo>> {
    const ref: ActorRef<IoasidMsg> | undefined = this.env.globalIoasids.get(pasid);
    return ref ? ask('uapi', ref, { t: 'info' }, this.env.replyTimeoutMs) : err('ENOENT', `no live IOASID ${pasid}`);
  }

  get runningJobs(): number[] {
    return this.jobs.running;
  }

  /** Stop every job and the engine threads; the actors keep answering. */
  async stopEngines(): Promise<void> {
    this.jobs.stopAll();
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
