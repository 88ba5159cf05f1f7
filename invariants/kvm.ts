// KVM translation family: the auditor's own record of the vPASID -> pPASID translations the uAPI
// set up, built from calls and replies only, and published to the engines as a witness that each
// queued ENQCMD descriptor is checked against (enqcmd-unmapped; a pPASID other than the one the
// translation named is a stale translation, pasid-reuse).
//
// Why this cannot raise a false alarm on a correct model:
// - A KVM_SET_PASID call counts as an authorisation from the moment it is called (before KVM can
//   publish the entry) until it answers; if it failed, it never published anything.
// - A translation stops counting only when KVM_CLEAR_PASID has answered, and KVM answers only
//   after every vCPU that read the old entry has queued its descriptor; a vCPU checks the witness
//   before it leaves its submission, so that check always sees the translation still counted.
// - While several authorisations name different pPASIDs (a set racing an EEXIST, or a set queued
//   behind a clear), the witness names no single pPASID and only "unmapped" is judged.
import type { Hardware } from '../hardware/layout.js';
import { setKvmWitness } from '../hardware/witness.js';

interface View {
  current: number;
  readonly pending: number[];
}

export class KvmAuditor {
  private readonly views = new Map<string, View>();
  constructor(private readonly hw: Hardware) {}

  private view(vm: number, vpasid: number): View {
    const k = `${vm}:${vpasid}`;
    let v = this.views.get(k);
    if (!v) {
      v = { current: 0, pending: [] };
      this.views.set(k, v);
    }
    return v;
  }

  private publish(vm: number, vpasid: number, v: View): void {
    const named = v.current > 0 ? [v.current, ...v.pending] : v.pending;
    const distinct = new Set(named);
    setKvmWitness(this.hw, vm, vpasid, named.length, distinct.size === 1 ? named[0]! : distinct.size === 0 ? 0 : -1);
  }

  /** The pPASID the translation maps to, as the uAPI last answered (0: unmapped). */
  current(vm: number, vpasid: number): number {
    return this.views.get(`${vm}:${vpasid}`)?.current ?? 0;
  }

  /** KVM_SET_PASID was called: from now on its pPASID may legitimately reach a queue. */
  setCalled(vm: number, vpasid: number, ppasid: number): void {
    const v = this.view(vm, vpasid);
    v.pending.push(ppasid);
    this.publish(vm, vpasid, v);
  }

  /** KVM_SET_PASID answered. */
  setAnswered(vm: number, vpasid: number, ppasid: number, ok: boolean): void {
    const v = this.view(vm, vpasid);
    v.pending.splice(v.pending.indexOf(ppasid), 1);
    if (ok) v.current = ppasid;
    this.publish(vm, vpasid, v);
  }

  /** KVM_CLEAR_PASID answered success: no descriptor may reach a queue through it any more. */
  cleared(vm: number, vpasid: number): void {
    const v = this.view(vm, vpasid);
    v.current = 0;
    this.publish(vm, vpasid, v);
  }
}
