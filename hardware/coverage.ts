// Coverage: what a run raced, as the hardware saw it. A teardown counts as racing when, at the
// moment it began, the hardware held work it must wait for: DMA batches of that (device, PASID)
// in flight, or ENQCMD descriptors carrying the PASID queued or executing. Accesses landed and
// faulted and descriptors accepted come from the engines' own counters; teardown calls racing
// each other on one IOASID, from the calls in progress as the auditor saw them. Nothing here reads the
// model's intentions (a mutant's name, a scenario's plan): only what was in flight.
import type { JobTable } from './jobs.js';
import { COV, EC, EC_STRIDE, type Hardware, MSR_PASID_MASK, VC, VC_STRIDE } from './layout.js';
import { prqCounts, prqPendingFor } from './prq.js';
import { swqInFlightFor } from './swq.js';

export interface Coverage {
  /** PASID-entry teardowns begun: each (device, PASID) entry that DISALLOW, DESTROY, close or close_device cleared. */
  readonly teardowns: number;
  /** Of those, the ones that began while DMA batches of that (device, PASID) were in flight. */
  readonly teardownsWithDmaInFlight: number;
  /** Of those, the ones that began while ENQCMD descriptors carrying the PASID were queued or executing on the device. */
  readonly teardownsWithEnqcmdInFlight: number;
  /** KVM_CLEAR_PASID calls that found a translation to tear down. */
  readonly kvmClears: number;
  /** Of those, the ones that began while descriptors carrying its pPASID were in flight on the VM's devices, or a vCPU using it was mid-submission. */
  readonly kvmClearsWithEnqcmdInFlight: number;
  /** UNMAPs that cleared PTEs of an IOASID's address space. */
  readonly unmaps: number;
  /** Of those, the ones that began while DMA batches of a device using the IOASID were in flight. */
  readonly unmapsWithDmaInFlight: number;
  /** Of those, the ones that began with page requests of that (device, PASID) queued and unanswered (PRI). */
  readonly teardownsWithPageRequests: number;
  /** Page-request groups PRI devices queued on their units' page-request queues. */
  readonly pageRequests: number;
  /** Of those, the groups that asked for more than one page (each page a slot, the last flagged last-in-group). */
  readonly multiPageGroups: number;
  /** Page requests a handler answered (the kernel's, a fault queue's or a drain's). */
  readonly pageResponses: number;
  /** Responses that came after their group was answered already (a teardown drained it): the slot no longer held it. */
  readonly lateResponses: number;
  /** Of the page requests answered, those a guest's vIOMMU answered through the fault queue it attached (guest-owned address spaces). */
  readonly guestPageResponses: number;
  /** Teardown calls (DISALLOW, DESTROY, close, close_device, KVM_CLEAR_PASID) that began while another teardown call of the same IOASID was in progress. */
  readonly teardownCallsRaced: number;
  /** DMA accesses (and ENQCMD descriptor writes) that landed. */
  readonly landed: number;
  /** Accesses the translation refused. */
  readonly faulted: number;
  /** ENQCMD descriptors a work queue accepted. */
  readonly accepted: number;
}
export type CoverageKey = keyof Coverage;

/** A run that raced nothing (one that could not report): every count 0. */
export const NO_COVERAGE: Coverage = {
  teardowns: 0,
  teardownsWithDmaInFlight: 0,
  teardownsWithEnqcmdInFlight: 0,
  kvmClears: 0,
  kvmClearsWithEnqcmdInFlight: 0,
  unmaps: 0,
  unmapsWithDmaInFlight: 0,
  teardownsWithPageRequests: 0,
  pageRequests: 0,
  multiPageGroups: 0,
  pageResponses: 0,
  lateResponses: 0,
  guestPageResponses: 0,
  teardownCallsRaced: 0,
  landed: 0,
  faulted: 0,
  accepted: 0,
};

/** A PASID-entry teardown of (device, pasid) begins: note what it races. Main thread only. */
export function noteEntryTeardown(hw: Hardware, jobs: JobTable, device: number, pasid: number): void {
  const c = hw.coverage;
  c[COV.TEARDOWNS] += 1;
  if (jobs.dmaInFlight(device, pasid)) c[COV.TEARDOWNS_DMA] += 1;
  if (swqInFlightFor(hw, device, pasid)) c[COV.TEARDOWNS_ENQCMD] += 1;
  if (prqPendingFor(hw, device, pasid)) c[COV.TEARDOWNS_PRQ] += 1;
}

/** A handler's response found its group's slot no longer holding it. Main thread only. */
export function noteLateResponse(hw: Hardware): void {
  hw.coverage[COV.LATE_RESPONSES] += 1;
}

/** `n` page requests were answered. Main thread only. */
export function notePageResponses(hw: Hardware, n: number): void {
  hw.coverage[COV.PAGE_RESPONSES] += n;
}

/** A guest's vIOMMU answered a page request. Main thread only. */
export function noteGuestPageResponse(hw: Hardware): void {
  hw.coverage[COV.GUEST_RESPONSES] += 1;
}

/** An UNMAP of `pasid`'s address space, used by `devices`, begins: note whether it races DMA. Main thread only. */
export function noteUnmap(hw: Hardware, jobs: JobTable, users: readonly { readonly device: number; readonly pasid: number }[]): void {
  const c = hw.coverage;
  c[COV.UNMAPS] += 1;
  if (users.some((u) => jobs.dmaInFlight(u.device, u.pasid))) c[COV.UNMAPS_DMA] += 1;
}

/** KVM_CLEAR_PASID of `vm`'s `vpasid` (mapped to `ppasid`) begins. Main thread only. */
export function noteKvmClear(hw: Hardware, vm: number, vpasid: number, ppasid: number, devices: readonly number[]): void {
  const c = hw.coverage;
  c[COV.KVM_CLEARS] += 1;
  const submitting = hw.shape.vcpuVm.some((v, cpu) => {
    const b = cpu * VC_STRIDE;
    return v === vm && (Atomics.load(hw.vcpus, b + VC.BUSY) & 1) === 1 && (Atomics.load(hw.vcpus, b + VC.MSR) & MSR_PASID_MASK) === vpasid;
  });
  if (submitting || devices.some((d) => swqInFlightFor(hw, d, ppasid))) c[COV.KVM_CLEARS_ENQCMD] += 1;
}

/** A teardown call began while another of the same IOASID was in progress (the auditor sees the calls). Main thread only. */
export function noteTeardownRace(hw: Hardware): void {
  hw.coverage[COV.TEARDOWN_RACES] += 1;
}

export function readCoverage(hw: Hardware): Coverage {
  const c = hw.coverage;
  let landed = 0,
    faulted = 0,
    accepted = 0;
  for (let e = 0; e < hw.shape.engines; e++) {
    const b = e * EC_STRIDE;
    landed += hw.engineCounts[b + EC.LANDED]!;
    faulted += hw.engineCounts[b + EC.FAULTED]!;
    accepted += hw.engineCounts[b + EC.ACCEPTED]!;
  }
  return {
    teardowns: c[COV.TEARDOWNS]!,
    teardownsWithDmaInFlight: c[COV.TEARDOWNS_DMA]!,
    teardownsWithEnqcmdInFlight: c[COV.TEARDOWNS_ENQCMD]!,
    kvmClears: c[COV.KVM_CLEARS]!,
    kvmClearsWithEnqcmdInFlight: c[COV.KVM_CLEARS_ENQCMD]!,
    unmaps: c[COV.UNMAPS]!,
    unmapsWithDmaInFlight: c[COV.UNMAPS_DMA]!,
    teardownsWithPageRequests: c[COV.TEARDOWNS_PRQ]!,
    pageRequests: prqCounts(hw).requests,
    multiPageGroups: prqCounts(hw).multiPage,
    pageResponses: c[COV.PAGE_RESPONSES]!,
    lateResponses: c[COV.LATE_RESPONSES]!,
    guestPageResponses: c[COV.GUEST_RESPONSES]!,
    teardownCallsRaced: c[COV.TEARDOWN_RACES]!,
    landed,
    faulted,
    accepted,
  };
}
