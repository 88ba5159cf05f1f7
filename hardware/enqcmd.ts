// ENQCMD, the vCPU side, run inside an engine step (never blocking): a vCPU's ENQCMD job submits
// descriptors to one device's shared work queue. Each execution follows the hardware
// (docs/domain.md#enqcmd-and-kvm-pasid-translation): IA32_PASID valid bit clear -> #GP in the
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
const SUBMITS_PER_STEP = 8;

export const Enq = { ACCEPTED: 0, RETRY: 1, GP: 2, EXIT: 3 } as const;
export type EnqOutcome = (typeof Enq)[keyof typeof Enq];

export type AnomalySink = (kind: AnomalyKind, device: number, pasid: number, page: number, seen: number, expected: number) => void;

/** One ENQCMD by `vcpu` to `device`'s portal, with a descriptor addressing `iova`. */
function enqcmd(hw: Hardware, vcpu: number, device: number, iova: number, anomaly: AnomalySink): EnqOutcome {
  const v = hw.vcpus;
  const c = vcpu * VC_STRIDE;
  const msr = Atomics.load(v, c + VC.MSR);
  // #GP(0) when IA32_PASID[31] = 0: checked before any translation, so the host never sees it.
  if ((msr & MSR_PASID_VALID) === 0) {
    Atomics.add(v, c + VC.GP, 1);
    return Enq.GP;
  }
  const vpasid = msr & MSR_PASID_MASK;
  const vm = v[c + VC.VM]!;
  // Mid-submission from before the translation read until the descriptor is queued. The RMW is
  // sequentially consistent, so KVM_CLEAR_PASID (clear valid, then read BUSY) either sees this
  // vCPU busy and waits for it, or this vCPU's read below sees the cleared entry.
  Atomics.add(v, c + VC.BUSY, 1);
  let outcome: EnqOutcome;
  const ppasid = kvmTranslate(hw, vm, vpasid);
  if (ppasid === 0) {
    // VM exit 72 (PASID translation failure): KVM's answer is to inject #GP into the guest.
    Atomics.store(v, c + VC.EXIT_VPASID, vpasid);
    Atomics.add(v, c + VC.EXITS, 1);
    outcome = Enq.EXIT;
  } else if (!swqPush(hw, device, ppasid, iova)) {
    outcome = Enq.RETRY;
  } else {
    const kind = kvmWitnessAnomaly(hw, vm, vpasid, ppasid);
    if (kind !== 0) anomaly(kind, device, ppasid, vcpu, vpasid, kvmWitnessPpasid(hw, vm, vpasid));
    outcome = Enq.ACCEPTED;
  }
  Atomics.add(v, c + VC.BUSY, 1);
  if (Atomics.load(v, c + VC.WAIT) !== 0) Atomics.notify(v, c + VC.BUSY);
  return outcome;
}

/** An engine's ENQCMD jobs: each job's retries and when its vCPU submits next, and its share of every step. */
export class Submitter {
  private readonly retriesUsed = new Int32Array(JOBS);
  private readonly resumeAt = new Float64Array(JOBS);

  /** `rng` is the engine's per-job xorshift state; `cBase` its counter block. */
  constructor(
    private readonly hw: Hardware,
    private readonly cBase: number,
    private readonly rng: Int32Array,
    private readonly anomaly: AnomalySink,
  ) {}

  /** A job was (re)assigned to this engine: no retry pending. */
  reset(id: number): void {
    this.retriesUsed[id] = 0;
    this.resumeAt[id] = 0;
  }

  /** Up to SUBMITS_PER_STEP submissions of job `id`, stopping where the vCPU is away for a while. */
  run(id: number, now: number): void {
    if (now < this.resumeAt[id]!) return;
    const hw = this.hw;
    const j = hw.jobs;
    const b = id * JOB_STRIDE;
    const jc = id * JC_STRIDE;
    const ec = hw.engineCounts;
    const vcpu = j[b + J.VCPU]!;
    const device = j[b + J.DEVICE]!;
    const span = j[b + J.SPAN]!;
    let x = this.rng[id]!;
    for (let k = 0; k < SUBMITS_PER_STEP; k++) {
      const budget = j[b + J.BUDGET]!;
      if (budget === 0) break;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const outcome = enqcmd(hw, vcpu, device, (x >>> 1) % span, this.anomaly);
      let away = 0;
      if (outcome === Enq.RETRY) {
        hw.jobCounts[jc + JC.RETRIED] += 1;
        ec[this.cBase + EC.RETRIED] += 1;
        if (this.retriesUsed[id]!++ < j[b + J.RETRIES]!) {
          this.resumeAt[id] = now + ENQ_RETRY_US / 1000;
          break;
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
      if (budget > 0) j[b + J.BUDGET] = budget - 1;
      if (away > 0) break;
    }
    this.rng[id] = x;
  }
}
