// A /dev/ioasid FD context of one VM: an xarray-like table PASID -> IOASID, the VM's quota, and
// nothing about PCI devices (layering: only a device FD knows its device). close(fd) destroys
// everything the FD still holds.
import { PT_MAX_PAGES } from '../hardware/layout.js';
import { type ActorEnv, ioasidArg } from './env.js';
import type { AllocatorMsg, FdMsg, Holder, IoasidMsg } from './protocol.js';
import { type Result, err, ok, okVoid } from './result.js';
import { type ActorRef, type ParentRef, ask, reply, replyError, spawnNamed, stopActor } from './runtime.js';
import { spawnIoasid } from './ioasid.js';

interface FdState {
  readonly table: Map<number, ActorRef<IoasidMsg>>;
  closed: boolean;
  /** iommufd: devices holding the file, with how many attachments each. */
  readonly holds: Map<number, number>;
  /** iommufd: close(fd) returned while devices held the file; the teardown waits for the last. */
  deferred: boolean;
}

export interface FdOptions {
  fd: number;
  vm: number;
  quota: number | null;
  ioasidParent: ParentRef;
  allocator: ActorRef<AllocatorMsg>;
}

export function spawnIoasidFd(parent: ParentRef, env: ActorEnv, o: FdOptions): ActorRef<FdMsg> {
  const name = `fd${o.fd}`;
  const holder: Holder = `fd:${o.fd}`;
  const T = env.replyTimeoutMs;
  const noSuch = (id: number) => err('ENOENT', `no IOASID ${id} in FD ${o.fd}`);
  /** The IOASID a call names, if it is an IOASID's number at all (EINVAL) and this FD holds it (ENOENT). */
  const owned = (s: FdState, ioasid: number): Result<ActorRef<IoasidMsg>> => {
    const p = ioasidArg(env, ioasid);
    if (!p.ok) return p;
    const ref = s.table.get(ioasid);
    return ref ? ok(ref) : noSuch(ioasid);
  };

  /**
   * Destroy everything the FD holds, in two phases, so that a teardown the hardware fails leaves
   * every IOASID as it was (the FD stays open with all it holds, and closing again can finish):
   * first every PASID entry is torn down, the only part that can fail; then each IOASID is
   * destroyed, with nothing left to tear down.
   */
  const teardown = async (s: FdState): Promise<Result<null>> => {
    for (const ref of s.table.values()) {
      const r = await ask(name, ref, { t: 'quiesce' }, T);
      if (!r.ok && r.errno !== 'ENOENT') return r;
    }
    for (const [id, ref] of s.table) {
      // close(fd) cannot fail on a busy IOASID: under either policy it destroys and parks.
      await ask(name, ref, { t: 'destroy', holder, force: true }, T);
      s.table.delete(id);
    }
    return okVoid;
  };

  return spawnNamed<FdState, FdMsg>(
    parent,
    name,
    { table: new Map(), closed: false, holds: new Map(), deferred: false },
    async (s, msg, self) => {
      if (msg.t === 'unhold') {
        const n = (s.holds.get(msg.device) ?? 0) - 1;
        if (n > 0) s.holds.set(msg.device, n);
        else s.holds.delete(msg.device);
        // The last device let go of a closed file: its release runs now, before the unbind answers.
        const r = s.deferred && s.holds.size === 0 ? await teardown(s) : okVoid;
        reply(msg.replyTo, r);
        if (r.ok && s.deferred && s.holds.size === 0) stopActor(self);
        return s;
      }
      if (s.closed) {
        reply(msg.replyTo as never, err('EBADF', `FD ${o.fd} is closed`));
        return s;
      }
      switch (msg.t) {
        case 'alloc': {
          const r = await ask(name, o.allocator, { t: 'alloc', vm: o.vm, quota: o.quota }, T);
          if (!r.ok) {
            reply(msg.replyTo, r);
            break;
          }
          s.table.set(r.value, spawnIoasid(o.ioasidParent, env, o.allocator, r.value, o.vm, holder));
          reply(msg.replyTo, ok(r.value));
          break;
        }
        case 'bind': {
          const ref = owned(s, msg.ioasid);
          if (!ref.ok) {
            reply(msg.replyTo, ref);
            break;
          }
          if (!Number.isInteger(msg.pages) || msg.pages < 1 || msg.pages > PT_MAX_PAGES) {
            reply(msg.replyTo, err('EINVAL', `pages must be 1..${PT_MAX_PAGES} (got ${msg.pages})`));
            break;
          }
          reply(msg.replyTo, await ask(name, ref.value, { t: 'bind', pages: msg.pages }, T));
          break;
        }
        case 'map':
        case 'unmap': {
          const ref = owned(s, msg.ioasid);
          reply(msg.replyTo, ref.ok ? await ask(name, ref.value, { t: msg.t, iova: msg.iova, pages: msg.pages }, T) : ref);
          break;
        }
        case 'lookup': {
          // The fdget-style check: the IOASID must have been allocated from this FD.
          const ref = env.mutant === 'no-fd-check' ? env.globalIoasids.get(msg.ioasid) : s.table.get(msg.ioasid);
          reply(msg.replyTo, ref ? ok(ref) : noSuch(msg.ioasid));
          break;
        }
        case 'destroy': {
          const ref = owned(s, msg.ioasid);
          if (!ref.ok) {
            reply(msg.replyTo, ref);
            break;
          }
          const r = await ask(name, ref.value, { t: 'destroy', holder, force: false }, T);
          if (r.ok || r.errno === 'ENOENT') s.table.delete(msg.ioasid);
          reply(msg.replyTo, r);
          break;
        }
        case 'close': {
          s.closed = true;
          if (s.holds.size > 0) {
            // iommufd: the bound devices hold the file, so this close releases nothing yet.
            s.deferred = true;
            reply(msg.replyTo, okVoid);
            break;
          }
          const r = await teardown(s);
          if (!r.ok) s.closed = false;
          reply(msg.replyTo, r);
          if (r.ok) stopActor(self);
          break;
        }
        case 'hold':
          s.holds.set(msg.device, (s.holds.get(msg.device) ?? 0) + 1);
          reply(msg.replyTo, okVoid);
          break;
        case 'list':
          reply(msg.replyTo, ok([...s.table.keys()]));
          break;
      }
      return s;
    },
    (e, msg) => replyError(msg, 'EIO', `${name}: ${(e as Error).message}`),
    { errno: 'EBADF', message: `FD ${o.fd} is closed` },
  );
}
