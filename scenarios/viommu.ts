// viommu: the guests' vIOMMUs authorise devices dynamically
// (docs/kernel-facts.md#how-kvm-would-program-the-table, step 5). Per VM, requesters send concurrent
// bind/unbind requests for random (device, vPASID) pairs from a small set, so requests for one
// vPASID race each other (and are answered EEXIST / ENOENT as the state they meet says) while
// requests for others run alongside. A device just bound DMAs through the pPASID it was given for
// a moment (another requester may unbind it meanwhile), and the vCPUs keep submitting ENQCMD with
// the vPASIDs the guest moves between (scenarios/guest.ts). The devices have PRI and the guests
// handle their page faults (`guestFaults`): the address spaces they bind fill on demand, each page
// request answered by the guest's vIOMMU (invalid when it meets an unbind of its device).
import { DEFAULT_PGTBL_PAGES } from '../uapi/ops.js';
import type { Machine } from '../machine/machine.js';
import { runGuestVcpus } from './guest.js';
import { type Scenario, type Workload, gridMachine } from './scenario.js';

// What the vIOMMU binds for a new vPASID.
const PAGES_PER_IOASID = DEFAULT_PGTBL_PAGES;

export const viommu: Scenario = {
  name: 'viommu',
  summary: 'guest vIOMMU dynamic authorisation churn: concurrent bind/unbind requests for devices and vPASIDs, with ENQCMD and DMA running',
  races: ['accepted', 'landed', 'kvmClears', 'guestPageResponses'],
  machine: (p) => gridMachine(p, { pagesPerVm: p.pasids * PAGES_PER_IOASID * 2 + 64, enqcmd: true, pri: true, guestFaults: true }),
  drive,
};

async function drive(w: Workload): Promise<void> {
  const m = w.sim.machine;
  const work: Promise<void>[] = [runGuestVcpus(w, m, w.params.pasids)];
  for (let v = 0; v < w.params.vms; v++) for (let r = 0; r < w.params.pasids; r++) work.push(requester(w, m, v));
  await Promise.all(work);
  // The guest lets go of everything it still has bound.
  for (const d of m.devices) for (let vpasid = 1; vpasid <= w.params.pasids; vpasid++) await m.invoke('viommu_unbind', { vm: d.vm, device: d.index, vpasid });
}

async function requester(w: Workload, m: Machine, vm: number): Promise<void> {
  const devices = m.devices.filter((d) => d.vm === vm).map((d) => d.index);
  while (!w.expired()) {
    const device = w.prng.pick(devices);
    const vpasid = 1 + w.prng.int(w.params.pasids);
    if (w.prng.chance(0.5)) {
      await m.invoke('viommu_unbind', { vm, device, vpasid });
    } else {
      const b = await m.invoke('viommu_bind', { vm, device, vpasid });
      if (b.ok && w.prng.chance(0.5)) {
        const j = await m.invoke('dma_start', { device, ioasid: b.value, seed: w.prng.fork() });
        await w.sleep(w.prng.int(3), `viommu${vm}`);
        if (j.ok) await m.invoke('stop', { job: j.value });
      }
    }
    await w.sleep(w.prng.int(2), `viommu${vm}`);
  }
}
