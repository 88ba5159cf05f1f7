// The invariant monitor: the auditor. It watches the call/reply stream and the hardware's
// anomaly log, keeps its own model of who holds what, and never steers the model. It knows
// nothing of mutants: every catch comes from something it observed.
import type { CallEvent, ReplyEvent, SimEvent } from '../actors/events.js';
import type { OpArgs, OpName } from '../actors/protocol.js';
import type { Result } from '../actors/result.js';
import { hardwareReferences, pageRequestsAt } from '../hardware/audit.js';
import { publishStep } from '../hardware/anomalies.js';
import { prqUnanswered } from '../hardware/prq.js';
import { noteTeardownRace } from '../hardware/coverage.js';
import type { Hardware } from '../hardware/layout.js';
import { type MachineNames, holderName, namedArgs } from './names.js';
import { setAttached, setAuthorised } from '../hardware/witness.js';
import type { InvariantId, Violation } from './catalog.js';
import { DmaAuditor } from './dma.js';
import { HolderModel, type Incarnation } from './holders.js';
import { GuestAuditor } from './guest.js';
import { KvmAuditor } from './kvm.js';
import { PasidEntryAuditor } from './pasid-entries.js';
import { AddressSpaceAuditor } from './address-spaces.js';

export interface MonitorOptions {
  readonly hw: Hardware;
  readonly deviceVm: readonly number[];
  readonly names: MachineNames;
  readonly vmQuota: readonly (number | null)[];
  /** Observe the allocator's view of a PASID (for the release check). */
  readonly pasidState: (pasid: number) => Promise<Result<string>>;
  readonly onViolation: (v: Violation) => void;
  /** Deterministic mode: where in the schedule the run is. */
  readonly position?: () => number;
  /** The design served (default ioasid): under iommufd a close waits for the devices bound to the FD. */
  readonly uapi?: 'ioasid' | 'iommufd';
  /** The run's clock (virtual in deterministic mode) and how long a page request may wait for its answer on it. */
  readonly now?: () => number;
  readonly pageRequestBoundMs?: number;
}

/** Which holders a call in progress may be letting go of (false: none), per op: a new op needs its rule. */
type ReleaseRule<K extends OpName> = ((a: OpArgs<K>, holder: string, pasid: number) => boolean) | false;
const RELEASES: { readonly [K in OpName]: ReleaseRule<K> } = {
  disallow: (a, holder, pasid) => holder === `dev:${a.device}` && a.ioasid === pasid,
  close_device: (a, holder) => holder === `dev:${a.device}`,
  destroy: (a, holder, pasid) => holder === `fd:${a.fd}` && a.ioasid === pasid,
  close: (a, holder) => holder === `fd:${a.fd}`,
  mm_exit: (a, holder, pasid) => holder.startsWith('fd:') && a.ioasid === pasid,
  kvm_clear_pasid: (a, holder) => holder === `kvm:${a.vm}:${a.vpasid}`,
  // It lets go through the calls it makes (published too), in an order the guest does not see.
  viommu_unbind: () => true,
  open: false,
  alloc: false,
  bind_pgtbl: false,
  map: false,
  unmap: false,
  allow: false,
  kvm_set_pasid: false,
  set_msr: false,
  viommu_bind: false,
  dma: false,
  dma_start: false,
  enqcmd: false,
  enqcmd_start: false,
  stop: false,
  pasid_state: false,
  fault_queue: false,
  fault_read: false,
  fault_respond: false,
  attach: false,
  // The HWPT the PASID had (the monitor does not know which until the reply).
  replace: (a, holder) => holder === `dev:${a.device}`,
  detach: (a, holder) => holder === `dev:${a.device}`,
};

/** iommufd: the last device letting go of a closed FD releases what the FD held, during its call. */
const UNBINDS: ReadonlySet<OpName> = new Set(['detach', 'disallow', 'close_device', 'replace']);

function mayRelease(c: CallEvent, holder: string, pasid: number, uapi: MonitorOptions['uapi']): boolean {
  if (uapi === 'iommufd' && holder.startsWith('fd:') && UNBINDS.has(c.op)) return true;
  // The rule of c.op takes c.args: the event's variants pair them.
  const rule = RELEASES[c.op] as ReleaseRule<OpName>;
  return rule !== false && (rule as (a: CallEvent['args'], h: string, p: number) => boolean)(c.args, holder, pasid);
}

interface Deferred {
  readonly inc: Incarnation;
  readonly waitingOn: Set<number>;
  readonly what: string;
  readonly invariant: InvariantId;
}

export class Monitor {
  readonly model = new HolderModel();
  readonly violations: Violation[] = [];
  readonly counts = new Map<InvariantId, number>();
  private readonly dma: DmaAuditor;
  private readonly kvm: KvmAuditor;
  private readonly guest: GuestAuditor;
  private readonly entries: PasidEntryAuditor;
  /** Under iommufd a PASID carries its HWPT's address space, which this view does not follow: none is kept. */
  private readonly spaces: AddressSpaceAuditor | null;
  /** Calls in progress; a DESTROY remembers the incarnation it was called on. */
  private readonly pending = new Map<number, { call: CallEvent; target?: Incarnation; tearsDown?: ReadonlySet<number> }>();
  private readonly deferred: Deferred[] = [];
  private kvmSeen = false;
  /** iommufd: the HWPT attached at each `device:pasid`, from attach and replace replies. */
  private readonly attachedAt = new Map<string, number>();
  /** iommufd: every `device:pasid` each live HWPT was attached at, detached since or not (judged when it is freed). */
  private readonly everAttachedAt = new Map<number, Set<string>>();
  /** iommufd: FDs closed while devices still held what they allocated: their release is pending. */
  private readonly closing = new Set<number>();
  private current: number | null = null;
  /** The sequence step now running; engines stamp it on what they report (hardware/anomalies.ts). */
  get step(): number | null {
    return this.current;
  }
  set step(step: number | null) {
    this.current = step;
    publishStep(this.o.hw, step);
  }

  constructor(private readonly o: MonitorOptions) {
    this.dma = new DmaAuditor(o.hw, o.names);
    this.kvm = new KvmAuditor(o.hw);
    this.guest = new GuestAuditor(o.hw, o.names);
    this.entries = new PasidEntryAuditor(o.hw);
    this.spaces = o.uapi === 'iommufd' ? null : new AddressSpaceAuditor(o.hw);
  }

  private report(invariant: InvariantId, detail: string, step = this.step): void {
    const at = this.o.position?.();
    const v: Violation = at === undefined ? { invariant, detail, step } : { invariant, detail, step, at };
    this.counts.set(invariant, (this.counts.get(invariant) ?? 0) + 1);
    // Keep the first few of each invariant; the rest are counted.
    if ((this.counts.get(invariant) ?? 0) <= 20) this.violations.push(v);
    this.o.onViolation(v);
  }

  /** A violation found outside the event stream (the close-out audit). */
  record(invariant: InvariantId, detail: string): void {
    this.report(invariant, detail);
  }

  private authorise(device: number, pasid: number, yes: boolean): void {
    setAuthorised(this.o.hw, device, pasid, yes);
  }

  /**
   * (device, pasid) may no longer see DMA land, unless something else still authorises it: an
   * ALLOW of it still in progress (its call authorised it), or a live incarnation of the PASID
   * the device holds (the number was recycled and allowed again while this reply was on its way).
   */
  private revoke(device: number, pasid: number): void {
    for (const { call: c } of this.pending.values()) {
      if (c.op === 'allow' && c.args.device === device && c.args.ioasid === pasid) return;
      if ((c.op === 'attach' || c.op === 'replace') && c.args.device === device && c.args.pasid === pasid) return;
    }
    if (this.attachedAt.has(`${device}:${pasid}`)) return;
    const held = this.model.heldBy(pasid, `dev:${device}`);
    if (held && !held.destroyed) return;
    this.authorise(device, pasid, false);
  }

  observe(e: SimEvent): void {
    if (e.type === 'call') {
      this.onCall(e);
      this.entries.called(e);
      this.spaces?.called(e);
      return;
    }
    if (e.type === 'pasid' && e.state === 'free') this.onFree(e.pasid);
    if (e.type === 'fault-map') this.spaces?.faultMap(e.id, e.pasid, e.iova, e.phase);
    if (e.type !== 'reply') return;
    const target = this.pending.get(e.id)?.target;
    this.pending.delete(e.id);
    this.entries.answered(e);
    this.spaces?.answered(e);
    this.onReply(e, target);
    this.settleDeferred(e.id);
  }

  private onCall(e: CallEvent): void {
    // DESTROY names the IOASID the FD holds now: if the PASID recycles (to the same FD) before
    // the reply, the reply still means this one.
    const target = e.op === 'destroy' ? this.model.heldBy(e.args.ioasid, `fd:${e.args.fd}`) : e.op === 'mm_exit' ? this.model.newest(e.args.ioasid) : undefined;
    const tearsDown = this.tornDownBy(e);
    if (tearsDown.size && [...this.pending.values()].some((p) => p.tearsDown && [...tearsDown].some((x) => p.tearsDown!.has(x)))) noteTeardownRace(this.o.hw);
    this.pending.set(e.id, { call: e, target, tearsDown });
    // Authorise before the model acts: legitimate DMA may land as soon as the entry is installed.
    if (e.op === 'allow') this.authorise(e.args.device, e.args.ioasid, true);
    if (e.op === 'attach' || e.op === 'replace') this.authorise(e.args.device, e.args.pasid, true);
    // Before the model acts: from here on the entry may go (faults are fine), DMA may still land.
    if (e.op === 'detach') setAttached(this.o.hw, e.args.device, e.args.pasid, false);
    if (e.op === 'close_device')
      for (const key of this.attachedAt.keys())
        if (key.startsWith(`${e.args.device}:`)) setAttached(this.o.hw, e.args.device, Number(key.split(':')[1]), false);
    if (e.op === 'kvm_set_pasid') {
      this.kvmInUse();
      this.kvm.setCalled(e.args.vm, e.args.vpasid, e.args.ioasid);
    }
  }

  /** The PASIDs a teardown call lets go of, as the auditor's model says now (coverage of racing teardowns). */
  private tornDownBy(e: CallEvent): ReadonlySet<number> {
    switch (e.op) {
      case 'destroy':
      case 'disallow':
        return new Set([e.args.ioasid]);
      case 'close':
        return new Set([...this.model.all()].filter((i) => i.holders.has(`fd:${e.args.fd}`)).map((i) => i.pasid));
      case 'close_device':
        return new Set(this.model.held(e.args.device));
      case 'kvm_clear_pasid': {
        const p = this.kvm.current(e.args.vm, e.args.vpasid);
        return new Set(p ? [p] : []);
      }
      default:
        return new Set();
    }
  }

  private onReply(e: ReplyEvent, target: Incarnation | undefined): void {
    const m = this.model;
    const t = e.t;
    if (!e.result.ok && e.result.errno === 'ETIMEDOUT')
      this.report('reply', `${e.op}(${JSON.stringify(namedArgs(this.o.names, e.args))}) did not answer: ${e.result.message}`);
    switch (e.op) {
      case 'open':
        if (e.result.ok) m.fdVm.set(e.result.value, e.args.vm);
        break;
      case 'alloc':
        if (e.result.ok) this.onAlloc(e.result.value, e.args.fd);
        break;
      case 'allow': {
        const { device, fd, ioasid: pasid } = e.args;
        if (e.result.ok) this.granted(`${this.o.names.device[device]} was allowed`, `dev:${device}`, pasid, fd, this.o.deviceVm[device]!);
        else this.revoke(device, pasid);
        break;
      }
      case 'disallow': {
        if (!e.result.ok) break;
        const { device, ioasid: pasid } = e.args;
        const inc = m.heldBy(pasid, `dev:${device}`);
        if (inc) m.drop(inc, `dev:${device}`, t);
        this.revoke(device, pasid);
        this.settleClosing(t);
        break;
      }
      case 'destroy': {
        if (!e.result.ok) break;
        // The incarnation named at call time, unless a concurrent call let go of it already: then
        // this reply can only mean the one the FD holds now.
        const fd = `fd:${e.args.fd}`;
        const inc = target?.holders.has(fd) ? target : m.heldBy(e.args.ioasid, fd);
        if (inc) this.destroyed(inc, t);
        break;
      }
      case 'mm_exit': {
        // The address space behind the incarnation live at call time went away: as DESTROY by its FD.
        if (e.result.ok && target && !target.destroyed) this.destroyed(target, t);
        break;
      }
      case 'close': {
        if (!e.result.ok) break;
        if (this.o.uapi === 'iommufd' && this.boundTo(e.args.fd)) this.closing.add(e.args.fd);
        else this.released(e.args.fd, t);
        break;
      }
      case 'attach': {
        const { device, fd, hwpt, pasid } = e.args;
        if (e.result.ok) {
          this.granted(`${this.o.names.device[device]} attached`, `dev:${device}`, hwpt, fd, this.o.deviceVm[device]!);
          this.attachedAt.set(`${device}:${pasid}`, hwpt);
          this.attachedOnce(hwpt, device, pasid);
          // Unless a DETACH of it was called meanwhile (it may have cleared the entry already).
          if (![...this.pending.values()].some(({ call: c }) => (c.op === 'detach' || c.op === 'close_device') && c.args.device === device))
            setAttached(this.o.hw, device, pasid, true);
        } else this.revoke(device, pasid);
        break;
      }
      case 'replace': {
        const { device, fd, hwpt, pasid } = e.args;
        const key = `${device}:${pasid}`;
        const old = this.attachedAt.get(key);
        if (!e.result.ok || old === undefined || old === hwpt) break;
        const inc = m.heldBy(old, `dev:${device}`);
        if (inc) m.drop(inc, `dev:${device}`, t);
        this.granted(`${this.o.names.device[device]} replaced to`, `dev:${device}`, hwpt, fd, this.o.deviceVm[device]!);
        this.attachedAt.set(key, hwpt);
        this.attachedOnce(hwpt, device, pasid);
        this.settleClosing(t);
        break;
      }
      case 'detach': {
        const { device, pasid } = e.args;
        const key = `${device}:${pasid}`;
        const hwpt = this.attachedAt.get(key);
        if (!e.result.ok || hwpt === undefined) break;
        this.attachedAt.delete(key);
        const inc = m.heldBy(hwpt, `dev:${device}`);
        if (inc) m.drop(inc, `dev:${device}`, t);
        this.revoke(device, pasid);
        this.settleClosing(t);
        break;
      }
      case 'kvm_set_pasid': {
        const { vm, vpasid, fd, ioasid: pasid } = e.args;
        this.kvm.setAnswered(vm, vpasid, pasid, e.result.ok);
        if (e.result.ok) this.granted(`KVM of ${this.o.names.vm[vm]} mapped vPASID ${vpasid} to`, `kvm:${vm}:${vpasid}`, pasid, fd, vm);
        break;
      }
      case 'kvm_clear_pasid': {
        if (!e.result.ok) break;
        const { vm, vpasid } = e.args;
        const holder = `kvm:${vm}:${vpasid}`;
        const inc = m.heldBy(this.kvm.current(vm, vpasid), holder);
        this.kvm.cleared(vm, vpasid);
        if (inc) m.drop(inc, holder, t);
        break;
      }
      case 'close_device': {
        if (!e.result.ok) break;
        const device = e.args.device;
        for (const key of [...this.attachedAt.keys()].filter((k) => k.startsWith(`${device}:`))) {
          this.attachedAt.delete(key);
          this.authorise(device, Number(key.split(':')[1]), false);
        }
        for (const pasid of [...m.held(device)]) {
          this.authorise(device, pasid, false);
          const inc = m.heldBy(pasid, `dev:${device}`);
          if (inc) m.drop(inc, `dev:${device}`, t);
        }
        this.settleClosing(t);
        break;
      }
      case 'viommu_bind': {
        if (!e.result.ok) break;
        const problem = this.guest.bind(e.args.vm, e.args.device, e.args.vpasid, e.result.value);
        if (problem) this.report('guest-binding', problem);
        break;
      }
      case 'viommu_unbind': {
        if (!e.result.ok) break;
        const { vm, vpasid } = e.args;
        const remapping = [...this.pending.values()].some(
          ({ call: c }) => (c.op === 'viommu_bind' || c.op === 'kvm_set_pasid') && c.args.vm === vm && c.args.vpasid === vpasid,
        );
        const problem = this.guest.unbind(vm, e.args.device, vpasid, remapping);
        if (problem) this.report('guest-binding', problem);
        break;
      }
      default:
        break;
    }
  }

  /**
   * A user was given IOASID `pasid` through FD `fd` (same-FD and same-VM check, S4) and now
   * holds it as `holder`.
   */
  private granted(what: string, holder: string, pasid: number, fd: number, vm: number): void {
    const inc = this.model.newest(pasid);
    if (!inc || inc.fd !== fd || inc.destroyed) this.report('isolation', `${what} IOASID ${pasid} through FD ${fd}, which does not hold it`);
    else if (this.model.fdVm.get(fd) !== vm) this.report('isolation', `${what} IOASID ${pasid} through FD ${fd} of another VM`);
    if (inc) this.model.take(inc, holder);
  }

  /** Does any device hold something FD `fd` allocated (iommufd: then it holds the file)? */
  private boundTo(fd: number): boolean {
    for (const inc of this.model.all()) if (inc.holders.has(`fd:${fd}`) && [...inc.holders].some((h) => h.startsWith('dev:'))) return true;
    return false;
  }

  /** The FD's release ran: everything it still held was destroyed. */
  private released(fd: number, t: number): void {
    for (const inc of [...this.model.all()]) if (inc.holders.has(`fd:${fd}`)) this.destroyed(inc, t);
  }

  /** iommufd: a closed FD whose last device let go was released during that device's call. */
  private settleClosing(t: number): void {
    for (const fd of [...this.closing]) {
      if (this.boundTo(fd)) continue;
      this.closing.delete(fd);
      this.released(fd, t);
    }
  }

  /** DESTROY (or close) returned: DMA is halted on every device, and the FD let go. */
  private destroyed(inc: Incarnation, t: number): void {
    inc.destroyed = true;
    this.model.drop(inc, `fd:${inc.fd}`, t);
    for (let d = 0; d < this.o.deviceVm.length; d++) this.revoke(d, inc.pasid);
  }

  private onAlloc(pasid: number, fd: number): void {
    const m = this.model;
    const vm = m.fdVm.get(fd) ?? -1;
    // Hardware must hold nothing for a PASID being handed out.
    const refs = hardwareReferences(this.o.hw, pasid, this.kvmSeen, this.o.names);
    if (refs.length) this.report('pasid-reuse', `PASID ${pasid} was handed out while ${refs.join(', ')} still referred to it`);
    // Nor may any earlier incarnation still be held, unless a call in progress is letting go of it.
    this.stillHeld(pasid, 'pasid-reuse', 'was handed out');
    const quota = this.o.vmQuota[vm];
    m.allocated(pasid, vm, fd);
    if (quota !== null && quota !== undefined) {
      // One being let go of by a call in progress may already be free again (its reply is on its way).
      const held = [...m.all()].filter((i) => i.vm === vm && !this.lettingGo(i)).length;
      if (held > quota) this.report('quota', `${this.o.names.vm[vm]} holds ${held} PASIDs, quota ${quota}`);
    }
  }

  /**
   * The allocator declared `pasid` free: at this moment no hardware may still refer to it, and no
   * user may still hold it (unless a call in progress is letting go).
   */
  private onFree(pasid: number): void {
    const refs = [...hardwareReferences(this.o.hw, pasid, this.kvmSeen, this.o.names), ...this.requestsLeftAt(pasid)];
    if (refs.length) this.report('free-while-referenced', `PASID ${pasid} was declared free while ${refs.join(', ')} still referred to it`);
    this.stillHeld(pasid, 'free-while-referenced', 'was declared free');
  }

  private attachedOnce(hwpt: number, device: number, pasid: number): void {
    const keys = this.everAttachedAt.get(hwpt) ?? new Set<string>();
    keys.add(`${device}:${pasid}`);
    this.everAttachedAt.set(hwpt, keys);
  }

  /** iommufd: page requests left unanswered where freed HWPT `hwpt` was attached, unless another HWPT is attached there now. */
  private requestsLeftAt(hwpt: number): string[] {
    const keys = [...(this.everAttachedAt.get(hwpt) ?? [])].filter((k) => (this.attachedAt.get(k) ?? hwpt) === hwpt);
    this.everAttachedAt.delete(hwpt);
    const at = keys.map((k) => k.split(':').map(Number) as [number, number]).map(([device, pasid]) => ({ device, pasid }));
    return pageRequestsAt(this.o.hw, at, this.o.names);
  }

  /** Every incarnation of `pasid` must be let go of, or be let go of by a call in progress (then judged when it answers). */
  private stillHeld(pasid: number, invariant: InvariantId, verb: string): void {
    for (const old of this.model.incarnations(pasid)) {
      const waitingOn = new Set<number>();
      let uncovered = false;
      for (const h of old.holders) {
        const ids = [...this.pending].filter(([, c]) => mayRelease(c.call, h, pasid, this.o.uapi)).map(([id]) => id);
        if (ids.length === 0) uncovered = true;
        for (const id of ids) waitingOn.add(id);
      }
      const what = `PASID ${pasid} ${verb} while ${[...old.holders].map((h) => holderName(this.o.names, h)).join(', ')} still held it`;
      if (uncovered) this.report(invariant, what);
      else this.deferred.push({ inc: old, waitingOn, what, invariant });
    }
  }

  /** Is every holder of `inc` covered by a call in progress that may let go of it? */
  private lettingGo(inc: Incarnation): boolean {
    const calls = [...this.pending.values()];
    return [...inc.holders].every((h) => calls.some((c) => mayRelease(c.call, h, inc.pasid, this.o.uapi)));
  }

  private settleDeferred(doneId: number): void {
    for (let i = 0; i < this.deferred.length; i++) {
      const d = this.deferred[i]!;
      d.waitingOn.delete(doneId);
      if (d.waitingOn.size > 0) continue;
      this.deferred.splice(i--, 1);
      if (d.inc.holders.size > 0) this.report(d.invariant, d.what);
    }
  }

  /** Note that KVM translations exist, so PASID scans include the VMCS tables. */
  kvmInUse(): void {
    this.kvmSeen = true;
  }

  /** Read what the engines reported since the last poll, and how long each page request has waited. */
  poll(): void {
    for (const v of this.dma.poll()) this.report(v.invariant, v.detail, v.step);
    this.pageRequestLiveness();
  }

  /** Unanswered page-request groups, by slot and tag, with when the auditor first saw each, and whether reported. */
  private readonly requestsSeen = new Map<string, { since: number; reported: boolean }>();

  private pageRequestLiveness(): void {
    const { now, pageRequestBoundMs: bound } = this.o;
    if (!now || bound === undefined) return;
    const t = now();
    const live = new Set<string>();
    for (const r of prqUnanswered(this.o.hw)) {
      const key = `${r.slot}:${r.tag}`;
      live.add(key);
      const seen = this.requestsSeen.get(key) ?? { since: t, reported: false };
      this.requestsSeen.set(key, seen);
      if (seen.reported || t - seen.since <= bound) continue;
      seen.reported = true;
      this.report(
        'page-request',
        `a page request of ${this.o.names.device[r.device]} (PASID ${r.pasid}, IOVA page ${r.iova}, group ${r.group}) waited more than ${bound} ms for its answer`,
      );
    }
    for (const key of this.requestsSeen.keys()) if (!live.has(key)) this.requestsSeen.delete(key);
  }

  /** Every check now: anomalies, and PASIDs let go of must be free. Call when no call is in flight. */
  async check(): Promise<void> {
    this.poll();
    for (const [pasid] of this.model.letGo) {
      if (this.model.incarnations(pasid).length) continue;
      const s = await this.o.pasidState(pasid);
      if (s.ok && s.value !== 'free') this.report('release', `PASID ${pasid} is still ${s.value} although every user let go of it`);
      this.model.letGo.delete(pasid);
    }
  }

  /** End of run, once the engines stopped: every call must have answered, and every anomaly the engines counted is counted. */
  async final(): Promise<void> {
    await this.check();
    for (const [invariant, n] of this.dma.unrecorded()) this.counts.set(invariant, (this.counts.get(invariant) ?? 0) + n);
    for (const [id, { call: c }] of this.pending)
      this.report('reply', `call #${id} ${c.op}(${JSON.stringify(namedArgs(this.o.names, c.args))}) never answered`);
    this.pending.clear();
  }
}
