// The page-request queues (VT-d PRQ, one per IOMMU unit) of devices with PRI: an engine posts a
// page-request group for an access to a non-present IOVA and stalls the access; the main thread's
// handler takes the group and answers it (success: the device retries the access; invalid: it
// aborts it). A group carries the epoch of the PASID entry it was posted through, and a response
// the epoch of the group it answers, so the device sees which incarnation a response was meant
// for. A group asks for one page or several consecutive ones (a slot each, the last flagged
// last-in-group); it is taken, answered and drained whole, by its last slot. Slots are claimed and answered
// by compare-and-swap, so the engines and the main thread never write a slot at once.
import { entryEpoch } from './pasid-table.js';
import { type Hardware, J, PRQ, PRQC, PRQ_DEPTH, PRQ_STRIDE, PRQ_UNIT_STRIDE, PrqCode, type PrqCodeValue, PrqFlag, PrqState } from './layout.js';

/** A page-request group as the handler sees it; `slot` and `tag` name the queue slot's incarnation, `epoch` the PASID entry's. */
export interface PageRequest {
  readonly slot: number;
  readonly tag: number;
  readonly device: number;
  readonly pasid: number;
  /** The first page the group asks for (the access that stalled); it asks for `pages` from there. */
  readonly iova: number;
  readonly pages: number;
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

/** The slot and incarnations a response names (its cookie): a group's last slot. */
export type PrqCookie = Pick<PageRequest, 'slot' | 'tag' | 'epoch'>;

/** A slot of some group: its last one (which the handler takes and answers), or one of its parts. */
interface SlotRef extends PrqCookie {
  readonly last: boolean;
}

const unanswered = (st: number) => st === PrqState.QUEUED || st === PrqState.TAKEN;

/** The unanswered parts of the group whose last slot is `slot` with `tag` (same unit). */
function partsOf(q: Int32Array, slot: number, tag: number): number[] {
  const out: number[] = [];
  const base = Math.floor(slot / PRQ_DEPTH) * PRQ_DEPTH;
  for (let i = 0; i < PRQ_DEPTH; i++) {
    const s = slotBase(base + i);
    if (unanswered(Atomics.load(q, s + PRQ.STATE)) && q[s + PRQ.LEAD] === slot + 1 && q[s + PRQ.LEAD_TAG] === tag) out.push(base + i);
  }
  return out;
}

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
 * Engine: post a page-request group for job `b`'s access at `iova`, asking for `pages`
 * consecutive pages (a slot each, the last flagged last-in-group). False on overflow: too few
 * slots were free for the whole group, so the unit answered it itself (success: the device
 * simply retries); no slot of it is left behind.
 */
export function prqRequest(hw: Hardware, b: number, device: number, pasid: number, iova: number, pages: number, write: boolean): boolean {
  const q = hw.prq;
  const unit = hw.deviceUnit[device]!;
  const head = unit * PRQ_UNIT_STRIDE;
  const claimed: number[] = [];
  for (let i = 0; i < PRQ_DEPTH && claimed.length < pages; i++)
    if (Atomics.compareExchange(q, slotBase(unit * PRQ_DEPTH + i) + PRQ.STATE, PrqState.FREE, PrqState.CLAIMED) === PrqState.FREE)
      claimed.push(unit * PRQ_DEPTH + i);
  if (claimed.length < pages) {
    for (const slot of claimed) Atomics.store(q, slotBase(slot) + PRQ.STATE, PrqState.FREE);
    Atomics.add(q, head + PRQC.OVERFLOWS, 1);
    return false;
  }
  const group = hw.jobs[b + J.GROUP]!;
  hw.jobs[b + J.GROUP] = (group + 1) & 0x1ff; // PCIe: a 9-bit page request group index
  const last = claimed[pages - 1]!;
  const lastTag = (q[slotBase(last) + PRQ.TAG]! + 1) | 0;
  const epoch = entryEpoch(hw, device, pasid);
  for (let k = 0; k < pages; k++) {
    const s = slotBase(claimed[k]!);
    q[s + PRQ.DEV] = device;
    q[s + PRQ.PASID] = pasid;
    q[s + PRQ.IOVA] = iova + k;
    q[s + PRQ.GROUP] = group;
    q[s + PRQ.FLAGS] = (k === pages - 1 ? PrqFlag.LAST : 0) | (write ? PrqFlag.WRITE : 0);
    q[s + PRQ.TAG] = k === pages - 1 ? lastTag : (q[s + PRQ.TAG]! + 1) | 0;
    q[s + PRQ.EPOCH] = epoch;
    q[s + PRQ.LEAD] = k === pages - 1 ? 0 : last + 1;
    q[s + PRQ.LEAD_TAG] = k === pages - 1 ? 0 : lastTag;
  }
  // The parts first, the last slot last: a handler that sees the last one queued sees the whole group.
  for (const slot of claimed) Atomics.store(q, slotBase(slot) + PRQ.STATE, PrqState.QUEUED);
  hw.jobs[b + J.PRQ] = last + 1;
  Atomics.add(q, head + PRQC.REQUESTS, 1);
  if (pages > 1) Atomics.add(q, head + PRQC.MULTI_PAGE, 1);
  return true;
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
  // The parts first: a handler taking the group meanwhile finds them gone (and answers none of them).
  for (const part of partsOf(hw.prq, held - 1, hw.prq[s + PRQ.TAG]!)) Atomics.store(hw.prq, slotBase(part) + PRQ.STATE, PrqState.FREE);
  if (Atomics.exchange(hw.prq, s + PRQ.STATE, PrqState.ORPHAN) !== PrqState.QUEUED) Atomics.store(hw.prq, s + PRQ.STATE, PrqState.FREE);
}

/** Main thread: take every queued group of every unit, by its last slot, parts and all (TAKEN: the handler owes each an answer). */
export function prqTake(hw: Hardware): PageRequest[] {
  const out: PageRequest[] = [];
  const q = hw.prq;
  for (let slot = 0; slot < hw.units * PRQ_DEPTH; slot++) {
    const s = slotBase(slot);
    if (Atomics.compareExchange(q, s + PRQ.STATE, PrqState.ORPHAN, PrqState.FREE) === PrqState.ORPHAN) continue; // its device gave up
    if (Atomics.load(q, s + PRQ.STATE) !== PrqState.QUEUED || (q[s + PRQ.FLAGS]! & PrqFlag.LAST) === 0) continue;
    if (Atomics.compareExchange(q, s + PRQ.STATE, PrqState.QUEUED, PrqState.TAKEN) !== PrqState.QUEUED) continue;
    for (const part of partsOf(q, slot, q[s + PRQ.TAG]!)) Atomics.compareExchange(q, slotBase(part) + PRQ.STATE, PrqState.QUEUED, PrqState.TAKEN);
    out.push(requestAt(q, slot));
  }
  return out;
}

/** The group whose last slot is `slot`, as its fields read now. */
function requestAt(q: Int32Array, slot: number): PageRequest {
  const s = slotBase(slot);
  const pages = 1 + partsOf(q, slot, q[s + PRQ.TAG]!).length;
  return {
    slot,
    tag: q[s + PRQ.TAG]!,
    device: q[s + PRQ.DEV]!,
    pasid: q[s + PRQ.PASID]!,
    iova: q[s + PRQ.IOVA]! - (pages - 1),
    pages,
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
  if (Atomics.compareExchange(q, s + PRQ.STATE, PrqState.TAKEN, PrqState.ANSWERED) !== PrqState.TAKEN) return false;
  // The answer is the whole group's: its parts are freed with it (looked up after the answer,
  // so a part its device gave up on and another group claimed since is not touched).
  for (const part of partsOf(q, r.slot, r.tag)) Atomics.store(q, slotBase(part) + PRQ.STATE, PrqState.FREE);
  return true;
}

/** Every group queued or taken and not yet answered, on every unit, by its last slot (the auditor's liveness scan). */
export function prqUnanswered(hw: Hardware): PageRequest[] {
  const out: PageRequest[] = [];
  const q = hw.prq;
  for (let slot = 0; slot < hw.units * PRQ_DEPTH; slot++) {
    const s = slotBase(slot);
    if (!unanswered(Atomics.load(q, s + PRQ.STATE)) || (q[s + PRQ.FLAGS]! & PrqFlag.LAST) === 0) continue;
    out.push(requestAt(q, slot));
  }
  return out;
}

/** Is a group queued on any unit, waiting for the handler to take it (its last slot queued)? */
export function prqQueued(hw: Hardware): boolean {
  for (let slot = 0; slot < hw.units * PRQ_DEPTH; slot++) {
    const s = slotBase(slot);
    if (Atomics.load(hw.prq, s + PRQ.STATE) === PrqState.QUEUED && (hw.prq[s + PRQ.FLAGS]! & PrqFlag.LAST) !== 0) return true;
  }
  return false;
}

/** Is a group of (device, pasid) queued or taken and not yet answered? */
export function prqPendingFor(hw: Hardware, device: number, pasid: number): boolean {
  return prqSlotsOf(hw, device, pasid).length > 0;
}

/** The unanswered slots (queued or taken) of (device, pasid), groups' last slots and parts alike, with their tags and epochs. */
export function prqSlotsOf(hw: Hardware, device: number, pasid: number): SlotRef[] {
  const q = hw.prq;
  const base = hw.deviceUnit[device]! * PRQ_DEPTH;
  const out: SlotRef[] = [];
  for (let i = 0; i < PRQ_DEPTH; i++) {
    const s = slotBase(base + i);
    if (unanswered(Atomics.load(q, s + PRQ.STATE)) && q[s + PRQ.DEV] === device && q[s + PRQ.PASID] === pasid)
      out.push({ slot: base + i, tag: q[s + PRQ.TAG]!, epoch: q[s + PRQ.EPOCH]!, last: (q[s + PRQ.FLAGS]! & PrqFlag.LAST) !== 0 });
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
  // By its last slots: answering a group frees its parts. No group is partial here: an engine
  // posts a whole group within one batch, and the drain of DMA before this one waited for it.
  for (const r of prqSlotsOf(hw, device, pasid)) {
    if (!r.last) continue;
    const s = slotBase(r.slot);
    // `delivered` false: the groups a handler already took are left to it (mutant no-auto-response).
    if (Atomics.compareExchange(q, s + PRQ.STATE, PrqState.QUEUED, PrqState.TAKEN) !== PrqState.QUEUED && !delivered) continue;
    if (prqRespond(hw, r, PrqCode.INVALID)) answered++;
  }
  return answered;
}

/**
 * Mutant respond-after-recycle's response path: a response whose group is gone is delivered by
 * PASID number alone instead, to whatever group with `pasid` is unanswered now (of any device),
 * still carrying the epoch of the group `meant` it was meant for. False when there is none.
 */
export function prqRespondByPasid(hw: Hardware, meant: PrqCookie, pasid: number, code: PrqCodeValue): boolean {
  const devices = Array.from({ length: hw.deviceVm.length }, (_, d) => d);
  for (const r of devices.flatMap((d) => prqSlotsOf(hw, d, pasid))) {
    if (!r.last) continue;
    Atomics.compareExchange(hw.prq, slotBase(r.slot) + PRQ.STATE, PrqState.QUEUED, PrqState.TAKEN);
    if (prqRespond(hw, { ...r, epoch: meant.epoch }, code)) return true;
  }
  return false;
}

/** Page-request groups queued so far, overflows (auto-answered) and groups of several pages, over every unit. */
export function prqCounts(hw: Hardware): { requests: number; overflows: number; multiPage: number } {
  let requests = 0;
  let overflows = 0;
  let multiPage = 0;
  for (let u = 0; u < hw.units; u++) {
    requests += hw.prq[u * PRQ_UNIT_STRIDE + PRQC.REQUESTS]!;
    overflows += hw.prq[u * PRQ_UNIT_STRIDE + PRQC.OVERFLOWS]!;
    multiPage += hw.prq[u * PRQ_UNIT_STRIDE + PRQC.MULTI_PAGE]!;
  }
  return { requests, overflows, multiPage };
}
