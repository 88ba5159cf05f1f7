// Shared work queues (SWQ): one bounded ring per ENQCMD-capable device. Any number of vCPUs,
// on any engine thread, enqueue into the same ring at once (a slot is reserved by a CAS on TAIL
// and published through its SEQ word); one engine, the device's consumer, takes descriptors in
// order and executes at most SWQ_WORK_SLOTS at a time. DONE counts finished descriptors in
// queue order, so "DONE reached the TAIL I saw" is a drain that later submissions cannot starve.
import { CTRL, ENG, type Hardware, SD, SWQ, SWQ_DEPTH, SWQ_DESC_STRIDE, SWQ_STRIDE, SWQ_WORK_SLOTS, engineWord } from './layout.js';
import type { Waiter } from './wait.js';

const slot = (device: number, pos: number) => device * SWQ_STRIDE + SWQ.DESC + (pos & (SWQ_DEPTH - 1)) * SWQ_DESC_STRIDE;

/** The engine that consumes `device`'s queue. */
export const swqConsumer = (hw: Hardware, device: number): number => device % hw.shape.engines;

/**
 * The enqueue store of ENQCMD: false (ZF=1, "retry") when the queue is full, and then nothing
 * was written. Safe against other submitters on other threads.
 */
export function swqPush(hw: Hardware, device: number, pasid: number, iova: number): boolean {
  const q = hw.swq;
  const tail = device * SWQ_STRIDE + SWQ.TAIL;
  for (;;) {
    const pos = Atomics.load(q, tail);
    const s = slot(device, pos);
    const lag = (Atomics.load(q, s + SD.SEQ) - pos) | 0;
    if (lag < 0) return false; // the slot still holds a descriptor from one lap ago: full
    if (lag > 0 || Atomics.compareExchange(q, tail, pos, (pos + 1) | 0) !== pos) continue; // another submitter won
    q[s + SD.PASID] = pasid;
    q[s + SD.IOVA] = iova;
    Atomics.store(q, s + SD.SEQ, (pos + 1) | 0); // published: the consumer may take it
    const consumer = engineWord(swqConsumer(hw, device), ENG.IDLE);
    if (Atomics.load(hw.ctrl, consumer) !== 0) Atomics.notify(hw.ctrl, CTRL.DOORBELL);
    return true;
  }
}

/** A descriptor the consumer took: the pPASID the command carries (bits 19:0) and the IOVA it addresses. */
export interface Descriptor {
  pasid: number;
  iova: number;
}

/** Consumer side: take the next descriptor if one is published and the device has a free work slot. */
export function swqTake(hw: Hardware, device: number, out: Descriptor): boolean {
  const q = hw.swq;
  const b = device * SWQ_STRIDE;
  const pos = q[b + SWQ.HEAD]!;
  if (((pos - Atomics.load(q, b + SWQ.DONE)) | 0) >= SWQ_WORK_SLOTS) return false;
  const s = slot(device, pos);
  if (Atomics.load(q, s + SD.SEQ) !== ((pos + 1) | 0)) return false; // empty, or still being written
  out.pasid = q[s + SD.PASID]!;
  out.iova = q[s + SD.IOVA]!;
  Atomics.store(q, s + SD.SEQ, (pos + SWQ_DEPTH) | 0); // the slot is free for the next lap
  Atomics.store(q, b + SWQ.HEAD, (pos + 1) | 0);
  return true;
}

/** Consumer side: the oldest taken descriptor finished (its accesses landed or faulted). */
export function swqFinished(hw: Hardware, device: number): void {
  const q = hw.swq;
  const b = device * SWQ_STRIDE;
  Atomics.add(q, b + SWQ.DONE, 1);
  if (Atomics.load(q, b + SWQ.DRAIN) !== 0) Atomics.notify(q, b + SWQ.DONE);
}

/** Does `device`'s queue hold a descriptor the consumer has not taken? */
export function swqWaiting(hw: Hardware, device: number): boolean {
  const b = device * SWQ_STRIDE;
  return Atomics.load(hw.swq, b + SWQ.TAIL) !== hw.swq[b + SWQ.HEAD];
}

/**
 * Consumer leaving for good (after it set RETIRED): abort every published descriptor it has not
 * taken, as a disabled work queue does, and wake the drains, which no longer wait for it.
 */
export function swqAbort(hw: Hardware, device: number): void {
  const scratch: Descriptor = { pasid: 0, iova: 0 };
  while (swqTake(hw, device, scratch)) swqFinished(hw, device);
  Atomics.notify(hw.swq, device * SWQ_STRIDE + SWQ.DONE);
}

/**
 * Drain: wait until every descriptor queued on `device` when the drain began has finished. The
 * caller has already made new descriptors harmless (cleared the translation they would use), so
 * only those already accepted matter. A consumer that retired will never execute anything again.
 */
export async function swqDrain(hw: Hardware, waiter: Waiter, device: number): Promise<void> {
  const q = hw.swq;
  const b = device * SWQ_STRIDE;
  const target = Atomics.load(q, b + SWQ.TAIL);
  const retired = engineWord(swqConsumer(hw, device), ENG.RETIRED);
  const done = () => ((Atomics.load(q, b + SWQ.DONE) - target) | 0) >= 0 || Atomics.load(hw.ctrl, retired) !== 0;
  if (done()) return;
  Atomics.add(q, b + SWQ.DRAIN, 1);
  try {
    await waiter.until(done, q, b + SWQ.DONE, `work-queue drain of device ${device}`);
  } finally {
    Atomics.sub(q, b + SWQ.DRAIN, 1);
  }
}

/**
 * Is a descriptor carrying `pasid` in flight on `device`: queued, or taken and not yet finished?
 * A taken slot may already hold the next lap's descriptor; its PASID counts only if no submitter
 * had reserved that next position when it was read (the reservation comes before the write).
 */
export function swqInFlightFor(hw: Hardware, device: number, pasid: number): boolean {
  const q = hw.swq;
  const b = device * SWQ_STRIDE;
  const done = Atomics.load(q, b + SWQ.DONE);
  const head = Atomics.load(q, b + SWQ.HEAD);
  for (let pos = done; pos !== head; pos = (pos + 1) | 0) {
    const carried = Atomics.load(q, slot(device, pos) + SD.PASID);
    if (carried === pasid && ((Atomics.load(q, b + SWQ.TAIL) - pos) | 0) <= SWQ_DEPTH) return true;
  }
  const tail = Atomics.load(q, b + SWQ.TAIL);
  for (let pos = head; pos !== tail; pos = (pos + 1) | 0) {
    const s = slot(device, pos);
    if (Atomics.load(q, s + SD.SEQ) === ((pos + 1) | 0) && q[s + SD.PASID] === pasid) return true;
  }
  return false;
}

/** For the auditor: devices whose queue holds a descriptor carrying `pasid` not yet taken. */
export function swqQueuedFor(hw: Hardware, pasid: number): number[] {
  return swqQueuedMatching(hw, (p) => p === pasid);
}

/** The devices whose work queue holds any descriptor. */
export function swqQueued(hw: Hardware): number[] {
  return swqQueuedMatching(hw, () => true);
}

function swqQueuedMatching(hw: Hardware, match: (pasid: number) => boolean): number[] {
  const found: number[] = [];
  for (let d = 0; d < hw.deviceVm.length; d++) {
    const b = d * SWQ_STRIDE;
    const head = Atomics.load(hw.swq, b + SWQ.HEAD); // read first: the head never passes the tail
    const tail = Atomics.load(hw.swq, b + SWQ.TAIL);
    for (let pos = head; pos !== tail; pos = (pos + 1) | 0) {
      const s = slot(d, pos);
      if (Atomics.load(hw.swq, s + SD.SEQ) === ((pos + 1) | 0) && match(hw.swq[s + SD.PASID]!)) {
        found.push(d);
        break;
      }
    }
  }
  return found;
}
