// The page-request queues (VT-d PRQ, one per IOMMU unit) of devices with PRI: an engine posts a
// page-request group for an access to a non-present IOVA and stalls the access; the main thread's
// handler takes the group and answers it (success: the device retries the access; invalid: it
// aborts it). A group carries the epoch of the PASID entry it was posted through, and a response
// the epoch of the group it answers, so the device sees which incarnation a response was meant
// for. Every group here is one page with last-in-group set. Slots are claimed and answered
// by compare-and-swap, so the engines and the main thread never write a slot at once.
import { entryEpoch } from './pasid-table.js';
import { type Hardware, J, PRQ, PRQC, PRQ_DEPTH, PRQ_STRIDE, PRQ_UNIT_STRIDE, PrqCode, type PrqCodeValue, PrqFlag, PrqState } from './layout.js';

/** A page-request group as the handler sees it; `slot` and `tag` name the queue slot's incarnation, `epoch` the PASID entry's. */
export interface PageRequest {
  readonly slot: number;
  readonly tag: number;
  readonly device: number;
  readonly pasid: number;
  readonly iova: number;
  readonly group: number;
  readonly write: boolean;
  readonly epoch: number;
}

/** What a stalled job reads back: the code, and the entry epochs of its group and of the group the response was meant for. */
export interface PrqAnswer {
  readonly code: PrqCodeValue;
  readonly epoch: number;
  readonly meantFor: number;
}

/** The slot and incarnations a response names (its cookie). */
export type PrqCookie = Pick<PageRequest, 'slot' | 'tag' | 'epoch'>;

const slotBase = (slot: number) => Math.floor(slot / PRQ_DEPTH) * PRQ_UNIT_STRIDE + PRQC.SLOTS + (slot % PRQ_DEPTH) * PRQ_STRIDE;

/** Engine: the answer to job `b`'s outstanding request (freeing its slot), 'stalled' while none came, or null when it has none. */
export function prqAnswerFor(hw: Hardware, b: number): PrqAnswer | 'stalled' | null {
  const held = hw.jobs[b + J.PRQ]!;
  if (held === 0) return null;
  const s = slotBase(held - 1);
  if (Atomics.load(hw.prq, s + PRQ.STATE) !== PrqState.ANSWERED) return 'stalled';
  const answer = { code: hw.prq[s + PRQ.CODE] as PrqCodeValue, epoch: hw.prq[s + PRQ.EPOCH]!, meantFor: hw.prq[s + PRQ.RESP_EPOCH]! };
  Atomics.store(hw.prq, s + PRQ.STATE, PrqState.FREE);
  hw.jobs[b + J.PRQ] = 0;
  return answer;
}

/**
 * Engine: post a page-request group for job `b`'s access at `iova`. False on overflow: no slot
 * was free, so the unit answered the group itself (success: the device simply retries).
 */
export function prqRequest(hw: Hardware, b: number, device: number, pasid: number, iova: number, write: boolean): boolean {
  const q = hw.prq;
  const unit = hw.deviceUnit[device]!;
  const head = unit * PRQ_UNIT_STRIDE;
  for (let i = 0; i < PRQ_DEPTH; i++) {
    const s = head + PRQC.SLOTS + i * PRQ_STRIDE;
    if (Atomics.compareExchange(q, s + PRQ.STATE, PrqState.FREE, PrqState.CLAIMED) !== PrqState.FREE) continue;
    const group = hw.jobs[b + J.GROUP]!;
    hw.jobs[b + J.GROUP] = (group + 1) & 0x1ff; // PCIe: a 9-bit page request group index
    q[s + PRQ.DEV] = device;
    q[s + PRQ.PASID] = pasid;
    q[s + PRQ.IOVA] = iova;
    q[s + PRQ.GROUP] = group;
    q[s + PRQ.FLAGS] = PrqFlag.LAST | (write ? PrqFlag.WRITE : 0);
    q[s + PRQ.TAG] = (q[s + PRQ.TAG]! + 1) | 0;
    q[s + PRQ.EPOCH] = entryEpoch(hw, device, pasid);
    Atomics.store(q, s + PRQ.STATE, PrqState.QUEUED);
    hw.jobs[b + J.PRQ] = unit * PRQ_DEPTH + i + 1;
    Atomics.add(q, head + PRQC.REQUESTS, 1);
    return true;
  }
  Atomics.add(q, head + PRQC.OVERFLOWS, 1);
  return false;
}

/**
 * Engine: job `b` ended while stalled: nobody waits for the answer any more. A slot the handler
 * took or answered is free at once (a late answer misses: the slot is no longer TAKEN); one still
 * queued is left ORPHAN for the handler to discard.
 */
export function prqAbandon(hw: Hardware, b: number): void {
  const held = hw.jobs[b + J.PRQ]!;
  if (held === 0) return;
  hw.jobs[b + J.PRQ] = 0;
  const s = slotBase(held - 1);
  if (Atomics.exchange(hw.prq, s + PRQ.STATE, PrqState.ORPHAN) !== PrqState.QUEUED) Atomics.store(hw.prq, s + PRQ.STATE, PrqState.FREE);
}

/** Main thread: take every queued group of every unit (they become TAKEN: the handler owes each an answer). */
export function prqTake(hw: Hardware): PageRequest[] {
  const out: PageRequest[] = [];
  const q = hw.prq;
  for (let slot = 0; slot < hw.units * PRQ_DEPTH; slot++) {
    const s = slotBase(slot);
    if (Atomics.compareExchange(q, s + PRQ.STATE, PrqState.ORPHAN, PrqState.FREE) === PrqState.ORPHAN) continue; // its device gave up
    if (Atomics.compareExchange(q, s + PRQ.STATE, PrqState.QUEUED, PrqState.TAKEN) !== PrqState.QUEUED) continue;
    out.push(requestAt(q, slot));
  }
  return out;
}

/** The group held by `slot`, as its fields read now. */
function requestAt(q: Int32Array, slot: number): PageRequest {
  const s = slotBase(slot);
  return {
    slot,
    tag: q[s + PRQ.TAG]!,
    device: q[s + PRQ.DEV]!,
    pasid: q[s + PRQ.PASID]!,
    iova: q[s + PRQ.IOVA]!,
    group: q[s + PRQ.GROUP]!,
    write: (q[s + PRQ.FLAGS]! & PrqFlag.WRITE) !== 0,
    epoch: q[s + PRQ.EPOCH]!,
  };
}

/**
 * Main thread: answer a taken group. False when the slot no longer holds that incarnation of the
 * request (answered already, e.g. by a drain, and perhaps reused): the answer is dropped, so it
 * never reaches a later request, nor a recycled PASID's next owner.
 */
export function prqRespond(hw: Hardware, r: PrqCookie, code: PrqCodeValue): boolean {
  const q = hw.prq;
  const s = slotBase(r.slot);
  if (q[s + PRQ.TAG] !== r.tag) return false;
  q[s + PRQ.CODE] = code;
  q[s + PRQ.RESP_EPOCH] = r.epoch;
  return Atomics.compareExchange(q, s + PRQ.STATE, PrqState.TAKEN, PrqState.ANSWERED) === PrqState.TAKEN;
}

/** Every group queued or taken and not yet answered, on every unit (the auditor's liveness scan). */
export function prqUnanswered(hw: Hardware): PageRequest[] {
  const out: PageRequest[] = [];
  const q = hw.prq;
  for (let slot = 0; slot < hw.units * PRQ_DEPTH; slot++) {
    const s = slotBase(slot);
    const st = Atomics.load(q, s + PRQ.STATE);
    if (st !== PrqState.QUEUED && st !== PrqState.TAKEN) continue;
    out.push(requestAt(q, slot));
  }
  return out;
}

/** Is a group queued on any unit, waiting for the handler to take it? */
export function prqQueued(hw: Hardware): boolean {
  for (let slot = 0; slot < hw.units * PRQ_DEPTH; slot++) if (Atomics.load(hw.prq, slotBase(slot) + PRQ.STATE) === PrqState.QUEUED) return true;
  return false;
}

/** Is a group of (device, pasid) queued or taken and not yet answered? */
export function prqPendingFor(hw: Hardware, device: number, pasid: number): boolean {
  return prqSlotsOf(hw, device, pasid).length > 0;
}

/** The unanswered slots (queued or taken) of (device, pasid), with their tags and epochs. */
export function prqSlotsOf(hw: Hardware, device: number, pasid: number): PrqCookie[] {
  const q = hw.prq;
  const base = hw.deviceUnit[device]! * PRQ_DEPTH;
  const out: PrqCookie[] = [];
  for (let i = 0; i < PRQ_DEPTH; i++) {
    const s = slotBase(base + i);
    const st = Atomics.load(q, s + PRQ.STATE);
    if ((st === PrqState.QUEUED || st === PrqState.TAKEN) && q[s + PRQ.DEV] === device && q[s + PRQ.PASID] === pasid)
      out.push({ slot: base + i, tag: q[s + PRQ.TAG]!, epoch: q[s + PRQ.EPOCH]! });
  }
  return out;
}

/**
 * The PRQ drain of a torn-down (device, pasid) (VT-d: after the entry was cleared and the IOTLB
 * and device TLB flushed): answer every group still queued or taken as invalid, so the device
 * aborts those accesses and nothing is left to answer once the PASID is recycled.
 */
export function prqDrain(hw: Hardware, device: number, pasid: number, delivered = true): number {
  const q = hw.prq;
  let answered = 0;
  for (const r of prqSlotsOf(hw, device, pasid)) {
    const s = slotBase(r.slot);
    // `delivered` false: the groups a handler already took are left to it (mutant no-auto-response).
    if (Atomics.compareExchange(q, s + PRQ.STATE, PrqState.QUEUED, PrqState.TAKEN) !== PrqState.QUEUED && !delivered) continue;
    if (prqRespond(hw, r, PrqCode.INVALID)) answered++;
  }
  return answered;
}

/**
 * Mutant respond-after-recycle's response path: a response whose group is gone is delivered by
 * PASID number instead, to whatever group of (device, pasid) is unanswered now, still carrying
 * the epoch of the group it was meant for. False when there is none.
 */
export function prqRespondByPasid(hw: Hardware, meant: PageRequest, code: PrqCodeValue): boolean {
  for (const r of prqSlotsOf(hw, meant.device, meant.pasid)) {
    Atomics.compareExchange(hw.prq, slotBase(r.slot) + PRQ.STATE, PrqState.QUEUED, PrqState.TAKEN);
    if (prqRespond(hw, { ...r, epoch: meant.epoch }, code)) return true;
  }
  return false;
}

/** Page requests queued so far and overflows (auto-answered), over every unit. */
export function prqCounts(hw: Hardware): { requests: number; overflows: number } {
  let requests = 0;
  let overflows = 0;
  for (let u = 0; u < hw.units; u++) {
    requests += hw.prq[u * PRQ_UNIT_STRIDE + PRQC.REQUESTS]!;
    overflows += hw.prq[u * PRQ_UNIT_STRIDE + PRQC.OVERFLOWS]!;
  }
  return { requests, overflows };
}
