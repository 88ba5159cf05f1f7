// A VFIO device FD: the only actor that knows its PCI device (RID, PASID/ATS capability, its
// IOMMU unit). DEVICE_ALLOW_IOASID validates the FD argument, asks that FD for the IOASID (which
// must have been allocated from it) and attaches through the IOASID, which takes the kref.
// DISALLOW looks in the device's own record, so it still works after DESTROY.
import { type ActorEnv, type OpenFd, fdget, pasidArg } from './env.js';
import type { DeviceMsg, IommuMsg, IoasidMsg } from './protocol.js';
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

interface Held {
  fd: number;
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
  const put = (h: Held) => ask(actorName, h.ref, { t: 'put', holder }, T);
  const release = async (pasid: number, h: Held) => {
    if (env.mutant === 'put-before-teardown') {
      const p = await put(h);
      return p.ok ? teardown(pasid) : p;
    }
    const r = await teardown(pasid);
    return r.ok ? put(h) : r;
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
          // (docs/model.md#choices-where-the-design-is-silent, docs/domain.md#s6-lifecycle-order).
          const found = await ask(actorName, f.value.ref, { t: 'lookup', ioasid: msg.ioasid }, T);
          if (!found.ok) {
            reply(msg.replyTo, found);
            break;
          }
          if (s.held.has(msg.ioasid)) {
            reply(msg.replyTo, err('EEXIST', `device ${o.name} is already allowed IOASID ${msg.ioasid}`));
            break;
          }
          const r = await ask(actorName, found.value, { t: 'attach', device: o.index, unit: o.unit, unitIndex: o.unitIndex }, T);
          if (r.ok) s.held.set(msg.ioasid, { fd: msg.fd, ref: found.value });
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
          if (r.ok) s.held.delete(msg.ioasid);
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
            s.held.delete(pasid);
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
