// teardown-storm: teardown calls racing each other on one IOASID, with DMA running. Every device
// of a VM sits behind one IOMMU unit, and each IOASID is shared by all the VM's devices (one
// PASID entry per device on the same unit). A lane opens a fresh FD, allocates (the VMs have a
// quota smaller than their lanes, so some ALLOCs answer ENOSPC while others' PASIDs are held or
// parked), allows the IOASID on every device, starts DMA on each, and then issues teardowns of it
// at once, in a random order: DESTROY with close(fd) and every device's DISALLOW (one that loses
// to the close answers EBADF and leaves the PASID parked on its device until the device closes),
// DESTROY twice, or DESTROY with every device's DISALLOW. When the run ends, each device's close
// races a DISALLOW of an IOASID it holds. Whatever the order, one teardown must do the work and
// nothing may leak. Under iommufd each lane attaches at a PASID of its own on every device and
// detaches (a DETACH needs no FD, so it still works after close(fd), which waits for it), and
// DESTROY in use answers EBUSY.
import type { Machine } from '../machine/machine.js';
import { LANE_UAPI, type LaneUapi, chosenPasid } from './lane-uapi.js';
import { type Scenario, type ScenarioParams, type Workload, gridMachine, openFd } from './scenario.js';

const PAGES_PER_IOASID = 4;

export const teardownStorm: Scenario = {
  name: 'teardown-storm',
  summary:
    'racing teardowns of one IOASID shared by every device of a VM behind one IOMMU unit (DESTROY with close(fd), DESTROY twice, DISALLOW with DESTROY, DISALLOW with device close), under DMA and a VM quota',
  races: ['teardownCallsRaced', 'teardownsWithDmaInFlight', 'landed'],
  machine,
  drive,
};

function machine(p: ScenarioParams) {
  // Fewer PASIDs than lanes: ALLOC meets the quota (ENOSPC) while other lanes hold theirs.
  const quota = Math.max(1, p.pasids - 1);
  return gridMachine(p, { pagesPerVm: p.pasids * PAGES_PER_IOASID * 2 + 64, iommus: 1, quota });
}

async function drive(w: Workload): Promise<void> {
  const m = w.sim.machine;
  const u = LANE_UAPI[w.params.uapi ?? 'ioasid'];
  // iommufd: the PASID lane `slot`'s VMM picks on every device of its VM (the close race's is one more).
  const chosen = (slot: number) => chosenPasid(m, slot);
  const lanes: Promise<void>[] = [];
  for (let v = 0; v < w.params.vms; v++) for (let s = 0; s < w.params.pasids; s++) lanes.push(lane(w, m, u, v, chosen(s), `storm${v}.${s}`));
  await Promise.all(lanes);
  // Each device's close races a DISALLOW of an IOASID it holds.
  const finals: Promise<unknown>[] = [];
  for (let v = 0; v < w.params.vms; v++) finals.push(closeRace(w, m, u, v, chosen(w.params.pasids)));
  await Promise.all(finals);
}

const devicesOf = (m: Machine, vm: number) => m.devices.filter((d) => d.vm === vm).map((d) => d.index);

/**
 * Set one IOASID up on every device of `vm` through a fresh FD, with DMA on each. ALLOC answers
 * ENOSPC while the VM's quota is taken: wait for another lane to let go; null once time is up.
 */
async function setUp(w: Workload, m: Machine, u: LaneUapi, vm: number, chosen: number, me: string) {
  const fd = await openFd(w, vm);
  let a = await m.invoke('alloc', { fd });
  while (!a.ok && !w.expired()) {
    await w.sleep(2, me);
    a = await m.invoke('alloc', { fd });
  }
  if (!a.ok) {
    await m.invoke('close', { fd });
    return null;
  }
  const ioasid = a.value;
  await m.invoke('bind_pgtbl', { fd, ioasid, pages: PAGES_PER_IOASID });
  const devices = devicesOf(m, vm);
  const jobs: number[] = [];
  let pasid = ioasid;
  for (const device of devices) {
    pasid = await u.attach(m, device, fd, ioasid, chosen);
    const j = await m.invoke('dma_start', { device, ioasid: pasid, seed: w.prng.fork() });
    if (j.ok) jobs.push(j.value);
  }
  /** DISALLOW (iommufd: DETACH) of the IOASID on `device`. */
  const letGo = (device: number) => u.detach(m, device, fd, ioasid, pasid);
  return { fd, ioasid, devices, jobs, letGo };
}

async function lane(w: Workload, m: Machine, uapi: LaneUapi, vm: number, chosen: number, me: string): Promise<void> {
  while (!w.expired()) {
    const u = await setUp(w, m, uapi, vm, chosen, me);
    if (!u) return;
    const { fd, ioasid, devices, jobs, letGo } = u;
    await w.sleep(w.prng.int(2), me);
    const race = w.prng.int(3);
    const calls: (() => Promise<unknown>)[] =
      race === 0
        ? // A DISALLOW that loses to close(fd) answers EBADF: the PASID stays parked until that device closes.
          [() => m.invoke('destroy', { fd, ioasid }), () => m.invoke('close', { fd }), ...devices.map((device) => () => letGo(device))]
        : race === 1
          ? [() => m.invoke('destroy', { fd, ioasid }), () => m.invoke('destroy', { fd, ioasid })]
          : [() => m.invoke('destroy', { fd, ioasid }), ...devices.map((device) => () => letGo(device))];
    // Issued in a random order, all at once: which one reaches the IOASID first is the race.
    const order = calls.map((c) => ({ c, k: w.prng.int(1 << 30) })).sort((x, y) => x.k - y.k);
    await Promise.all(order.map(({ c }) => c()));
    // The DMA has raced the teardowns; the PASID stays parked until every device let go.
    for (const j of jobs) await m.invoke('stop', { job: j });
    for (const device of devices) await letGo(device);
    // iommufd: a DESTROY that was EBUSY succeeds now that no device holds it (EBADF after a close).
    if (uapi.destroyWaitsForUsers) await m.invoke('destroy', { fd, ioasid });
    await m.invoke('close', { fd });
  }
}

async function closeRace(w: Workload, m: Machine, uapi: LaneUapi, vm: number, chosen: number): Promise<void> {
  // Time is up, so ALLOC is tried once: every lane has let go by now.
  const u = await setUp(w, m, uapi, vm, chosen, `close${vm}`);
  if (!u) {
    // The quota is taken by PASIDs parked on the devices: closing them lets go of those.
    await Promise.all(devicesOf(m, vm).map((device) => m.invoke('close_device', { device })));
    return;
  }
  await Promise.all(u.devices.map((device) => Promise.all([u.letGo(device), m.invoke('close_device', { device })])));
  await m.invoke('close', { fd: u.fd });
  for (const j of u.jobs) await m.invoke('stop', { job: j });
}
