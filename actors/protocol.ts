// Message protocols of every actor, as discriminated unions. Each request carries the port its
// answer goes to (nact has no sender): every handler answers every request, with a Result.
import type { Result } from './result.js';
import type { ActorRef, ReplyTo } from './runtime.js';
import type { PasidState } from './events.js';
import type { JobCounts } from '../hardware/jobs.js';

type Req<R> = { readonly replyTo: ReplyTo<Result<R>> };

export type AllocatorMsg =
  | ({ t: 'alloc'; vm: number; quota: number | null } & Req<number>)
  | { t: 'park'; pasid: number }
  | { t: 'release'; pasid: number }
  | ({ t: 'state'; pasid: number } & Req<PasidState>)
  | ({ t: 'stats' } & Req<AllocatorStats>);

export interface AllocatorStats {
  inUse: number;
  parked: number;
  free: number;
  perVm: Record<number, number>;
}

/** Who holds a kref: the FD, a device, or a KVM vPASID translation. */
export type Holder = `fd:${number}` | `dev:${number}` | `kvm:${number}:${number}`;

export type IoasidMsg =
  /**
   * A device takes a kref and (unless `install` is false: a replace programs the entry itself)
   * installs its PASID entry. `at` is the PASID the VMM chose (iommufd); null: the IOASID's own.
   */
  | ({ t: 'attach'; device: number; unit: ActorRef<IommuMsg>; unitIndex: number; at: number | null; install: boolean } & Req<null>)
  | ({ t: 'get'; holder: Holder } & Req<null>)
  | ({ t: 'put'; holder: Holder } & Req<null>)
  | ({ t: 'bind'; pages: number } & Req<null>)
  | ({ t: 'map'; iova: number; pages: number } & Req<null>)
  | ({ t: 'unmap'; iova: number; pages: number } & Req<null>)
  /** The process of VM `vm` behind this IOASID's address space exits (SVA): torn down like DESTROY by its FD. */
  | ({ t: 'mm-exit'; vm: number } & Req<null>)
  | ({ t: 'destroy'; holder: Holder; force: boolean } & Req<null>)
  /** Tear down every PASID entry of this IOASID (the fallible part of a teardown), changing nothing else. */
  | ({ t: 'quiesce' } & Req<null>)
  | ({ t: 'info' } & Req<IoasidInfo>);

export interface IoasidInfo {
  pasid: number;
  status: 'allocated' | 'bound' | 'destroyed';
  kref: number;
  holders: Holder[];
  pgtable: number | null;
  /** One past the highest IOVA page ever mapped (0: no address space): the span DMA addresses. */
  pages: number;
}

export type FdMsg =
  | ({ t: 'alloc' } & Req<number>)
  | ({ t: 'bind'; ioasid: number; pages: number } & Req<null>)
  | ({ t: 'map'; ioasid: number; iova: number; pages: number } & Req<null>)
  | ({ t: 'unmap'; ioasid: number; iova: number; pages: number } & Req<null>)
  | ({ t: 'lookup'; ioasid: number } & Req<ActorRef<IoasidMsg>>)
  | ({ t: 'destroy'; ioasid: number } & Req<null>)
  | ({ t: 'close' } & Req<null>)
  | ({ t: 'list' } & Req<number[]>)
  /** iommufd: a device holds the file while it has anything attached from it (close waits for it). */
  | ({ t: 'hold'; device: number } & Req<null>)
  | ({ t: 'unhold'; device: number } & Req<null>);

export type DeviceMsg =
  | ({ t: 'allow'; fd: number; ioasid: number } & Req<null>)
  | ({ t: 'disallow'; fd: number; ioasid: number } & Req<null>)
  | ({ t: 'close' } & Req<null>)
  | ({ t: 'held' } & Req<Array<{ fd: number; pasid: number }>>)
  // iommufd: a page table (HWPT) on a (device, PASID) the VMM chose.
  | ({ t: 'attach'; fd: number; hwpt: number; pasid: number } & Req<null>)
  | ({ t: 'replace'; fd: number; hwpt: number; pasid: number } & Req<null>)
  | ({ t: 'detach'; pasid: number } & Req<null>);

export type IommuMsg =
  | ({ t: 'install'; device: number; pasid: number; pgtable: number | null } & Req<null>)
  | ({ t: 'set-pgtable'; pasid: number; pgtable: number | null } & Req<null>)
  /** An unmap cleared the PTEs of IOVA pages [iova, iova + pages): flush them from every cache and drain. */
  | ({ t: 'flush-range'; pasid: number; iova: number; pages: number } & Req<null>)
  /** Swap the page table of one present entry in one atomic store, then flush and drain what used the old one. */
  | ({ t: 'replace'; device: number; pasid: number; pgtable: number } & Req<null>)
  | ({ t: 'teardown'; device: number; pasid: number } & Req<null>)
  | ({ t: 'teardown-pasid'; pasid: number } & Req<null>);

export type KvmMsg =
  | ({ t: 'set'; vpasid: number; fd: number; ioasid: number } & Req<null>)
  | ({ t: 'clear'; vpasid: number } & Req<null>)
  /** Account for the VM exits (72) its vCPUs took since the last time: each injected a #GP. */
  | { t: 'exits' };

export type VcpuMsg =
  | ({ t: 'set-msr'; vpasid: number } & Req<null>)
  /** Account for the #GPs the guest took on this vCPU since the last time. */
  | { t: 'gps' };

/** The guest's vIOMMU: requests to bind a device to a vPASID (answer: the pPASID) and back. */
export type VIommuRequest = ({ t: 'bind'; device: number; vpasid: number } & Req<number>) | ({ t: 'unbind'; device: number; vpasid: number } & Req<null>);

/** What the vIOMMU holds for one vPASID: its IOASID (the pPASID), the devices bound, whether KVM maps it. */
export interface VIommuBinding {
  readonly pasid: number;
  readonly devices: ReadonlySet<number>;
  readonly kvm: boolean;
}

export type VIommuMsg =
  | VIommuRequest
  /** Sent by the vIOMMU to itself when a request's work ended: hold `binding` from now on, and answer. */
  | { t: 'done'; request: VIommuRequest; binding: VIommuBinding | null; result: Result<number> }
  /** A page request of a device, on the fault queue the vIOMMU attached to IOASID `pasid`, injected into the guest. */
  | { t: 'page-request'; pasid: number; request: PageRequestInfo };

// ---- The uAPI's ops, as the op table (uapi/ops.ts) serves them ----

/** What an `enqcmd` call did with its `submitted` ENQCMDs. */
export interface EnqcmdCounts {
  readonly submitted: number;
  readonly accepted: number;
  readonly retried: number;
  readonly gp: number;
  readonly exits: number;
}

/** The page-request group a FAULT_RESPOND answered. */
export interface PageRequestInfo {
  readonly device: number;
  readonly iova: number;
  /** The group asks for `pages` consecutive IOVA pages from `iova` (a stalled access over several pages). */
  readonly pages: number;
  readonly group: number;
  /** Names the group in FAULT_RESPOND (iommufd's cookie): unique per machine, counted from 1. */
  readonly cookie: number;
}

/**
 * Every uAPI op: its complete arguments, which of them may be left out (the table fills their
 * defaults), and its value on success. Machine objects are named by index (VMs, devices, vCPUs),
 * FDs, IOASIDs (PASIDs), vPASIDs and jobs by number. Mapped types over this interface make a
 * consumer that forgets an op fail to compile.
 */
export interface UapiOps {
  open: { args: { vm: number }; optional: never; value: number };
  alloc: { args: { fd: number }; optional: never; value: number };
  bind_pgtbl: { args: { fd: number; ioasid: number; pages: number }; optional: 'pages'; value: null };
  map: { args: { fd: number; ioasid: number; iova: number; pages: number }; optional: 'pages'; value: null };
  unmap: { args: { fd: number; ioasid: number; iova: number; pages: number }; optional: 'pages'; value: null };
  mm_exit: { args: { vm: number; ioasid: number }; optional: never; value: null };
  allow: { args: { device: number; fd: number; ioasid: number }; optional: never; value: null };
  disallow: { args: { device: number; fd: number; ioasid: number }; optional: never; value: null };
  destroy: { args: { fd: number; ioasid: number }; optional: never; value: null };
  close: { args: { fd: number }; optional: never; value: null };
  close_device: { args: { device: number }; optional: never; value: null };
  kvm_set_pasid: { args: { vm: number; vpasid: number; fd: number; ioasid: number }; optional: never; value: null };
  kvm_clear_pasid: { args: { vm: number; vpasid: number }; optional: never; value: null };
  set_msr: { args: { vcpu: number; vpasid: number }; optional: never; value: null };
  viommu_bind: { args: { vm: number; device: number; vpasid: number }; optional: never; value: number };
  viommu_unbind: { args: { vm: number; device: number; vpasid: number }; optional: never; value: null };
  dma: { args: { device: number; ioasid: number; ops: number; seed: number }; optional: 'ops' | 'seed'; value: JobCounts };
  dma_start: { args: { device: number; ioasid: number; min_landed: number; seed: number }; optional: 'min_landed' | 'seed'; value: number };
  enqcmd: { args: { vcpu: number; device: number; count: number; seed: number }; optional: 'count' | 'seed'; value: EnqcmdCounts };
  enqcmd_start: { args: { vcpu: number; device: number; seed: number }; optional: 'seed'; value: number };
  stop: { args: { job: number }; optional: never; value: JobCounts };
  pasid_state: { args: { ioasid: number }; optional: never; value: PasidState };
  fault_queue: { args: { fd: number; ioasid: number }; optional: never; value: null };
  fault_read: { args: { fd: number; ioasid: number }; optional: never; value: PageRequestInfo };
  fault_respond: { args: { fd: number; ioasid: number; code: number; cookie: number }; optional: 'cookie'; value: PageRequestInfo };
  attach: { args: { device: number; fd: number; hwpt: number; pasid: number }; optional: never; value: null };
  replace: { args: { device: number; fd: number; hwpt: number; pasid: number }; optional: never; value: null };
  detach: { args: { device: number; pasid: number }; optional: never; value: null };
}

export type OpName = keyof UapiOps;
/** An op's complete arguments, as its handler and the call/reply events see them. */
export type OpArgs<K extends OpName> = Readonly<UapiOps[K]['args']>;
/** An op's arguments as a caller gives them: the ones with defaults may be left out. */
/** The arguments of op K that have a default. */
type Optional<K extends OpName> = Extract<UapiOps[K]['optional'], keyof UapiOps[K]['args']>;
export type OpInput<K extends OpName> = Readonly<Omit<UapiOps[K]['args'], Optional<K>> & Partial<Pick<UapiOps[K]['args'], Optional<K>>>>;
export type OpValue<K extends OpName> = UapiOps[K]['value'];

/** Call op `op`: the one way into the uAPI (the dispatcher publishes the call and its reply). */
export type Invoke<Ops extends OpName = OpName> = <K extends Ops>(op: K, args: OpInput<K>) => Promise<Result<OpValue<K>>>;
