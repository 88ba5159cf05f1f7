// A DMA engine: the device side of the hardware, run by a worker thread (or, one step at a time,
// by a deterministic scheduler). Each step services the invalidation queue, translates a batch
// of one job's accesses (IOTLB, then PASID table, then IO page table), and lands batches that
// have been in flight for the configured latency. A batch is published as in flight *before*
// the translation reads any table, so a teardown that clears the entry, invalidates and then
// drains cannot miss an access that translated through the old entry.
import { appendAnomaly } from './anomalies.js';
import { resetEngineTlb, serviceInvalidations } from './invalidation.js';
import {
  Anomaly, type AnomalyKind, CTRL, EC, EC_STRIDE, ENG, type Hardware, IOTLB_ENTRIES, J, JC, JC_STRIDE, JOBS, JOB_STRIDE,
  JobKind, JobState, NONE_IN_FLIGHT, PG, PG_STRIDE, PT, PT_STRIDE, TLB, TLB_STRIDE, engineWord,
} from './layout.js';
import { walkPasid } from './pasid-table.js';

export const BATCH = 32;
const RING = 4096; // most batches in flight per engine
const KEEP_PER_KIND = 16; // anomaly records kept per engine and kind; the rest are only counted

export interface EngineOptions {
  /** How long a translated batch stays in flight before it lands, in microseconds. */
  readonly landingLatencyUs: number;
}

export class Engine {
  private readonly tlbBase: number;
  private readonly myJobs: number[] = [];
  private doorbellSeen = -1;
  private rr = 0;
  private readonly rng = new Int32Array(JOBS);
  // In-flight batches: a ring of (job, count, due time) and per-op (phys, gen, is-write).
  private readonly ringJob = new Int32Array(RING);
  /** Per job, the sequence numbers of its batches in flight, oldest first. */
  private readonly pending: number[][] = Array.from({ length: JOBS }, () => []);
  private readonly ringCount = new Int32Array(RING);
  private readonly ringDue = new Float64Array(RING);
  private readonly ringOps = new Int32Array(RING * BATCH * 2);
  private head = 0;
  private size = 0;
  private readonly kept = new Int32Array(16);
  private readonly cBase: number;

  constructor(private readonly hw: Hardware, readonly index: number, private readonly opts: EngineOptions, private readonly now: () => number) {
    this.tlbBase = index * IOTLB_ENTRIES * TLB_STRIDE;
    this.cBase = index * EC_STRIDE;
  }

  /** Announce the engine before it translates anything, so invalidations wait for it. */
  start(): void {
    Atomics.store(this.hw.ctrl, engineWord(this.index, ENG.RUNNING), 1);
    resetEngineTlb(this.hw, this.index);
  }

  /** Land everything in flight and leave: invalidations stop waiting for this engine. */
  finish(): void {
    while (this.size > 0) this.landOldest();
    this.retireJobs();
    Atomics.store(this.hw.ctrl, engineWord(this.index, ENG.RUNNING), 0);
    Atomics.notify(this.hw.ctrl, engineWord(this.index, ENG.INV_ACK));
  }

  /** Would a step do anything? (For a scheduler that runs engines one step at a time.) */
  hasWork(): boolean {
    const c = this.hw.ctrl;
    return this.myJobs.length > 0 || this.size > 0 || Atomics.load(c, CTRL.DOORBELL) !== this.doorbellSeen
      || Atomics.load(c, CTRL.INV_TAIL) !== Atomics.load(c, engineWord(this.index, ENG.INV_ACK));
  }

  get stopRequested(): boolean { return Atomics.load(this.hw.ctrl, CTRL.STOP) !== 0; }

  /** One step. Returns false when there is nothing to do (the caller may sleep on the doorbell). */
  step(): boolean {
    const hw = this.hw;
    serviceInvalidations(hw, this.index);
    const bell = Atomics.load(hw.ctrl, CTRL.DOORBELL);
    if (bell !== this.doorbellSeen) { this.doorbellSeen = bell; this.refreshJobs(); }
    let worked = false;
    const n = this.myJobs.length;
    for (let tries = 0; tries < n; tries++) {
      const id = this.myJobs[this.rr++ % n]!;
      const b = id * JOB_STRIDE;
      if (Atomics.load(hw.jobs, b + J.STATE) !== JobState.ACTIVE || hw.jobs[b + J.BUDGET] === 0) continue;
      if (hw.jobs[b + J.KIND] === JobKind.DMA) {
        if (this.size >= RING) this.landOldest();
        this.translateBatch(id);
      }
      worked = true;
      break;
    }
    const t = this.size > 0 ? this.now() : 0;
    while (this.size > 0 && (this.ringDue[this.head]! <= t || this.size >= RING)) { this.landOldest(); worked = true; }
    if (this.size > 0 && !worked) { this.landOldest(); worked = true; }
    this.retireJobs();
    return worked || this.size > 0;
  }

  /** Block (in a worker) until the doorbell rings or `ms` pass. */
  idle(ms: number): void {
    Atomics.wait(this.hw.ctrl, CTRL.DOORBELL, this.doorbellSeen, ms);
  }

  private refreshJobs(): void {
    this.myJobs.length = 0;
    const j = this.hw.jobs;
    for (let id = 0; id < JOBS; id++) {
      const b = id * JOB_STRIDE;
      const s = Atomics.load(j, b + J.STATE);
      if ((s === JobState.ACTIVE || s === JobState.STOPPING) && j[b + J.ENGINE] === this.index) {
        this.myJobs.push(id);
        if (this.rng[id] === 0) this.rng[id] = j[b + J.SEED]! | 1;
      }
    }
  }

  /** Jobs stopped or out of budget become DONE once none of their batches is in flight. */
  private retireJobs(): void {
    const j = this.hw.jobs;
    for (let i = 0; i < this.myJobs.length; i++) {
      const id = this.myJobs[i]!;
      const b = id * JOB_STRIDE;
      const s = Atomics.load(j, b + J.STATE);
      const spent = s === JobState.STOPPING || (s === JobState.ACTIVE && j[b + J.BUDGET] === 0);
      if (!spent || this.pending[id]!.length !== 0) continue;
      this.rng[id] = 0;
      this.myJobs.splice(i--, 1);
      Atomics.store(j, b + J.STATE, JobState.DONE);
      Atomics.notify(j, b + J.STATE);
    }
  }

  private translateBatch(id: number): void {
    const hw = this.hw;
    const j = hw.jobs;
    const b = id * JOB_STRIDE;
    const device = j[b + J.DEVICE]!;
    const pasid = j[b + J.PASID]!;
    const span = j[b + J.SPAN]!;
    const budget = j[b + J.BUDGET]!;
    const n = budget < 0 ? BATCH : Math.min(BATCH, budget);
    if (budget > 0) j[b + J.BUDGET] = budget - n;
    // In flight before any table is read: OLDEST first, then ISSUED (the drain reads them in
    // the other order, so it never sees this batch issued but not in flight).
    const seq = j[b + J.ISSUED]! + 1;
    const queue = this.pending[id]!;
    if (queue.length === 0) Atomics.store(j, b + J.OLDEST, seq);
    Atomics.store(j, b + J.ISSUED, seq);
    const tlb = hw.iotlb;
    const slot = (this.head + this.size) % RING;
    const ops = this.ringOps;
    let o = slot * BATCH * 2;
    let landed = 0;
    let x = this.rng[id]!;
    let pt = -3;
    for (let k = 0; k < n; k++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      const iova = (x >>> 1) % span;
      const e = this.tlbBase + ((Math.imul(device * 31 + pasid, 0x9e3779b1) ^ iova) & (IOTLB_ENTRIES - 1)) * TLB_STRIDE;
      let phys: number;
      let gen: number;
      if (tlb[e + TLB.DEV] === device + 1 && tlb[e + TLB.PASID] === pasid && tlb[e + TLB.IOVA] === iova) {
        phys = tlb[e + TLB.PHYS]!;
        gen = tlb[e + TLB.GEN]!;
      } else {
        if (pt === -3) pt = walkPasid(hw, device, pasid);
        if (pt < 0) continue; // not present, or no page table bound: a fault
        const pb = pt * PT_STRIDE;
        if (iova >= Atomics.load(hw.pgtables, pb + PT.NPAGES)) continue; // beyond the table: a fault
        phys = hw.pgtables[pb + PT.ENTRIES + 2 * iova]!;
        gen = hw.pgtables[pb + PT.ENTRIES + 2 * iova + 1]!;
        tlb[e + TLB.DEV] = 0;
        tlb[e + TLB.PASID] = pasid; tlb[e + TLB.IOVA] = iova; tlb[e + TLB.PHYS] = phys; tlb[e + TLB.GEN] = gen;
        tlb[e + TLB.DEV] = device + 1;
      }
      ops[o++] = phys;
      ops[o++] = (x & 1) === 0 ? gen : ~gen; // low bit of the draw: write (gen) or read (~gen)
      landed++;
    }
    this.rng[id] = x;
    const c = hw.jobCounts;
    c[id * JC_STRIDE + JC.FAULTED] += n - landed;
    hw.engineCounts[this.cBase + EC.FAULTED] += n - landed;
    if (landed === 0) {
      if (queue.length === 0) this.setOldest(b, NONE_IN_FLIGHT);
      return;
    }
    queue.push(seq);
    this.ringJob[slot] = id;
    this.ringCount[slot] = landed;
    this.ringDue[slot] = this.opts.landingLatencyUs > 0 ? this.now() + this.opts.landingLatencyUs / 1000 : 0;
    this.size++;
  }

  private landOldest(): void {
    const hw = this.hw;
    const slot = this.head;
    this.head = (this.head + 1) % RING;
    this.size--;
    const id = this.ringJob[slot]!;
    const n = this.ringCount[slot]!;
    const b = id * JOB_STRIDE;
    const device = hw.jobs[b + J.DEVICE]!;
    const pasid = hw.jobs[b + J.PASID]!;
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
    if (Atomics.load(hw.authorised, device * hw.pasidMax + pasid) === 0) this.anomaly(Anomaly.UNAUTHORISED, device, pasid, -1, 0, 1);
    hw.jobCounts[id * JC_STRIDE + JC.LANDED] += n;
    hw.engineCounts[this.cBase + EC.LANDED] += n;
    hw.engineCounts[this.cBase + EC.BATCHES] += 1;
    const queue = this.pending[id]!;
    queue.shift();
    this.setOldest(b, queue.length ? queue[0]! : NONE_IN_FLIGHT);
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
