// The handlers of IO page faults (docs/model.md#io-page-faults): page-request groups taken from the
// units' page-request queues go to the fault queue attached to their IOASID (iommufd's fault
// object: the VMM reads them and answers each with FAULT_RESPOND), or, with none attached, to the
// kernel's own handler, which maps the page and answers success. Each group delivered to a fault
// queue gets a cookie (iommufd: the response's cookie names the group); a response naming a
// cookie of another queue, or of a queue detached since (its IOASID destroyed), is EINVAL, and one
// whose group a drain answered meanwhile is dropped: it never reaches a recycled PASID's next user. The queues are pumped on the main
// thread by whoever waits for a job (a DMA burst, a stop, a FAULT_RESPOND), in both modes. The
// queues of a guest's FD (its vIOMMU's, `guestFaults`) inject each group into that vIOMMU as it
// arrives, as a VMM injects the fault object's requests into the guest, which answers by cookie.
import type { ActorEnv } from '../actors/env.js';
import type { IoasidMsg } from '../actors/protocol.js';
import { type Result, err, ok, okVoid } from '../actors/result.js';
import { type ActorRef, ask } from '../actors/runtime.js';
import { noteGuestPageResponse, noteLateResponse, notePageResponses } from '../hardware/coverage.js';
import { J, JOBS, JOB_STRIDE, JobKind, JobState, PrqCode, type PrqCodeValue } from '../hardware/layout.js';
import { walkPasid } from '../hardware/pasid-table.js';
import { type PageRequest, prqQueued, prqRespond, prqRespondByPasid, prqSlotsOf, prqTake } from '../hardware/prq.js';
import type { PageRequestInfo } from '../actors/protocol.js';
import type { FaultHandling } from '../uapi/kernel.js';

/** FAULT_RESPOND waits in slices of the run's clock this long for a group to arrive. */
const WAIT_SLICE_MS = 20;

interface FaultQueue {
  readonly fd: number;
  /** The IOASID incarnation it was attached to: a recycled PASID's next IOASID has none. */
  readonly ioasid: ActorRef<IoasidMsg>;
  readonly pending: Delivered[];
}

/** A group on a fault queue, with the cookie its response names. */
interface Delivered {
  readonly r: PageRequest;
  /** The IOASID (HWPT) whose queue it went to: the one attached where it was raised. */
  readonly ioasid: number;
  readonly cookie: number;
  readonly queue: FaultQueue;
}

const info = ({ r, cookie }: Delivered): PageRequestInfo => ({ device: r.device, iova: r.iova, pages: r.pages, group: r.group, cookie });

/** Hands a group delivered to a guest's fault queue to its vIOMMU. */
export type Inject = (pasid: number, request: PageRequestInfo) => void;

export class FaultQueues implements FaultHandling {
  private readonly queues = new Map<number, FaultQueue>();
  /** Every group delivered and not yet answered through its queue, by cookie. */
  private readonly cookies = new Map<number, Delivered>();
  private lastCookie = 0;
  /** The FDs whose fault queues a guest's vIOMMU answers, with how to inject a group into it. */
  private readonly guests = new Map<number, Inject>();

  constructor(private readonly env: ActorEnv) {}

  attach(fd: number, pasid: number, ioasid: ActorRef<IoasidMsg>): Result<null> {
    if (this.live(pasid)) return err('EEXIST', `IOASID ${pasid} already has a fault queue`);
    this.queues.set(pasid, { fd, ioasid, pending: [] });
    return okVoid;
  }

  /** The page requests of `fd`'s fault queues go to a guest's vIOMMU through `inject`. */
  injectInto(fd: number, inject: Inject): void {
    this.guests.set(fd, inject);
  }

  /** The fault queue of `pasid`'s live IOASID, if one is attached (a stale one is dropped). */
  private live(pasid: number): FaultQueue | null {
    const q = this.queues.get(pasid);
    if (!q) return null;
    if (this.env.globalIoasids.get(pasid) === q.ioasid) return q;
    this.queues.delete(pasid);
    return null;
  }

  /** Take every queued page request: onto its IOASID's fault queue, or answered by the kernel's handler. */
  async service(): Promise<void> {
    for (const r of prqTake(this.env.host.hw)) {
      // The request names (device, PASID); the IOASID attached there owns the fault queue.
      const ioasid = this.env.attachments.of(r.device, r.pasid);
      const q = ioasid === undefined ? null : this.live(ioasid);
      if (!q) {
        await this.resolve(r, ioasid, PrqCode.SUCCESS);
        continue;
      }
      const d = { r, ioasid: ioasid!, cookie: ++this.lastCookie, queue: q };
      q.pending.push(d);
      this.cookies.set(d.cookie, d);
      this.guests.get(q.fd)?.(d.ioasid, info(d));
    }
  }

  /**
   * Answer the group `r` of IOASID `ioasid` (none: nothing is attached where it was raised any
   * more); success first maps each of its pages (fresh ones of the VM), or answers invalid when
   * that fails. `named`: the IOASID a FAULT_RESPOND named.
   */
  private async resolve(r: PageRequest, ioasid: number | undefined, want: PrqCodeValue, named = ioasid): Promise<boolean> {
    let code = want;
    for (let page = r.iova; code === PrqCode.SUCCESS && page < r.iova + r.pages; page++) {
      const ref = ioasid === undefined ? undefined : this.env.globalIoasids.get(ioasid);
      // Published around the map, as a uAPI call is: the auditor's view of the address space holds the page first.
      const id = this.env.nextSerial();
      const note = (phase: 'begin' | 'mapped' | 'failed') =>
        this.env.emit({ type: 'fault-map', id, pasid: ioasid ?? r.pasid, iova: page, phase, t: this.env.now() });
      if (ref) note('begin');
      const m = ref ? await ask('uapi', ref, { t: 'map', iova: page, pages: 1 }, this.env.replyTimeoutMs) : null;
      if (m) note(m.ok ? 'mapped' : 'failed');
      // EEXIST: mapped since the request (another group for the page): the retry finds it.
      if (!m || (!m.ok && m.errno !== 'EEXIST')) code = PrqCode.INVALID;
    }
    const hw = this.env.host.hw;
    let sent = prqRespond(hw, r, code);
    if (!sent) {
      noteLateResponse(hw);
      // respond-after-recycle: the group is gone (a drain answered it), so the response is
      // delivered by PASID number: the IOASID's the FAULT_RESPOND names (2021 design), or under
      // iommufd, where a HWPT has no PASID of its own, the one the group was raised with.
      const pasid = this.env.uapi === 'ioasid' ? named : r.pasid;
      sent = this.env.mutant === 'respond-after-recycle' && pasid !== undefined && prqRespondByPasid(hw, r, pasid, code);
    }
    if (sent) notePageResponses(hw, 1);
    return sent;
  }

  /**
   * FAULT_RESPOND on the fault queue of `pasid` (attached by `fd`): wait, bounded by the reply
   * timeout on the run's clock, for a page request, and answer the oldest with `code`.
   */
  async respond(fd: number, pasid: number, code: number, cookie: number): Promise<Result<PageRequestInfo>> {
    const next = cookie === 0 ? await this.oldest(fd, pasid) : this.byCookie(fd, pasid, cookie);
    if (!next.ok) return next;
    const d = next.value;
    const at = d.queue.pending.indexOf(d);
    if (at >= 0) d.queue.pending.splice(at, 1);
    this.cookies.delete(d.cookie);
    const sent = await this.resolve(d.r, d.ioasid, code === PrqCode.SUCCESS ? PrqCode.SUCCESS : PrqCode.INVALID, pasid);
    if (sent && this.guests.has(fd)) noteGuestPageResponse(this.env.host.hw);
    return sent ? ok(info(d)) : err('ENOENT', `page request group ${d.r.group} was answered already`);
  }

  /**
   * The group a response's cookie names, on the live fault queue `fd` attached to `pasid`: else
   * EINVAL, as iommufd answers a cookie it does not hold (the mutant respond-after-recycle takes
   * any cookie it ever delivered, whatever became of its queue).
   */
  private byCookie(fd: number, pasid: number, cookie: number): Result<Delivered> {
    const d = this.cookies.get(cookie);
    if (d && this.env.mutant === 'respond-after-recycle') return ok(d);
    const q = this.live(pasid);
    if (!d || d.queue !== q || q.fd !== fd) return err('EINVAL', `no page request with cookie ${cookie} on the fault queue of FD ${fd} for IOASID ${pasid}`);
    return ok(d);
  }

  /** read() of the fault FD: wait (bounded) for the oldest unanswered page request of the queue, and leave it unanswered. */
  async read(fd: number, pasid: number): Promise<Result<PageRequestInfo>> {
    const next = await this.oldest(fd, pasid);
    return next.ok ? ok(info(next.value)) : next;
  }

  /** The oldest unanswered request of `fd`'s fault queue on `pasid`, waiting for one up to the reply timeout of the run's clock. */
  private async oldest(fd: number, pasid: number): Promise<Result<Delivered>> {
    const q = this.live(pasid);
    if (!q || q.fd !== fd) return err('ENOENT', `FD ${fd} attached no fault queue to IOASID ${pasid}`);
    const status = await ask('uapi', q.ioasid, { t: 'info' }, this.env.replyTimeoutMs);
    if (!status.ok || status.value.status === 'destroyed') return err('ENOENT', `IOASID ${pasid} is destroyed: its fault queue is detached`);
    const { hw, waiter } = this.env.host;
    const deadline = this.env.now() + this.env.replyTimeoutMs;
    for (;;) {
      await this.service();
      // A drain answered the groups of a torn-down (device, PASID) already: those are gone.
      while (q.pending.length > 0 && !this.unanswered(q.pending[0]!.r)) this.cookies.delete(q.pending.shift()!.cookie);
      const d = q.pending[0];
      if (d) return ok(d);
      // Nothing queued and no DMA on the PASID to raise a request (a read of an empty fault FD
      // opened O_NONBLOCK): answer at once rather than wait out the bound.
      if (!this.dmaOn(pasid)) return err('ENOENT', `no page request pending on the fault queue of IOASID ${pasid}, and no PRI device's DMA can raise one`);
      if (this.env.now() >= deadline) return err('ETIMEDOUT', `no page request arrived on the fault queue of IOASID ${pasid}`);
      const slice = Math.min(deadline, this.env.now() + WAIT_SLICE_MS);
      await waiter.until(() => this.env.now() >= slice, hw.jobs, J.STATE, `a page request for IOASID ${pasid}`);
    }
  }

  /** Can a page request for IOASID `ioasid` still arrive: an active DMA job of a PRI device through a present entry attached to it? */
  private dmaOn(ioasid: number): boolean {
    const hw = this.env.host.hw;
    const j = hw.jobs;
    for (let id = 0; id < JOBS; id++) {
      const b = id * JOB_STRIDE;
      if (Atomics.load(j, b + J.STATE) !== JobState.ACTIVE || j[b + J.KIND] !== JobKind.DMA) continue;
      const device = j[b + J.DEVICE]!;
      const pasid = j[b + J.PASID]!;
      if (this.env.attachments.of(device, pasid) !== ioasid) continue;
      if (hw.devicePri[device] !== 0 && walkPasid(hw, device, pasid) !== -2) return true;
    }
    return false;
  }

  private unanswered(r: PageRequest): boolean {
    return prqSlotsOf(this.env.host.hw, r.device, r.pasid).some((s) => s.slot === r.slot && s.tag === r.tag);
  }

  /** Wait for job `id` to be DONE, answering page requests meanwhile (a stalled PRI job needs its answer to go on). */
  async untilDone(id: number): Promise<void> {
    const { hw, waiter } = this.env.host;
    const b = id * JOB_STRIDE;
    const done = () => Atomics.load(hw.jobs, b + J.STATE) === JobState.DONE;
    while (!done()) {
      await waiter.until(() => done() || prqQueued(hw), hw.jobs, b + J.STATE, `job ${id} to finish`);
      await this.service();
    }
  }
}
