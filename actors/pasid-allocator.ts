// The global PASID space: 1 .. 2^pasidBits - 1 (0 is reserved), each free, in use, or parked.
// A parked PASID was destroyed but is still referenced: it is never handed out until the last
// kref is put and the IOASID releases it. Allocation is lowest-free, as the kernel's IDA does,
// so a released number comes back at once (which is what makes reuse bugs visible). Under
// iommufd the same actor numbers HWPTs instead (docs/iommufd.md#object-ids-are-not-pasids): an
// id space of its own, as the iommufd xarray is, and no PASID is allocated at all.
import type { ActorEnv } from './env.js';
import type { AllocatorMsg, AllocatorStats } from './protocol.js';
import { type Result, err, ok } from './result.js';
import { type ActorRef, type ParentRef, reply, replyError, spawnNamed } from './runtime.js';

const FREE = 0,
  IN_USE = 1,
  PARKED = 2;

interface AllocatorState {
  readonly status: Uint8Array; // per PASID
  readonly owner: Int32Array; // VM charged for it
  readonly perVm: Map<number, number>;
  readonly used: Uint32Array; // bitmap of not-free PASIDs, to find the lowest free quickly
  lowestWordHint: number;
  inUse: number;
  parked: number;
}

/** What an allocator numbers: the 2021 design's PASIDs, or iommufd's object (HWPT) ids. */
export interface IdSpace {
  readonly name: 'pasid-allocator' | 'hwpt-ids';
  /** Numbers 1 .. 2^bits - 1. */
  readonly bits: number;
  /** The number's name in errors. */
  readonly what: 'PASID' | 'HWPT id';
}

export function spawnPasidAllocator(parent: ParentRef, env: ActorEnv, space: IdSpace): ActorRef<AllocatorMsg> {
  const max = 1 << space.bits;
  const { what } = space;
  const st: AllocatorState = {
    status: new Uint8Array(max),
    owner: new Int32Array(max),
    perVm: new Map(),
    used: new Uint32Array(Math.ceil(max / 32)),
    lowestWordHint: 0,
    inUse: 0,
    parked: 0,
  };
  st.used[0]! |= 1; // PASID 0 is reserved
  const setUsed = (p: number, on: boolean) => {
    if (on) st.used[p >>> 5]! |= 1 << (p & 31);
    else {
      st.used[p >>> 5]! &= ~(1 << (p & 31));
      st.lowestWordHint = Math.min(st.lowestWordHint, p >>> 5);
    }
  };
  const lowestFree = (): number => {
    for (let w = st.lowestWordHint; w < st.used.length; w++) {
      const bits = st.used[w]!;
      if (bits === 0xffffffff) continue;
      st.lowestWordHint = w;
      const p = w * 32 + (31 - Math.clz32(~bits & (bits + 1)));
      return p < max ? p : -1;
    }
    st.lowestWordHint = st.used.length;
    return -1;
  };
  const announce = (pasid: number) => {
    const s = st.status[pasid];
    env.emit({ type: 'pasid', pasid, state: s === FREE ? 'free' : s === IN_USE ? 'in-use' : 'parked', vm: st.owner[pasid]!, t: env.now() });
  };
  const charge = (vm: number, d: number) => st.perVm.set(vm, (st.perVm.get(vm) ?? 0) + d);

  return spawnNamed<AllocatorState, AllocatorMsg>(
    parent,
    space.name,
    st,
    (s, msg) => {
      switch (msg.t) {
        case 'alloc': {
          // The quota charges a PASID until it is free again: a parked PASID still counts.
          if (msg.quota !== null && (s.perVm.get(msg.vm) ?? 0) >= msg.quota) {
            reply(msg.replyTo, err('ENOSPC', `VM quota of ${msg.quota} ${what}s reached`));
            break;
          }
          const p = env.injectFault('pasid-alloc') ? -1 : lowestFree();
          if (p < 0) {
            reply(msg.replyTo, err('ENOSPC', `${what} space of ${max - 1} exhausted (${s.parked} parked)`));
            break;
          }
          s.status[p] = IN_USE;
          s.owner[p] = msg.vm;
          setUsed(p, true);
          s.inUse++;
          charge(msg.vm, 1);
          announce(p);
          reply(msg.replyTo, ok(p));
          break;
        }
        case 'park':
          if (s.status[msg.pasid] === IN_USE) {
            s.status[msg.pasid] = PARKED;
            s.inUse--;
            s.parked++;
            announce(msg.pasid);
          }
          break;
        case 'release': {
          // A tell from the IOASID that held the PASID, sent once: a free PASID stays free.
          const was = s.status[msg.pasid];
          if (was === FREE) break;
          if (was === IN_USE) s.inUse--;
          else s.parked--;
          s.status[msg.pasid] = FREE;
          setUsed(msg.pasid, false);
          if (!(env.mutant === 'quota-leak' && was === PARKED)) charge(s.owner[msg.pasid]!, -1);
          announce(msg.pasid);
          break;
        }
        case 'state': {
          const p = idArg(space, msg.pasid);
          if (!p.ok) {
            reply(msg.replyTo, p);
            break;
          }
          const v = s.status[msg.pasid];
          reply(msg.replyTo, ok(v === FREE ? 'free' : v === IN_USE ? 'in-use' : 'parked'));
          break;
        }
        case 'stats': {
          const stats: AllocatorStats = { inUse: s.inUse, parked: s.parked, free: max - 1 - s.inUse - s.parked, perVm: Object.fromEntries(s.perVm) };
          reply(msg.replyTo, ok(stats));
          break;
        }
      }
      return s;
    },
    (e, msg) => replyError(msg, 'EIO', `allocator: ${(e as Error).message}`),
  );
}

/** A number of `space`: 1 .. 2^bits - 1, else EINVAL (PASID 0 is DMA without PASID; iommufd ids start at 1). */
export function idArg(space: Pick<IdSpace, 'bits' | 'what'>, id: number): Result<number> {
  const max = 1 << space.bits;
  return Number.isInteger(id) && id > 0 && id < max ? ok(id) : err('EINVAL', `IOASID ${id} is not a valid ${space.what} (1..${max - 1})`);
}
