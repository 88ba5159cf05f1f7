// iopf: devices with PRI DMA over sparsely mapped address spaces, so their accesses to the holes
// stall on page requests. Every other lane attaches a fault queue and answers its requests with
// FAULT_RESPOND (success maps the page, invalid aborts the access); the others leave them to the
// kernel's handler. Every lane unmaps pages again so its device keeps asking. Each lane then tears its
// IOASID down while the device may still wait for an answer, and stops that DMA only after its
// next ALLOC: a page request left unanswered past the teardown would outlive the PASID. Handlers
// answer late, too: a FAULT_RESPOND still in flight when its lane's teardown begins, and the cookie
// of a request read before the teardown answered in the next incarnation (EINVAL: that group is
// gone; it must never reach the new requests at the PASID). Under iommufd a lane attaches each
// HWPT at the PASID its VMM chose for the device, so a request finds its fault queue by (device,
// PASID), not by the HWPT's id, and every incarnation of the lane is raised at that same PASID;
// its DESTROY is EBUSY while attached, so a lane that did not detach first detaches and destroys again.
import type { Machine } from '../machine/machine.js';
import { LANE_UAPI, chosenPasid } from './lane-uapi.js';
import { type Scenario, type Workload, gridMachine, openFdPerVm } from './scenario.js';

/** IOVA pages each address space spans; only every third is mapped at first, so holes of two pages ask for groups of two. */
const SPAN = 8;
const HOLES = Array.from({ length: SPAN }, (_, i) => i).filter((i) => i % 3 !== 0);
/** FAULT_RESPOND (or UNMAP) rounds per IOASID before its lane tears it down. */
const ROUNDS = 6;

export const iopf: Scenario = {
  name: 'iopf',
  summary: 'PRI devices DMA over sparse address spaces while handlers map on demand (fault queues or the kernel) and lanes tear down',
  races: ['pageRequests', 'multiPageGroups', 'pageResponses', 'teardownsWithPageRequests', 'lateResponses'],
  machine: (p) => gridMachine(p, { pagesPerVm: p.devices * p.pasids * SPAN * 3 + 64, iommus: 2, mixedAts: true, pri: true }),
  drive,
};

async function drive(w: Workload): Promise<void> {
  const m = w.sim.machine;
  const fds = await openFdPerVm(w);
  const lanes: Promise<void>[] = [];
  let n = 0;
  for (const d of m.devices) for (let s = 0; s < w.params.pasids; s++) lanes.push(lane(w, m, d.index, fds[d.vm]!, s, n++ % 2 === 0, `lane${d.index}.${s}`));
  await Promise.all(lanes);
  for (const fd of fds) await m.invoke('close', { fd });
}

async function lane(w: Workload, m: Machine, device: number, fd: number, slot: number, faultQueue: boolean, me: string): Promise<void> {
  const u = LANE_UAPI[w.params.uapi ?? 'ioasid'];
  // iommufd: the PASID this lane's VMM picks for its device, the same for every incarnation.
  const chosen = chosenPasid(m, slot);
  let previous: number | null = null;
  /** The cookie of a request read before the last teardown, answered late in the next incarnation. */
  let stale = 0;
  while (!w.expired()) {
    const a = await m.invoke('alloc', { fd });
    if (previous !== null) await m.invoke('stop', { job: previous });
    previous = null;
    if (!a.ok) {
      await w.sleep(1, me);
      continue;
    }
    const ioasid = a.value;
    for (let iova = 0; iova < SPAN; iova += 3) await m.invoke('map', { fd, ioasid, iova, pages: 1 });
    if (faultQueue) await m.invoke('fault_queue', { fd, ioasid });
    const pasid = await u.attach(m, device, fd, ioasid, chosen);
    const job = await m.invoke('dma_start', { device, ioasid: pasid, seed: w.prng.fork() });
    for (let round = 0; round < ROUNDS && !w.expired(); round++) {
      // The late answer once this incarnation has a request of its own waiting (read it first).
      if (round === 1 && stale !== 0 && (await m.invoke('fault_read', { fd, ioasid })).ok)
        await m.invoke('fault_respond', { fd, ioasid, code: 0, cookie: stale });

      // Unmap again what the handler mapped, so the device keeps asking: on a fault queue the
      // pages just answered, else a random page of a hole (ENOENT while it is a hole still).
      let iova = HOLES[w.prng.int(HOLES.length)]!;
      let pages = 1;
      if (faultQueue) {
        const r = await m.invoke('fault_respond', { fd, ioasid, code: w.prng.chance(0.7) ? 0 : 1 });
        if (!r.ok) continue;
        iova = r.value.iova;
        pages = r.value.pages;
      } else {
        await w.sleep(w.prng.int(2), me);
      }
      await m.invoke('unmap', { fd, ioasid, iova, pages });
    }
    // Tear down while the device may be waiting for an answer: on a fault queue read one first,
    // then answer it late: in flight across the teardown, or in the next incarnation.
    stale = 0;
    // DESTROY first leaves the device's entry to the detach after it: it parks the PASID (2021
    // design) or is EBUSY (iommufd), and the lane destroys again once it detached.
    const read = faultQueue ? await m.invoke('fault_read', { fd, ioasid }) : null;
    if (w.prng.chance(0.5)) await u.detach(m, device, fd, ioasid, pasid);
    const destroyed = m.invoke('destroy', { fd, ioasid });
    let late: Promise<unknown> = Promise.resolve();
    if (read?.ok && w.prng.chance(0.5)) stale = read.value.cookie;
    else if (read?.ok) late = m.invoke('fault_respond', { fd, ioasid, code: 0, cookie: read.value.cookie });
    const busy = !(await destroyed).ok && u.destroyWaitsForUsers;
    // The 2021 design may leave the PASID parked on the device until close (or DISALLOW again: ENOENT).
    if (w.prng.chance(0.5) || busy) await u.detach(m, device, fd, ioasid, pasid);
    if (busy) await m.invoke('destroy', { fd, ioasid });
    await late;
    if (job.ok) previous = job.value;
  }
  if (previous !== null) await m.invoke('stop', { job: previous });
}
