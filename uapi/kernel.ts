// What the op table's handlers work on: the machine's actors and engines, as the machine wires
// them. The handlers only send messages to actors and start or stop jobs; they own no state.
import type { ActorEnv } from '../actors/env.js';
import type { AllocatorMsg, DeviceMsg, IoasidMsg, KvmMsg, PageRequestInfo, VIommuMsg, VcpuMsg } from '../actors/protocol.js';
import type { Result } from '../actors/result.js';
import type { ActorRef, ParentRef } from '../actors/runtime.js';
import type { JobCounts } from '../hardware/jobs.js';

/** A VFIO device as the uAPI sees it: its name, its VM, whether it has a shared work queue (ENQCMD). */
export interface DeviceInfo {
  readonly index: number;
  readonly name: string;
  readonly vm: number;
  readonly enqcmd: boolean;
  readonly ref: ActorRef<DeviceMsg>;
}
export interface VcpuInfo {
  readonly index: number;
  readonly name: string;
  readonly vm: number;
  readonly ref: ActorRef<VcpuMsg>;
}

/** Jobs on the engine threads: DMA by a device with a PASID, ENQCMD by a vCPU. */
export interface JobRunner {
  /** Start DMA by `device` with `pasid`: `budget` accesses, or -1 until stopped (a stop first waits for `minLanded` to land). */
  startDma(device: number, pasid: number, budget: number, seed: number, minLanded?: number): Promise<Result<number>>;
  /** Start ENQCMDs by `vcpu` to `device`'s portal: `budget` submissions, or -1 until stopped. */
  startEnqcmd(vcpu: VcpuInfo, device: DeviceInfo, budget: number, seed: number): Result<number>;
  /** Wait for a job to end (asking it to stop first if `stop`), and let go of its slot. */
  finish(job: number, stop: boolean): Promise<Result<JobCounts>>;
  isRunning(job: number): boolean;
}

/** IO page faults: the fault queues attached to IOASIDs (iommufd fault objects) and their answers. */
export interface FaultHandling {
  /** FAULT_QUEUE_ALLOC: page requests of the IOASID go to `fd`'s queue instead of the kernel's handler. */
  attach(fd: number, pasid: number, ioasid: ActorRef<IoasidMsg>): Result<null>;
  /** FAULT_RESPOND: answer the group `cookie` names (0: wait, bounded, for the oldest of the queue) with a PCIe response code. */
  respond(fd: number, pasid: number, code: number, cookie: number): Promise<Result<PageRequestInfo>>;
  /** read() of the fault FD: wait (bounded) for the oldest unanswered page request, and leave it unanswered. */
  read(fd: number, pasid: number): Promise<Result<PageRequestInfo>>;
}

export interface Kernel {
  readonly env: ActorEnv;
  readonly vmQuotas: readonly (number | null)[];
  readonly allocator: ActorRef<AllocatorMsg>;
  readonly devices: readonly DeviceInfo[];
  readonly vcpus: readonly VcpuInfo[];
  /** Per VM: KVM, and the guest's vIOMMU. */
  readonly kvms: readonly ActorRef<KvmMsg>[];
  readonly viommus: readonly ActorRef<VIommuMsg>[];
  readonly jobs: JobRunner;
  readonly faults: FaultHandling;
  /** Device FDs closed so far: later calls on them answer EBADF. */
  readonly closedDevices: Set<number>;
  /** Where FD and IOASID actors are spawned (spawn-only parents). */
  readonly fdParent: ParentRef;
  readonly ioasidParent: ParentRef;
  /** The next FD number open() hands out. */
  nextFd(): number;
  /** Once true, every call answers EBADF. */
  readonly stopped: boolean;
}
