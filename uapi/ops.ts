// The op table, in the spirit of the kernel's iommufd_ioctl_ops[]: one row per uAPI op, naming
// the object it works on, its arguments with their defaults, what its value names, its outcomes,
// one line of meaning and its handler. The dispatcher (dispatch.ts) does the shared work once:
// defaults, argument checks, target resolution, call and reply events. Sequence files, `list`,
// the embedding API, the vIOMMU, the auditor's rules, the fuzzer and the trace recorder are
// derived from this table or mapped over its op names, so a new op is one row plus its handler.
import { spawnIoasidFd } from '../actors/ioasid-fd.js';
import type { OpArgs, OpName, OpValue } from '../actors/protocol.js';
import { type Result, err, ok } from '../actors/result.js';
import { ask } from '../actors/runtime.js';
import type { UapiDesign } from '../actors/env.js';
import type { Kernel } from './kernel.js';
import { type TargetKind, type Targets, deviceTarget } from './targets.js';

/**
 * What an argument names: a machine object by index, a number the uAPI handed out, a PASID the
 * VMM chose for a device (iommufd, written as a number), a count (at least 1), IOVA pages (a page
 * number or a page count, 0 allowed: the op itself answers EINVAL for a range it refuses), a seed,
 * a PCIe page-response code (0 success, 1 invalid request; sequence files write `success` or
 * `invalid`), the cookie of a page request a fault queue handed out (0: the queue's oldest).
 */
export type ArgKind = 'vm' | 'device' | 'vcpu' | 'fd' | 'ioasid' | 'vpasid' | 'pasid' | 'job' | 'count' | 'pages' | 'seed' | 'response' | 'cookie';
/** What `as:` may name: the value itself (an FD, an IOASID, a job), or the cookie of the page request a value describes. */
export type BindKind = 'fd' | 'ioasid' | 'job' | 'cookie';
/** The number a name of `kind` stands for, from a successful call's value. */
export const boundValue = (kind: BindKind, value: unknown): number => (kind === 'cookie' ? (value as { cookie: number }).cookie : (value as number));
export interface ArgSpec {
  readonly kind: ArgKind;
  readonly default?: number;
  /** The largest value accepted (EINVAL above it; a sequence file is refused before it runs). */
  readonly max?: number;
}

/** Pages of an IO page table when the caller names none; ENQCMD descriptors address as many. */
export const DEFAULT_PGTBL_PAGES = 16;
/**
 * The largest burst a `dma` or `enqcmd` call may ask for: one that finishes well within the
 * hardware wait bound (15 s) on a loaded machine. A burst of 10^6 accesses takes about a second
 * here; ENQCMD is slower (the queue fills and submissions retry), about 1 s per 10^4.
 */
export const MAX_DMA_OPS = 1_000_000;
export const MAX_ENQCMD_COUNT = 10_000;

interface RowOf<K extends OpName, T extends TargetKind> {
  /** One line of meaning (for `list` and the docs). */
  readonly summary: string;
  /** The object the call works on; the dispatcher resolves it from the argument of that name. */
  readonly target: T;
  /** Every argument, in the order a person writes them. */
  readonly args: { readonly [A in keyof OpArgs<K>]-?: ArgSpec };
  /** The kind of name `as:` binds to the value. */
  readonly binds?: BindKind;
  /** The one uAPI design that has this op (default: both); in the other it answers EOPNOTSUPP. */
  readonly design?: UapiDesign;
  /** Outcome words besides `ok` and the errnos that `expect:` may name. */
  readonly outcomes?: readonly string[];
  handle(k: Kernel, target: Targets[T], a: OpArgs<K>): Promise<Result<OpValue<K>>>;
  /** The outcome word of a successful value (default `ok`). */
  classify?(v: OpValue<K>): string;
  /** Does a successful value meet `expect: ok` (default: yes)? */
  fullyOk?(v: OpValue<K>): boolean;
}
/** A row of op K, for whichever object kind it targets (the `target` field discriminates). */
export type OpRow<K extends OpName> = { [T in TargetKind]: RowOf<K, T> }[TargetKind];

const T = (k: Kernel) => k.env.replyTimeoutMs;
const fd = { kind: 'fd' } as const;
const ioasid = { kind: 'ioasid' } as const;
const device = { kind: 'device' } as const;
const vm = { kind: 'vm' } as const;
const vcpu = { kind: 'vcpu' } as const;
const vpasid = { kind: 'vpasid' } as const;
const seed = { kind: 'seed', default: 1 } as const;
const hwpt = { kind: 'ioasid' } as const;
const pasid = { kind: 'pasid' } as const;

export const UAPI: { readonly [K in OpName]: OpRow<K> } = {
  open: {
    summary: 'open /dev/ioasid for a VM; value: the FD',
    target: 'vm',
    binds: 'fd',
    args: { vm },
    async handle(k, v) {
      const n = k.nextFd();
      const ref = spawnIoasidFd(k.fdParent, k.env, { fd: n, vm: v, quota: k.vmQuotas[v] ?? null, ioasidParent: k.ioasidParent, allocator: k.allocator });
      k.env.fds.set(n, { ref, vm: v });
      return ok(n);
    },
  },
  alloc: {
    summary: 'IOASID_ALLOC on an FD; value: the IOASID (its PASID; iommufd: the HWPT id)',
    target: 'fd',
    binds: 'ioasid',
    args: { fd },
    handle: (k, f) => ask('uapi', f, { t: 'alloc' }, T(k)),
  },
  bind_pgtbl: {
    summary: "BIND_PGTBL: give the IOASID an address space with `pages` of the VM's memory mapped at IOVA 0 (an empty one, then MAP)",
    target: 'fd',
    args: { fd, ioasid, pages: { kind: 'count', default: DEFAULT_PGTBL_PAGES } },
    handle: (k, f, a) => ask('uapi', f, { t: 'bind', ioasid: a.ioasid, pages: a.pages }, T(k)),
  },
  map: {
    summary: 'IOAS_MAP: map `pages` fresh pages of the VM at IOVA page `iova` of the IOASID (an empty address space first if it has none)',
    target: 'fd',
    args: { fd, ioasid, iova: { kind: 'pages' }, pages: { kind: 'pages', default: 1 } },
    handle: (k, f, a) => ask('uapi', f, { t: 'map', ioasid: a.ioasid, iova: a.iova, pages: a.pages }, T(k)),
  },
  unmap: {
    summary: 'IOAS_UNMAP: clear the PTEs of IOVA pages [iova, iova + pages), flush the IOTLB and device TLBs and drain, then free the pages',
    target: 'fd',
    args: { fd, ioasid, iova: { kind: 'pages' }, pages: { kind: 'pages', default: 1 } },
    handle: (k, f, a) => ask('uapi', f, { t: 'unmap', ioasid: a.ioasid, iova: a.iova, pages: a.pages }, T(k)),
  },
  mm_exit: {
    summary: "the process behind an IOASID's address space exits (SVA): every (device, PASID) torn down, pages freed after the flush, the PASID parked",
    target: 'vm',
    args: { vm, ioasid },
    async handle(k, v, a) {
      const ref = k.env.globalIoasids.get(a.ioasid);
      return ref ? ask('uapi', ref, { t: 'mm-exit', vm: v }, T(k)) : err('ENOENT', `no live IOASID ${a.ioasid}`);
    },
  },
  allow: {
    summary: 'DEVICE_ALLOW_IOASID on a device FD',
    target: 'device',
    args: { device, fd, ioasid },
    handle: (k, d, a) => ask('uapi', d.ref, { t: 'allow', fd: a.fd, ioasid: a.ioasid }, T(k)),
  },
  disallow: {
    summary: 'DEVICE_DISALLOW_IOASID on a device FD',
    target: 'device',
    args: { device, fd, ioasid },
    handle: (k, d, a) => ask('uapi', d.ref, { t: 'disallow', fd: a.fd, ioasid: a.ioasid }, T(k)),
  },
  destroy: {
    summary: 'DESTROY an IOASID: wipe its page table, halt DMA, park the PASID',
    target: 'fd',
    args: { fd, ioasid },
    handle: (k, f, a) => ask('uapi', f, { t: 'destroy', ioasid: a.ioasid }, T(k)),
  },
  close: {
    summary: 'close(fd): destroy everything the FD still holds',
    target: 'fd',
    args: { fd },
    async handle(k, f, a) {
      const open = k.env.fds.get(a.fd)!;
      k.env.fds.delete(a.fd); // the number is no longer an open FD for anyone, at once
      const r = await ask('uapi', f, { t: 'close' }, T(k));
      if (!r.ok) k.env.fds.set(a.fd, open); // aborted: the FD is still open
      return r;
    },
  },
  close_device: {
    summary: 'close a VFIO device FD: disallow all it holds; later calls get EBADF',
    target: 'device',
    args: { device },
    async handle(k, d) {
      k.closedDevices.add(d.index);
      const r = await ask('uapi', d.ref, { t: 'close' }, T(k));
      if (!r.ok) k.closedDevices.delete(d.index); // aborted: the device FD is still open
      return r;
    },
  },
  kvm_set_pasid: {
    summary: "KVM_SET_PASID: map a vPASID of a VM to the IOASID's PASID, for ENQCMD (KVM holds a kref)",
    target: 'vm',
    args: { vm, vpasid, fd, ioasid },
    handle: (k, v, a) => ask('uapi', k.kvms[v]!, { t: 'set', vpasid: a.vpasid, fd: a.fd, ioasid: a.ioasid }, T(k)),
  },
  kvm_clear_pasid: {
    summary: 'KVM_CLEAR_PASID: unmap a vPASID, wait for submitting vCPUs, drain accepted descriptors, drop the kref',
    target: 'vm',
    args: { vm, vpasid },
    handle: (k, v, a) => ask('uapi', k.kvms[v]!, { t: 'clear', vpasid: a.vpasid }, T(k)),
  },
  set_msr: {
    summary: "write a vCPU's IA32_PASID: the vPASID with the valid bit (vpasid 0 clears the valid bit)",
    target: 'vcpu',
    args: { vcpu, vpasid },
    handle: (k, c, a) => ask('uapi', c.ref, { t: 'set-msr', vpasid: a.vpasid }, T(k)),
  },
  viommu_bind: {
    summary: 'guest vIOMMU request: ALLOC, BIND_PGTBL, ALLOW (iommufd: ATTACH at the HWPT id) and KVM_SET_PASID for a device and vPASID; value: the pPASID',
    target: 'vm',
    binds: 'ioasid',
    args: { vm, device, vpasid },
    handle: (k, v, a) => ask('uapi', k.viommus[v]!, { t: 'bind', device: a.device, vpasid: a.vpasid }, T(k)),
  },
  viommu_unbind: {
    summary: 'guest vIOMMU request: KVM_CLEAR_PASID, DISALLOW (iommufd: DETACH) and DESTROY (the last device of the vPASID), or DISALLOW',
    target: 'vm',
    args: { vm, device, vpasid },
    handle: (k, v, a) => ask('uapi', k.viommus[v]!, { t: 'unbind', device: a.device, vpasid: a.vpasid }, T(k)),
  },
  dma: {
    summary: 'a burst of `ops` DMA accesses by a device with a PASID, on a worker; value: { landed, faulted }',
    target: 'machine',
    outcomes: ['fault'],
    args: { device, ioasid, ops: { kind: 'count', default: 1000, max: MAX_DMA_OPS }, seed },
    async handle(k, _m, a) {
      const j = await k.jobs.startDma(a.device, a.ioasid, a.ops, a.seed);
      return j.ok ? k.jobs.finish(j.value, false) : j;
    },
    classify: (v) => (v.landed === 0 && v.faulted > 0 ? 'fault' : 'ok'),
    fullyOk: (v) => v.faulted === 0,
  },
  dma_start: {
    summary: 'start background DMA by a device with a PASID (its stop first waits, bounded, for `min_landed` accesses to land); value: a job handle',
    target: 'machine',
    binds: 'job',
    args: { device, ioasid, min_landed: { kind: 'count', default: 0, max: MAX_DMA_OPS }, seed },
    handle: (k, _m, a) => k.jobs.startDma(a.device, a.ioasid, -1, a.seed, a.min_landed),
  },
  enqcmd: {
    summary: "a vCPU submits `count` ENQCMDs to a device's shared work queue, on a worker; value: { submitted, accepted, retried, gp, exits }",
    target: 'vcpu',
    outcomes: ['gp'],
    args: { vcpu, device, count: { kind: 'count', default: 16, max: MAX_ENQCMD_COUNT }, seed },
    async handle(k, c, a) {
      const d = deviceTarget(k, a.device);
      const j = d.ok ? k.jobs.startEnqcmd(c, d.value, a.count, a.seed) : d;
      if (!j.ok) return j;
      const r = await k.jobs.finish(j.value, false);
      return r.ok ? ok({ submitted: a.count, accepted: r.value.accepted, retried: r.value.retried, gp: r.value.gp, exits: r.value.exits }) : r;
    },
    classify: (v) => (v.gp === v.submitted ? 'gp' : 'ok'),
    fullyOk: (v) => v.accepted === v.submitted,
  },
  enqcmd_start: {
    summary: 'start background ENQCMDs by a vCPU to a device; value: a job handle',
    target: 'vcpu',
    binds: 'job',
    args: { vcpu, device, seed },
    async handle(k, c, a) {
      const d = deviceTarget(k, a.device);
      return d.ok ? k.jobs.startEnqcmd(c, d.value, -1, a.seed) : d;
    },
  },
  stop: {
    summary:
      "stop a background job (a DMA job with `min_landed` once that many landed, or none can any more, or the reply bound passed); value: the job's counts",
    target: 'machine',
    args: { job: { kind: 'job' } },
    async handle(k, _m, a) {
      return k.jobs.isRunning(a.job) ? k.jobs.finish(a.job, true) : err('ENOENT', `no running job ${a.job}`);
    },
  },
  fault_queue: {
    summary: "FAULT_QUEUE_ALLOC on an IOASID: its devices' page requests queue on the FD for FAULT_RESPOND (else the kernel maps the page)",
    target: 'fd',
    args: { fd, ioasid },
    async handle(k, f, a) {
      const ref = await ask('uapi', f, { t: 'lookup', ioasid: a.ioasid }, T(k));
      return ref.ok ? k.faults.attach(a.fd, a.ioasid, ref.value) : ref;
    },
  },
  fault_read: {
    summary:
      "read() of the fault queue: wait, bounded, for the IOASID's oldest unanswered page request and leave it pending; value: { device, iova, pages, group, cookie }",
    target: 'fd',
    args: { fd, ioasid },
    binds: 'cookie',
    handle: (k, _f, a) => k.faults.read(a.fd, a.ioasid),
  },
  fault_respond: {
    summary:
      "FAULT_RESPOND: answer the page request `cookie` names (EINVAL: not one of this fault queue's), or with no cookie the IOASID's oldest (waits, bounded, for one); success maps the page first; value: { device, iova, pages, group, cookie }",
    target: 'fd',
    args: { fd, ioasid, code: { kind: 'response', max: 1 }, cookie: { kind: 'cookie', default: 0, max: 0x7fffffff } },
    handle: (k, _f, a) => k.faults.respond(a.fd, a.ioasid, a.code, a.cookie),
  },
  attach: {
    summary: 'iommufd: attach a HWPT (an IOASID with a page table) to a device at a PASID the VMM chose',
    target: 'device',
    design: 'iommufd',
    args: { device, fd, hwpt, pasid },
    handle: (k, d, a) => ask('uapi', d.ref, { t: 'attach', fd: a.fd, hwpt: a.hwpt, pasid: a.pasid }, T(k)),
  },
  replace: {
    summary: "iommufd: replace the HWPT of a device's PASID with another, with no window in which DMA faults or uses the old one",
    target: 'device',
    design: 'iommufd',
    args: { device, fd, hwpt, pasid },
    handle: (k, d, a) => ask('uapi', d.ref, { t: 'replace', fd: a.fd, hwpt: a.hwpt, pasid: a.pasid }, T(k)),
  },
  detach: {
    summary: "iommufd: detach a device's PASID (tear its entry down, drop the HWPT's kref)",
    target: 'device',
    design: 'iommufd',
    args: { device, pasid },
    handle: (k, d, a) => ask('uapi', d.ref, { t: 'detach', pasid: a.pasid }, T(k)),
  },
  pasid_state: {
    summary: "the allocator's view of a PASID (iommufd: of a HWPT id): free, in-use or parked",
    target: 'machine',
    args: { ioasid },
    handle: (k, _m, a) => ask('uapi', k.allocator, { t: 'state', pasid: a.ioasid }, T(k)),
  },
};

export const OP_NAMES = Object.keys(UAPI) as OpName[];
