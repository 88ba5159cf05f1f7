// The auditor's witnesses, written from what the uAPI answered (never from the model's
// internals) and only read by engines: the authorisation map, (device, PASID) -> may DMA land
// there now, read once per landed batch; its view of each KVM translation, read once per
// queued ENQCMD descriptor; and the PASID-entry floor, per entry the version current when the
// last call that changed it returned, read on every PASID-cache hit; and its view of each
// IOASID's address space, the IOVA pages MAP and UNMAP left it, read on every translation.
import { ASPACE_PASIDS, ASW, ASW_STRIDE, Anomaly, type AnomalyKind, type Hardware, KVM_VPASIDS, KW, KW_STRIDE, PT_MAX_PAGES } from './layout.js';
import { pasidEntryVersion, pasidSlot } from './pasid-table.js';

/** A (device, PASID) the hardware can hold at all: a call naming anything else authorises nothing. */
const inRange = (hw: Hardware, device: number, pasid: number) =>
  Number.isInteger(device) && device >= 0 && device < hw.shape.deviceVm.length && Number.isInteger(pasid) && pasid > 0 && pasid < hw.pasidMax;

/**
 * What the authorisation map holds for a (device, PASID): engines tell the two refusals apart by
 * it. ATTACHED is YES and more: an iommufd ATTACH of it returned and no DETACH has been called, so
 * its PASID entry must be present at every instant (a REPLACE included).
 */
export const Auth = { NEVER: 0, YES: 1, REVOKED: 2, ATTACHED: 3 } as const;

// Only the auditor writes the map, so each read below and the store after it cannot race each other.
export function setAuthorised(hw: Hardware, device: number, pasid: number, yes: boolean): void {
  if (!inRange(hw, device, pasid)) return;
  const i = device * hw.pasidMax + pasid;
  const was = Atomics.load(hw.authorised, i);
  if (yes && was === Auth.ATTACHED) return; // a REPLACE call authorises what is attached already
  Atomics.store(hw.authorised, i, yes ? Auth.YES : was === Auth.NEVER ? Auth.NEVER : Auth.REVOKED);
}

/** ATTACH of (device, PASID) returned (`on`), or a DETACH of it was called: DMA may still land, the entry may go. */
export function setAttached(hw: Hardware, device: number, pasid: number, on: boolean): void {
  if (!inRange(hw, device, pasid)) return;
  const i = device * hw.pasidMax + pasid;
  if (on) Atomics.store(hw.authorised, i, Auth.ATTACHED);
  else if (Atomics.load(hw.authorised, i) === Auth.ATTACHED) Atomics.store(hw.authorised, i, Auth.YES);
}

export function isAuthorised(hw: Hardware, device: number, pasid: number): boolean {
  if (!inRange(hw, device, pasid)) return false;
  const a = Atomics.load(hw.authorised, device * hw.pasidMax + pasid);
  return a === Auth.YES || a === Auth.ATTACHED;
}

/**
 * The auditor's view of KVM translation (vm, vpasid): `mapped` authorisations outstanding and the
 * one pPASID they name (-1: several, 0: none). Out-of-range vPASIDs are never mapped.
 */
export function setKvmWitness(hw: Hardware, vm: number, vpasid: number, mapped: number, ppasid: number): void {
  if (vm < 0 || vm >= hw.shape.vmPages.length || vpasid <= 0 || vpasid >= KVM_VPASIDS) return;
  const w = (vm * KVM_VPASIDS + vpasid) * KW_STRIDE;
  Atomics.store(hw.kvmWitness, w + KW.PPASID, ppasid);
  Atomics.store(hw.kvmWitness, w + KW.MAPPED, mapped);
}

/**
 * Engine side, for a descriptor just queued with `ppasid` through vPASID `vpasid` of `vm`: which
 * anomaly it is (0: none). The witness is read after the descriptor is queued and before the
 * vCPU leaves its submission, so a KVM_CLEAR_PASID that waited for the vCPU replied (and the
 * witness was cleared) only after this read.
 */
export function kvmWitnessAnomaly(hw: Hardware, vm: number, vpasid: number, ppasid: number): AnomalyKind | 0 {
  const w = (vm * KVM_VPASIDS + vpasid) * KW_STRIDE;
  if (Atomics.load(hw.kvmWitness, w + KW.MAPPED) <= 0) return Anomaly.ENQ_UNMAPPED;
  const expected = Atomics.load(hw.kvmWitness, w + KW.PPASID);
  return expected > 0 && expected !== ppasid ? Anomaly.ENQ_FOREIGN : 0;
}

/** The pPASID the witness names for (vm, vpasid), for an anomaly record. */
export const kvmWitnessPpasid = (hw: Hardware, vm: number, vpasid: number): number =>
  Atomics.load(hw.kvmWitness, (vm * KVM_VPASIDS + vpasid) * KW_STRIDE + KW.PPASID);

/**
 * Auditor side, once a call that changed PASID `pasid`'s entries returned (and none that may
 * change them is still in progress): on every device, the entry's version now is the oldest a
 * translation may use. The call's PASID-cache invalidation was waited for before it returned,
 * so no engine still holds an older copy unless that invalidation never happened.
 */
export function sealPasidEntries(hw: Hardware, pasid: number): void {
  for (let d = 0; d < hw.shape.deviceVm.length; d++) {
    const slot = pasidSlot(hw, d, pasid);
    if (slot >= 0) Atomics.store(hw.pasidFloor, slot, pasidEntryVersion(hw, slot));
  }
}

/** Engine side, on a PASID-cache hit for entry `slot` cached at `version`: the floor it is older than, or 0 when it is current enough. */
export function stalePasidEntry(hw: Hardware, slot: number, version: number): number {
  const floor = Atomics.load(hw.pasidFloor, slot);
  return version < floor ? floor : 0;
}

/**
 * Auditor side: IOASID `pasid`'s address space may map exactly the IOVA pages in `pages` (null:
 * the auditor keeps no view of it, so nothing is checked). PASIDs past ASPACE_PASIDS are not covered.
 */
export function setAddressSpaceWitness(hw: Hardware, pasid: number, pages: ReadonlySet<number> | null): void {
  if (!Number.isInteger(pasid) || pasid <= 0 || pasid >= ASPACE_PASIDS) return;
  const w = pasid * ASW_STRIDE;
  const words = [0, 0];
  for (const p of pages ?? []) if (p >= 0 && p < PT_MAX_PAGES) words[p >> 5]! |= 1 << (p & 31);
  Atomics.store(hw.aspaceWitness, w + ASW.TRACKED, 0); // no torn view: untracked while the bits change
  Atomics.store(hw.aspaceWitness, w + ASW.BITS, words[0]!);
  Atomics.store(hw.aspaceWitness, w + ASW.BITS + 1, words[1]!);
  if (pages) Atomics.store(hw.aspaceWitness, w + ASW.TRACKED, 1);
}

/** Engine side, once per batch: the bitmap words of `pasid`'s address space, into `out` (all ones when no view is kept). */
export function addressSpaceWords(hw: Hardware, pasid: number, out: [number, number]): [number, number] {
  const w = pasid * ASW_STRIDE;
  if (pasid >= ASPACE_PASIDS || Atomics.load(hw.aspaceWitness, w + ASW.TRACKED) === 0) {
    out[0] = -1;
    out[1] = -1;
  } else {
    out[0] = Atomics.load(hw.aspaceWitness, w + ASW.BITS);
    out[1] = Atomics.load(hw.aspaceWitness, w + ASW.BITS + 1);
  }
  return out;
}

/** Engine side: may an access through `pasid` translate IOVA page `iova`? (True when the auditor keeps no view of it.) */
export function iovaInAddressSpace(hw: Hardware, pasid: number, iova: number): boolean {
  if (pasid >= ASPACE_PASIDS) return true;
  const w = pasid * ASW_STRIDE;
  if (Atomics.load(hw.aspaceWitness, w + ASW.TRACKED) === 0) return true;
  return (Atomics.load(hw.aspaceWitness, w + ASW.BITS + (iova >> 5)) & (1 << (iova & 31))) !== 0;
}
