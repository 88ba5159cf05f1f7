// An engine: the device side of the hardware, and the vCPUs' ENQCMD, run by a worker thread (or,
// one step at a time, by a deterministic scheduler). A step is one phase of a small state
// machine (see step()): a DMA batch opens (published in flight, PASID-table entry read), then
// translates its accesses (IOTLB, then the IO page table); an ENQCMD translates, then is
// accepted; a consumed descriptor is translated; a batch in flight for the configured latency
// lands. A DMA batch is published as in flight *before* the translation reads any table (a
// queue's descriptor counts from its enqueue until it finishes), so a teardown that clears the
// entry, invalidates and then drains cannot miss an access that translated through the old entry.
import { appendAnomaly } from './anomalies.js';
import { Submitter } from './enqcmd.js';
import { invalidationsPending, resetEngineTlb, serviceInvalidations } from './invalidation.js';
import {
  Anomaly,
  type AnomalyKind,
  CTRL,
  EC,
  EC_STRIDE,
  ENG,
  type Hardware,
  IOTLB_ENTRIES,
  J,
  JC,
  JC_STRIDE,
  JOBS,
  JOB_STRIDE,
  JobKind,
  JobState,
  NONE_IN_FLIGHT,
  PrqCode,
  type PrqCodeValue,
  PASID_CACHE_ENTRIES,
  PC,
  PC_STRIDE,
  PG,
  PG_STRIDE,
  PT,
  PRQ_GROUP_PAGES,
  PT_STRIDE,
  TLB,
  TLB_STRIDE,
  engineWord,
  invAckWord,
} from './layout.js';
import { pasidEntryVersion, pasidSlot, walkPasid } from './pasid-table.js';
import { prqAbandon, prqAnswerFor, prqRequest } from './prq.js';
import type { Waiter } from './wait.js';
import { type Descriptor, swqAbort, swqConsumer, swqFinished, swqTake, swqWaiting } from './swq.js';
import { Auth, addressSpaceWords, iovaInAddressSpace, stalePasidEntry } from './witness.js';

export const BATCH = 32;
/** translate(): the PASID entry is present but no PTE maps the IOVA (a PRI device asks for the page). */
const NO_PTE = -2;
const RING = 4096; // most batches in flight per engine
const KEEP_PER_KIND = 16; // anomaly records kept per engine and kind; the rest are only counted

/**
 * Main thread: wait until every engine has entered its loop, or one failed. Worker threads take
 * a while to start (about half a second), and a run's clock must not tick while none can race.
 */
export async function waitEnginesRunning(hw: Hardware, waiter: Waiter): Promise<void> {
  for (let e = 0; e < hw.shape.engines; e++) {
    const running = engineWord(e, ENG.RUNNING);
    await waiter.until(() => Atomics.load(hw.ctrl, running) !== 0 || Atomics.load(hw.ctrl, CTRL.FAILED) !== 0, hw.ctrl, running, `engine ${e} to start`);
  }
}

export interface EngineOptions {
  /** How long a translated batch stays in flight before it lands, in microseconds. */
  readonly landingLatencyUs: number;
}

export class Engine {
  private readonly tlbBase: number;
  private readonly pcBase: number;
  private readonly myJobs: number[] = [];
  private doorbellSeen = -1;
  private rr = 0;
  private readonly rng = new Int32Array(JOBS);
  // In-flight batches: a ring of (source, device, PASID, count, due time) and per-op (phys, gen,
  // is-write). The source is a DMA job (>= 0) or the work queue of device d (-1 - d).
  private readonly ringSrc = new Int32Array(RING);
  private readonly ringDevice = new Int32Array(RING);
  private readonly ringPasid = new Int32Array(RING);
  /** Per DMA job, the sequence numbers of its batches in flight, oldest first. */
  private readonly pending: number[][] = Array.from({ length: JOBS }, () => []);
  private readonly ringCount = new Int32Array(RING);
  private readonly ringDue = new Float64Array(RING);
  private readonly ringOps = new Int32Array(RING * BATCH * 2);
  private head = 0;
  private size = 0;
  private readonly kept = new Int32Array(16);
  private readonly cBase: number;
  private readonly submitter: Submitter;
  /** Devices whose work queue this engine consumes. */
  private readonly queues: number[] = [];
  private readonly desc: Descriptor = { pasid: 0, iova: 0 };
  /** The PASID-table walk of the current batch, read when it opened and shared by its accesses. */
  private walked = -2;
  /** The DMA batch between its two phases (-1: none): its job, sequence number, accesses and ring slot. */
  private openJob = -1;
  private openSeq = 0;
  private openN = 0;
  private openAt = 0;
  /** PRI: the answer to the page request the open batch's job was stalled on (null: none). */
  private openAnswer: PrqCodeValue | null = null;
  private gen = 0;
  /** Scratch for addressSpaceWords(). */
  private readonly aspace: [number, number] = [0, 0];

  constructor(
    private readonly hw: Hardware,
    readonly index: number,
    private readonly opts: EngineOptions,
    private readonly now: () => number,
  ) {
    this.tlbBase = index * IOTLB_ENTRIES * TLB_STRIDE;
    this.pcBase = index * PASID_CACHE_ENTRIES * PC_STRIDE;
    this.cBase = index * EC_STRIDE;
    this.submitter = new Submitter(
      hw,
      this.cBase,
      this.rng,
      (kind, device, pasid, page, seen, expected) => this.anomaly(kind, device, pasid, page, seen, expected),
      now,
    );
    for (let d = 0; d < hw.deviceVm.length; d++) if (swqConsumer(hw, d) === index) this.queues.push(d);
  }

  /** Announce the engine before it translates anything, so invalidations wait for it (and the run's clock may start). */
  start(): void {
    Atomics.store(this.hw.ctrl, engineWord(this.index, ENG.RETIRED), 0);
    Atomics.store(this.hw.ctrl, engineWord(this.index, ENG.RUNNING), 1);
    Atomics.notify(this.hw.ctrl, engineWord(this.index, ENG.RUNNING));
    resetEngineTlb(this.hw, this.index);
  }

  /** Land everything in flight, abort what waits in its queues, and leave: nobody waits for it any more. */
  finish(): void {
    if (this.openJob >= 0) this.fillBatch();
    if (this.submitter.midway) this.submitter.accept(); // a vCPU leaves no submission half done
    while (this.size > 0) this.landOldest();
    this.retireJobs();
    Atomics.store(this.hw.ctrl, engineWord(this.index, ENG.RETIRED), 1);
    Atomics.store(this.hw.ctrl, engineWord(this.index, ENG.RUNNING), 0);
    for (let u = 0; u < this.hw.units; u++) Atomics.notify(this.hw.invCtrl, invAckWord(this.index, u));
    for (const d of this.queues) swqAbort(this.hw, d);
  }

  /** Would a step do anything? (For a scheduler that runs engines one step at a time.) */
  hasWork(): boolean {
    const c = this.hw.ctrl;
    return (
      this.myJobs.length > 0 ||
      this.size > 0 ||
      this.openJob >= 0 ||
      this.submitter.midway ||
      Atomics.load(c, CTRL.DOORBELL) !== this.doorbellSeen ||
      invalidationsPending(this.hw, this.index) ||
      this.queueWaiting()
    );
  }

  /** Does a queue this engine consumes hold a descriptor not yet taken? (A loop: asked every step.) */
  private queueWaiting(): boolean {
    const q = this.queues;
    for (let i = 0; i < q.length; i++) if (swqWaiting(this.hw, q[i]!)) return true;
    return false;
  }

  get stopRequested(): boolean {
    return Atomics.load(this.hw.ctrl, CTRL.STOP) !== 0;
  }

  /**
   * One step: the next phase of the engine's state machine, so that a deterministic scheduler
   * can interleave the main thread wherever a real thread could be overtaken. A DMA batch takes
   * two steps (published in flight and the PASID-table entry read; then the IOTLB lookups and
   * fills and the page walks), an ENQCMD two (IA32_PASID and the KVM translation read; then the
   * work queue's accept), the device's processing of one descriptor one, the landing of one batch
   * one. Invalidations are serviced only between phases that leave nothing half done, so an
   * acknowledgement never precedes the end of a translation that read the old tables.
   * Returns false when there is nothing to do (the caller may sleep on the doorbell).
   */
  step(): boolean {
    if (this.openJob >= 0) {
      this.fillBatch();
      return true;
    }
    if (this.submitter.midway) {
      this.submitter.accept();
      return true;
    }
    const hw = this.hw;
    serviceInvalidations(hw, this.index);
    const bell = Atomics.load(hw.ctrl, CTRL.DOORBELL);
    if (bell !== this.doorbellSeen) {
      this.doorbellSeen = bell;
      this.refreshJobs();
    }
    let worked = this.landDue() || this.takeDescriptor();
    // Nothing due, no job with work, no device busy: land the oldest early rather than idle.
    if (!worked) worked = this.startJob() || this.queueWaiting();
    if (!worked && this.size > 0) {
      this.landOldest();
      worked = true;
    }
    this.retireJobs();
    return worked || this.size > 0 || this.openJob >= 0 || this.submitter.midway;
  }

  /** Land the oldest batch if it is due (or the ring is full). */
  private landDue(): boolean {
    if (this.size === 0 || (this.ringDue[this.head]! > this.now() && this.size < RING)) return false;
    this.landOldest();
    return true;
  }

  /** The next job in turn with work: open a DMA batch or begin an ENQCMD (its vCPU may be away: nothing done). False: no job has work. */
  private startJob(): boolean {
    const hw = this.hw;
    const n = this.myJobs.length;
    for (let tries = 0; tries < n; tries++) {
      const id = this.myJobs[this.rr++ % n]!;
      const b = id * JOB_STRIDE;
      if (Atomics.load(hw.jobs, b + J.STATE) !== JobState.ACTIVE || hw.jobs[b + J.BUDGET] === 0) continue;
      if (hw.jobs[b + J.KIND] !== JobKind.DMA) this.submitter.begin(id, this.now());
      else {
        if (this.size >= RING) this.landOldest();
        this.openBatch(id);
      }
      return true;
    }
    return false;
  }

  /** Block (in a worker) until the doorbell rings or `ms` pass; a submitter to our queues rings it too. */
  idle(ms: number): void {
    const idle = engineWord(this.index, ENG.IDLE);
    Atomics.store(this.hw.ctrl, idle, 1);
    // Re-checked after IDLE is set: a descriptor queued before a submitter could see IDLE is seen here.
    if (!this.queueWaiting()) Atomics.wait(this.hw.ctrl, CTRL.DOORBELL, this.doorbellSeen, ms);
    Atomics.store(this.hw.ctrl, idle, 0);
  }

  private refreshJobs(): void {
    this.myJobs.length = 0;
    const j = this.hw.jobs;
    for (let id = 0; id < JOBS; id++) {
      const b = id * JOB_STRIDE;
      const s = Atomics.load(j, b + J.STATE);
      if ((s === JobState.ACTIVE || s === JobState.STOPPING) && j[b + J.ENGINE] === this.index) {
        this.myJobs.push(id);
        if (this.rng[id] === 0) {
          this.rng[id] = j[b + J.SEED]! | 1;
          this.submitter.reset(id);
        }
      }
    }
  }

  /** Jobs stopped or out of budget become DONE once none of their batches is in flight or half done. */
  private retireJobs(): void {
    const j = this.hw.jobs;
    for (let i = 0; i < this.myJobs.length; i++) {
      const id = this.myJobs[i]!;
      const b = id * JOB_STRIDE;
      const s = Atomics.load(j, b + J.STATE);
      const spent = s === JobState.STOPPING || (s === JobState.ACTIVE && j[b + J.BUDGET] === 0);
      // A batch between its phases, or a vCPU between the halves of an ENQCMD, still belongs to the job.
      if (!spent || this.pending[id]!.length !== 0 || id === this.openJob || this.submitter.holds(id)) continue;
      this.rng[id] = 0;
      prqAbandon(this.hw, b);
      this.myJobs.splice(i--, 1);
      Atomics.store(j, b + J.STATE, JobState.DONE);
      Atomics.notify(j, b + J.STATE);
    }
  }

  /**
   * One access at `iova` by `device` with `pasid`: the physical page (and `this.gen`, the page
   * generation the translation carried), or -1 when it faults. A device with ATS looks in its
   * device TLB first; then the IOTLB; then the PASID entry (through the PASID cache, read when the batch opened)
   * and the IO page table's PTE, filling the IOTLB and the device TLB.
   */
  private translate(device: number, pasid: number, iova: number): number {
    const hw = this.hw;
    const ats = hw.deviceAts[device] !== 0;
    const tlb = ats ? hw.devtlb : hw.iotlb;
    const e = this.tlbBase + ((Math.imul(device * 31 + pasid, 0x9e3779b1) ^ iova) & (IOTLB_ENTRIES - 1)) * TLB_STRIDE;
    if (tlb[e + TLB.DEV] === device + 1 && tlb[e + TLB.PASID] === pasid && tlb[e + TLB.IOVA] === iova) {
      this.gen = tlb[e + TLB.GEN]!;
      return tlb[e + TLB.PHYS]!;
    }
    const io = hw.iotlb;
    let phys: number;
    let gen: number;
    if (ats && io[e + TLB.DEV] === device + 1 && io[e + TLB.PASID] === pasid && io[e + TLB.IOVA] === iova) {
      phys = io[e + TLB.PHYS]!;
      gen = io[e + TLB.GEN]!;
    } else {
      const pt = this.walked;
      if (pt < 0) return -1; // not present, or no page table bound: a fault
      const pte = pt * PT_STRIDE + PT.ENTRIES + 2 * iova;
      const present = Atomics.load(hw.pgtables, pte);
      if (present === 0) return NO_PTE; // nothing mapped at this IOVA: a fault, or a page request
      phys = present - 1;
      gen = hw.pgtables[pte + 1]!;
      fillTlb(io, e, device, pasid, iova, phys, gen);
    }
    if (ats) fillTlb(tlb, e, device, pasid, iova, phys, gen);
    this.gen = gen;
    return phys;
  }

  /**
   * How many pages the page-request group of a stalled access at `iova` asks for: the access
   * spans 1 to PRQ_GROUP_PAGES pages (from the draw `x`), and the group the ones of them, from
   * `iova` on, that have no PTE in the batch's page table (it stops at the first present one).
   */
  private groupPages(iova: number, span: number, x: number): number {
    const want = Math.min(1 + ((x >>> 20) % PRQ_GROUP_PAGES), span - iova);
    const pte = this.walked * PT_STRIDE + PT.ENTRIES;
    let pages = 1;
    while (pages < want && Atomics.load(this.hw.pgtables, pte + 2 * (iova + pages)) === 0) pages++;
    return pages;
  }

  /**
   * The PASID entry's page table (-1: none, -2: not present), through this engine's slice of the
   * PASID cache. A hit on a copy older than the auditor's floor is reported: a call replaced the
   * entry and returned, and this copy outlived the PASID-cache invalidation it owed.
   */
  private pasidEntry(device: number, pasid: number): number {
    const hw = this.hw;
    const pc = hw.pasidCache;
    const c = this.pcBase + ((Math.imul(device, 0x9e3779b1) ^ pasid) & (PASID_CACHE_ENTRIES - 1)) * PC_STRIDE;
    const slot = pasidSlot(hw, device, pasid);
    if (pc[c + PC.DEV] === device + 1 && pc[c + PC.PASID] === pasid) {
      const version = pc[c + PC.GEN]!;
      const floor = slot < 0 ? 0 : stalePasidEntry(hw, slot, version);
      if (floor !== 0) this.anomaly(Anomaly.STALE_PASID_ENTRY, device, pasid, -1, version, floor);
      return pc[c + PC.WALK]! - 2;
    }
    // The version is read before the entry: a copy is never newer than the version it carries.
    const version = slot < 0 ? 0 : pasidEntryVersion(hw, slot);
    const walk = walkPasid(hw, device, pasid);
    if (walk === -2) return walk; // a not-present entry is never cached
    // Changed during the walk (an install publishes after its version moved on): use the walk
    // once, but cache no copy whose version may name an older entry than it holds.
    if (slot >= 0 && pasidEntryVersion(hw, slot) !== version) return walk;
    pc[c + PC.DEV] = 0;
    pc[c + PC.PASID] = pasid;
    pc[c + PC.WALK] = walk + 2;
    pc[c + PC.GEN] = version;
    pc[c + PC.DEV] = device + 1;
    return walk;
  }

  /** Claim the next ring slot for a batch of `src` on (device, pasid); its ops are written from `opsAt(slot)`. */
  private openSlot(src: number, device: number, pasid: number): number {
    const slot = (this.head + this.size) % RING;
    this.ringSrc[slot] = src;
    this.ringDevice[slot] = device;
    this.ringPasid[slot] = pasid;
    this.walked = this.pasidEntry(device, pasid);
    // Walked first, the witness after: a DETACH marks its pair before it clears the entry, so a
    // not-present entry seen while the pair is still marked attached is a window that must not be.
    if (this.walked === -2 && pasid > 0 && pasid < this.hw.pasidMax && Atomics.load(this.hw.authorised, device * this.hw.pasidMax + pasid) === Auth.ATTACHED)
      this.anomaly(Anomaly.ENTRY_GAP, device, pasid, -1, 0, 0);
    return slot;
  }

  private commitSlot(slot: number, landed: number): void {
    this.ringCount[slot] = landed;
    this.ringDue[slot] = this.opts.landingLatencyUs > 0 ? this.now() + this.opts.landingLatencyUs / 1000 : 0;
    this.size++;
  }

  /** First phase of a DMA batch: take its share of the budget, publish it in flight, read the PASID-table entry. */
  private openBatch(id: number): void {
    const j = this.hw.jobs;
    const b = id * JOB_STRIDE;
    const budget = j[b + J.BUDGET]!;
    // A PRI device's job stalled on a page request waits for the answer; then its first access is
    // the one that stalled: retried after success, aborted (a fault) after invalid.
    const answer = this.hw.devicePri[j[b + J.DEVICE]!] !== 0 ? prqAnswerFor(this.hw, b) : null;
    if (answer === 'stalled') return;
    // A response the kernel meant for a group of an earlier incarnation of the PASID: the device cannot tell.
    if (answer && answer.meantFor !== 0 && answer.epoch !== 0 && answer.meantFor !== answer.epoch)
      this.anomaly(Anomaly.STALE_RESPONSE, j[b + J.DEVICE]!, j[b + J.PASID]!, -1, answer.meantFor, answer.epoch);
    this.openAnswer = answer?.code ?? null;
    const n = budget < 0 ? BATCH : Math.min(BATCH, budget);
    if (budget > 0) j[b + J.BUDGET] = budget - n;
    // In flight before any table is read: OLDEST first, then ISSUED (the drain reads them in
    // the other order, so it never sees this batch issued but not in flight).
    const seq = j[b + J.ISSUED]! + 1;
    if (this.pending[id]!.length === 0) Atomics.store(j, b + J.OLDEST, seq);
    Atomics.store(j, b + J.ISSUED, seq);
    this.openJob = id;
    this.openSeq = seq;
    this.openN = n;
    this.openAt = this.openSlot(id, j[b + J.DEVICE]!, j[b + J.PASID]!);
  }

  /** Second phase: translate every access of the open batch through the IOTLB and the IO page table, and leave it in flight. */
  private fillBatch(): void {
    const hw = this.hw;
    const id = this.openJob;
    const slot = this.openAt;
    let n = this.openN;
    const answer = this.openAnswer;
    this.openJob = -1;
    const b = id * JOB_STRIDE;
    const device = this.ringDevice[slot]!;
    const pasid = this.ringPasid[slot]!;
    const span = hw.jobs[b + J.SPAN]!;
    const pri = hw.devicePri[device] !== 0;
    const ops = this.ringOps;
    let o = slot * BATCH * 2;
    let landed = 0;
    let x = this.rng[id]!;
    // The auditor's view of the address space, read once per batch (a miss is read again: a MAP may have begun since).
    const [lo, hi] = addressSpaceWords(hw, pasid, this.aspace);
    for (let k = 0; k < n; k++) {
      const before = x;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const iova = (x >>> 1) % span;
      const phys = this.translate(device, pasid, iova);
      if (phys === NO_PTE && pri && !(k === 0 && answer === PrqCode.INVALID)) {
        // Stall: post a page request (on overflow the unit answered success: retry next batch)
        // and redraw this access once answered; the accesses not drawn go back to the budget.
        prqRequest(hw, b, device, pasid, iova, this.groupPages(iova, span, x), (x & 1) === 0);
        if (hw.jobs[b + J.BUDGET]! >= 0) hw.jobs[b + J.BUDGET] += n - k; // -1: until stopped
        x = before;
        n = k;
        break;
      }
      if (phys < 0) continue;
      if (((iova < 32 ? lo : hi) & (1 << (iova & 31))) === 0 && !iovaInAddressSpace(hw, pasid, iova))
        this.anomaly(Anomaly.FOREIGN_IOVA, device, pasid, phys, iova, 0);
      ops[o++] = phys;
      ops[o++] = (x & 1) === 0 ? this.gen : ~this.gen; // low bit of the draw: write (gen) or read (~gen)
      landed++;
    }
    this.rng[id] = x;
    this.countFaults(hw.jobCounts, id * JC_STRIDE, n - landed);
    const queue = this.pending[id]!;
    if (landed === 0) {
      if (queue.length === 0) this.setOldest(b, NONE_IN_FLIGHT);
      return;
    }
    queue.push(this.openSeq);
    this.commitSlot(slot, landed);
  }

  /**
   * The devices' side of ENQCMD: take one descriptor from the queues this engine consumes (if its
   * device has a free work slot) and translate its write like a DMA access. A descriptor stays in
   * flight, faulted or not, until it finishes in queue order: that is what drains wait on.
   */
  private takeDescriptor(): boolean {
    if (this.size >= RING) return false;
    const d = this.desc;
    for (const device of this.queues) {
      if (!swqTake(this.hw, device, d)) continue;
      const slot = this.openSlot(-1 - device, device, d.pasid);
      const phys = this.translate(device, d.pasid, d.iova);
      if (phys >= 0 && !iovaInAddressSpace(this.hw, d.pasid, d.iova)) this.anomaly(Anomaly.FOREIGN_IOVA, device, d.pasid, phys, d.iova, 0);
      if (phys >= 0) {
        this.ringOps[slot * BATCH * 2] = phys;
        this.ringOps[slot * BATCH * 2 + 1] = this.gen;
      } else {
        this.countFaults(null, 0, 1);
      }
      this.commitSlot(slot, phys >= 0 ? 1 : 0);
      this.hw.engineCounts[this.cBase + EC.CONSUMED] += 1;
      return true;
    }
    return false;
  }

  private countFaults(jobCounts: Float64Array | null, at: number, n: number): void {
    if (n === 0) return;
    if (jobCounts) jobCounts[at + JC.FAULTED] += n;
    this.hw.engineCounts[this.cBase + EC.FAULTED] += n;
  }

  private landOldest(): void {
    const hw = this.hw;
    const slot = this.head;
    this.head = (this.head + 1) % RING;
    this.size--;
    const src = this.ringSrc[slot]!;
    const n = this.ringCount[slot]!;
    const device = this.ringDevice[slot]!;
    const pasid = this.ringPasid[slot]!;
    const owner = hw.deviceVm[device]! + 1;
    const mem = hw.memory;
    const ops = this.ringOps;
    let o = slot * BATCH * 2;
    for (let k = 0; k < n; k++) {
      const phys = ops[o++]!;
      let gen = ops[o++]!;
      const write = gen >= 0;
      if (!write) gen = ~gen;
      const m = phys * PG_STRIDE;
      const seen = mem[m + PG.GEN]!;
      if (seen !== gen) this.anomaly(Anomaly.STALE_PAGE, device, pasid, phys, seen, gen);
      const pageOwner = mem[m + PG.OWNER]!;
      if (pageOwner !== owner) this.anomaly(Anomaly.FOREIGN_PAGE, device, pasid, phys, pageOwner - 1, owner - 1);
      if (write) mem[m + PG.DATA] = pasid;
    }
    // Checked after the accesses landed and before the batch leaves flight, so a teardown that
    // drained properly has always seen this batch finish before it answered.
    if (n > 0) {
      const auth = Atomics.load(hw.authorised, device * hw.pasidMax + pasid);
      if (auth !== Auth.YES && auth !== Auth.ATTACHED) this.anomaly(auth === Auth.NEVER ? Anomaly.UNAUTHORISED : Anomaly.REVOKED, device, pasid, -1, 0, 1);
      hw.engineCounts[this.cBase + EC.LANDED] += n;
      hw.engineCounts[this.cBase + EC.BATCHES] += 1;
    }
    if (src >= 0) {
      hw.jobCounts[src * JC_STRIDE + JC.LANDED] += n;
      const queue = this.pending[src]!;
      queue.shift();
      this.setOldest(src * JOB_STRIDE, queue.length ? queue[0]! : NONE_IN_FLIGHT);
    } else {
      swqFinished(hw, -1 - src);
    }
  }

  private setOldest(b: number, seq: number): void {
    const j = this.hw.jobs;
    Atomics.store(j, b + J.OLDEST, seq);
    if (Atomics.load(j, b + J.DRAIN) !== 0) Atomics.notify(j, b + J.OLDEST);
  }

  private anomaly(kind: AnomalyKind, device: number, pasid: number, page: number, seen: number, expected: number): void {
    this.hw.engineCounts[this.cBase + EC.ANOMALY_BASE + kind] += 1;
    if (this.kept[kind]! >= KEEP_PER_KIND) return;
    this.kept[kind]!++;
    appendAnomaly(this.hw, { kind, engine: this.index, device, pasid, page, seen, expected });
  }
}

/** Write a TLB entry: invalid while its fields change, so a reader never matches a torn one. */
function fillTlb(tlb: Int32Array, e: number, device: number, pasid: number, iova: number, phys: number, gen: number): void {
  tlb[e + TLB.DEV] = 0;
  tlb[e + TLB.PASID] = pasid;
  tlb[e + TLB.IOVA] = iova;
  tlb[e + TLB.PHYS] = phys;
  tlb[e + TLB.GEN] = gen;
  tlb[e + TLB.DEV] = device + 1;
}
