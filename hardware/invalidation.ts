// The queued-invalidation interface: the IOMMU posts (device, pasid) descriptors and waits for
// every running engine to acknowledge them; an engine acknowledges only after dropping every
// matching IOTLB entry, so "wait returned" means no cache still holds the translation.
import { CTRL, ENG, type Hardware, INV_QUEUE, IOTLB_ENTRIES, TLB, TLB_STRIDE, engineWord } from './layout.js';
import type { Waiter } from './wait.js';

/** Post a descriptor; returns the sequence number to wait for. pasid -1 = every PASID. */
export async function postInvalidation(hw: Hardware, waiter: Waiter, device: number, pasid: number): Promise<number> {
  // Keep the ring from lapping the slowest running engine.
  await waiter.until(() => Atomics.load(hw.ctrl, CTRL.INV_TAIL) - slowestAck(hw) < INV_QUEUE, hw.ctrl, CTRL.INV_TAIL, 'invalidation queue space');
  const seq = Atomics.load(hw.ctrl, CTRL.INV_TAIL);
  const slot = (seq % INV_QUEUE) * 2;
  hw.invQueue[slot] = device;
  hw.invQueue[slot + 1] = pasid;
  Atomics.store(hw.ctrl, CTRL.INV_TAIL, seq + 1);
  ringDoorbell(hw);
  return seq + 1;
}

function slowestAck(hw: Hardware): number {
  let min = Atomics.load(hw.ctrl, CTRL.INV_TAIL);
  for (let e = 0; e < hw.shape.engines; e++) {
    if (Atomics.load(hw.ctrl, engineWord(e, ENG.RUNNING)) !== 0) min = Math.min(min, Atomics.load(hw.ctrl, engineWord(e, ENG.INV_ACK)));
  }
  return min;
}

/** Wait until every running engine has acknowledged descriptor `seq`. */
export async function waitInvalidation(hw: Hardware, waiter: Waiter, seq: number): Promise<void> {
  for (let e = 0; e < hw.shape.engines; e++) {
    const run = engineWord(e, ENG.RUNNING);
    const ack = engineWord(e, ENG.INV_ACK);
    await waiter.until(() => Atomics.load(hw.ctrl, run) === 0 || Atomics.load(hw.ctrl, ack) >= seq, hw.ctrl, ack, `IOTLB invalidation ack from engine ${e}`);
  }
}

export function ringDoorbell(hw: Hardware): void {
  Atomics.add(hw.ctrl, CTRL.DOORBELL, 1);
  Atomics.notify(hw.ctrl, CTRL.DOORBELL);
}

/** Engine side: drop matching IOTLB entries for every pending descriptor, then acknowledge. */
export function serviceInvalidations(hw: Hardware, engine: number): void {
  const ackWord = engineWord(engine, ENG.INV_ACK);
  const tail = Atomics.load(hw.ctrl, CTRL.INV_TAIL);
  let ack = hw.ctrl[ackWord]!;
  if (ack === tail) return;
  const tlb = hw.iotlb;
  const base = engine * IOTLB_ENTRIES * TLB_STRIDE;
  for (; ack < tail; ack++) {
    const slot = (ack % INV_QUEUE) * 2;
    const dev = hw.invQueue[slot]!;
    const pasid = hw.invQueue[slot + 1]!;
    for (let i = 0; i < IOTLB_ENTRIES; i++) {
      const e = base + i * TLB_STRIDE;
      if (tlb[e + TLB.DEV] === dev + 1 && (pasid < 0 || tlb[e + TLB.PASID] === pasid)) tlb[e + TLB.DEV] = 0;
    }
  }
  Atomics.store(hw.ctrl, ackWord, tail);
  Atomics.notify(hw.ctrl, ackWord);
}

/** Engine start: an empty IOTLB, and nothing older than now to acknowledge. */
export function resetEngineTlb(hw: Hardware, engine: number): void {
  hw.iotlb.fill(0, engine * IOTLB_ENTRIES * TLB_STRIDE, (engine + 1) * IOTLB_ENTRIES * TLB_STRIDE);
  Atomics.store(hw.ctrl, engineWord(engine, ENG.INV_ACK), Atomics.load(hw.ctrl, CTRL.INV_TAIL));
}
