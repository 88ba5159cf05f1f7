// unmap-race: every (device, slot) lane gives an IOASID an address space of AREAS mappings,
// lets its device DMA over it on a worker thread, and keeps unmapping and remapping areas under
// that DMA; now and then the process behind the address space exits (MM_EXIT) while the device
// still holds the PASID. Two IOMMU units, each serving devices with and without ATS, so every
// UNMAP flushes IOTLB ranges and, for ATS devices, device-TLB ranges on its unit's own queue.
import type { Machine } from '../machine/machine.js';
import { LANE_UAPI, chosenPasid } from './lane-uapi.js';
import { type Scenario, type Workload, gridMachine, openFdPerVm } from './scenario.js';

const AREAS = 4;
const AREA_PAGES = 2;
/** UNMAP-and-MAP rounds per IOASID before its lane tears it down (most of a lane's calls are then unmaps and maps). */
const ROUNDS = 24;

export const unmapRace: Scenario = {
  name: 'unmap-race',
  summary: 'devices DMA on worker threads while lanes unmap and remap ranges of their address spaces, with process exits mixed in',
  races: ['unmapsWithDmaInFlight', 'landed'],
  machine: (p) => gridMachine(p, { pagesPerVm: p.devices * p.pasids * AREAS * AREA_PAGES * 2 + 64, iommus: 2, mixedAts: true }),
  drive,
};

async function drive(w: Workload): Promise<void> {
  const m = w.sim.machine;
  const fds = await openFdPerVm(w);
  const lanes: Promise<void>[] = [];
  for (const d of m.devices) for (let s = 0; s < w.params.pasids; s++) lanes.push(lane(w, m, d.index, d.vm, fds[d.vm]!, s, `lane${d.index}.${s}`));
  await Promise.all(lanes);
  for (const fd of fds) await m.invoke('close', { fd });
}

async function lane(w: Workload, m: Machine, device: number, vm: number, fd: number, slot: number, me: string): Promise<void> {
  const u = LANE_UAPI[w.params.uapi ?? 'ioasid'];
  // iommufd: the PASID this lane's VMM picks for its device, above what the allocator hands out.
  const chosen = chosenPasid(m, slot);
  // A process exit frees the address space under the devices only in the 2021 design: an iommufd
  // IOAS pins its pages, which stay until the FD (held by every bound device) is released.
  const exits = u.destroyWaitsForUsers === false;
  while (!w.expired()) {
    const a = await m.invoke('alloc', { fd });
    if (!a.ok) {
      await w.sleep(1, me);
      continue;
    }
    const ioasid = a.value;
    for (let i = 0; i < AREAS; i++) await m.invoke('map', { fd, ioasid, iova: i * AREA_PAGES, pages: AREA_PAGES });
    const pasid = await u.attach(m, device, fd, ioasid, chosen);
    const job = await m.invoke('dma_start', { device, ioasid: pasid, seed: w.prng.fork() });
    let exited = false;
    for (let round = 0; round < ROUNDS && !w.expired(); round++) {
      if (exits && w.prng.chance(0.02)) {
        // The process exits under the device: its DMA faults from now on, nothing may land.
        exited = (await m.invoke('mm_exit', { vm, ioasid })).ok;
        break;
      }
      const iova = w.prng.int(AREAS) * AREA_PAGES;
      await m.invoke('unmap', { fd, ioasid, iova, pages: AREA_PAGES });
      await w.sleep(w.prng.int(2), me);
      await m.invoke('map', { fd, ioasid, iova, pages: AREA_PAGES });
    }
    await w.sleep(w.prng.int(2), me);
    await u.detach(m, device, fd, ioasid, pasid);
    if (!exited) await m.invoke('destroy', { fd, ioasid });
    if (job.ok) await m.invoke('stop', { job: job.value });
  }
}
