// The queued-invalidation interface, one queue per IOMMU unit: the unit posts descriptors (an
// IOTLB range, a device-TLB range, or a PASID-cache entry of a (device, PASID)) and waits for
// every running engine to acknowledge them; an engine acknowledges only after dropping every
// matching entry of its caches, so "wait returned" means no cache still holds the translation.
import {
  ENG,
  type Hardware,
  INV,
  INV_QUEUE,
  INV_STRIDE,
  IOTLB_ENTRIES,
  InvKind,
  type InvKindValue,
  PASID_CACHE_ENTRIES,
  PC,
  PC_STRIDE,
  CTRL,
  TLB,
  TLB_STRIDE,
  engineWord,
  invAckWord,
  invTailWord,
} from './layout.js';
import type { Waiter } from './wait.js';

/** What one descriptor invalidates: a (device, PASID) (pasid -1: every PASID) and, for TLBs, IOVA pages [iova, iova + npages) (npages 0: all). */
export interface InvalidationTarget {
  readonly kind: InvKindValue;
  readonly device: number;
  readonly pasid: number;
  readonly iova?: number;
  readonly npages?: number;
}

/** Post a descriptor to `unit`'s queue; returns the sequence number to wait for. */
export async function postInvalidation(hw: Hardware, waiter: Waiter, unit: number, d: InvalidationTarget): Promise<number> {
  const tailWord = invTailWord(unit);
  // Keep the ring from lapping the slowest running engine.
  await waiter.until(
    () => Atomics.load(hw.invCtrl, tailWord) - slowestAck(hw, unit) < INV_QUEUE,
    hw.invCtrl,
    tailWord,
    `invalidation queue space on iommu${unit}`,
  );
  const seq = Atomics.load(hw.invCtrl, tailWord);
  const slot = (unit * INV_QUEUE + (seq % INV_QUEUE)) * INV_STRIDE;
  const q = hw.invQueue;
  q[slot + INV.KIND] = d.kind;
  q[slot + INV.DEV] = d.device;
  q[slot + INV.PASID] = d.pasid;
  q[slot + INV.IOVA] = d.iova ?? 0;
  q[slot + INV.NPAGES] = d.npages ?? 0;
  Atomics.store(hw.invCtrl, tailWord, seq + 1);
  ringDoorbell(hw);
  return seq + 1;
}

function slowestAck(hw: Hardware, unit: number): number {
  let min = Atomics.load(hw.invCtrl, invTailWord(unit));
  for (let e = 0; e < hw.shape.engines; e++) {
    if (Atomics.load(hw.ctrl, engineWord(e, ENG.RUNNING)) !== 0) min = Math.min(min, Atomics.load(hw.invCtrl, invAckWord(e, unit)));
  }
  return min;
}

/** Wait until every running engine has acknowledged descriptor `seq` of `unit`'s queue. */
export async function waitInvalidation(hw: Hardware, waiter: Waiter, unit: number, seq: number): Promise<void> {
  for (let e = 0; e < hw.shape.engines; e++) {
    const run = engineWord(e, ENG.RUNNING);
    const ack = invAckWord(e, unit);
    await waiter.until(
      () => Atomics.load(hw.ctrl, run) === 0 || Atomics.load(hw.invCtrl, ack) >= seq,
      hw.invCtrl,
      ack,
      `invalidation ack from engine ${e} on iommu${unit}`,
    );
  }
}

export function ringDoorbell(hw: Hardware): void {
  Atomics.add(hw.ctrl, CTRL.DOORBELL, 1);
  Atomics.notify(hw.ctrl, CTRL.DOORBELL);
}

/** Has any unit posted a descriptor this engine has not acknowledged? */
export function invalidationsPending(hw: Hardware, engine: number): boolean {
  for (let u = 0; u < hw.units; u++) if (Atomics.load(hw.invCtrl, invTailWord(u)) !== Atomics.load(hw.invCtrl, invAckWord(engine, u))) return true;
  return false;
}

/** Engine side: drop matching cache entries for every pending descriptor of every unit, then acknowledge. */
export function serviceInvalidations(hw: Hardware, engine: number): void {
  for (let u = 0; u < hw.units; u++) {
    const ackWord = invAckWord(engine, u);
    const tail = Atomics.load(hw.invCtrl, invTailWord(u));
    let ack = hw.invCtrl[ackWord]!;
    if (ack === tail) continue;
    for (; ack < tail; ack++) apply(hw, engine, (u * INV_QUEUE + (ack % INV_QUEUE)) * INV_STRIDE);
    Atomics.store(hw.invCtrl, ackWord, tail);
    Atomics.notify(hw.invCtrl, ackWord);
  }
}

function apply(hw: Hardware, engine: number, slot: number): void {
  const q = hw.invQueue;
  const dev = q[slot + INV.DEV]! + 1;
  const pasid = q[slot + INV.PASID]!;
  const kind = q[slot + INV.KIND]!;
  if (kind === InvKind.PASID_CACHE) {
    const pc = hw.pasidCache;
    const base = engine * PASID_CACHE_ENTRIES * PC_STRIDE;
    for (let i = 0; i < PASID_CACHE_ENTRIES; i++) {
      const e = base + i * PC_STRIDE;
      if (pc[e + PC.DEV] === dev && (pasid < 0 || pc[e + PC.PASID] === pasid)) pc[e + PC.DEV] = 0;
    }
    return;
  }
  const tlb = kind === InvKind.DEVTLB ? hw.devtlb : hw.iotlb;
  const from = q[slot + INV.IOVA]!;
  const n = q[slot + INV.NPAGES]!;
  const to = n === 0 ? 0x7fffffff : from + n;
  const base = engine * IOTLB_ENTRIES * TLB_STRIDE;
  for (let i = 0; i < IOTLB_ENTRIES; i++) {
    const e = base + i * TLB_STRIDE;
    if (tlb[e + TLB.DEV] !== dev || (pasid >= 0 && tlb[e + TLB.PASID] !== pasid)) continue;
    const iova = tlb[e + TLB.IOVA]!;
    if (n === 0 || (iova >= from && iova < to)) tlb[e + TLB.DEV] = 0;
  }
}

/** Engine start: empty caches, and nothing older than now to acknowledge. */
export function resetEngineTlb(hw: Hardware, engine: number): void {
  const span = IOTLB_ENTRIES * TLB_STRIDE;
  hw.iotlb.fill(0, engine * span, (engine + 1) * span);
  hw.devtlb.fill(0, engine * span, (engine + 1) * span);
  hw.pasidCache.fill(0, engine * PASID_CACHE_ENTRIES * PC_STRIDE, (engine + 1) * PASID_CACHE_ENTRIES * PC_STRIDE);
  for (let u = 0; u < hw.units; u++) Atomics.store(hw.invCtrl, invAckWord(engine, u), Atomics.load(hw.invCtrl, invTailWord(u)));
}
