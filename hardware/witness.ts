// The auditor's witnesses, written from what the uAPI answered (never from the model's
// internals) and only read by engines: the authorisation map, (device, PASID) -> may DMA land
// there now, read once per landed batch; and its view of each KVM translation, read once per
// queued ENQCMD descriptor.
import { Anomaly, type AnomalyKind, type Hardware, KVM_VPASIDS, KW, KW_STRIDE } from './layout.js';

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
