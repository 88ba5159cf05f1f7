// The state the fuzzer compares after every call, read the same way from the reference model and
// from the real machine: every PASID's allocator state and charge, each live IOASID's status and
// users (FDs, devices, KVM mappings), page tables and free memory, and which FDs are open. FDs
// and devices appear by their sequence-file names, so a difference reads like the file that
// reproduces it.
import { isDeepStrictEqual } from 'node:util';
import type { PasidState } from '../../actors/events.js';
import type { Result } from '../../actors/result.js';
import type { Simulation } from '../../sim/simulation.js';
import { fdName, type RefModel } from './model.js';

export interface IoasidView {
  readonly pasid: number;
  readonly status: string;
  readonly holders: readonly string[];
}

export interface Snapshot {
  /** Every PASID that is not free. */
  readonly pasids: Readonly<Record<number, PasidState>>;
  readonly stats: { readonly inUse: number; readonly parked: number; readonly free: number };
  /** PASIDs charged to each VM's quota. */
  readonly charged: readonly number[];
  readonly ioasids: readonly IoasidView[];
  readonly pgtablesLive: number;
  readonly freePages: readonly number[];
  readonly openFds: readonly string[];
}

export function modelSnapshot(m: RefModel): Snapshot {
  const pasids: Record<number, PasidState> = {};
  for (let p = 1; p < m.max; p++) if (m.pasidState(p) !== 'free') pasids[p] = m.pasidState(p);
  const live = [...m.ioasids.values()].sort((a, b) => a.pasid - b.pasid);
  const parked = live.filter((io) => io.destroyed).length;
  return {
    pasids,
    stats: { inUse: live.length - parked, parked, free: m.max - 1 - live.length },
    charged: m.spec.vms.map((_, vm) => m.charged(vm)),
    ioasids: live.map((io) => ({
      pasid: io.pasid,
      status: io.destroyed ? 'destroyed' : io.pages !== null ? 'bound' : 'allocated',
      holders: [...(io.destroyed ? [] : [fdName(io.fd)]), ...[...io.devices].map((d) => m.devices[d]!.name), ...io.kvm].sort(),
    })),
    pgtablesLive: live.filter((io) => io.pages !== null).length,
    freePages: [...m.freePages],
    openFds: m.fds.flatMap((f, slot) => (f.open ? [fdName(slot)] : [])).sort(),
  };
}

/** Read the same state from the machine; `fdNames` maps an FD number to its name. */
export async function realSnapshot(sim: Simulation, fdNames: ReadonlyMap<number, string>): Promise<Snapshot> {
  const m = sim.machine;
  const unwrap = <T>(r: Result<T>, what: string): T => {
    if (!r.ok) throw new Error(`reading ${what} failed: ${r.errno} ${r.message}`);
    return r.value;
  };
  const max = 1 << m.spec.pasidBits;
  const pasids: Record<number, PasidState> = {};
  for (let p = 1; p < max; p++) {
    const s = unwrap(await m.pasidState(p), `PASID ${p}'s state`);
    if (s !== 'free') pasids[p] = s;
  }
  const stats = unwrap(await m.allocatorStats(), 'allocator stats');
  const holderName = (h: string) => {
    const [kind, n] = h.split(':');
    return kind === 'fd' ? (fdNames.get(Number(n)) ?? h) : kind === 'dev' ? (m.devices[Number(n)]?.name ?? h) : h;
  };
  const ioasids: IoasidView[] = [];
  for (const pasid of [...m.env.globalIoasids.keys()].sort((a, b) => a - b)) {
    const info = unwrap(await m.ioasidInfo(pasid), `IOASID ${pasid}`);
    ioasids.push({ pasid, status: info.status, holders: info.holders.map(holderName).sort() });
  }
  return {
    pasids,
    stats: { inUse: stats.inUse, parked: stats.parked, free: stats.free },
    charged: m.spec.vms.map((_, vm) => stats.perVm[vm] ?? 0),
    ioasids,
    pgtablesLive: m.env.host.pgtables.live,
    freePages: m.spec.vms.map((_, vm) => m.env.host.pages.freeCount(vm)),
    openFds: [...m.env.fds.keys()].map((fd) => fdNames.get(fd) ?? `fd#${fd}`).sort(),
  };
}

/** One line per part that differs, or null when the snapshots agree. */
export function snapshotDiff(model: Snapshot, real: Snapshot): string | null {
  const lines = (Object.keys(model) as (keyof Snapshot)[])
    .filter((k) => !isDeepStrictEqual(model[k], real[k]))
    .map((k) => `${k}: model ${JSON.stringify(model[k])}, machine ${JSON.stringify(real[k])}`);
  return lines.length ? lines.join('; ') : null;
}
