// What every actor of one machine shares: configuration, the main-thread side of the hardware,
// the event sink, and the fault injector. Actors read it; only the machine builds it.
import type { PagePool } from '../hardware/memory.js';
import type { PasidTables } from '../hardware/pasid-table.js';
import type { PgtablePool } from '../hardware/pgtable.js';
import type { JobTable } from '../hardware/jobs.js';
import type { Hardware } from '../hardware/layout.js';
import type { Waiter } from '../hardware/wait.js';
import type { ActorRef } from './runtime.js';
import type { FdMsg, IoasidMsg } from './protocol.js';
import type { SimEvent } from './events.js';
import { type Result, err, ok } from './result.js';
import { UAPI_DESIGN_NAMES } from '../input/limits.js';
import { type IdSpace, idArg } from './pasid-allocator.js';

export const MUTANTS = {
  'skip-iotlb-flush': 'teardown clears the PASID entry but never invalidates the IOTLB',
  'skip-drain': 'teardown does not wait for in-flight DMA before it completes',
  'early-recycle': 'DESTROY returns the PASID to the pool at once, whatever krefs are still held',
  'no-fd-check': 'DEVICE_ALLOW_IOASID skips the "allocated from this FD" check',
  'kvm-no-kref': 'KVM_SET_PASID maps the vPASID without taking a kref on the IOASID',
  'skip-pasid-clear': 'teardown flushes and drains but leaves the PASID entry present',
  'kvm-no-quiesce': 'KVM_CLEAR_PASID clears the translation and drains the work queues without waiting for vCPUs mid-ENQCMD',
  'backwards-order': 'the first proposal: DESTROY unbinds the page table while devices still hold it and recycles the PASID at once',
  'unmap-free-before-flush': 'UNMAP frees the pages before the IOTLB and device-TLB flush and the drain',
  'unmap-flush-before-clear': 'UNMAP flushes the IOTLB and device TLBs before it clears the PTEs, then frees the pages',
  'unmap-range-short': "UNMAP's ranged invalidation covers one page less than the range it unmapped",
  'skip-devtlb': 'devices with ATS never get a device-TLB invalidation (teardown, UNMAP, BIND after ALLOW)',
  'skip-pasid-cache-flush': 'PASID-entry changes (teardown, BIND after ALLOW) never invalidate the PASID cache',
  'mm-exit-no-teardown': 'process exit frees the address space without tearing down the PASID entries of the devices still using it',
  'no-auto-response':
    'the drain at teardown answers only the page requests still in the hardware queue, not those delivered to a fault queue: the device waits forever',
  'respond-after-recycle':
    "a late FAULT_RESPOND whose group a teardown answered meanwhile is delivered by PASID number, to a page request of the recycled PASID's next incarnation",
  'skip-prq-drain': "teardown of a PRI device's PASID entry never drains its page requests: pending ones outlive the PASID",
  'put-before-teardown': "DISALLOW puts the device's kref before it tears the PASID entry down, so the last put frees a PASID the IOMMU still translates",
  'quota-leak': "a PASID released after it parked is not given back to its VM's quota",
  'replace-gap': 'iommufd REPLACE tears the old PASID entry down (clear, flush, drain) and only then installs the new table: DMA faults in between',
  'unbind-keeps-kvm': "the vIOMMU's unbind of a vPASID's last device skips KVM_CLEAR_PASID, so the guest's ENQCMDs with it are still accepted",
} as const;
export type MutantName = keyof typeof MUTANTS;

/** Which uAPI the machine serves: the 2021 /dev/ioasid design (the seed's) or today's iommufd (docs/iommufd.md). */
export type UapiDesign = (typeof UAPI_DESIGN_NAMES)[number];
export const UAPI_DESIGNS: readonly UapiDesign[] = UAPI_DESIGN_NAMES;
export const isMutant = (s: string): s is MutantName => Object.hasOwn(MUTANTS, s);

/** Internal steps that can fail, for fail-nth sweeps (docs/kernel-facts.md#fault-injection-iommufd_fail_nth). */
export type FallibleSite =
  | 'pasid-alloc'
  | 'iommu-install'
  | 'pgtable-alloc'
  | 'worker-start'
  // Teardown: the IOTLB invalidation's completion wait, the drain of in-flight DMA, KVM's wait
  // for vCPUs mid-submission. A failed one fails its call, which leaves the object as it was
  // (entries already cleared stay cleared: DMA through them faults) so a retry can finish it.
  | 'invalidation-wait'
  | 'drain'
  | 'kvm-quiesce'
  // Address-space changes (docs/kernel-facts.md#a-flush-that-does-not-complete): the invalidation wait
  // of the first MAP's (or BIND's) present-to-present entry change, and UNMAP's ranged IOTLB and
  // device-TLB flush and its drain. A failed one fails its call with EIO: MAP is undone; UNMAP
  // leaves its range unmapped but never frees pages whose flush or drain did not complete (the
  // address space keeps them until it is destroyed, after the full flush of its teardown).
  | 'map-flush'
  | 'unmap-flush'
  | 'unmap-drain';

/** A teardown step the hardware did not complete: the call fails with EIO and is undone. */
export class TeardownFailure extends Error {}

export interface HardwareHost {
  readonly hw: Hardware;
  readonly pages: PagePool;
  readonly pgtables: PgtablePool;
  readonly pasidTables: PasidTables;
  readonly jobs: JobTable;
  readonly waiter: Waiter;
}

export interface ActorEnv {
  readonly mutant: MutantName | null;
  /** The uAPI design served (machine/spec.ts UapiDesign); iommufd implies destroyPolicy ebusy. */
  readonly uapi: UapiDesign;
  readonly destroyPolicy: 'park' | 'ebusy';
  readonly host: HardwareHost;
  readonly replyTimeoutMs: number;
  /** Returns true when the fault injector wants this step to fail. */
  readonly injectFault: (site: FallibleSite) => boolean;
  readonly emit: (e: SimEvent) => void;
  /** The run's one clock, in ms (virtual in deterministic mode): every event's timestamp. */
  readonly now: () => number;
  /** Every live IOASID by PASID, as a buggy kernel might look one up without the FD (no-fd-check). */
  readonly globalIoasids: Map<number, ActorRef<IoasidMsg>>;
  readonly nextSerial: () => number;
  /** The process's open FDs: how a device validates the FD argument (like fdget on an eventfd). */
  readonly fds: Map<number, OpenFd>;
  /** What each device's PASIDs are attached to (kept by the devices): how a page request finds its address space. */
  readonly attachments: Attachments;
}

/**
 * The IOASID (HWPT) id attached at each (device, PASID), as the kernel's attach handle records
 * the domain a page request of that PASID goes to. In the 2021 design the PASID names its IOASID
 * machine-wide; under iommufd the VMM picks the PASID, so only this record ties the two.
 */
export class Attachments {
  private readonly at = new Map<string, number>();
  constructor(private readonly uapi: UapiDesign) {}
  set(device: number, pasid: number, ioasid: number): void {
    this.at.set(`${device}:${pasid}`, ioasid);
  }
  delete(device: number, pasid: number): void {
    this.at.delete(`${device}:${pasid}`);
  }
  /** The IOASID number a page request of (device, pasid) belongs to, if any. */
  of(device: number, pasid: number): number | undefined {
    return this.uapi === 'ioasid' ? pasid : this.at.get(`${device}:${pasid}`);
  }
}

export interface OpenFd {
  readonly ref: ActorRef<FdMsg>;
  readonly vm: number;
}

/**
 * The fdget-style check of an FD argument (as for an eventfd): an open /dev/ioasid FD of VM
 * `vm`, else EBADF. DEVICE_ALLOW_IOASID and KVM_SET_PASID both validate their FD this way.
 */
export function fdget(env: ActorEnv, fd: number, vm: number, user: string): Result<OpenFd> {
  const f = env.fds.get(fd);
  if (!f) return err('EBADF', `FD ${fd} is not an open /dev/ioasid FD`);
  if (f.vm !== vm) return err('EBADF', `FD ${fd} belongs to another VM than ${user}`);
  return ok(f);
}

/**
 * An IOASID argument must be a PASID the hardware can hold (1 .. 2^pasidBits - 1; PASID 0 is
 * reserved for DMA without PASID): every call that names an IOASID answers EINVAL otherwise,
 * before it looks the number up.
 */
export function pasidArg(env: ActorEnv, pasid: number): Result<number> {
  const max = env.host.hw.pasidMax;
  return Number.isInteger(pasid) && pasid > 0 && pasid < max ? ok(pasid) : err('EINVAL', `IOASID ${pasid} is not a valid PASID (1..${max - 1})`);
}

/** iommufd's object ids (docs/iommufd.md#object-ids-are-not-pasids): one space per machine, apart from the PASIDs. */
export const HWPT_ID_SPACE: IdSpace = { name: 'hwpt-ids', bits: 16, what: 'HWPT id' };

/** The number an FD call names its IOASID by: a PASID in the 2021 design, a HWPT id under iommufd (EINVAL otherwise). */
export function ioasidArg(env: ActorEnv, id: number): Result<number> {
  return env.uapi === 'iommufd' ? idArg(HWPT_ID_SPACE, id) : pasidArg(env, id);
}
