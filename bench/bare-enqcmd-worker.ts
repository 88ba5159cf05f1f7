// The ENQCMD baseline: a worker thread doing the shared-memory steps of one accepted submission
// and its consumption, back to back: IA32_PASID load and valid check, KVM vPASID-table load
// (valid, then pPASID), reservation of a queue slot by CAS on TAIL, descriptor store and SEQ
// publish, then the consumer's take (SEQ check, descriptor read, slot freed, HEAD advanced) and
// DONE. No model around it: no BUSY handshake with KVM_CLEAR_PASID, auditor witness, retry
// bookkeeping, doorbell, job table or counters, and the consumer is this same thread, so the
// queue never fills. The loop mirrors enqcmd(), swqPush() and swqTake() on purpose (a baseline
// cannot call the code it judges): keep them in step when the submission's access pattern changes.
import { workerData } from 'node:worker_threads';
import { serveBareRuns } from './bare-worker.js';
import {
  KE,
  KVM_STRIDE,
  KVM_VPASIDS,
  MSR_PASID_MASK,
  MSR_PASID_VALID,
  SD,
  SWQ,
  SWQ_DEPTH,
  SWQ_DESC_STRIDE,
  SWQ_STRIDE,
  SWQ_WORK_SLOTS,
  VC,
  VC_STRIDE,
} from '../hardware/layout.js';

export interface BareEnqcmdParams {
  readonly vpasid: number;
  readonly ppasid: number;
  readonly span: number;
  readonly seed: number;
}

const { vpasid, ppasid, span, seed } = workerData as BareEnqcmdParams;
const vcpus = new Int32Array(new SharedArrayBuffer(VC_STRIDE * 4));
const kvm = new Int32Array(new SharedArrayBuffer(KVM_VPASIDS * KVM_STRIDE * 4));
const q = new Int32Array(new SharedArrayBuffer(SWQ_STRIDE * 4));
Atomics.store(vcpus, VC.MSR, (vpasid & MSR_PASID_MASK) | MSR_PASID_VALID);
kvm[vpasid * KVM_STRIDE + KE.PPASID] = ppasid;
kvm[vpasid * KVM_STRIDE + KE.VALID] = 1;
for (let i = 0; i < SWQ_DEPTH; i++) q[SWQ.DESC + i * SWQ_DESC_STRIDE + SD.SEQ] = i;
const slot = (pos: number) => SWQ.DESC + (pos & (SWQ_DEPTH - 1)) * SWQ_DESC_STRIDE;
let x = seed | 1;

function submitAndTake(): void {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  const iova = (x >>> 1) % span;
  const msr = Atomics.load(vcpus, VC.MSR);
  if ((msr & MSR_PASID_VALID) === 0) throw new Error('bare ENQCMD loop: MSR not valid');
  const e = (msr & MSR_PASID_MASK) * KVM_STRIDE;
  const pp = Atomics.load(kvm, e + KE.VALID) === 0 ? 0 : Atomics.load(kvm, e + KE.PPASID);
  if (pp === 0) throw new Error('bare ENQCMD loop: vPASID not mapped');
  for (;;) {
    const pos = Atomics.load(q, SWQ.TAIL);
    const s = slot(pos);
    const lag = (Atomics.load(q, s + SD.SEQ) - pos) | 0;
    if (lag !== 0) throw new Error('bare ENQCMD loop: the queue cannot fill with its consumer in the same loop');
    if (Atomics.compareExchange(q, SWQ.TAIL, pos, (pos + 1) | 0) !== pos) continue;
    q[s + SD.PASID] = pp;
    q[s + SD.IOVA] = iova;
    Atomics.store(q, s + SD.SEQ, (pos + 1) | 0);
    break;
  }
  const head = q[SWQ.HEAD]!;
  if (((head - Atomics.load(q, SWQ.DONE)) | 0) >= SWQ_WORK_SLOTS) throw new Error('bare ENQCMD loop: no work slot');
  const s = slot(head);
  if (Atomics.load(q, s + SD.SEQ) !== ((head + 1) | 0)) throw new Error('bare ENQCMD loop: descriptor not published');
  if (q[s + SD.PASID] !== pp || q[s + SD.IOVA] !== iova) throw new Error('bare ENQCMD loop: the consumer read another descriptor');
  Atomics.store(q, s + SD.SEQ, (head + SWQ_DEPTH) | 0);
  Atomics.store(q, SWQ.HEAD, (head + 1) | 0);
  Atomics.add(q, SWQ.DONE, 1);
}

serveBareRuns(() => {
  for (let i = 0; i < 1024; i++) submitAndTake();
  return 1024;
});
