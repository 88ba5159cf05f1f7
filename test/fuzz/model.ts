// The reference model of the uAPI (docs/model.md#the-uapi), written from the spec and not
// from the actors: what each call must answer and how the visible state changes. It keeps as
// little state as it can and derives the rest, so the rules below are the whole model:
// - An FD belongs to one VM and is open or closed. A call with a closed FD as the FD being
//   operated on, or as a device's FD argument, is EBADF; so is a device's FD of another VM.
// - An IOASID is named by its PASID. It belongs to the FD it was allocated from until DESTROY
//   (or close of that FD); "no such IOASID in this FD" is ENOENT. Its users are that FD (until
//   destroyed) and the devices it was allowed on. A destroyed IOASID parks its PASID while any
//   device still holds it; the PASID is free once the last user lets go.
// - The allocator hands out the lowest free PASID in 1 .. 2^pasidBits - 1; a parked PASID is
//   not free. A VM's quota counts every PASID charged to it until that PASID is free again.
// - BIND_PGTBL takes `pages` (1..64) pages of the VM's memory; DESTROY wipes the page table and
//   gives them back. Too few free pages is ENOMEM.
// - DISALLOW looks in the device's own record (so it works after DESTROY) and is ENOENT only
//   when the device holds no such IOASID through that FD.
// - KVM_SET_PASID maps a vPASID (1 .. 4095) of a VM to an IOASID of one of that VM's FDs, and
//   the mapping holds the IOASID like a device does: a parked PASID also waits for
//   KVM_CLEAR_PASID, which looks in KVM's own table (so it works after DESTROY and after close
//   of the FD) and is ENOENT only for a vPASID that is not mapped. A mapped vPASID is never
//   remapped (EEXIST): that takes KVM_CLEAR_PASID first.
// - destroyPolicy ebusy: DESTROY is EBUSY while a device or a KVM mapping holds the IOASID;
//   close(fd) still destroys (and parks) everything the FD holds.
// Where several errors apply the spec does not rank them; the model ranks them in the order a
// call reads what it is given: the object called (EBADF for a closed FD or device, EOPNOTSUPP
// for a device without PASID), a device's FD argument (EBADF), a number that cannot be a PASID
// (EINVAL: every call that names an IOASID), the lookup (ENOENT), BIND's page count (EINVAL), the object's state (EEXIST,
// EBUSY), and last the resources (ENOSPC, ENOMEM). KVM_SET_PASID reads its FD (EBADF), then its
// numbers (EINVAL: vPASID, then PASID), then its own table (EEXIST: the vPASID is the object it
// operates on, known before any lookup), then the lookup (ENOENT).
import type { MachineSpec } from '../../machine/spec.js';
import type { Errno } from '../../actors/result.js';
import type { PasidState } from '../../actors/events.js';

/** What a call must answer: `ok` with an optional value to compare, or an errno. */
export interface Outcome {
  readonly result: 'ok' | Errno;
  readonly value?: number | PasidState;
}

export interface FdModel {
  readonly vm: number;
  open: boolean;
}
export interface DeviceModel {
  readonly name: string;
  readonly vm: number;
  readonly pasid: boolean;
  closed: boolean;
}
export interface IoasidModel {
  readonly pasid: number;
  readonly vm: number;
  /** The slot of the FD it was allocated from. */
  readonly fd: number;
  destroyed: boolean;
  /** Pages of its page table, null when it has none. */
  pages: number | null;
  /** Indices of the devices it is allowed on. */
  readonly devices: Set<number>;
  /** KVM mappings that hold it, as `kvm:<vm>:<vpasid>` (the holder name the machine reports). */
  readonly kvm: Set<string>;
}

/** vPASIDs a VM may map are 1 .. KVM_VPASIDS - 1 (bits 11:0). */
export const KVM_VPASIDS = 1 << 12;

/** Most pages one IO page table may map (the uAPI's documented range for BIND_PGTBL). */
export const MAX_BIND_PAGES = 64;

/** The name a sequence file binds the FD in `slot` to (`as:` on its open step). */
export const fdName = (slot: number): string => `fd${slot + 1}`;

const OK: Outcome = { result: 'ok' };
const fail = (errno: Errno): Outcome => ({ result: errno });
const validVpasid = (v: number) => Number.isInteger(v) && v > 0 && v < KVM_VPASIDS;
const kvmHolder = (vm: number, vpasid: number) => `kvm:${vm}:${vpasid}`;

export class RefModel {
  /** PASIDs are 1 .. max - 1. */
  readonly max: number;
  readonly fds: FdModel[] = [];
  readonly devices: DeviceModel[];
  /** Every IOASID not yet released, by PASID. */
  readonly ioasids = new Map<number, IoasidModel>();
  readonly freePages: number[];
  /** Each VM's KVM table: vPASID -> PASID. */
  readonly kvm: Map<number, number>[];

  constructor(readonly spec: MachineSpec) {
    this.max = 1 << spec.pasidBits;
    this.devices = spec.vms.flatMap((v, vm) => v.devices.map((d) => ({ name: d.name, vm, pasid: d.pasid, closed: false })));
    this.freePages = spec.vms.map((v) => v.pages);
    this.kvm = spec.vms.map(() => new Map());
  }

  // ---- derived state ----

  pasidState(pasid: number): PasidState {
    const io = this.ioasids.get(pasid);
    return !io ? 'free' : io.destroyed ? 'parked' : 'in-use';
  }

  /** PASIDs charged to a VM: every one not free. */
  charged(vm: number): number {
    let n = 0;
    for (const io of this.ioasids.values()) if (io.vm === vm) n++;
    return n;
  }

  /** The lowest PASID the allocator may hand out, or null when none is free. */
  lowestFree(): number | null {
    for (let p = 1; p < this.max; p++) if (!this.ioasids.has(p)) return p;
    return null;
  }

  /** The live IOASID `pasid` of FD `fd`, if that FD holds it. */
  private owned(fd: number, pasid: number): IoasidModel | null {
    const io = this.ioasids.get(pasid);
    return io && io.fd === fd && !io.destroyed ? io : null;
  }

  private validPasid(pasid: number): boolean {
    return Number.isInteger(pasid) && pasid > 0 && pasid < this.max;
  }

  /** The FD argument a device validates: open, and of the device's VM. */
  private badFdArg(device: DeviceModel, fd: number): boolean {
    const f = this.fds[fd]!;
    return !f.open || f.vm !== device.vm;
  }

  // ---- transitions ----

  private releaseIfUnused(io: IoasidModel): void {
    if (io.destroyed && io.devices.size === 0 && io.kvm.size === 0) this.ioasids.delete(io.pasid);
  }

  private destroyIoasid(io: IoasidModel): void {
    io.destroyed = true;
    if (io.pages !== null) this.freePages[io.vm]! += io.pages;
    io.pages = null;
    this.releaseIfUnused(io);
  }

  // ---- the calls ----

  open(vm: number): Outcome {
    this.fds.push({ vm, open: true });
    return OK;
  }

  alloc(fd: number): Outcome {
    const f = this.fds[fd]!;
    if (!f.open) return fail('EBADF');
    const quota = this.spec.vms[f.vm]!.quota;
    if (quota !== null && this.charged(f.vm) >= quota) return fail('ENOSPC');
    const pasid = this.lowestFree();
    if (pasid === null) return fail('ENOSPC');
    this.ioasids.set(pasid, { pasid, vm: f.vm, fd, destroyed: false, pages: null, devices: new Set(), kvm: new Set() });
    return { result: 'ok', value: pasid };
  }

  bindPgtbl(fd: number, pasid: number, pages: number): Outcome {
    if (!this.fds[fd]!.open) return fail('EBADF');
    if (!this.validPasid(pasid)) return fail('EINVAL');
    const io = this.owned(fd, pasid);
    if (!io) return fail('ENOENT');
    if (!Number.isInteger(pages) || pages < 1 || pages > MAX_BIND_PAGES) return fail('EINVAL');
    if (io.pages !== null) return fail('EBUSY');
    if (this.freePages[io.vm]! < pages) return fail('ENOMEM');
    io.pages = pages;
    this.freePages[io.vm]! -= pages;
    return OK;
  }

  allow(device: number, fd: number, pasid: number): Outcome {
    const d = this.devices[device]!;
    if (d.closed) return fail('EBADF');
    if (!d.pasid) return fail('EOPNOTSUPP');
    if (this.badFdArg(d, fd)) return fail('EBADF');
    if (!this.validPasid(pasid)) return fail('EINVAL');
    const io = this.owned(fd, pasid);
    if (!io) return fail('ENOENT');
    if (io.devices.has(device)) return fail('EEXIST');
    io.devices.add(device);
    return OK;
  }

  disallow(device: number, fd: number, pasid: number): Outcome {
    const d = this.devices[device]!;
    if (d.closed) return fail('EBADF');
    if (this.badFdArg(d, fd)) return fail('EBADF');
    if (!this.validPasid(pasid)) return fail('EINVAL');
    const io = this.ioasids.get(pasid);
    if (!io || io.fd !== fd || !io.devices.has(device)) return fail('ENOENT');
    io.devices.delete(device);
    this.releaseIfUnused(io);
    return OK;
  }

  destroy(fd: number, pasid: number): Outcome {
    if (!this.fds[fd]!.open) return fail('EBADF');
    if (!this.validPasid(pasid)) return fail('EINVAL');
    const io = this.owned(fd, pasid);
    if (!io) return fail('ENOENT');
    if (this.spec.destroyPolicy === 'ebusy' && (io.devices.size > 0 || io.kvm.size > 0)) return fail('EBUSY');
    this.destroyIoasid(io);
    return OK;
  }

  close(fd: number): Outcome {
    const f = this.fds[fd]!;
    if (!f.open) return fail('EBADF');
    f.open = false;
    for (const io of [...this.ioasids.values()]) if (io.fd === fd && !io.destroyed) this.destroyIoasid(io);
    return OK;
  }

  closeDevice(device: number): Outcome {
    const d = this.devices[device]!;
    if (d.closed) return fail('EBADF');
    d.closed = true;
    for (const io of [...this.ioasids.values()]) {
      if (io.devices.delete(device)) this.releaseIfUnused(io);
    }
    return OK;
  }

  kvmSetPasid(vm: number, vpasid: number, fd: number, pasid: number): Outcome {
    const f = this.fds[fd]!;
    if (!f.open || f.vm !== vm) return fail('EBADF');
    if (!validVpasid(vpasid) || !this.validPasid(pasid)) return fail('EINVAL');
    if (this.kvm[vm]!.has(vpasid)) return fail('EEXIST');
    const io = this.owned(fd, pasid);
    if (!io) return fail('ENOENT');
    this.kvm[vm]!.set(vpasid, pasid);
    io.kvm.add(kvmHolder(vm, vpasid));
    return OK;
  }

  kvmClearPasid(vm: number, vpasid: number): Outcome {
    if (!validVpasid(vpasid)) return fail('EINVAL');
    const pasid = this.kvm[vm]!.get(vpasid);
    if (pasid === undefined) return fail('ENOENT');
    this.kvm[vm]!.delete(vpasid);
    const io = this.ioasids.get(pasid)!;
    io.kvm.delete(kvmHolder(vm, vpasid));
    this.releaseIfUnused(io);
    return OK;
  }

  /** The allocator's view of a PASID. */
  queryPasid(pasid: number): Outcome {
    if (!this.validPasid(pasid)) return fail('EINVAL');
    return { result: 'ok', value: this.pasidState(pasid) };
  }
}
