// One IOASID: its state, its kref and its address space (an IO page table). Every user (the FD
// that allocated it, each device it is allowed on, each KVM translation) holds one kref. MAP adds
// areas to the address space and UNMAP removes them in the order the hardware needs: clear the
// PTEs -> flush the range from the IOTLB and the device TLBs on every unit and drain -> free the
// pages. DESTROY (and a process exit, MM_EXIT) halts DMA on every IOMMU unit holding an entry,
// wipes the page table and drops the FD's kref; the PASID stays parked until the last kref is
// put, and only then goes back to the allocator.
import { noteUnmap } from '../hardware/coverage.js';
import { checkIovaRange, isPgtableError } from '../hardware/pgtable.js';
import type { ActorEnv } from './env.js';
import type { AllocatorMsg, Holder, IommuMsg, IoasidInfo, IoasidMsg } from './protocol.js';
import { type Result, err, ok, okVoid } from './result.js';
import { type ActorRef, type ParentRef, ask, reply, replyError, spawnNamed, stopActor, tell } from './runtime.js';

interface IoasidState {
  readonly pasid: number;
  readonly vm: number;
  status: 'allocated' | 'bound' | 'destroyed';
  readonly holders: Set<Holder>;
  pgtable: number | null;
  /** IOMMU units that may hold a PASID entry for this IOASID, and which device put each there. */
  readonly units: Map<number, ActorRef<IommuMsg>>;
  readonly unitOf: Map<Holder, number>;
  /** iommufd: each device's entry at the PASID its VMM chose (not this object's id): UNMAP flushes those too. */
  readonly chosen: Map<Holder, { readonly unitIndex: number; readonly unit: ActorRef<IommuMsg>; readonly pasid: number }>;
  pasidReturned: boolean;
}

export function spawnIoasid(
  parent: ParentRef,
  env: ActorEnv,
  allocator: ActorRef<AllocatorMsg>,
  pasid: number,
  vm: number,
  fdHolder: Holder,
): ActorRef<IoasidMsg> {
  const name = `ioasid-${pasid}-${env.nextSerial()}`;
  const st: IoasidState = {
    pasid,
    vm,
    status: 'allocated',
    holders: new Set([fdHolder]),
    pgtable: null,
    units: new Map(),
    unitOf: new Map(),
    chosen: new Map(),
    pasidReturned: false,
  };
  const { pgtables } = env.host;
  const T = env.replyTimeoutMs;

  const krefEvent = (s: IoasidState, holder: Holder) => env.emit({ type: 'kref', pasid, holder, count: s.holders.size, t: env.now() });
  const wipePgtable = (s: IoasidState) => {
    if (s.pgtable !== null) {
      pgtables.destroy(s.pgtable);
      s.pgtable = null;
    }
  };
  // A tell, not an ask: the allocator's mailbox is FIFO, so any message sent to it after this one
  // (a later ALLOC, a state query by whoever saw this IOASID's reply) finds the PASID free.
  const returnPasid = (s: IoasidState) => {
    if (s.pasidReturned) return;
    s.pasidReturned = true;
    tell(name, allocator, { t: 'release', pasid });
  };
  /** Why MAP or UNMAP of IOVA pages [iova, iova + pages) is refused before it looks at the table, if it is. */
  const rangeRefused = (s: IoasidState, iova: number, pages: number) => {
    if (s.status === 'destroyed') return err('ENOENT', `IOASID ${pasid} was destroyed`);
    const bad = checkIovaRange(iova, pages);
    return bad ? err(bad.error, bad.why) : null;
  };
  /** The last kref is gone: free what is left, give the PASID back, and stop. */
  const release = (s: IoasidState, self: ActorRef<IoasidMsg>) => {
    wipePgtable(s);
    env.globalIoasids.delete(pasid);
    returnPasid(s);
    stopActor(self);
  };
  /** Tear down this PASID's entries on every unit that may hold one; a unit that holds none does nothing. */
  const teardownUnits = async (s: IoasidState): Promise<Result<null>> => {
    for (const unit of s.units.values()) {
      const r = await ask(name, unit, { t: 'teardown-pasid', pasid }, T);
      if (!r.ok) return r;
    }
    return okVoid;
  };
  const drop = (s: IoasidState, self: ActorRef<IoasidMsg>, holder: Holder) => {
    s.holders.delete(holder);
    krefEvent(s, holder);
    // A device lets go only after its unit tore its entry down: once no device that attached
    // through a unit is left, that unit holds nothing for this PASID and DESTROY need not ask it.
    s.chosen.delete(holder);
    const unit = s.unitOf.get(holder);
    if (unit !== undefined) {
      s.unitOf.delete(holder);
      if (![...s.unitOf.values()].includes(unit)) s.units.delete(unit);
    }
    if (s.holders.size === 0) release(s, self);
  };

  /** The address space, made empty if the IOASID has none yet; devices allowed before now start translating through it. */
  const addressSpace = async (s: IoasidState): Promise<Result<number>> => {
    if (s.pgtable !== null) return ok(s.pgtable);
    if (env.injectFault('pgtable-alloc')) return err('ENOMEM', 'page table allocation failed (injected)');
    const made = pgtables.create(vm);
    if (isPgtableError(made)) return err(made.error, made.why);
    s.pgtable = made.id;
    s.status = 'bound';
    for (const unit of s.units.values()) {
      const r = await ask(name, unit, { t: 'set-pgtable', pasid, pgtable: made.id }, T);
      if (!r.ok) {
        await dropAddressSpace(s);
        return r;
      }
    }
    return ok(made.id);
  };
  /** Undo addressSpace() after a failed first MAP: the entries point at no table again. */
  const dropAddressSpace = async (s: IoasidState) => {
    for (const unit of s.units.values()) await ask(name, unit, { t: 'set-pgtable', pasid, pgtable: null }, T);
    wipePgtable(s);
    s.status = 'allocated';
  };
  /**
   * UNMAP: clear the PTEs, flush the range on every unit and drain, and only then free the pages.
   * A flush or drain that did not complete fails the call with the range unmapped, and its pages
   * stay with the address space (freed when it is destroyed): a device may still reach them.
   */
  const unmap = async (s: IoasidState, table: number, iova: number, npages: number): Promise<Result<null>> => {
    // Every (unit, PASID) that may translate through this table: this object's own PASID on the
    // units it allowed devices through, and each PASID a VMM chose for a device (iommufd).
    const targets = new Map<string, { unit: ActorRef<IommuMsg>; pasid: number }>();
    for (const [i, unit] of s.units) targets.set(`${i}:${pasid}`, { unit, pasid });
    for (const c of s.chosen.values()) targets.set(`${c.unitIndex}:${c.pasid}`, c);
    const flush = async () => {
      for (const t of targets.values()) {
        const r = await ask(name, t.unit, { t: 'flush-range', pasid: t.pasid, iova, pages: npages }, T);
        if (!r.ok) return r;
      }
      return okVoid;
    };
    const early = env.mutant === 'unmap-flush-before-clear' ? await flush() : okVoid;
    if (!early.ok) return early;
    const pages = pgtables.unmap(table, iova, npages);
    if (isPgtableError(pages)) return err(pages.error, pages.why);
    const users = [...s.holders].filter((h) => h.startsWith('dev:')).map((h) => ({ device: Number(h.slice(4)), pasid: s.chosen.get(h)?.pasid ?? pasid }));
    noteUnmap(env.host.hw, env.host.jobs, users); // coverage: read right after the clear, before any flush
    if (env.mutant === 'unmap-free-before-flush') pgtables.release(pages);
    const r = env.mutant === 'unmap-flush-before-clear' ? okVoid : await flush();
    if (env.mutant === 'unmap-free-before-flush') return r;
    if (r.ok) pgtables.release(pages);
    else pgtables.hold(table, pages);
    return r;
  };
  /** DESTROY by `holder` (or a process exit): tear every entry down, wipe the page table, park the PASID while others hold it. */
  const destroy = async (s: IoasidState, me: ActorRef<IoasidMsg>, holder: Holder, teardown: boolean): Promise<Result<null>> => {
    if (env.mutant === 'backwards-order') {
      // The first proposal: unbind the page table while devices still hold the PASID, FREE at once.
      wipePgtable(s);
      returnPasid(s);
    } else {
      // Abort: not destroyed, the FD still holds it; DESTROY or close may try again.
      const r = teardown ? await teardownUnits(s) : okVoid;
      if (!r.ok) return r;
      wipePgtable(s);
      if (env.mutant === 'early-recycle') returnPasid(s);
    }
    s.status = 'destroyed';
    drop(s, me, holder);
    // PASID stays parked until the last kref is put.
    if (s.holders.size > 0 && !s.pasidReturned) tell(name, allocator, { t: 'park', pasid });
    return okVoid;
  };

  const self = spawnNamed<IoasidState, IoasidMsg>(
    parent,
    name,
    st,
    async (s, msg, me) => {
      switch (msg.t) {
        case 'attach': {
          const holder: Holder = `dev:${msg.device}`;
          if (s.status === 'destroyed') {
            reply(msg.replyTo, err('ENOENT', `IOASID ${pasid} was destroyed`));
            break;
          }
          if (s.holders.has(holder)) {
            // iommufd_hw_pagetable_attach: EBUSY for a device already attached to this HWPT.
            reply(
              msg.replyTo,
              msg.at === null ? err('EEXIST', `device already allowed IOASID ${pasid}`) : err('EBUSY', `device already attached to HWPT ${pasid}`),
            );
            break;
          }
          if (msg.install) {
            const r = await ask(name, msg.unit, { t: 'install', device: msg.device, pasid: msg.at ?? pasid, pgtable: s.pgtable }, T);
            if (!r.ok) {
              reply(msg.replyTo, r);
              break;
            }
          }
          // An entry at a PASID the VMM chose is the device's to tear down (detach): DESTROY is
          // EBUSY while it exists, so this IOASID never tears down units for it.
          if (msg.at === null) {
            s.units.set(msg.unitIndex, msg.unit);
            s.unitOf.set(holder, msg.unitIndex);
          } else s.chosen.set(holder, { unitIndex: msg.unitIndex, unit: msg.unit, pasid: msg.at });
          s.holders.add(holder);
          krefEvent(s, holder);
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'get': {
          if (s.status === 'destroyed') {
            reply(msg.replyTo, err('ENOENT', `IOASID ${pasid} was destroyed`));
            break;
          }
          if (s.holders.has(msg.holder)) {
            reply(msg.replyTo, err('EEXIST', `${msg.holder} already holds IOASID ${pasid}`));
            break;
          }
          s.holders.add(msg.holder);
          krefEvent(s, msg.holder);
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'put': {
          if (!s.holders.has(msg.holder)) {
            reply(msg.replyTo, err('ENOENT', `${msg.holder} holds no kref on IOASID ${pasid}`));
            break;
          }
          drop(s, me, msg.holder);
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'bind': {
          if (s.status === 'destroyed') {
            reply(msg.replyTo, err('ENOENT', `IOASID ${pasid} was destroyed`));
            break;
          }
          if (s.pgtable !== null) {
            reply(msg.replyTo, err('EBUSY', `IOASID ${pasid} already has a page table`));
            break;
          }
          // BIND_PGTBL is the shorthand for an empty address space and one MAP of `pages` at IOVA 0.
          const made = await addressSpace(s);
          if (!made.ok) {
            reply(msg.replyTo, made);
            break;
          }
          const mapped = pgtables.map(made.value, 0, msg.pages);
          if (isPgtableError(mapped)) {
            await dropAddressSpace(s);
            reply(msg.replyTo, err(mapped.error, mapped.why));
            break;
          }
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'map': {
          const refused = rangeRefused(s, msg.iova, msg.pages);
          if (refused) {
            reply(msg.replyTo, refused);
            break;
          }
          const made = await addressSpace(s);
          if (!made.ok) {
            reply(msg.replyTo, made);
            break;
          }
          const mapped = pgtables.map(made.value, msg.iova, msg.pages);
          reply(msg.replyTo, isPgtableError(mapped) ? err(mapped.error, mapped.why) : okVoid);
          break;
        }
        case 'unmap': {
          const refused = rangeRefused(s, msg.iova, msg.pages);
          if (refused) {
            reply(msg.replyTo, refused);
            break;
          }
          if (s.pgtable === null) {
            reply(msg.replyTo, err('ENOENT', `IOASID ${pasid} has nothing mapped`));
            break;
          }
          reply(msg.replyTo, await unmap(s, s.pgtable, msg.iova, msg.pages));
          break;
        }
        case 'mm-exit': {
          if (s.status === 'destroyed' || !s.holders.has(fdHolder) || msg.vm !== vm) {
            reply(msg.replyTo, err('ENOENT', `IOASID ${pasid} has no live address space of this VM`));
            break;
          }
          // The process's address space goes away under devices that may still use the PASID:
          // the same teardown as DESTROY on the FD's behalf, which cannot refuse (exit_mmap).
          reply(msg.replyTo, await destroy(s, me, fdHolder, env.mutant !== 'mm-exit-no-teardown'));
          break;
        }
        case 'destroy': {
          if (s.status === 'destroyed' || !s.holders.has(msg.holder)) {
            reply(msg.replyTo, err('ENOENT', `IOASID ${pasid} was already destroyed`));
            break;
          }
          if (env.destroyPolicy === 'ebusy' && !msg.force && s.holders.size > 1) {
            reply(
              msg.replyTo,
              err('EBUSY', `IOASID ${pasid} still has ${s.holders.size - 1} other user(s): ${[...s.holders].filter((h) => h !== msg.holder).join(', ')}`),
            );
            break;
          }
          reply(msg.replyTo, await destroy(s, me, msg.holder, true));
          break;
        }
        case 'quiesce':
          // The first proposal tore nothing down before its unbind.
          reply(msg.replyTo, env.mutant === 'backwards-order' ? okVoid : await teardownUnits(s));
          break;
        case 'info': {
          const pages = s.pgtable === null ? 0 : pgtables.extent(s.pgtable);
          const info: IoasidInfo = { pasid, status: s.status, kref: s.holders.size, holders: [...s.holders], pgtable: s.pgtable, pages };
          reply(msg.replyTo, ok(info));
          break;
        }
      }
      return s;
    },
    (e, msg) => replyError(msg, 'EIO', `${name}: ${(e as Error).message}`),
    { errno: 'ENOENT', message: `IOASID ${pasid} was released` },
  );
  env.globalIoasids.set(pasid, self);
  return self;
}
