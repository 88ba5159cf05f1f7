// Work the engines run: a job is a (device, PASID) DMA stream, or a vCPU's ENQCMD stream, with
// an op budget (-1 = until stopped). The main thread writes a job and rings the doorbell; the
// engine it names picks it up, and marks it DONE when its budget is spent or it was stopped.
import { type Hardware, J, JC, JC_STRIDE, JOBS, JOB_STRIDE, JobKind, JobState, NONE_IN_FLIGHT } from './layout.js';
import { ringDoorbell } from './invalidation.js';
import { walkPasid } from './pasid-table.js';
import type { Waiter } from './wait.js';

/** awaitLanded waits in slices of the run's clock this long (the deterministic waiter's bound is 100 ms). */
const AWAIT_SLICE_MS = 50;

export interface JobSpec {
  readonly kind: (typeof JobKind)[keyof typeof JobKind];
  readonly engine: number;
  readonly device: number;
  readonly pasid: number;
  readonly budget: number;
  readonly seed: number;
  readonly span: number;
  readonly vcpu?: number;
  readonly retries?: number;
  /** DMA jobs: accesses that must have landed before a stop is answered (see awaitLanded). */
  readonly minLanded?: number;
}

export interface JobCounts {
  landed: number;
  faulted: number;
  accepted: number;
  retried: number;
  gp: number;
  exits: number;
}

export class JobTable {
  /**
   * The DMA job slots of each (device, PASID), from start to release. Only the main thread starts
   * and releases jobs, so it can keep this index and a drain need not scan every slot.
   */
  private readonly dmaJobs = new Map<number, Set<number>>();

  constructor(private readonly hw: Hardware) {}

  private key(device: number, pasid: number): number {
    return device * this.hw.pasidMax + pasid;
  }

  /** Start a job; null when every slot is taken. */
  start(spec: JobSpec): number | null {
    const j = this.hw.jobs;
    for (let id = 0; id < JOBS; id++) {
      const b = id * JOB_STRIDE;
      if (Atomics.load(j, b + J.STATE) !== JobState.FREE) continue;
      j.fill(0, b, b + JOB_STRIDE);
      this.hw.jobCounts.fill(0, id * JC_STRIDE, (id + 1) * JC_STRIDE);
      j[b + J.ENGINE] = spec.engine;
      j[b + J.DEVICE] = spec.device;
      j[b + J.PASID] = spec.pasid;
      j[b + J.BUDGET] = spec.budget;
      j[b + J.KIND] = spec.kind;
      j[b + J.SEED] = spec.seed | 0 || 1;
      j[b + J.SPAN] = Math.max(1, spec.span);
      j[b + J.VCPU] = spec.vcpu ?? 0;
      j[b + J.RETRIES] = spec.retries ?? 32;
      j[b + J.OLDEST] = NONE_IN_FLIGHT;
      j[b + J.MIN_LANDED] = Math.max(0, spec.minLanded ?? 0);
      Atomics.store(j, b + J.STATE, JobState.ACTIVE);
      if (spec.kind === JobKind.DMA) {
        const k = this.key(spec.device, spec.pasid);
        const ids = this.dmaJobs.get(k);
        if (ids) ids.add(id);
        else this.dmaJobs.set(k, new Set([id]));
      }
      ringDoorbell(this.hw);
      return id;
    }
    return null;
  }

  /** Ask a job to stop; its engine lands what it already translated, then marks it DONE. */
  requestStop(id: number): void {
    const b = id * JOB_STRIDE;
    Atomics.compareExchange(this.hw.jobs, b + J.STATE, JobState.ACTIVE, JobState.STOPPING);
    ringDoorbell(this.hw);
  }

  /**
   * Before a stop: wait until the job's MIN_LANDED accesses have landed, until no more can land
   * (nothing in flight and its PASID entry not present: torn down, or never allowed), or until
   * `boundMs` of the run's clock passed. The stop then answers with whatever landed.
   */
  async awaitLanded(id: number, waiter: Waiter, now: () => number, boundMs: number, between: () => Promise<void>): Promise<void> {
    const j = this.hw.jobs;
    const b = id * JOB_STRIDE;
    const min = j[b + J.MIN_LANDED]!;
    const device = j[b + J.DEVICE]!;
    const pasid = j[b + J.PASID]!;
    const landed = () => this.hw.jobCounts[id * JC_STRIDE + JC.LANDED]! >= min;
    const hopeless = () => Atomics.load(j, b + J.OLDEST) === NONE_IN_FLIGHT && walkPasid(this.hw, device, pasid) === -2;
    const deadline = now() + boundMs;
    // In slices shorter than any waiter's own bound, which would call the wait a hardware failure.
    while (!landed() && !hopeless() && now() < deadline) {
      const slice = Math.min(deadline, now() + AWAIT_SLICE_MS);
      await waiter.until(() => landed() || hopeless() || now() >= slice, j, b + J.OLDEST, `job ${id} to land ${min} accesses`);
      await between(); // the page requests of a stalled PRI job get their answers
    }
  }

  counts(id: number): JobCounts {
    const c = this.hw.jobCounts;
    const b = id * JC_STRIDE;
    return {
      landed: c[b + JC.LANDED]!,
      faulted: c[b + JC.FAULTED]!,
      accepted: c[b + JC.ACCEPTED]!,
      retried: c[b + JC.RETRIED]!,
      gp: c[b + JC.GP]!,
      exits: c[b + JC.EXITS]!,
    };
  }

  release(id: number): void {
    const j = this.hw.jobs;
    const b = id * JOB_STRIDE;
    if (j[b + J.KIND] === JobKind.DMA) {
      const k = this.key(j[b + J.DEVICE]!, j[b + J.PASID]!);
      const ids = this.dmaJobs.get(k);
      ids?.delete(id);
      if (ids?.size === 0) this.dmaJobs.delete(k);
    }
    Atomics.store(j, b + J.STATE, JobState.FREE);
  }

  /** Has a DMA batch of (device, pasid) entered flight and not yet landed? */
  dmaInFlight(device: number, pasid: number): boolean {
    for (const id of this.dmaJobs.get(this.key(device, pasid)) ?? []) {
      if (Atomics.load(this.hw.jobs, id * JOB_STRIDE + J.OLDEST) !== NONE_IN_FLIGHT) return true;
    }
    return false;
  }

  /**
   * Drain: wait until every batch of (device, pasid) that entered flight before now has landed.
   * Engines publish a batch (OLDEST, then ISSUED) before they translate it, so once the entry is
   * cleared and the IOTLB invalidated, the batches up to ISSUED are all that can still land
   * through the old translation. Batches issued later are not waited for, so a device that keeps
   * issuing cannot starve the drain.
   */
  async drain(device: number, pasid: number, waiter: Waiter): Promise<void> {
    const j = this.hw.jobs;
    const ids = this.dmaJobs.get(this.key(device, pasid));
    if (!ids) return;
    for (const id of [...ids]) {
      const b = id * JOB_STRIDE;
      const issued = Atomics.load(j, b + J.ISSUED);
      Atomics.store(j, b + J.DRAIN, 1);
      await waiter.until(() => Atomics.load(j, b + J.OLDEST) > issued, j, b + J.OLDEST, `DMA drain of device ${device} PASID ${pasid}`);
      Atomics.store(j, b + J.DRAIN, 0);
    }
  }
}
