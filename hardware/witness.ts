// The auditor's authorisation map, (device, PASID) -> may DMA land there now. The auditor writes
// it from what the uAPI answered (never from the model's internals); engines only read it, once
// per landed batch, to report accesses that landed where nothing had authorised them.
import type { Hardware } from './layout.js';

export function setAuthorised(hw: Hardware, device: number, pasid: number, yes: boolean): void {
  if (pasid <= 0 || pasid >= hw.pasidMax) return;
  Atomics.store(hw.authorised, device * hw.pasidMax + pasid, yes ? 1 : 0);
}

export function isAuthorised(hw: Hardware, device: number, pasid: number): boolean {
  return pasid > 0 && pasid < hw.pasidMax && Atomics.load(hw.authorised, device * hw.pasidMax + pasid) !== 0;
}
