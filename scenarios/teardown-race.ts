// teardown-race: every (device, slot) lane loops ALLOC -> BIND -> ALLOW -> background DMA ->
// teardown (DISALLOW then DESTROY, or DESTROY first so the PASID parks) while its DMA keeps
// running on a worker thread; now and then a lane tries what must fail (ALLOW through another
// VM's FD, ALLOW of another FD's IOASID) and every device probes a PASID it was never given.
import type { Machine } from '../machine/machine.js';
import { LANE_UAPI, chosenPasid } from './lane-uapi.js';
import { type Scenario, type Workload, gridMachine, openFdPerVm } from './scenario.js';

const PAGES_PER_IOASID = 8;

export const teardownRace: Scenario = {
  name: 'teardown-race',
  summary: 'devices DMA on worker threads while lanes churn allow / disallow / destroy / recycle, with cross-FD attempts mixed in',
  races: ['teardownsWithDmaInFlight', 'landed'],
  machine: (p) => gridMachine(p, { pagesPerVm: p.devices * p.pasids * PAGES_PER_IOASID * 2 + 64 }),
  drive,
};

async function drive(w: Workload): Promise<void> {
  const m = w.sim.machine;
  const fds = await openFdPerVm(w);
  // Probes: each device DMAs with a PASID from the top of the space, which nobody allocates.
  const probes: number[] = [];
  for (const d of m.devices) {
    const j = await m.invoke('dma_start', { device: d.index, ioasid: m.hw.pasidMax - 1 - d.index, seed: w.prng.fork() });
    if (j.ok) probes.push(j.value);
  }
  const lanes: Promise<void>[] = [];
  for (const d of m.devices) for (let s = 0; s < w.params.pasids; s++) lanes.push(lane(w, m, d.index, d.vm, fds, s, `lane${d.index}.${s}`));
  await Promise.all(lanes);
  for (const j of probes) await m.invoke('stop', { job: j });
  for (const fd of fds) await m.invoke('close', { fd });
}

async function lane(w: Workload, m: Machine, device: number, vm: number, fds: number[], slot: number, me: string): Promise<void> {
  const u = LANE_UAPI[w.params.uapi ?? 'ioasid'];
  const fd = fds[vm]!;
  const otherFd = fds.length > 1 ? fds[(vm + 1 + w.prng.int(fds.length - 1)) % fds.length]! : null;
  // iommufd: the PASID this lane's VMM picks for its device, above what the probes and the allocator use.
  const chosen = chosenPasid(m, slot);
  while (!w.expired()) {
    const a = await m.invoke('alloc', { fd });
    if (!a.ok) {
      await w.sleep(1, me);
      continue;
    }
    let hwpt = a.value;
    await m.invoke('bind_pgtbl', { fd, ioasid: hwpt, pages: PAGES_PER_IOASID });
    const pasid = await u.attach(m, device, fd, hwpt, chosen);
    const job = await m.invoke('dma_start', { device, ioasid: pasid, seed: w.prng.fork() });
    if (otherFd !== null && w.prng.chance(0.1)) await crossVmAttempts(w, m, device, fd, otherFd, me);
    if (u.replace && w.prng.chance(0.5)) hwpt = await replaceUnderDma(w, m, device, fd, hwpt, pasid, me);
    await w.sleep(w.prng.int(3), me);
    if (w.prng.chance(0.6)) {
      await u.detach(m, device, fd, hwpt, pasid);
      await m.invoke('destroy', { fd, ioasid: hwpt });
    } else {
      // DESTROY while the device still holds it: the PASID parks until DISALLOW (iommufd: EBUSY).
      await m.invoke('destroy', { fd, ioasid: hwpt });
      await w.sleep(w.prng.int(2), me);
      await u.detach(m, device, fd, hwpt, pasid);
      if (u.destroyWaitsForUsers) await m.invoke('destroy', { fd, ioasid: hwpt });
    }
    // Let the device keep trying for a moment after teardown: nothing may land.
    await w.sleep(w.prng.int(2), me);
    if (job.ok) await m.invoke('stop', { job: job.value });
  }
}

/**
 * Replace the device's table with a fresh one while its DMA runs, then free the old one at once:
 * any access that lands through the old table after the replace returned is a use-after-free.
 * The address space the lane holds afterwards.
 */
async function replaceUnderDma(w: Workload, m: Machine, device: number, fd: number, old: number, pasid: number, me: string): Promise<number> {
  const next = await m.invoke('alloc', { fd });
  if (!next.ok) return old;
  await m.invoke('bind_pgtbl', { fd, ioasid: next.value, pages: PAGES_PER_IOASID });
  await w.sleep(w.prng.int(2), me);
  const replaced = await LANE_UAPI.iommufd.replace!(m, device, fd, next.value, pasid);
  const unused = replaced ? old : next.value;
  await m.invoke('destroy', { fd, ioasid: unused });
  return replaced ? next.value : old;
}

/** Things that must fail: ALLOW through another VM's FD; ALLOW of another VM's IOASID via our FD. */
async function crossVmAttempts(w: Workload, m: Machine, device: number, fd: number, otherFd: number, me: string): Promise<void> {
  const foreign = await m.invoke('alloc', { fd: otherFd });
  if (!foreign.ok) return;
  await m.invoke('bind_pgtbl', { fd: otherFd, ioasid: foreign.value, pages: PAGES_PER_IOASID });
  await m.invoke('allow', { device, fd: otherFd, ioasid: foreign.value }); // EBADF: the FD is not this device's VM's
  const wrong = await m.invoke('allow', { device, fd, ioasid: foreign.value }); // ENOENT: not allocated from this FD
  if (wrong.ok) {
    // A broken same-FD check let it through: the device now DMAs into the other VM's memory.
    const j = await m.invoke('dma_start', { device, ioasid: foreign.value, seed: w.prng.fork() });
    await w.sleep(1, me);
    if (j.ok) await m.invoke('stop', { job: j.value });
    await m.invoke('disallow', { device, fd, ioasid: foreign.value });
  }
  await m.invoke('destroy', { fd: otherFd, ioasid: foreign.value });
}
