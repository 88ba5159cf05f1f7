// ENQCMD, the vCPU side, run by engine steps (never blocking): a vCPU's ENQCMD job submits
// descriptors to one device's shared work queue, each in two steps (the translation, then the
// queue's accept) so that a KVM_CLEAR_PASID can come between them. Each execution follows the hardware
// (docs/kernel-facts.md#enqcmd-and-kvm-pasid-translation): IA32_PASID valid bit clear -> #GP in the
// guest; vPASID without a KVM translation -> VM exit 72, for which KVM injects #GP; queue full ->
// ZF=1 with nothing written, and the guest retries after a round trip, up to the job's bound
// (idxd: 32), then gives up.
import { type AnomalyKind, EC, type Hardware, J, JC, JC_STRIDE, JOBS, JOB_STRIDE, MSR_PASID_MASK, MSR_PASID_VALID, VC, VC_STRIDE } from './layout.js';
import { kvmTranslate } from './kvm.js';
import { swqPush } from './swq.js';
import { kvmWitnessAnomaly, kvmWitnessPpasid } from './witness.js';

// How long the vCPU is away before its next ENQCMD, in microseconds: a ZF=1 round trip before the
// guest's loop retries, the guest's #GP handler, and a VM exit with KVM injecting the #GP.
export const ENQ_RETRY_US = 20;
const GP_US = 2;
const EXIT_US = 5;

export const Enq = { ACCEPTED: 0, RETRY: 1, GP: 2, EXIT: 3 } as const;
export type EnqOutcome = (typeof Enq)[keyof typeof Enq];

export type AnomalySink = (kind: AnomalyKind, device: number, pasid: number, page: number, seen: number, expected: number) => void;

/**
 * First half of one ENQCMD by `vcpu`, whose IA32_PASID read `msr`: the valid-bit check and the KVM vPASID -> pPASID
 * translation. Returns the pPASID (the vCPU is then mid-submission, BUSY odd, until
 * enqAccept), or -Enq.GP / -Enq.EXIT when the instruction ended here.
 */
function enqTranslate(hw: Hardware, vcpu: number, msr: number): number {
  const v = hw.vcpus;
  const c = vcpu * VC_STRIDE;
  // #GP(0) when IA32_PASID[31] = 0: checked before any translation, so the host never sees it.
  if ((msr & MSR_PASID_VALID) === 0) {
    Atomics.add(v, c + VC.GP, 1);
    return -Enq.GP;
  }
  const vpasid = msr & MSR_PASID_MASK;
  // Mid-submission from before the translation read until the descriptor is queued. The RMW is
  // sequentially consistent, so KVM_CLEAR_PASID (clear valid, then read BUSY) either sees this
  // vCPU busy and waits for it, or this vCPU's read below sees the cleared entry.
  Atomics.add(v, c + VC.BUSY, 1);
  const ppasid = kvmTranslate(hw, v[c + VC.VM]!, vpasid);
  if (ppasid !== 0) return ppasid;
  // VM exit 72 (PASID translation failure): KVM's answer is to inject #GP into the guest.
  Atomics.store(v, c + VC.EXIT_VPASID, vpasid);
  Atomics.add(v, c + VC.EXITS, 1);
  leaveSubmission(hw, c);
  return -Enq.EXIT;
}

/** Second half: the enqueue store of the descriptor (carrying `ppasid`, addressing `iova`) to `device`'s portal. */
function enqAccept(hw: Hardware, vcpu: number, device: number, vpasid: number, ppasid: number, iova: number, anomaly: AnomalySink): EnqOutcome {
  const c = vcpu * VC_STRIDE;
  let outcome: EnqOutcome = Enq.RETRY;
  if (swqPush(hw, device, ppasid, iova)) {
    const vm = hw.vcpus[c + VC.VM]!;
    const kind = kvmWitnessAnomaly(hw, vm, vpasid, ppasid);
    if (kind !== 0) anomaly(kind, device, ppasid, vcpu, vpasid, kvmWitnessPpasid(hw, vm, vpasid));
    outcome = Enq.ACCEPTED;
  }
  leaveSubmission(hw, c);
  return outcome;
}

function leaveSubmission(hw: Hardware, c: number): void {
  const v = hw.vcpus;
  Atomics.add(v, c + VC.BUSY, 1);
  if (Atomics.load(v, c + VC.WAIT) !== 0) Atomics.notify(v, c + VC.BUSY);
}

/**
 * An engine's ENQCMD jobs: each job's retries and when its vCPU submits next, and the one
 * submission that may be between its two halves (an engine step runs one half).
 */
export class Submitter {
  private readonly retriesUsed = new Int32Array(JOBS);
  private readonly resumeAt = new Float64Array(JOBS);
  /** The job whose vCPU is mid-submission (-1: none), the vPASID it submitted, the pPASID that translated to and the IOVA its descriptor addresses. */
  private mid = -1;
  private midVpasid = 0;
  private midPpasid = 0;
  private midIova = 0;

  /** `rng` is the engine's per-job xorshift state; `cBase` its counter block; `now` the engine's clock. */
  constructor(
    private readonly hw: Hardware,
    private readonly cBase: number,
    private readonly rng: Int32Array,
    private readonly anomaly: AnomalySink,
    private readonly now: () => number,
  ) {}

  /** A job was (re)assigned to this engine: no retry pending. */
  reset(id: number): void {
    this.retriesUsed[id] = 0;
    this.resumeAt[id] = 0;
  }

  /** Is a vCPU between the translation and the accept of an ENQCMD? */
  get midway(): boolean {
    return this.mid >= 0;
  }

  /** Is job `id`'s vCPU between the two halves of an ENQCMD? */
  holds(id: number): boolean {
    return this.mid === id;
  }

  /** Begin the next ENQCMD of job `id` (its first half), unless its vCPU is away for a while. */
  begin(id: number, now: number): void {
    if (now < this.resumeAt[id]!) return;
    const hw = this.hw;
    const b = id * JOB_STRIDE;
    let x = this.rng[id]!;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng[id] = x;
    const vcpu = hw.jobs[b + J.VCPU]!;
    // One read of IA32_PASID: the vPASID the accept's witness checks must be the one translated
    // (the guest may write the MSR again between the two halves).
    const msr = Atomics.load(hw.vcpus, vcpu * VC_STRIDE + VC.MSR);
    const ppasid = enqTranslate(hw, vcpu, msr);
    if (ppasid < 0) {
      this.account(id, -ppasid as EnqOutcome, now);
      return;
    }
    this.mid = id;
    this.midVpasid = msr & MSR_PASID_MASK;
    this.midPpasid = ppasid;
    this.midIova = (x >>> 1) % hw.jobs[b + J.SPAN]!;
  }

  /** The second half of the submission begun: the work queue accepts the descriptor or is full. */
  accept(): void {
    const id = this.mid;
    this.mid = -1;
    const j = this.hw.jobs;
    const b = id * JOB_STRIDE;
    this.account(id, enqAccept(this.hw, j[b + J.VCPU]!, j[b + J.DEVICE]!, this.midVpasid, this.midPpasid, this.midIova, this.anomaly), this.now());
  }

  /** Count a finished ENQCMD and decide when its vCPU submits next. */
  private account(id: number, outcome: EnqOutcome, now: number): void {
    const hw = this.hw;
    const j = hw.jobs;
    const b = id * JOB_STRIDE;
    const jc = id * JC_STRIDE;
    const ec = hw.engineCounts;
    let away = 0;
    if (outcome === Enq.RETRY) {
      hw.jobCounts[jc + JC.RETRIED] += 1;
      ec[this.cBase + EC.RETRIED] += 1;
      if (this.retriesUsed[id]!++ < j[b + J.RETRIES]!) {
        this.resumeAt[id] = now + ENQ_RETRY_US / 1000;
        return;
      }
      // Out of retries: the submission is dropped (-EAGAIN), nothing was written.
    } else if (outcome === Enq.ACCEPTED) {
      hw.jobCounts[jc + JC.ACCEPTED] += 1;
      ec[this.cBase + EC.ACCEPTED] += 1;
    } else {
      if (outcome === Enq.EXIT) {
        hw.jobCounts[jc + JC.EXITS] += 1;
        ec[this.cBase + EC.EXITS] += 1;
      }
      hw.jobCounts[jc + JC.GP] += 1;
      ec[this.cBase + EC.GP] += 1;
      away = outcome === Enq.EXIT ? EXIT_US : GP_US;
    }
    this.retriesUsed[id] = 0;
    this.resumeAt[id] = now + away / 1000;
    const budget = j[b + J.BUDGET]!;
    if (budget > 0) j[b + J.BUDGET] = budget - 1;
  }
}
