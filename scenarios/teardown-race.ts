// teardown-race: every (device, slot) lane loops ALLOC -> BIND -> ALLOW -> background DMA ->
// teardown (DISALLOW then DESTROY, or DESTROY first so the PASID parks) while its DMA keeps
// running on a worker thread; now and then a lane tries what must fail (ALLOW through another
// VM's FD, ALLOW of another FD's IOASID) and every device probes a PASID it was never given.
import type { Machine } from '../machine/machine.js';
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
  for (const d of m.devices) for (let s = 0; s < w.params.pasids; s++) lanes.push(lane(w, m, d.index, d.vm, fds, `lane${d.index}.${s}`));
  await Promise.all(lanes);
  for (const j of probes) await m.invoke('stop', { job: j });
  for (const fd of fds) await m.invoke('close', { fd });
}

async function lane(w: Workload, m: Machine, device: number, vm: number, fds: number[], me: string): Promise<void> {
  const fd = fds[vm]!;
  const otherFd = fds.length > 1 ? fds[(vm + 1 + w.prng.int(fds.length - 1)) % fds.length]! : null;
  while (!w.expired()) {
    const a = await m.invoke('alloc', { fd });
    if (!a.ok) {
      await w.sleep(1, me);
      continue;
    }
    const pasid = a.value;
    await m.invoke('bind_pgtbl', { fd, ioasid: pasid, pages: PAGES_PER_IOASID });
    await m.invoke('allow', { device, fd, ioasid: pasid });
    const job = await m.invoke('dma_start', { device, ioasid: pasid, seed: w.prng.fork() });
    if (otherFd !== null && w.prng.chance(0.1)) await crossVmAttempts(w, m, device, fd, otherFd, me);
    await w.sleep(w.prng.int(3), me);
    if (w.prng.chance(0.6)) {
      await m.invoke('disallow', { device, fd, ioasid: pasid });
      await m.invoke('destroy', { fd, ioasid: pasid });
    } else {
      // DESTROY while the device still holds it: the PASID parks until DISALLOW.
      await m.invoke('destroy', { fd, ioasid: pasid });
      await w.sleep(w.prng.int(2), me);
      await m.invoke('disallow', { device, fd, ioasid: pasid });
    }
    // Let the device keep trying for a moment after teardown: nothing may land.
    await w.sleep(w.prng.int(2), me);
    if (job.ok) await m.invoke('stop', { job: job.value });
  }
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
