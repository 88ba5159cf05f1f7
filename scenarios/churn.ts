// churn: PASID exhaustion and recycling. The PASID space is tiny (6 bits: PASIDs 1..63) and the
// lanes together ask for twice that many, so ALLOC keeps running into ENOSPC. Each lane grabs
// IOASIDs until its share is reached or the space is exhausted, runs DMA on them, then lets go:
// half DESTROY first, so the PASID parks while the device still holds it and its DMA runs,
// and only later DISALLOW; half DISALLOW then DESTROY. Meanwhile other lanes keep allocating,
// so a parked PASID is exactly what a broken allocator would hand out next (pasid-reuse).
import type { Machine } from '../machine/machine.js';
import { type Scenario, type Workload, gridMachine, openFdPerVm } from './scenario.js';

const PASID_BITS = 6;
const PAGES_PER_IOASID = 4;

interface Held {
  readonly pasid: number;
  readonly job: number | null;
}

export const churn: Scenario = {
  name: 'churn',
  summary:
    'PASID exhaustion and recycling in a 6-bit PASID space: lanes ALLOC until ENOSPC, tear down (half DESTROY-first so the PASID parks), ALLOC again; a parked PASID must never be handed out',
  races: ['teardownsWithDmaInFlight', 'landed'],
  machine: (p) => gridMachine(p, { pagesPerVm: (1 << PASID_BITS) * PAGES_PER_IOASID + 64, pasidBits: PASID_BITS }),
  drive,
};

async function drive(w: Workload): Promise<void> {
  const m = w.sim.machine;
  const fds = await openFdPerVm(w);
  const lanes = m.devices.length * w.params.pasids;
  // Together the lanes want twice the space, whatever the scale: every round exhausts it.
  const share = Math.max(2, Math.ceil((2 * (m.hw.pasidMax - 1)) / lanes));
  const all: Promise<void>[] = [];
  for (const d of m.devices) for (let s = 0; s < w.params.pasids; s++) all.push(lane(w, m, d.index, fds[d.vm]!, share));
  await Promise.all(all);
  for (const fd of fds) await m.invoke('close', { fd });
}

async function lane(w: Workload, m: Machine, device: number, fd: number, share: number): Promise<void> {
  while (!w.expired()) {
    const held: Held[] = [];
    while (held.length < share) {
      const a = await m.invoke('alloc', { fd });
      if (!a.ok) break; // ENOSPC: the space is exhausted (parked PASIDs count as used)
      await m.invoke('bind_pgtbl', { fd, ioasid: a.value, pages: PAGES_PER_IOASID });
      const allowed = await m.invoke('allow', { device, fd, ioasid: a.value });
      const job = allowed.ok ? await m.invoke('dma_start', { device, ioasid: a.value, seed: w.prng.fork() }) : null;
      held.push({ pasid: a.value, job: job?.ok ? job.value : null });
    }
    await w.sleep(w.prng.int(3), `churn${device}`);
    await Promise.all(held.map((h) => letGo(w, m, device, fd, h)));
    if (held.length === 0) await w.sleep(1, `churn${device}`); // nothing free: let others release
  }
}

async function letGo(w: Workload, m: Machine, device: number, fd: number, h: Held): Promise<void> {
  if (w.prng.chance(0.5)) {
    // DESTROY while the device holds it and DMA runs: the PASID must park, not recycle.
    await m.invoke('destroy', { fd, ioasid: h.pasid });
    await w.sleep(w.prng.int(3), `churn${device}`);
    await m.invoke('disallow', { device, fd, ioasid: h.pasid });
  } else {
    await m.invoke('disallow', { device, fd, ioasid: h.pasid });
    await m.invoke('destroy', { fd, ioasid: h.pasid });
  }
  if (h.job !== null) await m.invoke('stop', { job: h.job });
}
