// The object a call works on, resolved once by the dispatcher before the handler runs (as
// iommufd_get_object does for an ioctl): an open /dev/ioasid FD, an open device FD, a VM, a vCPU.
import type { FdMsg } from '../actors/protocol.js';
import { type Result, err, ok } from '../actors/result.js';
import type { ActorRef } from '../actors/runtime.js';
import type { DeviceInfo, Kernel, VcpuInfo } from './kernel.js';

export interface Targets {
  readonly fd: ActorRef<FdMsg>;
  readonly device: DeviceInfo;
  readonly vm: number;
  readonly vcpu: VcpuInfo;
  /** The call works on the machine as a whole (or its handler resolves what it names). */
  readonly machine: null;
}
export type TargetKind = keyof Targets;

function fdTarget(k: Kernel, fd: number): Result<ActorRef<FdMsg>> {
  const f = k.env.fds.get(fd);
  return f ? ok(f.ref) : err('EBADF', `FD ${fd} is not an open /dev/ioasid FD`);
}

/** A device FD: EINVAL for a device the machine lacks, EBADF once it was closed. */
export function deviceTarget(k: Kernel, device: number): Result<DeviceInfo> {
  const d = k.devices[device];
  if (!d) return err('EINVAL', `no device ${device}`);
  if (k.closedDevices.has(device)) return err('EBADF', `device ${d.name} is closed`);
  return ok(d);
}

function vmTarget(k: Kernel, vm: number): Result<number> {
  return k.kvms[vm] ? ok(vm) : err('EINVAL', `no VM ${vm}`);
}

function vcpuTarget(k: Kernel, vcpu: number): Result<VcpuInfo> {
  const c = k.vcpus[vcpu];
  return c ? ok(c) : err('EINVAL', `no vCPU ${vcpu}`);
}

/** Resolve the target of kind `kind` named by the call's arguments. */
export function resolveTarget<T extends TargetKind>(k: Kernel, kind: T, a: Readonly<Record<string, number>>): Result<Targets[T]> {
  const r = (() => {
    switch (kind) {
      case 'fd':
        return fdTarget(k, a.fd!);
      case 'device':
        return deviceTarget(k, a.device!);
      case 'vm':
        return vmTarget(k, a.vm!);
      case 'vcpu':
        return vcpuTarget(k, a.vcpu!);
      default:
        return ok(null);
    }
  })();
  return r as Result<Targets[T]>;
}
