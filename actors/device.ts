// A VFIO device FD: the only actor that knows its PCI device (RID, PASID/ATS capability, its
// IOMMU unit). DEVICE_ALLOW_IOASID validates the FD argument, asks that FD for the IOASID (which
// must have been allocated from it) and attaches through the IOASID, which takes the kref.
// DISALLOW looks in the device's own record, so it still works after DESTROY.
import { type ActorEnv, type OpenFd, fdget, pasidArg } from './env.js';
import type { DeviceMsg, FdMsg, IommuMsg, IoasidMsg } from './protocol.js';
import { type Result, err, ok, okVoid } from './result.js';
import { type ActorRef, type ParentRef, ask, reply, replyError, spawnNamed } from './runtime.js';

export interface DeviceOptions {
  index: number;
  name: string;
  vm: number;
  unit: ActorRef<IommuMsg>;
  unitIndex: number;
  pasid: boolean;
  pasidMax: number;
}

/** What the device holds at one PASID: the IOASID (HWPT) and the FD it came from. */
interface Held {
  fd: number;
  fdRef: ActorRef<FdMsg>;
  hwpt: number;
  ref: ActorRef<IoasidMsg>;
}
interface DeviceState {
  readonly held: Map<number, Held>;
  closed: boolean;
}

export function spawnDevice(parent: ParentRef, env: ActorEnv, o: DeviceOptions): ActorRef<DeviceMsg> {
  const actorName = o.name; // as the user named it: devices live under a parent of their own
  const holder = `dev:${o.index}` as const;
  const T = env.replyTimeoutMs;

  /** A call's FD argument (EBADF: not an open FD of this VM), then its IOASID number (EINVAL). */
  const checkArgs = (fd: number, ioasid: number): Result<OpenFd> => {
    const f = fdget(env, fd, o.vm, `device ${o.name}`);
    if (!f.ok) return f;
    const p = pasidArg(env, ioasid);
    return p.ok ? f : p;
  };
  /** The safe teardown of the PASID on this device (the part that can fail), then the kref. */
  const teardown = (pasid: number) => ask(actorName, o.unit, { t: 'teardown', device: o.index, pasid }, T);
  const iommufd = env.uapi === 'iommufd';
  // iommufd: a bound device holds the file (iommufd_ctx_get), so close(fd) waits for it.
  const holdFile = (f: ActorRef<FdMsg>) => (iommufd ? ask(actorName, f, { t: 'hold', device: o.index }, T) : Promise.resolve(okVoid));
  const unholdFile = async (f: ActorRef<FdMsg>) => {
    if (iommufd) await ask(actorName, f, { t: 'unhold', device: o.index }, T);
  };
  const put = async (h: Held) => {
    const r = await ask(actorName, h.ref, { t: 'put', holder }, T);
    if (r.ok) await unholdFile(h.fdRef);
    return r;
  };
  /** A PASID the VMM chose for this device: 1 .. its width (PASID 0 is the RID's, EINVAL). */
  const pasidOfDevice = (pasid: number): Result<number> =>
    Number.isInteger(pasid) && pasid > 0 && pasid < o.pasidMax
      ? ok(pasid)
      : err('EINVAL', `PASID ${pasid} is not valid for device ${o.name} (1..${o.pasidMax - 1})`);
  /** The HWPT an attach or replace names: an open FD of this VM, a PASID this device has, an object of that FD with a page table. */
  const findHwpt = async (fd: number, hwpt: number, pasid: number): Promise<Result<{ f: OpenFd; ref: ActorRef<IoasidMsg> }>> => {
    if (!o.pasid) return err('EOPNOTSUPP', `device ${o.name} has no PASID capability`);
    const f = fdget(env, fd, o.vm, `device ${o.name}`);
    if (!f.ok) return f;
    const p = pasidOfDevice(pasid);
    if (!p.ok) return p;
    const found = await ask(actorName, f.value.ref, { t: 'lookup', ioasid: hwpt }, T);
    if (!found.ok) return found;
    const info = await ask(actorName, found.value, { t: 'info' }, T);
    if (!info.ok) return info;
    // A HWPT is made against an IOAS: one without a page table is not PASID-compatible here.
    if (info.value.pgtable === null) return err('EINVAL', `HWPT ${hwpt} has no page table (BIND_PGTBL first)`);
    return ok({ f: f.value, ref: found.value });
  };
  const release = async (pasid: number, h: Held) => {
    if (env.mutant === 'put-before-teardown') {
      const p = await put(h);
      return p.ok ? teardown(pasid) : p;
    }
    const r = await teardown(pasid);
    return r.ok ? put(h) : r;
  };

  /** Record what `pasid` holds; published before its entry can raise a page request, so the request finds its address space. */
  const hold = (s: DeviceState, pasid: number, h: Held) => {
    s.held.set(pasid, h);
    env.attachments.set(o.index, pasid, h.hwpt);
  };
  /** Forget `pasid`, once its entry is torn down (and its page requests drained). */
  const letGo = (s: DeviceState, pasid: number) => {
    s.held.delete(pasid);
    env.attachments.delete(o.index, pasid);
  };

  /** Take a kref on `h` and install its entry at `pasid` (`at`: the PASID the VMM chose, null for ALLOW's). */
  const attachAt = async (s: DeviceState, pasid: number, h: Held, at: number | null): Promise<Result<null>> => {
    const held = await holdFile(h.fdRef);
    if (!held.ok) return held;
    hold(s, pasid, h);
    const r = await ask(actorName, h.ref, { t: 'attach', device: o.index, unit: o.unit, unitIndex: o.unitIndex, at, install: true }, T);
    if (!r.ok) {
      letGo(s, pasid);
      await unholdFile(h.fdRef);
    }
    return r;
  };
  /** Take a kref on the new HWPT, swap the entry's table with no gap, then let go of the old one. */
  const replaceAt = async (s: DeviceState, pasid: number, cur: Held, next: Held): Promise<Result<null>> => {
    const held = await holdFile(next.fdRef);
    if (!held.ok) return held;
    const got = await ask(actorName, next.ref, { t: 'attach', device: o.index, unit: o.unit, unitIndex: o.unitIndex, at: pasid, install: false }, T);
    const info = got.ok ? await ask(actorName, next.ref, { t: 'info' }, T) : got;
    if (!info.ok || info.value.pgtable === null) {
      if (got.ok) await ask(actorName, next.ref, { t: 'put', holder }, T);
      await unholdFile(next.fdRef);
      return info.ok ? err('EINVAL', `HWPT ${next.hwpt} has no page table`) : info;
    }
    // Requests raised through the new table from the swap on are the new HWPT's.
    hold(s, pasid, next);
    const swapped = await ask(actorName, o.unit, { t: 'replace', device: o.index, pasid, pgtable: info.value.pgtable }, T);
    if (!swapped.ok) {
      hold(s, pasid, cur);
      return swapped;
    }
    return put(cur);
  };

  return spawnNamed<DeviceState, DeviceMsg>(
    parent,
    actorName,
    { held: new Map(), closed: false },
    async (s, msg) => {
      if (s.closed && msg.t !== 'held') {
        reply(msg.replyTo as never, err('EBADF', `device ${o.name} is closed`));
        return s;
      }
      switch (msg.t) {
        case 'allow': {
          if (!o.pasid) {
            reply(msg.replyTo, err('EOPNOTSUPP', `device ${o.name} has no PASID capability`));
            break;
          }
          const f = checkArgs(msg.fd, msg.ioasid);
          if (!f.ok) {
            reply(msg.replyTo, f);
            break;
          }
          // Look the IOASID up in this FD first: one destroyed, or allocated from another FD, is
          // ENOENT even while this device still holds its parked PASID
          // (docs/model.md#choices-where-the-design-is-silent, docs/kernel-facts.md#s6-lifecycle-order).
          const found = await ask(actorName, f.value.ref, { t: 'lookup', ioasid: msg.ioasid }, T);
          if (!found.ok) {
            reply(msg.replyTo, found);
            break;
          }
          if (s.held.has(msg.ioasid)) {
            reply(msg.replyTo, err('EEXIST', `device ${o.name} is already allowed IOASID ${msg.ioasid}`));
            break;
          }
          const held: Held = { fd: msg.fd, fdRef: f.value.ref, hwpt: msg.ioasid, ref: found.value };
          reply(msg.replyTo, await attachAt(s, msg.ioasid, held, null));
          break;
        }
        case 'attach': {
          const h = await findHwpt(msg.fd, msg.hwpt, msg.pasid);
          if (!h.ok) {
            reply(msg.replyTo, h);
            break;
          }
          const cur = s.held.get(msg.pasid);
          if (cur) {
            reply(
              msg.replyTo,
              cur.hwpt === msg.hwpt && cur.fd === msg.fd
                ? err('EBUSY', `device ${o.name} PASID ${msg.pasid} is already attached to HWPT ${msg.hwpt}`)
                : err('EINVAL', `device ${o.name} PASID ${msg.pasid} is attached to another HWPT (${cur.hwpt}): replace it`),
            );
            break;
          }
          reply(msg.replyTo, await attachAt(s, msg.pasid, { fd: msg.fd, fdRef: h.value.f.ref, hwpt: msg.hwpt, ref: h.value.ref }, msg.pasid));
          break;
        }
        case 'replace': {
          const h = await findHwpt(msg.fd, msg.hwpt, msg.pasid);
          if (!h.ok) {
            reply(msg.replyTo, h);
            break;
          }
          const cur = s.held.get(msg.pasid);
          if (!cur) {
            reply(msg.replyTo, err('ENOENT', `device ${o.name} has nothing attached at PASID ${msg.pasid} to replace`));
            break;
          }
          if (cur.hwpt === msg.hwpt && cur.fd === msg.fd) {
            reply(msg.replyTo, okVoid); // a replace with the same table is a no-op
            break;
          }
          const next: Held = { fd: msg.fd, fdRef: h.value.f.ref, hwpt: msg.hwpt, ref: h.value.ref };
          reply(msg.replyTo, await replaceAt(s, msg.pasid, cur, next));
          break;
        }
        case 'detach': {
          const h = s.held.get(msg.pasid);
          if (!h) {
            reply(msg.replyTo, err('ENOENT', `device ${o.name} has nothing attached at PASID ${msg.pasid}`));
            break;
          }
          const r = await release(msg.pasid, h);
          if (r.ok) letGo(s, msg.pasid);
          reply(msg.replyTo, r);
          break;
        }
        case 'disallow': {
          const f = checkArgs(msg.fd, msg.ioasid);
          if (!f.ok) {
            reply(msg.replyTo, f);
            break;
          }
          const h = s.held.get(msg.ioasid);
          if (!h || h.fd !== msg.fd) {
            reply(msg.replyTo, err('ENOENT', `device ${o.name} holds no IOASID ${msg.ioasid} from FD ${msg.fd}`));
            break;
          }
          const r = await release(msg.ioasid, h);
          if (r.ok) letGo(s, msg.ioasid);
          reply(msg.replyTo, r);
          break;
        }
        case 'close': {
          s.closed = true;
          // Two phases, so that a teardown the hardware fails leaves the device as it was (still
          // open, holding all it held, so closing again can finish): every entry first, then the krefs.
          for (const pasid of s.held.keys()) {
            const r = await teardown(pasid);
            if (!r.ok) {
              s.closed = false;
              reply(msg.replyTo, r);
              return s;
            }
          }
          for (const [pasid, h] of s.held) {
            await put(h);
            letGo(s, pasid);
          }
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'held':
          reply(msg.replyTo, ok([...s.held].map(([pasid, h]) => ({ fd: h.fd, pasid }))));
          break;
      }
      return s;
    },
    (e, msg) => replyError(msg, 'EIO', `${actorName}: ${(e as Error).message}`),
  );
}
